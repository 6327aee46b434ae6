//! Client circuit breaker: Google SRE adaptive throttling, one breaker per
//! operation, as Kratos' `aegis/circuitbreaker/sre`.
//!
//! Each operation keeps, over a rolling window, how many calls the client
//! attempted (`requests`, including the ones the breaker refused) and how
//! many the backend accepted (`accepts`). Once `requests` reaches a minimum,
//! a call is refused locally with probability
//!
//! ```text
//! p = max(0, (requests - K * accepts) / (requests + 1)),   K = 1 / success
//! ```
//!
//! so a healthy backend (`requests <= K * accepts`) sees every call, a failing
//! one sees fewer and fewer, and as the window rolls past the failures the
//! calls flow again. A refused call is `503 / Unavailable` with reason
//! [`CIRCUITBREAKER_REASON`] and never reaches the transport.
//!
//! Failures are what Kratos counts: 500 `Internal`, 503 `Unavailable` (which
//! includes the transport's connect and I/O failures) and 504
//! `DeadlineExceeded`; 4xx replies say nothing about the backend's health
//! and count as accepted. [`CircuitBreaker::failure`] changes that.
//!
//! ```
//! use std::time::Duration;
//! use bia::middleware::circuitbreaker::CircuitBreaker;
//!
//! #[bia::message(package = "cb.v1")] pub struct Ping {}
//! #[bia::service(package = "cb.v1")]
//! pub trait Echo: Send + Sync + 'static {
//!     async fn ping(&self, req: Ping) -> bia::Result<Ping>;
//! }
//!
//! # fn main() -> bia::Result<()> {
//! // Kratos' defaults: success 0.6, at least 100 requests, 10 buckets over 3 s.
//! let client = EchoHttpClient::new("http://127.0.0.1:8000")?.middleware(CircuitBreaker::new());
//! // Tuned: react after 20 requests, over a 10 s window.
//! let tuned = CircuitBreaker::new().success(0.5)?.request(20).window(Duration::from_secs(10))?;
//! # let _ = (client, tuned);
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{AnyMessage, Context, Next};
use crate::error::reason::BAD_CIRCUITBREAKER as BAD_CONFIG;
use crate::error::Error;

/// Reason of a call the breaker refused (`503 / Unavailable`), as in Kratos.
pub use crate::error::reason::CIRCUITBREAKER as CIRCUITBREAKER_REASON;

type Failure = Arc<dyn Fn(&Error) -> bool + Send + Sync>;
type Random = Arc<dyn Fn() -> f64 + Send + Sync>;

/// Whether `err` says the backend is unhealthy, by Kratos' rule: 500, 503 or
/// 504 (transport failures are 503 in Bia). What [`CircuitBreaker`] counts as
/// a failure unless told otherwise.
///
/// ```
/// use bia::middleware::circuitbreaker::is_failure;
///
/// assert!(is_failure(&bia::Error::service_unavailable("DOWN", "backend down")));
/// assert!(is_failure(&bia::Error::gateway_timeout("TIMEOUT", "too slow")));
/// assert!(!is_failure(&bia::Error::not_found("USER_NOT_FOUND", "no user 42")));
/// ```
pub fn is_failure(err: &Error) -> bool {
    matches!(err.code(), 500 | 503 | 504)
}

/// The SRE adaptive-throttling client breaker (see the [module docs](self)).
///
/// One value holds one breaker per operation; give each client its own, or
/// share one (in an `Arc`) between clients of the same backend.
pub struct CircuitBreaker {
    k: f64,
    request: u64,
    window: Duration,
    buckets: u32,
    failure: Failure,
    random: Random,
    breakers: Mutex<HashMap<String, Arc<Mutex<Window>>>>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("success", &(1.0 / self.k))
            .field("request", &self.request)
            .field("window", &self.window)
            .field("buckets", &self.buckets)
            .finish_non_exhaustive()
    }
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self::new()
    }
}

impl CircuitBreaker {
    /// A breaker with Kratos' defaults: success ratio 0.6 (`K = 1 / 0.6`),
    /// active from 100 requests in the window, a 3 s window of 10 buckets.
    ///
    /// ```
    /// let cb = bia::middleware::circuitbreaker::CircuitBreaker::new();
    /// assert_eq!(cb.drop_probability("/cb.v1.Echo/Ping"), 0.0);
    /// ```
    pub fn new() -> Self {
        Self {
            k: 1.0 / 0.6,
            request: 100,
            window: Duration::from_secs(3),
            buckets: 10,
            failure: Arc::new(is_failure),
            random: Arc::new(fastrand::f64),
            breakers: Mutex::new(HashMap::new()),
        }
    }

    /// The success ratio the backend is expected to keep, in `(0, 1]`
    /// (`K = 1 / success`): the lower, the more failures it tolerates before
    /// refusing calls. Default 0.6.
    ///
    /// ```
    /// use bia::middleware::circuitbreaker::CircuitBreaker;
    ///
    /// assert!(CircuitBreaker::new().success(0.8).is_ok());
    /// assert_eq!(CircuitBreaker::new().success(0.0).unwrap_err().reason(), "BAD_CIRCUITBREAKER");
    /// ```
    pub fn success(mut self, ratio: f64) -> Result<Self, Error> {
        if !(ratio > 0.0 && ratio <= 1.0) {
            return Err(Error::internal_server(
                BAD_CONFIG,
                format!("circuit breaker success ratio must be in (0, 1], got {ratio}"),
            ));
        }
        self.k = 1.0 / ratio;
        Ok(self)
    }

    /// How many requests the window must hold before the breaker may refuse
    /// any (default 100): below it, every call goes through.
    ///
    /// ```
    /// let cb = bia::middleware::circuitbreaker::CircuitBreaker::new().request(10);
    /// # let _ = cb;
    /// ```
    #[must_use]
    pub fn request(mut self, min: u64) -> Self {
        self.request = min;
        self
    }

    /// How far back the breaker looks (default 3 s); an error when zero or
    /// shorter than one nanosecond per bucket.
    ///
    /// ```
    /// use std::time::Duration;
    /// use bia::middleware::circuitbreaker::CircuitBreaker;
    ///
    /// assert!(CircuitBreaker::new().window(Duration::from_secs(10)).is_ok());
    /// assert!(CircuitBreaker::new().window(Duration::ZERO).is_err());
    /// ```
    pub fn window(mut self, window: Duration) -> Result<Self, Error> {
        check_window(window, self.buckets, BAD_CONFIG, "circuit breaker")?;
        self.window = window;
        Ok(self)
    }

    /// How many buckets the window is cut into (default 10): the window
    /// rolls one bucket at a time. An error when zero.
    ///
    /// ```
    /// use bia::middleware::circuitbreaker::CircuitBreaker;
    ///
    /// assert!(CircuitBreaker::new().buckets(20).is_ok());
    /// assert!(CircuitBreaker::new().buckets(0).is_err());
    /// ```
    pub fn buckets(mut self, buckets: u32) -> Result<Self, Error> {
        check_window(self.window, buckets, BAD_CONFIG, "circuit breaker")?;
        self.buckets = buckets;
        Ok(self)
    }

    /// Which errors count as failures of the backend (default [`is_failure`]:
    /// 500, 503, 504). Every other outcome counts as accepted.
    ///
    /// ```
    /// use bia::middleware::circuitbreaker::{is_failure, CircuitBreaker};
    ///
    /// // Also count 429 (the backend sheds load).
    /// let cb = CircuitBreaker::new().failure(|e| is_failure(e) || e.code() == 429);
    /// # let _ = cb;
    /// ```
    #[must_use]
    pub fn failure(mut self, f: impl Fn(&Error) -> bool + Send + Sync + 'static) -> Self {
        self.failure = Arc::new(f);
        self
    }

    /// The source of uniform numbers in `[0, 1)` the refusal is drawn from
    /// (a call is refused when the draw is below the drop probability).
    /// Default: `fastrand`. A test passes `|| 0.0` to refuse every call
    /// whenever the probability is above zero.
    ///
    /// ```
    /// let cb = bia::middleware::circuitbreaker::CircuitBreaker::new().random(|| 0.0);
    /// # let _ = cb;
    /// ```
    #[must_use]
    pub fn random(mut self, f: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.random = Arc::new(f);
        self
    }

    /// The probability that the next call of `operation` is refused, from
    /// what the window holds now (0 for an operation never called).
    ///
    /// ```
    /// let cb = bia::middleware::circuitbreaker::CircuitBreaker::new();
    /// assert_eq!(cb.drop_probability("/cb.v1.Echo/Ping"), 0.0);
    /// ```
    pub fn drop_probability(&self, operation: &str) -> f64 {
        let found = self.breakers.lock().unwrap_or_else(PoisonError::into_inner).get(operation).cloned();
        match found {
            Some(w) => {
                let (requests, accepts) = w.lock().unwrap_or_else(PoisonError::into_inner).sum(Instant::now());
                self.probability(requests, accepts)
            }
            None => 0.0,
        }
    }

    fn probability(&self, requests: u64, accepts: u64) -> f64 {
        let expected = self.k * accepts as f64;
        if requests < self.request || (requests as f64) < expected {
            return 0.0;
        }
        ((requests as f64 - expected) / (requests as f64 + 1.0)).max(0.0)
    }

    fn breaker(&self, operation: &str) -> Arc<Mutex<Window>> {
        let mut map = self.breakers.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = map.get(operation) {
            return w.clone();
        }
        let w = Arc::new(Mutex::new(Window::new(self.window, self.buckets)));
        map.insert(operation.to_owned(), w.clone());
        w
    }

    /// Decides whether a call may go; a refused call is recorded as a failed
    /// request at once (as Kratos does, so the refusal rate keeps up).
    fn allow(&self, window: &Mutex<Window>) -> bool {
        let mut w = window.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let (requests, accepts) = w.sum(now);
        let p = self.probability(requests, accepts);
        if p > 0.0 && (self.random)() < p {
            w.add(now, 1, 0);
            return false;
        }
        true
    }
}

#[bia_macros::middleware(crate = "crate")]
impl CircuitBreaker {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> crate::Result<AnyMessage> {
        let window = self.breaker(ctx.operation());
        if !self.allow(&window) {
            return Err(Error::service_unavailable(
                CIRCUITBREAKER_REASON,
                format!("request failed due to circuit breaker triggered: {} is failing", ctx.operation()),
            ));
        }
        let reply = next.run(ctx, req).await;
        let accepted = match &reply {
            Ok(_) => true,
            Err(e) => !(self.failure)(e),
        };
        window.lock().unwrap_or_else(PoisonError::into_inner).add(Instant::now(), 1, u64::from(accepted));
        reply
    }
}

/// Checks that `window` split in `buckets` gives non-empty buckets.
pub(crate) fn check_window(window: Duration, buckets: u32, reason: &'static str, what: &str) -> Result<(), Error> {
    if buckets == 0 {
        return Err(Error::internal_server(reason, format!("{what} window needs at least one bucket")));
    }
    if window.is_zero() || window.as_nanos() < u128::from(buckets) {
        return Err(Error::internal_server(
            reason,
            format!("{what} window of {window:?} is too short for {buckets} buckets"),
        ));
    }
    Ok(())
}

/// A rolling window of buckets, each counting two things (requests and
/// accepts for the breaker, calls and retries for the retry budget). A
/// bucket older than the window is reset when its slot comes round again.
pub(crate) struct Window {
    start: Instant,
    width: u128,
    buckets: Box<[Bucket]>,
}

#[derive(Clone, Copy, Default)]
struct Bucket {
    index: u64,
    total: u64,
    marked: u64,
}

impl Window {
    /// `window` cut in `buckets` (both checked by [`check_window`]).
    pub(crate) fn new(window: Duration, buckets: u32) -> Self {
        let buckets = buckets.max(1);
        let width = (window.as_nanos() / u128::from(buckets)).max(1);
        Self { start: Instant::now(), width, buckets: vec![Bucket::default(); buckets as usize].into() }
    }

    fn index(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.start).as_nanos() / self.width;
        u64::try_from(elapsed).unwrap_or(u64::MAX)
    }

    /// Adds to the bucket of `now`.
    pub(crate) fn add(&mut self, now: Instant, total: u64, marked: u64) {
        let index = self.index(now);
        let len = self.buckets.len() as u64;
        let slot = &mut self.buckets[(index % len) as usize];
        if slot.index != index {
            *slot = Bucket { index, total: 0, marked: 0 };
        }
        slot.total = slot.total.saturating_add(total);
        slot.marked = slot.marked.saturating_add(marked);
    }

    /// `(total, marked)` over the buckets still in the window at `now`.
    pub(crate) fn sum(&self, now: Instant) -> (u64, u64) {
        let index = self.index(now);
        let len = self.buckets.len() as u64;
        self.buckets
            .iter()
            .filter(|b| b.index <= index && index - b.index < len)
            .fold((0, 0), |(t, m), b| (t.saturating_add(b.total), m.saturating_add(b.marked)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rolls() {
        let mut w = Window::new(Duration::from_secs(1), 10);
        let t0 = w.start;
        w.add(t0, 5, 1);
        w.add(t0 + Duration::from_millis(550), 3, 3);
        assert_eq!(w.sum(t0 + Duration::from_millis(600)), (8, 4));
        // The first bucket has left the window, the second not yet.
        assert_eq!(w.sum(t0 + Duration::from_millis(1050)), (3, 3));
        assert_eq!(w.sum(t0 + Duration::from_secs(5)), (0, 0));
        // A slot coming round again starts empty.
        w.add(t0 + Duration::from_millis(1010), 1, 0);
        assert_eq!(w.sum(t0 + Duration::from_millis(1020)), (4, 3));
    }

    #[test]
    fn probability_follows_the_sre_formula() {
        let cb = CircuitBreaker::new().success(0.5).unwrap().request(10);
        assert_eq!(cb.probability(9, 0), 0.0, "below the minimum nothing is refused");
        assert_eq!(cb.probability(10, 5), 0.0, "requests == K * accepts is healthy");
        assert!((cb.probability(10, 0) - 10.0 / 11.0).abs() < 1e-9);
        assert!((cb.probability(20, 5) - 10.0 / 21.0).abs() < 1e-9);
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(CircuitBreaker::new().success(f64::NAN).is_err());
        assert!(CircuitBreaker::new().success(1.5).is_err());
        assert!(CircuitBreaker::new().success(1.0).is_ok());
        assert!(CircuitBreaker::new().buckets(0).is_err());
        assert!(CircuitBreaker::new().window(Duration::from_nanos(5)).is_err());
    }
}
