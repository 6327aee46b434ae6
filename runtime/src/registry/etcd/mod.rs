//! The etcd registry (the `etcd` cargo feature): instances under `<namespace>/<name>/<id>` on a lease
//! kept alive in the background, watched with etcd's watch stream.
//!
//! The etcd v3 API is gRPC; the handful of messages and fields this registry
//! uses are declared below with prost's derive and etcd's field numbers, so
//! the registry needs no `protoc` at build time (the etcd-client crate
//! compiles etcd's `.proto` files in its build script, which a machine with
//! only Rust cannot do) and no second gRPC stack: calls go through tonic
//! like every other Bia client.
//!
//! ```ignore
//! // needs the `etcd` feature; tests/tests/registry_etcd.rs runs the same calls
//! use std::sync::Arc;
//! use bia::registry::etcd::{EtcdConfig, EtcdRegistry};
//!
//! # async fn run() -> bia::Result<()> {
//! let registry = Arc::new(EtcdRegistry::new(EtcdConfig::new(["http://127.0.0.1:2379"]))?);
//! let app = bia::App::new("user-service").registrar(registry.clone());
//! // ... and clients: bia::client::Dial::new("discovery:///user-service").discovery(registry)
//! # drop(app); Ok(()) }
//! ```

use std::time::Duration;

#[cfg(feature = "etcd")]
mod calls;
#[cfg(feature = "etcd")]
mod pb;
#[cfg(feature = "etcd")]
mod registry;

#[cfg(feature = "etcd")]
pub use registry::EtcdRegistry;

/// Where etcd is and how instances are kept there (the `registry.etcd`
/// section of a config).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EtcdConfig {
    /// etcd's client URLs (`http://127.0.0.1:2379`).
    pub endpoints: Vec<String>,
    /// The key prefix (default `/microservices`).
    pub namespace: String,
    /// The lease TTL: how long a crashed instance stays listed (default 15 s;
    /// the keepalive runs every third of it).
    #[serde(with = "humantime_serde")]
    pub ttl: Duration,
    /// How long one etcd call may take (default 3 s).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for EtcdConfig {
    fn default() -> Self {
        EtcdConfig {
            endpoints: vec!["http://127.0.0.1:2379".to_owned()],
            namespace: "/microservices".to_owned(),
            ttl: Duration::from_secs(15),
            timeout: Duration::from_secs(3),
        }
    }
}

impl EtcdConfig {
    /// The defaults with these endpoints.
    pub fn new<S: Into<String>>(endpoints: impl IntoIterator<Item = S>) -> Self {
        EtcdConfig { endpoints: endpoints.into_iter().map(Into::into).collect(), ..EtcdConfig::default() }
    }

    /// Sets the lease TTL.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the key prefix.
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }
}
