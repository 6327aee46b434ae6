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
    /// The timeout of one call.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

/// Embedded defaults, then the `-c` path if given, then `BIA_*` variables.
pub fn loader(conf_path: Option<&str>) -> bia::config::Loader {
    let loader = bia::config::Loader::new().embedded("embedded:configs/config.yaml", DEFAULT_CONFIG);
    match conf_path {
        Some(p) => loader.path(p),
        None => loader,
    }
}
