//! Dialing services: one address, a fixed list (`direct:///`), or every
//! instance a [`Discovery`] knows (`discovery:///`), balanced per request.
//!
//! ```
//! use std::sync::Arc;
//! use bia::client::{Balancer, Dial};
//! use bia::registry::StaticRegistry;
//!
//! let registry = Arc::new(StaticRegistry::new());
//! let dial = Dial::new("discovery:///user-service")
//!     .discovery(registry)
//!     .balancer(Balancer::WeightedRoundRobin)
//!     .filter(|instance| instance.version == "v2");
//! // then `UserApiGrpcClient::dial(dial).await?` or `UserApiHttpClient::dial(dial).await?`
//! # drop(dial);
//! ```
//!
//! Targets:
//! - `http://host:port`: one server (the gRPC and HTTP clients' usual form);
//!   `https://host:port` (or `grpcs://host:port` for a gRPC client) over TLS.
//! - `direct:///host1:port,host2:port`: a fixed list, balanced (over TLS
//!   when the dial has [`Dial::tls`]).
//! - `discovery:///<name>`: the instances of `<name>` in the dial's
//!   [`Discovery`], followed as they change (watch). A gRPC client uses each
//!   instance's first `grpc://` or `grpcs://` endpoint, an HTTP client its
//!   first `http://` or `https://` one.
//!
//! **TLS.** A client speaks TLS to an endpoint whose scheme says so
//! (`https`, `grpcs`) or, in discovery, to an instance whose metadata has
//! `tls: "true"` (see [`crate::registry`]); it trusts the system's CA
//! certificates unless the dial has a [`ClientTls`] ([`Dial::tls`]): a CA of
//! your own, a client certificate for mutual TLS, a server name. A failed
//! handshake is 503 / `Unavailable`, reason `TLS_HANDSHAKE`, with what went
//! wrong in the message; nothing was sent, so a balanced call goes on to
//! another node.
//!
//! ```
//! use bia::client::{ClientTls, Dial};
//!
//! let dial = Dial::new("https://users.internal:8443")
//!     .tls(ClientTls::new().ca_file("/etc/bia/tls/ca.crt").identity_files("client.crt", "client.key"));
//! // then `UserApiHttpClient::dial(dial).await?`; for gRPC, `grpcs://users.internal:9443`
//! # drop(dial);
//! ```
//!
//! Each call picks a node with the [`Balancer`] (p2c over EWMA latency by
//! default). A node whose connection is refused is taken out of rotation for
//! a while and the call goes to another node (nothing was sent, so this is
//! safe for any call). A removed instance's in-flight calls finish; new calls
//! stop picking it. With no node at all, a call fails at once with 503 /
//! `Unavailable`, reason `NO_AVAILABLE_NODE`.

pub(crate) mod call;
pub(crate) mod failover;
pub(crate) mod pool;

use std::sync::{Arc, OnceLock};

use crate::error::reason::BAD_ENDPOINT;
use crate::error::Error;
use crate::registry::{Discovery, ServiceInstance};
pub use crate::tls::ClientTls;
use crate::tls::LoadedTls;
use pool::Pool;

/// How a call picks among the nodes of a target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Balancer {
    /// Power of two choices: of two random nodes, the one with the lower
    /// load (EWMA latency times in-flight calls). The default, as in Kratos.
    #[default]
    P2cEwma,
    /// Smooth weighted round robin over the instances' `weight` metadata
    /// (default 100).
    WeightedRoundRobin,
}

/// Which instances a client may use.
pub type NodeFilter = Arc<dyn Fn(&ServiceInstance) -> bool + Send + Sync>;

/// What a client dials; pass it to a generated client's `dial`.
#[derive(Clone)]
#[must_use]
pub struct Dial {
    pub(crate) target: String,
    pub(crate) discovery: Option<Arc<dyn Discovery>>,
    pub(crate) balancer: Balancer,
    pub(crate) filter: Option<NodeFilter>,
    pub(crate) tls: Option<ClientTls>,
}

impl std::fmt::Debug for Dial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dial")
            .field("target", &self.target)
            .field("discovery", &self.discovery.is_some())
            .field("balancer", &self.balancer)
            .field("filter", &self.filter.is_some())
            .field("tls", &self.tls)
            .finish()
    }
}

impl Dial {
    /// Dials `target`: `http://host:port`, `https://host:port` (a gRPC
    /// client also takes `grpcs://host:port`), `direct:///a:1,b:2` or
    /// `discovery:///name`.
    ///
    /// ```
    /// let dial = bia::client::Dial::new("direct:///10.0.0.5:9000,10.0.0.6:9000");
    /// # drop(dial);
    /// ```
    pub fn new(target: impl Into<String>) -> Self {
        Dial { target: target.into(), discovery: None, balancer: Balancer::default(), filter: None, tls: None }
    }

    /// The TLS settings of this dial's TLS connections: whom to trust (the
    /// system's CA certificates unless set), the client certificate for
    /// mutual TLS, the server name to check. Which endpoints speak TLS is
    /// said by their scheme (`https://`, `grpcs://`) or an instance's `tls`
    /// metadata; with this set, a `direct:///` list is dialed over TLS too.
    /// Its files are read when the client is made (a file that does not load
    /// fails the dial with reason `TLS_CONFIG`).
    ///
    /// ```
    /// use bia::client::{ClientTls, Dial};
    ///
    /// let dial = Dial::new("direct:///10.0.0.5:8443,10.0.0.6:8443")
    ///     .tls(ClientTls::new().ca_file("ca.crt").server_name("users.internal"));
    /// # drop(dial);
    /// ```
    pub fn tls(mut self, tls: ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The discovery `discovery:///` targets resolve through.
    pub fn discovery(mut self, discovery: Arc<dyn Discovery>) -> Self {
        self.discovery = Some(discovery);
        self
    }

    /// The balancer (default [`Balancer::P2cEwma`]).
    ///
    /// ```
    /// let dial = bia::client::Dial::new("direct:///a:1,b:2").balancer(bia::client::Balancer::WeightedRoundRobin);
    /// # drop(dial);
    /// ```
    pub fn balancer(mut self, balancer: Balancer) -> Self {
        self.balancer = balancer;
        self
    }

    /// Only instances for which `filter` is true are used.
    ///
    /// ```
    /// let dial = bia::client::Dial::new("discovery:///users").filter(|i| i.metadata.contains_key("zone"));
    /// # drop(dial);
    /// ```
    pub fn filter(mut self, filter: impl Fn(&ServiceInstance) -> bool + Send + Sync + 'static) -> Self {
        self.filter = Some(Arc::new(filter));
        self
    }

    /// Only instances of this version are used.
    ///
    /// ```
    /// let dial = bia::client::Dial::new("discovery:///users").version("v2");
    /// # drop(dial);
    /// ```
    pub fn version(self, version: impl Into<String>) -> Self {
        let version = version.into();
        self.filter(move |i| i.version == version)
    }
}

/// `middleware` and `chain` of a client (field `chain`), the same on both.
macro_rules! chain_builder {
    ($client:ident) => {
        impl $client {
            /// Adds a client middleware (the first added is the outermost).
            pub fn middleware(mut self, m: impl $crate::middleware::Middleware) -> Self {
                self.chain.push(::std::sync::Arc::new(m));
                self
            }

            /// Adds every middleware of `chain`.
            pub fn chain(mut self, chain: &$crate::middleware::Chain) -> Self {
                self.chain.extend(chain);
                self
            }
        }
    };
}

pub(crate) use chain_builder;

/// A parsed target.
pub(crate) enum Target {
    /// One server.
    Url(String),
    /// A fixed list of `host:port`.
    Direct(Vec<String>),
    /// A service name.
    Discovery(String),
}

impl Target {
    pub(crate) fn parse(target: &str) -> Result<Target, Error> {
        let bad = |why: &str| Error::bad_request(BAD_ENDPOINT, format!("invalid endpoint `{target}`: {why}"));
        if let Some(rest) = target.strip_prefix("direct://") {
            let list: Vec<String> = rest
                .trim_start_matches('/')
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if list.is_empty() {
                return Err(bad("expected direct:///host:port[,host:port...]"));
            }
            Ok(Target::Direct(list))
        } else if let Some(rest) = target.strip_prefix("discovery://") {
            let name = rest.trim_start_matches('/').trim_end_matches('/');
            if name.is_empty() || name.contains('/') {
                return Err(bad("expected discovery:///<service name>"));
            }
            Ok(Target::Discovery(name.to_owned()))
        } else {
            Ok(Target::Url(target.to_owned()))
        }
    }
}

/// Where a client's calls go: one server, or a balanced pool of nodes. `H`
/// is what a call goes through: a base URL (HTTP), a channel (gRPC).
#[derive(Debug)]
pub(crate) enum Backend<H> {
    One(H),
    Pool(Arc<Pool<H>>),
}

impl<H: Clone> Clone for Backend<H> {
    fn clone(&self) -> Self {
        match self {
            Backend::One(h) => Backend::One(h.clone()),
            Backend::Pool(p) => Backend::Pool(Arc::clone(p)),
        }
    }
}

impl<H: Clone + Send + Sync + 'static> Backend<H> {
    /// The backend of `dial`'s target without I/O: one server (`one` makes
    /// its handle from the URL) or a `direct:///` list (`node` makes each
    /// node's handle; instances of `scheme`). A `discovery:///` target needs
    /// [`Backend::dial`] with its discovery; the error says so, naming
    /// `client`'s `dial`.
    pub(crate) fn lazy(
        dial: &Dial,
        scheme: &'static str,
        client: &str,
        one: impl FnOnce(String) -> Result<H, Error>,
        node: MakeNode<H>,
    ) -> Result<Self, Error> {
        let target = &dial.target;
        match Target::parse(target)? {
            Target::Url(url) => one(url).map(Backend::One),
            Target::Direct(list) => Ok(Backend::Pool(Pool::direct(dial, &list, scheme, node))),
            Target::Discovery(_) => Err(Error::bad_request(
                BAD_ENDPOINT,
                format!("`{target}` needs a discovery: use {client}::dial(bia::client::Dial::new(..).discovery(..))"),
            )),
        }
    }

    /// The balanced pool of `dial`'s `direct:///` or `discovery:///` target
    /// (waiting for the discovery's current instances); a URL target comes
    /// back as it is, for the client to connect to itself.
    pub(crate) async fn dial(dial: &Dial, scheme: &'static str, node: MakeNode<H>) -> Result<Dialed<H>, Error> {
        Ok(match Target::parse(&dial.target)? {
            Target::Url(url) => Dialed::Url(url),
            Target::Direct(list) => Dialed::Pool(Backend::Pool(Pool::direct(dial, &list, scheme, node))),
            Target::Discovery(name) => Dialed::Pool(Backend::Pool(Pool::discover(dial, &name, scheme, node).await?)),
        })
    }
}

/// Makes a node's handle (a channel, a base URL) from its `host:port` and
/// whether it speaks TLS.
pub(crate) type MakeNode<H> = Arc<dyn Fn(&str, bool) -> Result<H, Error> + Send + Sync>;

/// The TLS settings a client's connections use: a dial's, loaded when the
/// client is made (so a file that does not load fails the dial), or the
/// system's defaults, loaded when a TLS endpoint first needs them (a client
/// that never speaks TLS never reads the system's CA certificates).
#[derive(Debug, Clone)]
pub(crate) struct TlsSettings {
    given: Option<ClientTls>,
    loaded: Arc<OnceLock<Arc<LoadedTls>>>,
}

impl TlsSettings {
    pub(crate) fn new(given: Option<ClientTls>) -> Result<Self, Error> {
        let settings = Self { given, loaded: Arc::default() };
        if settings.given.is_some() {
            settings.get()?;
        }
        Ok(settings)
    }

    /// The loaded settings.
    pub(crate) fn get(&self) -> Result<Arc<LoadedTls>, Error> {
        if let Some(loaded) = self.loaded.get() {
            return Ok(Arc::clone(loaded));
        }
        let loaded = match &self.given {
            Some(tls) => tls.load()?,
            None => ClientTls::new().load()?,
        };
        Ok(Arc::clone(self.loaded.get_or_init(|| loaded)))
    }
}

/// What [`Backend::dial`] made of a target.
pub(crate) enum Dialed<H> {
    /// A balanced pool.
    Pool(Backend<H>),
    /// One server's URL.
    Url(String),
}
