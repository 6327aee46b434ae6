//! Client timeout: a call that has not finished within its budget ends with
//! `504 / DeadlineExceeded` and reason [`TIMEOUT_REASON`] (the reason a
//! server's own deadline gives).
//!
//! **Generated clients have no timeout unless one is configured**: without
//! this middleware a call waits as long as the server and the network let it
//! (there is no hidden default, unlike Kratos' 2 s). Add [`Timeout`] to bound
//! it.
//!
//! On gRPC the budget also travels to the server as the `grpc-timeout`
//! header, so the server gives up at the same moment (its own configured
//! timeout still applies when shorter). HTTP has no standard header for it;
//! there the client simply stops waiting and drops the connection.
//!
//! Inside a server handler, the server call's deadline (its configured
//! timeout or the caller's `grpc-timeout`) bounds a `Timeout` of the clients
//! the handler calls: the downstream call gets what is left of the budget.
//!
//! Nested timeouts keep the sooner deadline, and a [`Retry`](super::retry::Retry)
//! inside a `Timeout` does not sleep past it: put `Timeout` outside `Retry`
//! to bound the whole call, inside it to bound each attempt.
//!
//! ```
//! use std::time::Duration;
//! use bia::middleware::timeout::Timeout;
//!
//! #[bia::message(package = "to.v1")] pub struct Ping {}
//! #[bia::service(package = "to.v1")]
//! pub trait Echo: Send + Sync + 'static {
//!     async fn ping(&self, req: Ping) -> bia::Result<Ping>;
//! }
//!
//! # fn main() -> bia::Result<()> {
//! let client = EchoHttpClient::new("http://127.0.0.1:8000")?.middleware(Timeout::new(Duration::from_millis(250)));
//! # let _ = client;
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use super::{AnyMessage, Context, Next};
use crate::context::Deadline;
pub use crate::error::reason::TIMEOUT as TIMEOUT_REASON;
use crate::error::Error;

/// Ends a call that takes longer than a fixed budget (see the [module
/// docs](self)).
#[derive(Clone, Copy, Debug)]
pub struct Timeout {
    limit: Duration,
}

impl Timeout {
    /// A timeout of `limit` per call (per attempt when inside a retry).
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = bia::middleware::timeout::Timeout::new(Duration::from_secs(2));
    /// assert_eq!(t.limit(), Duration::from_secs(2));
    /// ```
    pub fn new(limit: Duration) -> Self {
        Self { limit }
    }

    /// The budget.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(bia::middleware::timeout::Timeout::new(Duration::ZERO).limit(), Duration::ZERO);
    /// ```
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

/// The time left before the deadline a [`Timeout`] set for the call in
/// `ctx`; `None` when no `Timeout` runs around it.
///
/// ```
/// use bia::context::{Context, Kind, Side};
///
/// let ctx = Context::new("/to.v1.Echo/Ping", Kind::Grpc, Side::Client);
/// assert_eq!(bia::middleware::timeout::remaining(&ctx), None);
/// ```
pub fn remaining(ctx: &Context) -> Option<Duration> {
    Deadline::of(ctx).map(Deadline::remaining)
}

fn expired(ctx: &Context, budget: Duration) -> Error {
    Error::gateway_timeout(
        TIMEOUT_REASON,
        format!("{} did not finish within its {budget:?} client timeout", ctx.operation()),
    )
}

#[bia_macros::middleware(crate = "crate")]
impl Timeout {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> crate::Result<AnyMessage> {
        let own = Deadline::after(self.limit);
        // The call's own deadline (an outer Timeout), else the deadline of
        // the server call this client is called from.
        let outer = Deadline::of_call_or_server(ctx);
        let deadline = match (own, outer) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            // A budget past the end of time: no deadline at all.
            (None, None) => return next.run(ctx, req).await,
        };
        let budget = deadline.remaining();
        let previous = Deadline::of(ctx);
        // The gRPC transport sends what is left of it as `grpc-timeout`.
        ctx.extensions_mut().insert(deadline);
        let result = tokio::time::timeout_at(deadline.0, next.run(&mut *ctx, req)).await;
        // Leave the context as an outer middleware (a retry) gave it.
        match previous {
            Some(d) => ctx.extensions_mut().insert(d),
            None => ctx.extensions_mut().remove::<Deadline>(),
        };
        match result {
            Ok(Ok(reply)) => Ok(reply),
            // tonic enforces `grpc-timeout` on the client too and reports
            // its expiry as `Cancelled` (499): the same timeout.
            Ok(Err(e)) if e.code() == 499 && deadline.remaining().is_zero() => Err(expired(ctx, budget)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(expired(ctx, budget)),
        }
    }
}

/// Reads a `grpc-timeout` header value (`250m`, `2S`, ...) as the gRPC spec
/// defines it; `None` when it is malformed.
///
/// ```
/// use std::time::Duration;
/// use bia::middleware::timeout::parse_grpc_timeout;
///
/// assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
/// assert_eq!(parse_grpc_timeout("soon"), None);
/// ```
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    crate::context::deadline::parse(value)
}
