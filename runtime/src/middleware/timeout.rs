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

use tokio::time::Instant;

use super::{AnyMessage, BoxFuture, Context, Middleware, Next};
use crate::error::Error;
use crate::transport::Kind;
pub use crate::transport::TIMEOUT_REASON;

/// The gRPC header that carries the budget to the server.
const GRPC_TIMEOUT: &str = "grpc-timeout";

/// The deadline the innermost [`Timeout`] set for the call (in the context's
/// extensions).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(pub(crate) Instant);

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
    ctx.extensions().get::<Deadline>().map(|d| d.0.saturating_duration_since(Instant::now()))
}

/// Sets `grpc-timeout` to `budget` (on gRPC only).
pub(crate) fn set_grpc_timeout(ctx: &mut Context, budget: Duration) {
    if ctx.kind() == Kind::Grpc {
        ctx.set_request_header(GRPC_TIMEOUT, &encode_grpc_timeout(budget));
    }
}

/// `grpc-timeout` per the gRPC spec: at most 8 digits and a unit. The
/// coarsest unit that says it exactly (`250m`, `2S`), else the finest that
/// fits, rounded up (so the server never gets less than the client waits).
pub(crate) fn encode_grpc_timeout(d: Duration) -> String {
    const MAX: u128 = 99_999_999;
    const UNITS: [(u128, char); 6] = [
        (1, 'n'),
        (1_000, 'u'),
        (1_000_000, 'm'),
        (1_000_000_000, 'S'),
        (60_000_000_000, 'M'),
        (3_600_000_000_000, 'H'),
    ];
    let nanos = d.as_nanos();
    if let Some((size, unit)) = UNITS.iter().rev().find(|(size, _)| nanos.is_multiple_of(*size) && nanos / size <= MAX)
    {
        return format!("{}{unit}", nanos / size);
    }
    match UNITS.iter().find(|(size, _)| nanos.div_ceil(*size) <= MAX) {
        Some((size, unit)) => format!("{}{unit}", nanos.div_ceil(*size)),
        None => format!("{MAX}H"),
    }
}

fn expired(ctx: &Context, budget: Duration) -> Error {
    Error::gateway_timeout(
        TIMEOUT_REASON,
        format!("{} did not finish within its {budget:?} client timeout", ctx.operation()),
    )
}

impl Middleware for Timeout {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        Box::pin(async move {
            let start = Instant::now();
            let own = start.checked_add(self.limit);
            // The call's own deadline (an outer Timeout), else the deadline of
            // the server call this client is called from.
            let outer =
                ctx.extensions().get::<Deadline>().copied().or_else(|| {
                    crate::context::with(|server| server.extensions().get::<Deadline>().copied()).flatten()
                });
            let deadline = match (own, outer) {
                (Some(a), Some(Deadline(b))) => a.min(b),
                (Some(a), None) => a,
                (None, Some(Deadline(b))) => b,
                // A budget past the end of time: no deadline at all.
                (None, None) => return next.run(ctx, req).await,
            };
            let previous_header = ctx.request_headers().get(GRPC_TIMEOUT).cloned();
            ctx.extensions_mut().insert(Deadline(deadline));
            let budget = deadline.saturating_duration_since(start);
            set_grpc_timeout(ctx, budget);
            let result = tokio::time::timeout_at(deadline, next.run(&mut *ctx, req)).await;
            // Leave the context as an outer middleware (a retry) gave it.
            match outer {
                Some(d) => ctx.extensions_mut().insert(d),
                None => ctx.extensions_mut().remove::<Deadline>(),
            };
            match previous_header {
                Some(v) => ctx.request_headers_mut().insert(GRPC_TIMEOUT, v),
                None => ctx.request_headers_mut().remove(GRPC_TIMEOUT),
            };
            match result {
                Ok(Ok(reply)) => Ok(reply),
                // tonic enforces `grpc-timeout` on the client too and reports
                // its expiry as `Cancelled` (499): the same timeout.
                Ok(Err(e)) if e.code() == 499 && Instant::now() >= deadline => Err(expired(ctx, budget)),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(expired(ctx, budget)),
            }
        })
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
    crate::transport::timeout::parse_grpc_timeout(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_encoding() {
        assert_eq!(encode_grpc_timeout(Duration::from_millis(250)), "250m");
        assert_eq!(encode_grpc_timeout(Duration::from_secs(2)), "2S");
        assert_eq!(encode_grpc_timeout(Duration::from_secs(120)), "2M");
        assert_eq!(encode_grpc_timeout(Duration::from_secs(7200)), "2H");
        assert_eq!(encode_grpc_timeout(Duration::from_nanos(1500)), "1500n");
        assert_eq!(encode_grpc_timeout(Duration::ZERO), "0H");
        // Not exact in 8 digits: the finest unit that fits, rounded up.
        assert_eq!(encode_grpc_timeout(Duration::from_nanos(12_345_678_901)), "12345679u");
        assert_eq!(encode_grpc_timeout(Duration::from_nanos(123_456_789_123)), "123457m");
        assert_eq!(encode_grpc_timeout(Duration::from_secs(u64::MAX)), "99999999H");
        assert_eq!(encode_grpc_timeout(Duration::from_secs(86_400 * 365)), "8760H");
    }
}
