//! Client retry of idempotent operations, with exponential backoff, full
//! jitter and a retry budget.
//!
//! Only operations known to be safe to send twice are retried: the ones a
//! service marks `#[rpc(idempotent)]` (listed in the generated
//! `FooOperation::IDEMPOTENT`) and handed to [`Retry::idempotent`], or every
//! operation after an explicit [`Retry::all`]. Any other operation is sent
//! once, whatever happens.
//!
//! Only failures that say the backend did not (or could not) do the work are
//! retried: `503 / Unavailable`, which includes the transport's connect and
//! I/O failures, and with [`Retry::on_timeout`] `504 / DeadlineExceeded`.
//! A 4xx is the caller's mistake and is never retried, nor is a refusal of a
//! [`CircuitBreaker`](super::circuitbreaker::CircuitBreaker) (retrying it would
//! only feed the breaker).
//!
//! Before the n-th retry the client sleeps a random time between half and
//! all of `min(max, initial * 2^(n-1))` (exponential backoff with "equal
//! jitter": spread out, yet never a retry storm at once), but never past the
//! deadline of a [`Timeout`](super::timeout::Timeout) around it: when the
//! sleep would end after it, the last error is returned at once. A budget, as in Finagle, keeps retries from multiplying the load on a
//! struggling backend: over a sliding `ttl` they may add at most `ratio` of
//! the calls, plus a reserve of `min_per_second * ttl` retries (defaults: 20%,
//! 10 per second, 10 s). On gRPC a retried attempt carries
//! `grpc-previous-rpc-attempts`.
//!
//! Streams: a server-streaming call is retried at open only, while no reply
//! has reached the caller (a failure after the first message is the
//! caller's to handle); a client-streaming or bidirectional call is never
//! retried, since its request stream cannot be sent twice.
//!
//! Order: a [`Timeout`](super::timeout::Timeout) outside `Retry` bounds the whole
//! call, inside it each attempt; put the circuit breaker inside `Retry` so that
//! each attempt is counted, and outside an attempt's `Timeout` so that it sees
//! the attempts that timed out (a timeout drops what runs inside it):
//! `Timeout(call)`, `Retry`, `CircuitBreaker`, `Timeout(attempt)`. With an
//! attempt timeout shorter than the call's, an instance that accepts
//! connections and never answers costs one attempt, and the balancer, which
//! counts the time of an abandoned attempt, then leaves it alone.
//!
//! ```
//! use std::time::Duration;
//! use bia::middleware::circuitbreaker::CircuitBreaker;
//! use bia::middleware::retry::Retry;
//! use bia::middleware::timeout::Timeout;
//!
//! #[bia::message(package = "rt.v1")] pub struct Key { pub id: String }
//! #[bia::message(package = "rt.v1")] pub struct Value { pub data: String }
//!
//! #[bia::service(package = "rt.v1")]
//! pub trait Store: Send + Sync + 'static {
//!     #[rpc(idempotent, get = "/v1/values/<id>")]
//!     async fn get(&self, req: Key) -> bia::Result<Value>;
//!     async fn append(&self, req: Value) -> bia::Result<Value>;
//! }
//!
//! # fn main() -> bia::Result<()> {
//! assert_eq!(StoreOperation::IDEMPOTENT, ["/rt.v1.Store/Get"]);
//! let client = StoreHttpClient::new("http://127.0.0.1:8000")?
//!     .middleware(Timeout::new(Duration::from_secs(2)))
//!     .middleware(Retry::new().idempotent(StoreOperation::IDEMPOTENT).max_attempts(4)?)
//!     .middleware(CircuitBreaker::new());
//! # let _ = client;
//! # Ok(())
//! # }
//! ```

use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::circuitbreaker::{check_window, Window};
use super::{AnyMessage, Context, Next};
use crate::context::{Deadline, Kind};
use crate::error::reason::{BAD_RETRY as BAD_CONFIG, CIRCUITBREAKER as CIRCUITBREAKER_REASON};
use crate::error::Error;

/// The gRPC header that tells the server how many attempts came before.
const PREVIOUS_ATTEMPTS: &str = "grpc-previous-rpc-attempts";

/// Which operations may be retried.
#[derive(Debug)]
enum Operations {
    All,
    Listed(HashSet<String>),
}

/// Retries idempotent operations of a client (see the [module docs](self)).
///
/// One value holds one budget; give each client its own, or share one (in
/// an `Arc`) between clients of the same backend.
pub struct Retry {
    operations: Operations,
    max_attempts: u32,
    initial: Duration,
    max: Duration,
    on_timeout: bool,
    budget: Option<Budget>,
}

impl fmt::Debug for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("operations", &self.operations)
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &(self.initial, self.max))
            .field("on_timeout", &self.on_timeout)
            .field("budget", &self.budget)
            .finish()
    }
}

impl Default for Retry {
    fn default() -> Self {
        Self::new()
    }
}

impl Retry {
    /// A retry that covers no operation yet (add them with
    /// [`idempotent`](Self::idempotent) or [`all`](Self::all)): 3 attempts,
    /// backoff from 25 ms up to 250 ms, a budget of 20% plus 10 retries per
    /// second over 10 s.
    ///
    /// ```
    /// let retry = bia::middleware::retry::Retry::new();
    /// assert!(!retry.covers("/rt.v1.Store/Get"));
    /// ```
    pub fn new() -> Self {
        Self {
            operations: Operations::Listed(HashSet::new()),
            max_attempts: 3,
            initial: Duration::from_millis(25),
            max: Duration::from_millis(250),
            on_timeout: false,
            budget: Some(Budget::new(0.2, 10.0, Duration::from_secs(10))),
        }
    }

    /// Adds operations that are safe to retry, usually
    /// `FooOperation::IDEMPOTENT` (the methods marked `#[rpc(idempotent)]`).
    ///
    /// ```
    /// let retry = bia::middleware::retry::Retry::new().idempotent(["/rt.v1.Store/Get"]);
    /// assert!(retry.covers("/rt.v1.Store/Get"));
    /// assert!(!retry.covers("/rt.v1.Store/Append"));
    /// ```
    #[must_use]
    pub fn idempotent<I>(mut self, operations: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        if let Operations::Listed(set) = &mut self.operations {
            set.extend(operations.into_iter().map(|o| o.as_ref().to_owned()));
        }
        self
    }

    /// Retries every operation: an explicit opt-in for services whose every
    /// method is safe to send twice.
    ///
    /// ```
    /// let retry = bia::middleware::retry::Retry::new().all();
    /// assert!(retry.covers("/rt.v1.Store/Append"));
    /// ```
    #[must_use]
    pub fn all(mut self) -> Self {
        self.operations = Operations::All;
        self
    }

    /// Whether `operation` may be retried.
    ///
    /// ```
    /// assert!(!bia::middleware::retry::Retry::new().covers("/rt.v1.Store/Get"));
    /// ```
    pub fn covers(&self, operation: &str) -> bool {
        match &self.operations {
            Operations::All => true,
            Operations::Listed(set) => set.contains(operation),
        }
    }

    /// How many times a call may be sent in all, the first included
    /// (default 3); an error when zero.
    ///
    /// ```
    /// use bia::middleware::retry::Retry;
    ///
    /// assert!(Retry::new().max_attempts(5).is_ok());
    /// assert_eq!(Retry::new().max_attempts(0).unwrap_err().reason(), "BAD_RETRY");
    /// ```
    pub fn max_attempts(mut self, attempts: u32) -> Result<Self, Error> {
        if attempts == 0 {
            return Err(Error::internal_server(BAD_CONFIG, "retry max_attempts must be at least 1 (the first call)"));
        }
        self.max_attempts = attempts;
        Ok(self)
    }

    /// The backoff before the n-th retry is random between half and all of
    /// `min(max, initial * 2^(n-1))` (default 25 ms and 250 ms).
    ///
    /// ```
    /// use std::time::Duration;
    /// let retry = bia::middleware::retry::Retry::new().backoff(Duration::from_millis(10), Duration::from_secs(1));
    /// # let _ = retry;
    /// ```
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial = initial;
        self.max = max;
        self
    }

    /// Also retries `504 / DeadlineExceeded` (off by default: a timed-out
    /// backend is often an overloaded one).
    ///
    /// ```
    /// let retry = bia::middleware::retry::Retry::new().on_timeout(true);
    /// # let _ = retry;
    /// ```
    #[must_use]
    pub fn on_timeout(mut self, yes: bool) -> Self {
        self.on_timeout = yes;
        self
    }

    /// The retry budget: over a sliding `ttl`, retries may add at most
    /// `ratio` of the calls made (0.2 = 20%), plus a reserve of
    /// `min_per_second * ttl` retries. An error when a number is negative or
    /// not finite, or `ttl` is zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// use bia::middleware::retry::Retry;
    ///
    /// assert!(Retry::new().budget(0.1, 5.0, Duration::from_secs(10)).is_ok());
    /// assert!(Retry::new().budget(-1.0, 5.0, Duration::from_secs(10)).is_err());
    /// ```
    pub fn budget(mut self, ratio: f64, min_per_second: f64, ttl: Duration) -> Result<Self, Error> {
        for (name, v) in [("ratio", ratio), ("min_per_second", min_per_second)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::internal_server(
                    BAD_CONFIG,
                    format!("retry budget {name} must be a finite number >= 0, got {v}"),
                ));
            }
        }
        check_window(ttl, BUDGET_BUCKETS, BAD_CONFIG, "retry budget")?;
        self.budget = Some(Budget::new(ratio, min_per_second, ttl));
        Ok(self)
    }

    /// No budget: every retryable failure is retried up to
    /// [`max_attempts`](Self::max_attempts).
    ///
    /// ```
    /// let retry = bia::middleware::retry::Retry::new().no_budget();
    /// # let _ = retry;
    /// ```
    #[must_use]
    pub fn no_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    fn retryable(&self, err: &Error) -> bool {
        match err.code() {
            503 => err.reason() != CIRCUITBREAKER_REASON,
            504 => self.on_timeout,
            _ => false,
        }
    }

    /// The backoff before retry number `n` (1 for the first retry).
    fn delay(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        let cap = self.initial.saturating_mul(factor).min(self.max);
        cap / 2 + (cap - cap / 2).mul_f64(fastrand::f64())
    }
}

const BUDGET_BUCKETS: u32 = 10;

/// Finagle's retry budget over a rolling window: each call deposits `ratio`,
/// each retry withdraws one, on top of a fixed reserve.
struct Budget {
    ratio: f64,
    reserve: f64,
    ttl: Duration,
    window: Mutex<Window>,
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("ratio", &self.ratio)
            .field("reserve", &self.reserve)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Budget {
    fn new(ratio: f64, min_per_second: f64, ttl: Duration) -> Self {
        Self {
            ratio,
            reserve: min_per_second * ttl.as_secs_f64(),
            ttl,
            window: Mutex::new(Window::new(ttl, BUDGET_BUCKETS)),
        }
    }

    fn deposit(&self) {
        self.window.lock().unwrap_or_else(PoisonError::into_inner).add(Instant::now(), 1, 0);
    }

    fn withdraw(&self) -> bool {
        let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let (calls, retries) = w.sum(now);
        let balance = self.reserve + self.ratio * calls as f64 - retries as f64;
        // Tolerates rounding: 0.05/s over 60 s is a reserve of 3.
        if balance < 1.0 - 1e-9 {
            return false;
        }
        w.add(now, 0, 1);
        true
    }
}

#[bia_macros::middleware(crate = "crate")]
impl Retry {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> crate::Result<AnyMessage> {
        if let Some(b) = &self.budget {
            b.deposit();
        }
        // A server's handler can run once only: there is nothing to retry.
        if ctx.is_server() || self.max_attempts <= 1 || !self.covers(ctx.operation()) {
            return next.run(ctx, req).await;
        }
        let mut req = req;
        let mut attempt = 1;
        loop {
            // A request stream cannot be sent twice: no copy, no retry.
            let copy = req.try_clone();
            let err = match next.run(&mut *ctx, req).await {
                Ok(reply) => return Ok(reply),
                Err(e) => e,
            };
            let Some(again) = copy else { return Err(err) };
            // A stream of replies is retried at open only: once a message
            // reached the caller, the error is the caller's.
            let delivered = ctx.stream().is_some_and(|s| s.received() > 0);
            if delivered || attempt >= self.max_attempts || !self.retryable(&err) {
                return Err(err);
            }
            let delay = self.delay(attempt);
            // A `Timeout` around the retry: no sleep past its deadline (the
            // gRPC transport sends each attempt what is left of it).
            if Deadline::of(ctx).is_some_and(|d| d.remaining() <= delay) {
                return Err(err);
            }
            if self.budget.as_ref().is_some_and(|b| !b.withdraw()) {
                return Err(err);
            }
            tokio::time::sleep(delay).await;
            if ctx.kind() == Kind::Grpc {
                ctx.set_request_header(PREVIOUS_ATTEMPTS, &attempt.to_string());
            }
            attempt += 1;
            req = again;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let r = Retry::new().backoff(Duration::from_millis(10), Duration::from_millis(35));
        for _ in 0..100 {
            let ms = |n| r.delay(n).as_secs_f64() * 1000.0;
            assert!((5.0..=10.0).contains(&ms(1)), "{}", ms(1));
            assert!((10.0..=20.0).contains(&ms(2)), "{}", ms(2));
            assert!((17.5..=35.0).contains(&ms(3)), "{}", ms(3));
            assert!((17.5..=35.0).contains(&ms(40)), "{}", ms(40));
        }
    }

    #[test]
    fn budget_allows_ratio_plus_reserve() {
        let b = Budget::new(0.5, 0.0, Duration::from_secs(60));
        b.deposit();
        assert!(!b.withdraw(), "half a retry is not a retry");
        b.deposit();
        assert!(b.withdraw());
        assert!(!b.withdraw());
        let b = Budget::new(0.0, 0.05, Duration::from_secs(60));
        assert_eq!((b.withdraw(), b.withdraw(), b.withdraw(), b.withdraw()), (true, true, true, false));
    }

    #[test]
    fn what_is_retried() {
        let r = Retry::new();
        assert!(r.retryable(&Error::service_unavailable("UNAVAILABLE", "connection refused")));
        assert!(!r.retryable(&Error::service_unavailable(CIRCUITBREAKER_REASON, "open")));
        assert!(!r.retryable(&Error::gateway_timeout("TIMEOUT", "slow")));
        assert!(Retry::new().on_timeout(true).retryable(&Error::gateway_timeout("TIMEOUT", "slow")));
        assert!(!r.retryable(&Error::too_many_requests("RATELIMIT", "slow down")));
        assert!(!r.retryable(&Error::internal_server("BUG", "oops")));
    }
}
