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
//! - `http://host:port`: one server (the gRPC and HTTP clients' usual form).
//! - `direct:///host1:port,host2:port`: a fixed list, balanced.
//! - `discovery:///<name>`: the instances of `<name>` in the dial's
//!   [`Discovery`], followed as they change (watch). A gRPC client uses each
//!   instance's `grpc://` endpoint, an HTTP client its `http://` one.
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

use std::sync::Arc;

use crate::error::reason::BAD_ENDPOINT;
use crate::error::Error;
use crate::registry::{Discovery, ServiceInstance};
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
}

impl std::fmt::Debug for Dial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dial")
            .field("target", &self.target)
            .field("discovery", &self.discovery.is_some())
            .field("balancer", &self.balancer)
            .field("filter", &self.filter.is_some())
            .finish()
    }
}

impl Dial {
    /// Dials `target`: `http://host:port`, `direct:///a:1,b:2` or
    /// `discovery:///name`.
    pub fn new(target: impl Into<String>) -> Self {
        Dial { target: target.into(), discovery: None, balancer: Balancer::default(), filter: None }
    }

    /// The discovery `discovery:///` targets resolve through.
    pub fn discovery(mut self, discovery: Arc<dyn Discovery>) -> Self {
        self.discovery = Some(discovery);
        self
    }

    /// The balancer (default [`Balancer::P2cEwma`]).
    pub fn balancer(mut self, balancer: Balancer) -> Self {
        self.balancer = balancer;
        self
    }

    /// Only instances for which `filter` is true are used.
    pub fn filter(mut self, filter: impl Fn(&ServiceInstance) -> bool + Send + Sync + 'static) -> Self {
        self.filter = Some(Arc::new(filter));
        self
    }

    /// Only instances of this version are used.
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
    /// The backend of `target` without I/O: one server (`one` makes its
    /// handle from the URL) or a `direct:///` list (`node` makes each node's
    /// handle from its `host:port`; instances of `scheme`). A `discovery:///`
    /// target needs a [`Dial`] with its discovery; the error says so,
    /// naming `client`'s `dial`.
    pub(crate) fn lazy(
        target: &str,
        scheme: &'static str,
        client: &str,
        one: impl FnOnce(String) -> Result<H, Error>,
        node: fn(&str) -> Result<H, Error>,
    ) -> Result<Self, Error> {
        match Target::parse(target)? {
            Target::Url(url) => one(url).map(Backend::One),
            Target::Direct(list) => Ok(Backend::Pool(Pool::direct(&Dial::new(target), &list, scheme, node))),
            Target::Discovery(_) => Err(Error::bad_request(
                BAD_ENDPOINT,
                format!("`{target}` needs a discovery: use {client}::dial(bia::client::Dial::new(..).discovery(..))"),
            )),
        }
    }

    /// The balanced pool of `dial`'s `direct:///` or `discovery:///` target
    /// (waiting for the discovery's current instances); a URL target comes
    /// back as it is, for the client to connect to itself.
    pub(crate) async fn dial(
        dial: &Dial,
        scheme: &'static str,
        node: fn(&str) -> Result<H, Error>,
    ) -> Result<Dialed<H>, Error> {
        Ok(match Target::parse(&dial.target)? {
            Target::Url(url) => Dialed::Url(url),
            Target::Direct(list) => Dialed::Pool(Backend::Pool(Pool::direct(dial, &list, scheme, node))),
            Target::Discovery(name) => Dialed::Pool(Backend::Pool(Pool::discover(dial, &name, scheme, node).await?)),
        })
    }
}

/// What [`Backend::dial`] made of a target.
pub(crate) enum Dialed<H> {
    /// A balanced pool.
    Pool(Backend<H>),
    /// One server's URL.
    Url(String),
}
