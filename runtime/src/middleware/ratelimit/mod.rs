//! Rate limiting (Kratos `middleware/ratelimit`): a [`RateLimit`] middleware
//! asks a [`Limiter`] before every call and refuses with 429 /
//! `ResourceExhausted`, reason [`RATELIMIT`](REASON), message `service
//! unavailable due to rate limit exceeded`, without calling the handler.
//!
//! Two limiters come built in:
//!
//! * [`TokenBucket`]: `rate` tokens per second up to `burst`, one per call;
//!   one bucket for the server, or one per key ([`per_operation`](TokenBucket::per_operation),
//!   [`per_key`](TokenBucket::per_key) with your own key: a tenant header, a
//!   transport...).
//! * [`Bbr`]: Kratos' default adaptive limiter. While the CPU is busy (above
//!   80 % by default) it refuses calls beyond the in-flight count the service
//!   has shown it can carry (the best pass rate times the shortest response
//!   time over the last 10 s, as in TCP BBR), and keeps doing so for a
//!   cool-down second after the CPU calms down.
//!
//! Any other policy implements [`Limiter`]. Apply the middleware to some
//! operations only with a [`Selector`](super::Selector).
//!
//! ```no_run
//! use bia::middleware::ratelimit::{Bbr, RateLimit, TokenBucket};
//!
//! # fn main() -> bia::Result<()> {
//! let app = bia::App::new("orders")
//!     // Adaptive protection of the whole server.
//!     .middleware(RateLimit::new(Bbr::new()))
//!     // And at most 100 calls/s (bursts of 200) per operation.
//!     .middleware(RateLimit::new(TokenBucket::new(100.0, 200)?.per_operation()));
//! # let _ = app; Ok(()) }
//! ```

mod bbr;
mod cpu;
mod token_bucket;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use bbr::{Bbr, BbrPermit};
pub use token_bucket::TokenBucket;

use super::{AnyMessage, Context, Middleware, Next, Reply};
use crate::error::reason::BAD_RATELIMIT as CONFIG_REASON;
use crate::error::Error;

/// The reason of every refusal.
pub use crate::error::reason::RATELIMIT as REASON;

const MESSAGE: &str = "service unavailable due to rate limit exceeded";

fn bad_config(message: String) -> Error {
    Error::internal_server(CONFIG_REASON, message)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Decides whether a call may run.
///
/// `acquire` returns a permit to admit the call, `None` to refuse it; the
/// permit is dropped when the call ends (reply, error or cancellation), which
/// is where a limiter that counts calls in flight learns it ended.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use bia::middleware::ratelimit::{Limiter, RateLimit};
/// use bia::middleware::Context;
///
/// /// At most `max` calls at once.
/// struct Concurrency { max: usize, now: Arc<AtomicUsize> }
///
/// struct Slot(Arc<AtomicUsize>);
/// impl Drop for Slot {
///     fn drop(&mut self) { self.0.fetch_sub(1, Ordering::SeqCst); }
/// }
///
/// impl Limiter for Concurrency {
///     type Permit = Slot;
///     fn acquire(&self, _ctx: &Context) -> Option<Slot> {
///         let before = self.now.fetch_add(1, Ordering::SeqCst);
///         let slot = Slot(self.now.clone());
///         (before < self.max).then_some(slot) // a refused slot gives its place back
///     }
/// }
///
/// let _mw = RateLimit::new(Concurrency { max: 64, now: Arc::default() });
/// ```
pub trait Limiter: Send + Sync + 'static {
    /// What an admitted call holds until it ends.
    type Permit: Send + 'static;

    /// Admits (`Some`) or refuses (`None`) the call `ctx` describes.
    fn acquire(&self, ctx: &Context) -> Option<Self::Permit>;
}

impl<L: Limiter> Limiter for Arc<L> {
    type Permit = L::Permit;

    fn acquire(&self, ctx: &Context) -> Option<L::Permit> {
        (**self).acquire(ctx)
    }
}

/// The middleware: refuses what its [`Limiter`] refuses (see the
/// [module docs](self)).
///
/// Meant for servers; on a client (`FooGrpcClient::middleware`) it throttles
/// outgoing calls the same way, refusing them before they are sent.
///
/// ```
/// use bia::middleware::ratelimit::RateLimit;
///
/// let mw = RateLimit::token_bucket(10.0, 20).unwrap();
/// assert_eq!(mw.limiter().burst(), 20);
/// assert!(RateLimit::token_bucket(-1.0, 20).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct RateLimit<L> {
    limiter: L,
}

impl<L: Limiter> RateLimit<L> {
    /// Limits calls with `limiter`.
    pub fn new(limiter: L) -> Self {
        Self { limiter }
    }

    /// The limiter.
    pub fn limiter(&self) -> &L {
        &self.limiter
    }
}

impl RateLimit<TokenBucket> {
    /// One [`TokenBucket`] for all calls.
    pub fn token_bucket(rate_per_second: f64, burst: u32) -> Result<Self, Error> {
        TokenBucket::new(rate_per_second, burst).map(Self::new)
    }
}

impl RateLimit<Bbr> {
    /// The adaptive [`Bbr`] limiter with Kratos' defaults.
    pub fn bbr() -> Self {
        Self::new(Bbr::new())
    }
}

impl<L: Limiter> Middleware for RateLimit<L> {
    fn handle<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage, next: Next<'a>) -> Reply<'a> {
        let Some(permit) = self.limiter.acquire(ctx) else {
            return Box::pin(std::future::ready(Err(Error::too_many_requests(REASON, MESSAGE))));
        };
        if !std::mem::needs_drop::<L::Permit>() {
            // Nothing to tell the limiter when the call ends.
            return next.run(ctx, req);
        }
        let call = next.run(ctx, req);
        Box::pin(async move {
            let reply = call.await;
            drop(permit);
            reply
        })
    }
}

/// A server context of `operation`, for the limiters' tests.
#[cfg(test)]
fn test_ctx(operation: &'static str) -> Context {
    Context::new(operation, crate::context::Kind::Grpc, crate::context::Side::Server)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bad_configs_are_errors() {
        for err in [
            TokenBucket::new(f64::NAN, 1).unwrap_err(),
            TokenBucket::new(-1.0, 1).unwrap_err(),
            TokenBucket::new(1.0, 0).unwrap_err(),
            Bbr::new().window(Duration::from_secs(1), 1).unwrap_err(),
            Bbr::new().window(Duration::from_millis(10), 100).unwrap_err(),
        ] {
            assert_eq!((err.code(), err.reason()), (500, CONFIG_REASON), "{err}");
        }
    }
}
