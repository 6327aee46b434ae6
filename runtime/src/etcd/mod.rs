//! etcd's v3 API as Bia's registry and config source use it (the `etcd`
//! cargo feature): the connection settings ([`EtcdConfig`]), and a small
//! client of the calls they make.
//!
//! etcd's API is gRPC; the handful of messages and fields Bia uses are
//! declared in `pb.rs` with prost's derive and etcd's field numbers, so
//! nothing needs `protoc` at build time (the etcd-client crate compiles
//! etcd's `.proto` files in its build script, which a machine with only Rust
//! cannot do) and there is no second gRPC stack: calls go through tonic like
//! every other Bia client.

use std::time::Duration;

use crate::tls::ClientTls;

#[cfg(feature = "etcd")]
mod client;
#[cfg(feature = "etcd")]
pub(crate) mod pb;

#[cfg(feature = "etcd")]
pub(crate) use client::{prefix_end, Etcd};

/// Where etcd is and how to reach it: the `registry.etcd` section of a
/// config (with how instances are kept there: `namespace`, `ttl`), and the
/// connection of a config source in etcd (which uses only `endpoints`,
/// `timeout`, `tls` and the credentials).
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
