//! Metadata propagation, as Kratos' `middleware/metadata`: `x-md-global-*`
//! travels across every hop, `x-md-local-*` one hop only.
//!
//! * On a server, [`Metadata::server`] collects the request headers (HTTP)
//!   or metadata (gRPC) whose names start with `x-md-` (or the prefixes you
//!   give), plus its constants; handlers read them with [`get`] and [`all`].
//! * On a client called from inside a handler, [`Metadata::client`] sends the
//!   incoming call's entries that start with `x-md-global-` (or its
//!   prefixes), then what the handler set with [`set_outgoing`]; its
//!   constants are sent on every call. An incoming `x-md-local-*` entry is
//!   seen by the handler and goes no further, unless the handler sets it
//!   again.
//!
//! When one value is given twice, the later source wins: a client sends its
//! constants, overridden by the propagated entries, overridden by
//! [`set_outgoing`]; a server's constants are defaults that a request header
//! of the same name overrides. Names are lower-case (HTTP/2 and gRPC require
//! it); each name keeps its first value; gRPC binary (`-bin`) entries and
//! values that are not text are left out.
//!
//! Without `Metadata::server()` on the server, [`get`] and [`all`] (and the
//! propagation by `Metadata::client()`) read the request headers that start
//! with `x-md-`: the server middleware is needed only for other prefixes or
//! server constants.
//!
//! The incoming call is found through [`crate::context::with`]: a client
//! called from a task the handler spawned, or from a server middleware,
//! propagates nothing (only its constants).
//!
//! ```
//! use bia::middleware::metadata::{self, Metadata};
//! use bia::prelude::*;
//!
//! #[bia::message(package = "md.v1")] pub struct Ping {}
//! #[bia::message(package = "md.v1")] pub struct Pong { pub tenant: String }
//!
//! #[bia::service(package = "md.v1")]
//! pub trait Front: Send + Sync + 'static {
//!     async fn ping(&self, req: Ping) -> bia::Result<Pong>;
//! }
//!
//! struct F;
//! impl Front for F {
//!     async fn ping(&self, _: Ping) -> bia::Result<Pong> {
//!         // `x-md-global-tenant: acme` on the incoming call: the next hop
//!         // gets it too (through a client with `Metadata::client()`).
//!         let tenant = metadata::get("x-md-global-tenant").unwrap_or_default();
//!         // Only for the calls this handler makes.
//!         metadata::set_outgoing("x-md-local-caller", "front");
//!         Ok(Pong { tenant })
//!     }
//! }
//!
//! # fn main() -> bia::Result<()> {
//! let server = Metadata::server().constant("x-md-global-region", "eu")?;
//! let client = Metadata::client().constant("x-md-global-app", "web")?;
//! let _app = bia::App::new("front").middleware(server);
//! # let _ = client;
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;

use super::{AnyMessage, Context};
use crate::context::Side;
use crate::error::Error;

/// The prefix a server collects by default (Kratos' default).
pub const SERVER_PREFIX: &str = "x-md-";
/// The prefix a client propagates by default (Kratos' default).
pub const GLOBAL_PREFIX: &str = "x-md-global-";

/// Reason of a [`Metadata::constant`] that cannot be sent.
pub use crate::error::reason::BAD_METADATA as BAD_METADATA_REASON;

/// The metadata middleware (see the [module docs](self)).
///
/// ```
/// use bia::middleware::metadata::Metadata;
///
/// # fn main() -> bia::Result<()> {
/// // Also collect `x-tenant-*` headers on this server.
/// let _server = Metadata::server().prefix("x-md-").prefix("x-tenant-");
/// // Always send the app name on this client.
/// let _client = Metadata::client().constant("x-md-global-app", "web")?;
/// // Not a header name: a clear error, not a silent drop.
/// assert!(Metadata::client().constant("bad name", "v").is_err());
/// # Ok(())
/// # }
/// ```
#[must_use]
#[derive(Clone)]
pub struct Metadata {
    side: Side,
    prefixes: Vec<String>,
    default_prefixes: bool,
    constants: HeaderMap,
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata")
            .field("side", &self.side)
            .field("prefixes", &self.prefixes)
            .field("constants", &self.constants)
            .finish()
    }
}

impl Metadata {
    /// The server side: collects `x-md-*` request entries for handlers.
    ///
    /// ```
    /// use bia::middleware::metadata::Metadata;
    ///
    /// let _app = bia::App::new("demo").middleware(Metadata::server());
    /// ```
    pub fn server() -> Self {
        Self {
            side: Side::Server,
            prefixes: vec![SERVER_PREFIX.to_owned()],
            default_prefixes: true,
            constants: HeaderMap::new(),
        }
    }

    /// The client side: sends the incoming call's `x-md-global-*` entries,
    /// what the handler set with [`set_outgoing`], and its constants.
    ///
    /// ```
    /// use bia::middleware::metadata::Metadata;
    ///
    /// # async fn demo() -> bia::Result<()> {
    /// let client = bia::transport::grpc::GrpcClient::connect_lazy("http://127.0.0.1:9000")?
    ///     .middleware(Metadata::client());
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn client() -> Self {
        Self {
            side: Side::Client,
            prefixes: vec![GLOBAL_PREFIX.to_owned()],
            default_prefixes: true,
            constants: HeaderMap::new(),
        }
    }

    /// Collects (server) or propagates (client) entries whose names start
    /// with `prefix` (compared in lower case). The first call replaces the
    /// default prefix; later calls add to it (Kratos' `WithPropagatedPrefix`).
    ///
    /// ```
    /// use bia::middleware::metadata::Metadata;
    ///
    /// // Propagate `x-md-global-*` and `x-request-*`.
    /// let _ = Metadata::client().prefix("x-md-global-").prefix("x-request-");
    /// ```
    pub fn prefix(mut self, prefix: impl AsRef<str>) -> Self {
        if std::mem::take(&mut self.default_prefixes) {
            self.prefixes.clear();
        }
        self.prefixes.push(prefix.as_ref().to_ascii_lowercase());
        self
    }

    /// An entry added to every call (Kratos' `WithConstants`): a client
    /// sends it, a server shows it to handlers (and, with the global prefix,
    /// its clients propagate it). Fails when the name (lower-cased) or the
    /// value cannot be sent as a header.
    ///
    /// ```
    /// use bia::middleware::metadata::Metadata;
    ///
    /// # fn main() -> bia::Result<()> {
    /// let _ = Metadata::client().constant("x-md-global-app", "web")?;
    /// let err = Metadata::client().constant("x-md-global-app", "two\nlines").unwrap_err();
    /// assert_eq!(err.reason(), "BAD_METADATA");
    /// # Ok(())
    /// # }
    /// ```
    pub fn constant(mut self, key: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::try_from(key.to_ascii_lowercase()).map_err(|e| {
            Error::internal_server(BAD_METADATA_REASON, format!("metadata name `{key}` is not a header name: {e}"))
        })?;
        let value = HeaderValue::try_from(value).map_err(|e| {
            Error::internal_server(BAD_METADATA_REASON, format!("metadata value of `{key}` cannot be sent: {e}"))
        })?;
        if name.as_str().ends_with("-bin") {
            return Err(Error::internal_server(
                BAD_METADATA_REASON,
                format!("metadata name `{key}` ends in -bin (gRPC binary metadata); use a text name"),
            ));
        }
        self.constants.insert(name, value);
        Ok(self)
    }

    fn matches(&self, name: &str) -> bool {
        self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    fn collect(&self, ctx: &mut Context) {
        let mut md = self.constants.clone();
        for name in ctx.request_headers().keys() {
            if !self.matches(name.as_str()) || name.as_str().ends_with("-bin") {
                continue;
            }
            if let Some(v) = ctx.request_headers().get(name).filter(|v| v.to_str().is_ok()) {
                md.insert(name.clone(), v.clone());
            }
        }
        ctx.extensions_mut().insert(Incoming(md));
    }

    fn propagate(&self, ctx: &mut Context) {
        let out = ctx.request_headers_mut();
        for (name, value) in &self.constants {
            out.insert(name.clone(), value.clone());
        }
        crate::context::with(|server| {
            // Without `Metadata::server()`, the incoming metadata is the
            // `x-md-*` request headers.
            let (incoming, collected) = match server.extensions().get::<Incoming>() {
                Some(i) => (&i.0, true),
                None => (server.request_headers(), false),
            };
            for name in incoming.keys() {
                let name_str = name.as_str();
                if self.matches(name_str)
                    && !name_str.ends_with("-bin")
                    && (collected || name_str.starts_with(SERVER_PREFIX))
                {
                    if let Some(v) = incoming.get(name).filter(|v| v.to_str().is_ok()) {
                        out.insert(name.clone(), v.clone());
                    }
                }
            }
            if let Some(Outgoing(set)) = server.extensions().get::<Outgoing>() {
                for (name, value) in set {
                    out.insert(name.clone(), value.clone());
                }
            }
        });
    }
}

impl Metadata {
    fn check(&self, ctx: &mut Context, _req: &AnyMessage) -> Result<(), Error> {
        match self.side {
            Side::Server => self.collect(ctx),
            Side::Client => self.propagate(ctx),
        }
        Ok(())
    }
}

guard!(Metadata);

/// What `Metadata::server()` collected for the current call.
#[derive(Clone, Debug)]
struct Incoming(HeaderMap);

/// What the handler set for the calls it makes.
#[derive(Clone, Debug, Default)]
struct Outgoing(HeaderMap);

/// Calls `f` with the incoming metadata of the current call: what
/// `Metadata::server()` collected, or else the `x-md-*` request headers.
fn with_incoming<R>(f: impl FnOnce(&mut dyn Iterator<Item = (&HeaderName, &str)>) -> R) -> Option<R> {
    crate::context::with(|ctx| match ctx.extensions().get::<Incoming>() {
        Some(Incoming(md)) => f(&mut md.iter().filter_map(|(k, v)| Some((k, v.to_str().ok()?)))),
        None => f(&mut ctx
            .request_headers()
            .iter()
            .filter(|(k, _)| k.as_str().starts_with(SERVER_PREFIX) && !k.as_str().ends_with("-bin"))
            .filter_map(|(k, v)| Some((k, v.to_str().ok()?)))),
    })
}

/// One incoming metadata value of the call this handler serves (the name is
/// compared in lower case); `None` when absent or outside a call.
///
/// ```
/// // Outside of a call there is none.
/// assert_eq!(bia::middleware::metadata::get("x-md-global-tenant"), None);
/// ```
pub fn get(key: &str) -> Option<String> {
    let key = key.to_ascii_lowercase();
    with_incoming(|md| {
        for (k, v) in md {
            if k.as_str() == key {
                return Some(v.to_owned());
            }
        }
        None
    })
    .flatten()
}

/// Every incoming metadata entry of the call this handler serves (the first
/// value of each name); empty outside a call.
///
/// ```
/// assert!(bia::middleware::metadata::all().is_empty());
/// ```
pub fn all() -> BTreeMap<String, String> {
    with_incoming(|md| {
        let mut all = BTreeMap::new();
        for (k, v) in md {
            all.entry(k.as_str().to_owned()).or_insert_with(|| v.to_owned());
        }
        all
    })
    .unwrap_or_default()
}

/// Sets an entry on every call this handler makes through a client with
/// `Metadata::client()` (Kratos' `AppendToClientContext`), whatever its
/// prefix. `false` outside a call, or when the name (lower-cased) or the
/// value cannot be sent as a header (or the name ends in `-bin`).
///
/// ```
/// // Outside of a call there is nothing to attach it to.
/// assert!(!bia::middleware::metadata::set_outgoing("x-md-local-caller", "front"));
/// ```
pub fn set_outgoing(key: &str, value: &str) -> bool {
    let (Ok(name), Ok(value)) = (HeaderName::try_from(key.to_ascii_lowercase()), HeaderValue::try_from(value)) else {
        return false;
    };
    if name.as_str().ends_with("-bin") {
        return false;
    }
    crate::context::with_mut(|ctx| {
        let out = ctx.extensions_mut().get_or_insert_default::<Outgoing>();
        out.0.insert(name, value);
    })
    .is_some()
}
