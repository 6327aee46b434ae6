//! The typed configuration (`configs/config.yaml`, embedded as the defaults).

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

/// The defaults compiled into the binary.
pub const DEFAULT_CONFIG: &str = include_str!("../configs/config.yaml");

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct Bootstrap {
    pub server: Server,
    pub users: Users,
    #[serde(default)]
    pub registry: bia::registry::RegistryConfig,
    #[serde(default)]
    pub log: bia::log::LogConf,
    /// Spans and metrics exported over OTLP (`otlp.endpoint`; the `otlp`
    /// cargo feature).
    #[serde(default)]
    pub otlp: bia::middleware::otlp::OtlpConfig,
}

// Read in `main` and supplied at startup.
bia::wire::input!(Bootstrap);

/// `server`.
#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub http: Endpoint,
    pub grpc: Endpoint,
}

/// `server.http` / `server.grpc`.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    pub addr: SocketAddr,
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

/// `users`: how to reach the user-service.
#[derive(Debug, Clone, Deserialize)]
pub struct Users {
    /// `discovery:///user-service`, `direct:///host:port,..` or `http://host:port`.
    pub target: String,
    /// The timeout of one call, its retries included.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// The timeout of one attempt of an idempotent call (`GetUser`,
    /// `ListUsers`): an instance that has not answered by then is left for
    /// another, within `timeout`.
    #[serde(with = "humantime_serde")]
    pub attempt_timeout: Duration,
    /// The circuit breaker (Google SRE adaptive throttling, as Kratos').
    #[serde(default)]
    pub breaker: Breaker,
}

/// `users.breaker`.
#[derive(Debug, Clone, Deserialize)]
pub struct Breaker {
    /// Attempts in the window before the breaker may refuse calls.
    pub request: u64,
    /// The share of attempts that must succeed for it to let all through.
    pub success: f64,
}

impl Default for Breaker {
    /// Kratos' defaults.
    fn default() -> Self {
        Self { request: 100, success: 0.6 }
    }
}

/// The key prefix of the order-service's config in etcd: every key under it
/// (`/configs/order-service/config.yaml`, ...) is merged in key order.
pub const ETCD_PREFIX: &str = "/configs/order-service/";

/// The loader: embedded defaults, then the `-c/--conf` path if given, then
/// the keys under [`ETCD_PREFIX`] when `--config-etcd` (or
/// `BIA_CONFIG_ETCD`) names etcd's endpoints, then `BIA_*` environment
/// overrides.
pub fn loader(conf_path: Option<&str>, etcd: &[String]) -> bia::Result<bia::config::Loader> {
    let mut loader = bia::config::Loader::new().embedded("embedded:configs/config.yaml", DEFAULT_CONFIG);
    if let Some(p) = conf_path {
        loader = loader.path(p);
    }
    if etcd.is_empty() {
        return Ok(loader);
    }
    #[cfg(feature = "etcd")]
    return Ok(loader.etcd(bia::config::EtcdSource::prefix(bia::config::EtcdConfig::new(etcd), ETCD_PREFIX)));
    #[cfg(not(feature = "etcd"))]
    Err(bia::Error::internal_server(
        bia::error::reason::CONFIG,
        format!("--config-etcd (the keys under {ETCD_PREFIX}) needs the `etcd` feature: cargo run -p order-service --features etcd"),
    ))
}
