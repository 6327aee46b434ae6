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
//!
//! **A secured etcd.** `https://` endpoints are reached over TLS with the
//! config's [`ClientTls`] (the CA that signed etcd's certificate, and a
//! client certificate when etcd runs with `--client-cert-auth`); with auth
//! enabled in etcd, `username` and `password` are sent to etcd's
//! `Authenticate` and the token it gives goes with every call, fetched
//! again when etcd refuses it (expired, or the users and roles changed).
//! Tests: `tests/tests/client_tls.rs` runs the registry against such an
//! etcd.
//!
//! ```
//! use bia::registry::etcd::EtcdConfig;
//! use bia::tls::ClientTls;
//!
//! let config = EtcdConfig::new(["https://etcd-1:2379", "https://etcd-2:2379"])
//!     .tls(ClientTls::new().ca_file("etcd-ca.crt").identity_files("client.crt", "client.key"))
//!     .credentials("registry", "s3cret");
//! assert!(!format!("{config:?}").contains("s3cret"));
//! ```

use std::time::Duration;

use crate::tls::ClientTls;

#[cfg(feature = "etcd")]
mod calls;
#[cfg(feature = "etcd")]
mod pb;
#[cfg(feature = "etcd")]
mod registry;

#[cfg(feature = "etcd")]
#[cfg_attr(docsrs, doc(cfg(feature = "etcd")))]
pub use registry::EtcdRegistry;

/// Where etcd is and how instances are kept there (the `registry.etcd`
/// section of a config).
///
/// ```yaml
/// registry:
///   kind: etcd
///   etcd:
///     endpoints: [https://127.0.0.1:2379]
///     ttl: 15s
///     tls:                          # for https:// endpoints (see ClientTls)
///       ca: /etc/bia/tls/etcd-ca.crt
///       cert: /etc/bia/tls/etcd-client.crt   # etcd's --client-cert-auth
///       key: /etc/bia/tls/etcd-client.key
///     username: registry            # etcd's auth (etcdctl auth enable)
///     password: ${ETCD_PASSWORD}
/// ```
#[derive(Clone, serde::Deserialize)]
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
    /// TLS for `https://` endpoints: the CA of etcd's certificate (the
    /// system's CAs when unset), a client certificate for
    /// `--client-cert-auth`.
    pub tls: Option<ClientTls>,
    /// The etcd user, when etcd has auth enabled (with `password`).
    pub username: Option<String>,
    /// The etcd user's password (never shown by `Debug`).
    pub password: Option<String>,
}

impl std::fmt::Debug for EtcdConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdConfig")
            .field("endpoints", &self.endpoints)
            .field("namespace", &self.namespace)
            .field("ttl", &self.ttl)
            .field("timeout", &self.timeout)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Default for EtcdConfig {
    fn default() -> Self {
        EtcdConfig {
            endpoints: vec!["http://127.0.0.1:2379".to_owned()],
            namespace: "/microservices".to_owned(),
            ttl: Duration::from_secs(15),
            timeout: Duration::from_secs(3),
            tls: None,
            username: None,
            password: None,
        }
    }
}

impl EtcdConfig {
    /// The defaults with these endpoints.
    ///
    /// ```
    /// let config = bia::registry::etcd::EtcdConfig::new(["http://127.0.0.1:2379"]);
    /// assert_eq!(config.namespace, "/microservices");
    /// ```
    pub fn new<S: Into<String>>(endpoints: impl IntoIterator<Item = S>) -> Self {
        EtcdConfig { endpoints: endpoints.into_iter().map(Into::into).collect(), ..EtcdConfig::default() }
    }

    /// Sets the lease TTL.
    ///
    /// ```
    /// let config = bia::registry::etcd::EtcdConfig::default().ttl(std::time::Duration::from_secs(5));
    /// assert_eq!(config.ttl.as_secs(), 5);
    /// ```
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the key prefix.
    ///
    /// ```
    /// let config = bia::registry::etcd::EtcdConfig::default().namespace("/services");
    /// assert_eq!(config.namespace, "/services");
    /// ```
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Sets the TLS of `https://` endpoints.
    ///
    /// ```
    /// use bia::registry::etcd::EtcdConfig;
    ///
    /// let config = EtcdConfig::new(["https://127.0.0.1:2379"]).tls(bia::tls::ClientTls::new().ca_file("ca.crt"));
    /// assert!(config.tls.is_some());
    /// ```
    #[must_use]
    pub fn tls(mut self, tls: ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Authenticates as this etcd user (etcd with auth enabled).
    ///
    /// ```
    /// let config = bia::registry::etcd::EtcdConfig::default().credentials("registry", "s3cret");
    /// assert_eq!(config.username.as_deref(), Some("registry"));
    /// ```
    #[must_use]
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        (self.username, self.password) = (Some(username.into()), Some(password.into()));
        self
    }
}
