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
}

/// `server`.
#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub http: Endpoint,
    pub grpc: Endpoint,
}

/// `server.http` / `server.grpc`.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    /// Listen address, e.g. `0.0.0.0:8000`.
    pub addr: SocketAddr,
    /// Per-request timeout, e.g. `1s` or `500ms`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

/// `data`.
#[derive(Debug, Clone, Deserialize)]
pub struct Data {
    pub database: DatabaseConf,
}

/// The loader: embedded defaults, then the `-c/--conf` path if given, then
/// `BIA_*` environment overrides.
pub fn loader(conf_path: Option<&str>) -> bia::config::Loader {
    let loader = bia::config::Loader::new().embedded("embedded:configs/config.yaml", DEFAULT_CONFIG);
    match conf_path {
        Some(p) => loader.path(p),
        None => loader,
    }
}
