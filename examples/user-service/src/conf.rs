//! The typed configuration (`configs/config.yaml`, embedded as the defaults).

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use crate::data::DatabaseConf;

/// The defaults compiled into the binary: the service starts with no files.
pub const DEFAULT_CONFIG: &str = include_str!("../configs/config.yaml");

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct Bootstrap {
    pub server: Server,
    pub data: Data,
    #[serde(default)]
    pub log: bia::log::LogConf,
    #[serde(default)]
    pub auth: Auth,
    /// Spans and metrics exported over OTLP (`otlp.endpoint`; the `otlp`
    /// cargo feature).
    #[serde(default)]
    pub otlp: bia::middleware::otlp::OtlpConfig,
    /// Where the service registers (static by default, or etcd).
    #[serde(default)]
    pub registry: bia::registry::RegistryConfig,
}

// Read in `main` and supplied at startup: providers take it as `&Bootstrap`.
bia::wire::input!(Bootstrap);

/// `auth`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Auth {
    #[serde(default)]
    pub jwt: Jwt,
}

/// `auth.jwt`: HS256 bearer tokens on the write operations (`CreateUser`).
/// Its `Debug` leaves the secret out.
#[derive(Clone, Default, Deserialize)]
pub struct Jwt {
    /// Off by default, so the tutorial's calls work as printed.
    #[serde(default)]
    pub enabled: bool,
    /// The HS256 secret (`user-service token` signs with it too).
    #[serde(default)]
    pub secret: String,
    /// When set, tokens must carry this `iss`.
    #[serde(default)]
    pub issuer: Option<String>,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = if self.secret.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("Jwt")
            .field("enabled", &self.enabled)
            .field("secret", &secret)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// `server`.
#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub http: Endpoint,
    pub grpc: Endpoint,
    /// `two` (the default): HTTP on `http.addr`, gRPC on `grpc.addr`.
    /// `single`: everything on one port, `addr` (HTTP/JSON, gRPC, gRPC-Web,
    /// health, metrics, the OpenAPI document), with `http`'s TLS and limits.
    #[serde(default)]
    pub mode: Mode,
    /// The one port of `mode: single` (default `http.addr`).
    #[serde(default)]
    pub addr: Option<SocketAddr>,
    /// How long calls and streams in flight get to end once a stop (SIGTERM,
    /// Ctrl-C) begins; then they end with 503 / `Unavailable` (reason
    /// `STOPPING`).
    #[serde(default = "default_stop_timeout", with = "humantime_serde")]
    pub stop_timeout: Duration,
}

fn default_stop_timeout() -> Duration {
    Duration::from_secs(10)
}

/// `server.mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A port for HTTP and one for gRPC.
    #[default]
    Two,
    /// One port for every protocol.
    Single,
}

impl Server {
    /// Whether everything is served on one port.
    pub fn single(&self) -> bool {
        self.mode == Mode::Single
    }
}

/// `server.http` / `server.grpc`.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    /// Listen address, e.g. `0.0.0.0:8000`.
    pub addr: SocketAddr,
    /// Per-request timeout, e.g. `1s` or `500ms`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// TLS (and mutual TLS): `cert`, `key`, `client_ca`, `client_auth`;
    /// absent, the server speaks plaintext.
    #[serde(default)]
    pub tls: Option<bia::transport::ServerTls>,
    /// Connection limits and timeouts; each absent field keeps its default.
    #[serde(default)]
    pub limits: bia::transport::ConnectionLimits,
    /// HTTP only: serve the OpenAPI document at `/openapi.json` and
    /// `/openapi.yaml` (on unless `false`).
    #[serde(default = "on")]
    pub openapi: bool,
    /// HTTP only: serve the interactive API page at `/docs` (on unless
    /// `false`; `openapi: false` turns it off too). Needs the `docs` cargo
    /// feature, on by default.
    #[serde(default = "on")]
    #[cfg_attr(not(feature = "docs"), allow(dead_code))]
    pub docs: bool,
    /// Cross-origin calls from browser pages (`allowed_origins`, ...; see
    /// `bia::transport::http::Cors`), to the HTTP API or to gRPC-Web;
    /// absent, no CORS header is sent.
    #[serde(default)]
    pub cors: Option<bia::transport::http::Cors>,
    /// gRPC only: also answer gRPC-Web (browser clients) on the gRPC port.
    #[serde(default)]
    pub grpc_web: bool,
    /// gRPC only: also answer the Connect protocol (browser clients,
    /// `connectrpc`, curl) on the gRPC port.
    #[serde(default)]
    pub connect: bool,
}

fn on() -> bool {
    true
}

/// `data`.
#[derive(Debug, Clone, Deserialize)]
pub struct Data {
    pub database: DatabaseConf,
}

/// The key prefix of the user-service's config in etcd: every key under it
/// (`/configs/user-service/config.yaml`, ...) is merged in key order.
pub const ETCD_PREFIX: &str = "/configs/user-service/";

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
        format!("--config-etcd (the keys under {ETCD_PREFIX}) needs the `etcd` feature: cargo run -p user-service --features etcd"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration printed with `{:?}` (a log line, a panic) shows
    /// neither the JWT secret nor the database password.
    #[test]
    fn debug_leaves_secrets_out() {
        let jwt = Jwt { enabled: true, secret: "hunter2-jwt".into(), issuer: None };
        let db: DatabaseConf =
            serde_json::from_value(serde_json::json!({ "source": "postgres://app:hunter2-db@127.0.0.1/users" }))
                .unwrap();
        let printed = format!("{jwt:?} {db:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("<redacted>") && printed.contains("127.0.0.1/users"), "{printed}");
    }
}
