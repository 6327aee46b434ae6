//! Service registry and discovery: instances announce themselves
//! ([`Registrar`]) and clients find them ([`Discovery`]).
//!
//! Two registries ship with Bia:
//! - [`StaticRegistry`], the embedded default: instances listed in config
//!   (and those registered in the same process). Nothing to install; its
//!   watch follows config hot reload ([`StaticRegistry::set`]).
//! - `etcd::EtcdRegistry` (the `etcd` cargo feature): the distributed one. Each instance is a key
//!   `<namespace>/<name>/<id>` (namespace `/microservices`) holding the
//!   instance as JSON, attached to a lease with a TTL that a keepalive
//!   renews; if etcd goes away and comes back, the instance is registered
//!   again without a restart, and watchers see every change.
//!
//! An [`App`](crate::App) given a registrar registers once every server is
//! serving and deregisters before it drains. Clients dial
//! `discovery:///<name>` (see [`crate::client`]).
//!
//! # Endpoints and TLS
//! An instance lists where it is reached, one URL per transport:
//! `grpc://host:port` and `http://host:port` in plaintext, `grpcs://` and
//! `https://` over TLS. A gRPC client uses the first `grpc` or `grpcs`
//! endpoint, an HTTP client the first `http` or `https` one
//! ([`ServiceInstance::endpoint_with_tls`]). The metadata key `tls`
//! ([`TLS_METADATA`]) set to `"true"` says that every endpoint of the
//! instance speaks TLS, whatever its scheme (for registries whose entries
//! other tools write with plain schemes). Clients dial TLS endpoints with
//! their dial's [`ClientTls`](crate::client::ClientTls), or the system's CA
//! certificates.
//!
//! ```
//! use std::sync::Arc;
//! use bia::registry::{Discovery, Registrar, ServiceInstance, StaticRegistry};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> bia::Result<()> {
//! let registry = Arc::new(StaticRegistry::new());
//! let me = ServiceInstance::new("user-service", "i-1").endpoint("grpc://10.0.0.5:9000");
//! registry.register(&me).await?;
//! let found = registry.get_service("user-service").await?;
//! assert_eq!(found, [me.clone()]);
//!
//! let mut watch = registry.watch("user-service").await?;
//! assert_eq!(watch.next().await?.len(), 1); // the current instances first
//! registry.deregister(&me).await?;
//! assert!(watch.next().await?.is_empty()); // then every change
//! # Ok(()) }
//! ```
//!
//! # Other registries: Consul, Kubernetes
//! A registry is two small traits, so another one plugs in without touching
//! the rest of Bia (Kratos' `contrib/registry` maps the same way):
//!
//! | method | Consul | Kubernetes |
//! |---|---|---|
//! | `register` | `PUT /v1/agent/service/register` with ID, name, tags (version), meta, address/port per endpoint and a TTL or HTTP check on `/healthz` | nothing to write: the pod is listed by a `Service`'s selector; put version and metadata in pod labels/annotations |
//! | `deregister` | `PUT /v1/agent/service/deregister/<id>` | the pod's readiness turns false while draining (`/readyz`), so its `EndpointSlice` entry becomes not-ready |
//! | `get_service` | `GET /v1/health/service/<name>?passing` | list `EndpointSlice`s labelled `kubernetes.io/service-name=<name>`, ready endpoints only |
//! | `watch` | the same query as a blocking query (`?index=<X-Consul-Index>`), one snapshot per change | a `watch` on those `EndpointSlice`s (kube-rs `watcher`), one snapshot per change |

mod local;

pub mod etcd;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

pub use local::StaticRegistry;

use crate::error::Error;

/// Which registry an application uses (the `registry` section of a config).
///
/// ```yaml
/// registry:
///   kind: static            # or etcd
///   etcd:
///     endpoints: [http://127.0.0.1:2379]
///     ttl: 15s
///   services:               # the static registry's instances
///     user-service:
///       - id: user-1
///         endpoints: [grpc://127.0.0.1:9000, http://127.0.0.1:8000]
///   endpoints: []           # announce these instead of the bound addresses
/// ```
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistryConfig {
    /// `static` (the default: nothing to install) or `etcd`.
    pub kind: RegistryKind,
    /// Where etcd is, for `kind: etcd`.
    pub etcd: etcd::EtcdConfig,
    /// The instances the static registry lists, by service name.
    pub services: BTreeMap<String, Vec<ServiceInstance>>,
    /// Endpoints to register instead of the bound addresses (behind NAT, or
    /// to pick the interface): `grpc://10.0.0.5:9000`.
    pub endpoints: Vec<String>,
}

/// The registries [`RegistryConfig`] can make.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistryKind {
    /// [`StaticRegistry`].
    #[default]
    Static,
    /// `etcd::EtcdRegistry` (needs the `etcd` cargo feature).
    Etcd,
}

/// A registry made from config: the same object as registrar and discovery.
#[derive(Clone)]
pub struct Registry {
    /// Where the App registers.
    pub registrar: std::sync::Arc<dyn Registrar>,
    /// Where clients discover.
    pub discovery: std::sync::Arc<dyn Discovery>,
    /// The static registry, when that is the kind (to follow config reloads
    /// with [`StaticRegistry::set`]).
    pub local: Option<std::sync::Arc<StaticRegistry>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("static", &self.local.is_some()).finish_non_exhaustive()
    }
}

impl RegistryConfig {
    /// Makes the configured registry.
    pub fn build(&self) -> Result<Registry, Error> {
        Ok(match self.kind {
            RegistryKind::Static => {
                let local = std::sync::Arc::new(StaticRegistry::from_config(self.services.clone()));
                Registry { registrar: local.clone(), discovery: local.clone(), local: Some(local) }
            }
            #[cfg(feature = "etcd")]
            RegistryKind::Etcd => {
                let etcd = std::sync::Arc::new(etcd::EtcdRegistry::new(self.etcd.clone())?);
                Registry { registrar: etcd.clone(), discovery: etcd, local: None }
            }
            #[cfg(not(feature = "etcd"))]
            RegistryKind::Etcd => {
                return Err(Error::internal_server(
                    crate::error::reason::CONFIG,
                    "registry.kind is etcd but this program was built without Bia's `etcd` feature \
                     (for the examples: cargo run -p user-service --features etcd)",
                ))
            }
        })
    }
}

/// The metadata key that, set to `"true"`, says an instance's endpoints
/// speak TLS whatever their scheme (see the [module docs](self)).
///
/// ```
/// use bia::registry::{ServiceInstance, TLS_METADATA};
///
/// let me = ServiceInstance::new("users", "u-1").endpoint("grpc://10.0.0.5:9443").metadata(TLS_METADATA, "true");
/// assert_eq!(me.endpoint_with_tls("grpc"), Some(("10.0.0.5:9443", true)));
/// ```
pub const TLS_METADATA: &str = "tls";

/// A future of a registry call.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One running instance of a service, as it is registered and discovered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceInstance {
    /// Unique per instance (in static config, defaults to the endpoints).
    #[serde(default)]
    pub id: String,
    /// The service name clients dial (`discovery:///<name>`; in static
    /// config, defaults to the key it is listed under).
    #[serde(default)]
    pub name: String,
    /// The version (node filters can select on it).
    #[serde(default)]
    pub version: String,
    /// Free-form metadata; `weight` (an integer, default 100) weights the
    /// instance in weighted round robin; `tls: "true"` says its endpoints
    /// speak TLS ([`TLS_METADATA`]).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Where it is reached: `grpc://host:port`, `http://host:port`, or over
    /// TLS `grpcs://host:port`, `https://host:port`.
    #[serde(default)]
    pub endpoints: Vec<String>,
}

impl ServiceInstance {
    /// An instance `id` of service `name`, with no endpoints yet.
    pub fn new(name: impl Into<String>, id: impl Into<String>) -> Self {
        ServiceInstance {
            id: id.into(),
            name: name.into(),
            version: String::new(),
            metadata: BTreeMap::new(),
            endpoints: Vec::new(),
        }
    }

    /// Adds an endpoint (`grpc://10.0.0.5:9000`).
    #[must_use]
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoints.push(url.into());
        self
    }

    /// Sets the version.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Adds a metadata entry.
    #[must_use]
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// The `host:port` of its first endpoint with `scheme` (`grpc`, `http`).
    ///
    /// ```
    /// let i = bia::registry::ServiceInstance::new("users", "u-1").endpoint("grpc://10.0.0.5:9000");
    /// assert_eq!(i.endpoint_for("grpc"), Some("10.0.0.5:9000"));
    /// assert_eq!(i.endpoint_for("http"), None);
    /// ```
    pub fn endpoint_for(&self, scheme: &str) -> Option<&str> {
        self.endpoints.iter().find_map(|e| e.strip_prefix(scheme)?.strip_prefix("://"))
    }

    /// The `host:port` of its first endpoint for a client of `scheme`
    /// (`grpc`, `http`) or of that scheme over TLS (`grpcs`, `https`), and
    /// whether it speaks TLS: its scheme says so, or the instance's `tls`
    /// metadata is `true` ([`TLS_METADATA`]).
    ///
    /// ```
    /// use bia::registry::ServiceInstance;
    ///
    /// let i = ServiceInstance::new("users", "u-1").endpoint("https://10.0.0.5:8443").endpoint("grpc://10.0.0.5:9000");
    /// assert_eq!(i.endpoint_with_tls("http"), Some(("10.0.0.5:8443", true)));
    /// assert_eq!(i.endpoint_with_tls("grpc"), Some(("10.0.0.5:9000", false)));
    /// ```
    pub fn endpoint_with_tls(&self, scheme: &str) -> Option<(&str, bool)> {
        let flagged = self.metadata.get(TLS_METADATA).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        self.endpoints.iter().find_map(|e| {
            let rest = e.strip_prefix(scheme)?;
            let (tls, rest) = match rest.strip_prefix('s') {
                Some(rest) => (true, rest),
                None => (flagged, rest),
            };
            Some((rest.strip_prefix("://")?, tls))
        })
    }
}

/// Announces instances. Implementations keep the registration alive until
/// `deregister` (a lease renewed in the background, for etcd).
pub trait Registrar: Send + Sync + 'static {
    /// Registers (or re-registers) `instance`.
    fn register<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>>;
    /// Removes `instance`.
    fn deregister<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>>;
}

/// Finds instances.
pub trait Discovery: Send + Sync + 'static {
    /// The instances of `name` now.
    fn get_service<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<ServiceInstance>, Error>>;
    /// A watch of `name`: its first [`Watcher::next`] returns the current
    /// instances, each later one the instances after a change.
    fn watch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Watcher, Error>>;
}

/// Snapshots of a service's instances, one per change.
#[derive(Debug)]
pub struct Watcher {
    rx: tokio::sync::watch::Receiver<Snapshot>,
    first: bool,
    /// Stops the task feeding it (if any) when dropped.
    _feeder: Option<AbortOnDrop>,
}

/// What a watcher sees: the instances, or the error that stopped it.
pub type Snapshot = Result<Vec<ServiceInstance>, Error>;

/// Sends `list` to a watch channel's receivers if it differs from what they
/// have (a registry's change that changes nothing wakes no watcher).
pub(crate) fn publish(tx: &tokio::sync::watch::Sender<Snapshot>, list: Vec<ServiceInstance>) {
    tx.send_if_modified(|old| {
        let changed = old.as_ref().map(|o| o != &list).unwrap_or(true);
        if changed {
            *old = Ok(list);
        }
        changed
    });
}

/// Aborts a task when dropped.
#[derive(Debug)]
pub(crate) struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Watcher {
    /// A watcher over a channel of snapshots; `feeder` is the task that fills
    /// it (aborted when the watcher is dropped).
    pub fn new(rx: tokio::sync::watch::Receiver<Snapshot>, feeder: Option<tokio::task::JoinHandle<()>>) -> Self {
        Watcher { rx, first: true, _feeder: feeder.map(AbortOnDrop) }
    }

    /// The current instances on the first call, then waits for a change.
    /// Rapid changes may be seen as one (the latest snapshot wins).
    pub async fn next(&mut self) -> Result<Vec<ServiceInstance>, Error> {
        if !std::mem::take(&mut self.first) {
            self.rx.changed().await.map_err(|_| {
                Error::service_unavailable(
                    crate::error::reason::DISCOVERY_CLOSED,
                    "the discovery behind this watcher is gone",
                )
            })?;
        }
        self.rx.borrow_and_update().clone()
    }
}
