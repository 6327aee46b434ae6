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

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{AnyMessage, BoxFuture, Context, Middleware, Next};
use crate::error::Error;

/// The reason of every refusal.
pub const REASON: &str = "RATELIMIT";

const MESSAGE: &str = "service unavailable due to rate limit exceeded";

/// The reason of a configuration error.
const CONFIG_REASON: &str = "BAD_RATELIMIT";

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
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<AnyMessage, Error>> {
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

type KeyFn = Box<dyn Fn(&Context) -> String + Send + Sync>;

/// A token bucket: holds up to `burst` tokens, gains `rate` per second, and
/// each call takes one; a call that finds it empty is refused.
///
/// By default one bucket serves every call; [`per_key`](Self::per_key) keeps
/// one per key (created full on a key's first call). Buckets that have filled
/// up again are forgotten when there are more than
/// [`max_keys`](Self::max_keys) keys; while every bucket is in use, calls
/// with a new key are refused.
///
/// ```
/// use bia::middleware::ratelimit::TokenBucket;
///
/// // One bucket per transport and operation.
/// let limiter = TokenBucket::new(50.0, 100)
///     .unwrap()
///     .per_key(|ctx| format!("{} {}", ctx.kind().as_str(), ctx.operation()));
/// assert_eq!((limiter.rate(), limiter.burst()), (50.0, 100));
/// ```
pub struct TokenBucket {
    rate: f64,
    burst: u32,
    key: Option<KeyFn>,
    max_keys: usize,
    shared: Mutex<Bucket>,
    keyed: Mutex<HashMap<String, Bucket>>,
}

impl fmt::Debug for TokenBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBucket")
            .field("rate", &self.rate)
            .field("burst", &self.burst)
            .field("keyed", &self.key.is_some())
            .field("max_keys", &self.max_keys)
            .finish()
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant, rate: f64, burst: f64) {
        let gained = now.saturating_duration_since(self.at).as_secs_f64() * rate;
        self.tokens = (self.tokens + gained).min(burst);
        self.at = now;
    }

    fn take(&mut self, now: Instant, rate: f64, burst: f64) -> bool {
        self.refill(now, rate, burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn full_at(&self, now: Instant, rate: f64, burst: f64) -> bool {
        let mut b = *self;
        b.refill(now, rate, burst);
        b.tokens >= burst
    }
}

impl TokenBucket {
    /// `rate_per_second` tokens per second (0 for a bucket that never
    /// refills), `burst` at most; starts full. Fails on a negative or
    /// non-finite rate, or a zero burst.
    pub fn new(rate_per_second: f64, burst: u32) -> Result<Self, Error> {
        if !rate_per_second.is_finite() || rate_per_second < 0.0 {
            return Err(bad_config(format!(
                "token bucket rate must be a finite number of tokens per second >= 0, not {rate_per_second}"
            )));
        }
        if burst == 0 {
            return Err(bad_config("token bucket burst must be at least 1".into()));
        }
        let now = Instant::now();
        Ok(Self {
            rate: rate_per_second,
            burst,
            key: None,
            max_keys: 65_536,
            shared: Mutex::new(Bucket { tokens: f64::from(burst), at: now }),
            keyed: Mutex::new(HashMap::new()),
        })
    }

    /// One bucket per key: calls with the same key share one.
    #[must_use]
    pub fn per_key(mut self, key: impl Fn(&Context) -> String + Send + Sync + 'static) -> Self {
        self.key = Some(Box::new(key));
        self
    }

    /// One bucket per operation (`/pkg.Service/Method`, the same on both
    /// transports).
    #[must_use]
    pub fn per_operation(self) -> Self {
        self.per_key(|ctx| ctx.operation().to_owned())
    }

    /// How many keys are tracked at most (65 536 by default).
    #[must_use]
    pub fn max_keys(mut self, max: usize) -> Self {
        self.max_keys = max.max(1);
        self
    }

    /// Tokens gained per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The most tokens the bucket holds.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    fn take(&self, ctx: &Context, now: Instant) -> bool {
        let (rate, burst) = (self.rate, f64::from(self.burst));
        let Some(key_of) = &self.key else {
            return lock(&self.shared).take(now, rate, burst);
        };
        let key = key_of(ctx);
        let mut keyed = lock(&self.keyed);
        if let Some(bucket) = keyed.get_mut(&key) {
            return bucket.take(now, rate, burst);
        }
        if keyed.len() >= self.max_keys {
            // A full bucket is the same as a new one: forget those.
            keyed.retain(|_, b| !b.full_at(now, rate, burst));
            if keyed.len() >= self.max_keys {
                return false;
            }
        }
        let mut bucket = Bucket { tokens: burst, at: now };
        let admitted = bucket.take(now, rate, burst);
        keyed.insert(key, bucket);
        admitted
    }
}

impl Limiter for TokenBucket {
    type Permit = ();

    fn acquire(&self, ctx: &Context) -> Option<()> {
        self.take(ctx, Instant::now()).then_some(())
    }
}

type CpuFn = Arc<dyn Fn() -> u32 + Send + Sync>;

#[derive(Clone)]
struct BbrConfig {
    window: Duration,
    buckets: u32,
    cpu_threshold: u32,
    cool_down: Duration,
    cpu: Option<CpuFn>,
}

/// Kratos' adaptive limiter (from `aegis/ratelimit/bbr`).
///
/// It keeps, over a sliding window (10 s in 100 buckets by default), how many
/// calls completed per bucket and their response times. While the CPU usage
/// is at or above the threshold (800 ‰ by default), a call is refused when
/// more than one call is in flight and more than
/// `max_pass × min_rt × buckets_per_second / 1000` are (the most calls a
/// bucket completed, times the shortest mean response time in ms: what the
/// service has shown it can carry). After the CPU drops below the
/// threshold, the same rule holds for a cool-down (1 s) since the first
/// refusal, then calls flow freely.
///
/// The CPU usage is the machine's (from `/proc/stat`, sampled at most every
/// 500 ms, smoothed with a 0.95 moving average, as Kratos' fallback does);
/// where `/proc/stat` cannot be read, it is 0 and the limiter never triggers.
/// In a container with a CPU quota, give your own reading with
/// [`cpu_source`](Self::cpu_source).
///
/// Clones share one set of statistics (install a clone on both servers to
/// limit them together); the builder methods start a fresh one.
///
/// ```
/// use std::time::Duration;
/// use bia::middleware::ratelimit::Bbr;
///
/// let bbr = Bbr::new()
///     .window(Duration::from_secs(5), 50)
///     .unwrap()
///     .cpu_threshold(900)
///     .cool_down(Duration::from_millis(500));
/// assert_eq!(bbr.in_flight(), 0);
/// assert!(Bbr::new().window(Duration::ZERO, 10).is_err());
/// ```
#[derive(Clone)]
pub struct Bbr {
    inner: Arc<BbrInner>,
}

impl fmt::Debug for Bbr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cfg = &self.inner.cfg;
        f.debug_struct("Bbr")
            .field("window", &cfg.window)
            .field("buckets", &cfg.buckets)
            .field("cpu_threshold", &cfg.cpu_threshold)
            .field("cool_down", &cfg.cool_down)
            .field("custom_cpu", &cfg.cpu.is_some())
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

struct BbrInner {
    cfg: BbrConfig,
    bucket: Duration,
    start: Instant,
    in_flight: AtomicU64,
    /// Nanoseconds since `start` of the first refusal of the current
    /// episode, plus one; 0 when there is none.
    prev_drop: AtomicU64,
    slots: Mutex<Vec<Slot>>,
    cpu: ProcCpu,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    epoch: u64,
    pass: u64,
    rt_ms: u64,
}

impl Default for Bbr {
    fn default() -> Self {
        Self::new()
    }
}

impl Bbr {
    /// Kratos' defaults: a 10 s window in 100 buckets, CPU threshold 800 ‰,
    /// 1 s cool-down, CPU from `/proc/stat`.
    pub fn new() -> Self {
        Self::with(BbrConfig {
            window: Duration::from_secs(10),
            buckets: 100,
            cpu_threshold: 800,
            cool_down: Duration::from_secs(1),
            cpu: None,
        })
    }

    fn with(cfg: BbrConfig) -> Self {
        let bucket = cfg.window / cfg.buckets;
        let slots = Mutex::new(vec![Slot::default(); cfg.buckets as usize]);
        Self {
            inner: Arc::new(BbrInner {
                cfg,
                bucket,
                start: Instant::now(),
                in_flight: AtomicU64::new(0),
                prev_drop: AtomicU64::new(0),
                slots,
                cpu: ProcCpu::default(),
            }),
        }
    }

    fn change(&self, f: impl FnOnce(&mut BbrConfig)) -> Self {
        let mut cfg = self.inner.cfg.clone();
        f(&mut cfg);
        Self::with(cfg)
    }

    /// The statistics window and how many buckets it has (at least 2, each
    /// at least 1 ms). Starts the statistics afresh.
    pub fn window(self, window: Duration, buckets: u32) -> Result<Self, Error> {
        if buckets < 2 || window.checked_div(buckets).is_none_or(|b| b < Duration::from_millis(1)) {
            return Err(bad_config(format!(
                "BBR window must hold at least 2 buckets of at least 1 ms, not {buckets} in {window:?}"
            )));
        }
        Ok(self.change(|c| {
            c.window = window;
            c.buckets = buckets;
        }))
    }

    /// The CPU usage, in per mille of the machine, from which calls may be
    /// refused (above 1000: never). Starts the statistics afresh.
    #[must_use]
    pub fn cpu_threshold(self, per_mille: u32) -> Self {
        self.change(|c| c.cpu_threshold = per_mille)
    }

    /// How long calls stay limited after the CPU calms down. Starts the
    /// statistics afresh.
    #[must_use]
    pub fn cool_down(self, cool_down: Duration) -> Self {
        self.change(|c| c.cool_down = cool_down)
    }

    /// Reads the CPU usage (per mille) from `source` instead of
    /// `/proc/stat`, on every call, as is (smooth it yourself). Starts the
    /// statistics afresh.
    #[must_use]
    pub fn cpu_source(self, source: impl Fn() -> u32 + Send + Sync + 'static) -> Self {
        self.change(|c| c.cpu = Some(Arc::new(source)))
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> u64 {
        self.inner.in_flight.load(Ordering::Acquire)
    }

    /// The CPU usage the limiter sees now, per mille.
    pub fn cpu_usage(&self) -> u32 {
        self.inner.cpu_usage()
    }

    /// The in-flight count above which calls are refused while the CPU is
    /// busy.
    pub fn max_in_flight(&self) -> u64 {
        self.inner.max_in_flight(Instant::now())
    }
}

impl BbrInner {
    fn epoch(&self, now: Instant) -> u64 {
        let since = now.saturating_duration_since(self.start).as_nanos();
        u64::try_from(since / self.bucket.as_nanos().max(1)).unwrap_or(u64::MAX)
    }

    fn cpu_usage(&self) -> u32 {
        match &self.cfg.cpu {
            Some(f) => f(),
            None => self.cpu.usage(),
        }
    }

    fn record(&self, now: Instant, rt: Duration) {
        let epoch = self.epoch(now);
        let rt_ms = u64::try_from(rt.as_micros().div_ceil(1000)).unwrap_or(u64::MAX);
        let mut slots = lock(&self.slots);
        let n = slots.len() as u64;
        let slot = &mut slots[(epoch % n) as usize];
        if slot.epoch != epoch {
            *slot = Slot { epoch, pass: 0, rt_ms: 0 };
        }
        slot.pass += 1;
        slot.rt_ms = slot.rt_ms.saturating_add(rt_ms);
    }

    /// `max_pass × min_rt × buckets_per_second / 1000`, rounded, over the
    /// complete buckets of the window (the current one is still filling).
    fn max_in_flight(&self, now: Instant) -> u64 {
        let current = self.epoch(now);
        let slots = lock(&self.slots);
        let oldest = current.saturating_sub(slots.len() as u64 - 1);
        let mut max_pass = 0u64;
        let mut min_rt = f64::INFINITY;
        for s in slots.iter().filter(|s| s.pass > 0 && s.epoch >= oldest && s.epoch < current) {
            max_pass = max_pass.max(s.pass);
            min_rt = min_rt.min((s.rt_ms as f64 / s.pass as f64).ceil());
        }
        drop(slots);
        let max_pass = max_pass.max(1) as f64;
        let min_rt = if min_rt.is_finite() && min_rt >= 1.0 { min_rt } else { 1.0 };
        let per_second = 1.0 / self.bucket.as_secs_f64();
        (max_pass * min_rt * per_second / 1000.0 + 0.5).floor() as u64
    }

    fn should_drop(&self, now: Instant) -> bool {
        let in_flight = self.in_flight.load(Ordering::Acquire);
        let over = || in_flight > 1 && in_flight > self.max_in_flight(now);
        let now_mark = u64::try_from(now.saturating_duration_since(self.start).as_nanos())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1);
        if self.cpu_usage() < self.cfg.cpu_threshold {
            let prev = self.prev_drop.load(Ordering::Acquire);
            if prev == 0 {
                return false;
            }
            let cool_down = u64::try_from(self.cfg.cool_down.as_nanos()).unwrap_or(u64::MAX);
            if now_mark.saturating_sub(prev) <= cool_down {
                return over();
            }
            let _ = self.prev_drop.compare_exchange(prev, 0, Ordering::AcqRel, Ordering::Acquire);
            return false;
        }
        let drop = over();
        if drop {
            let _ = self.prev_drop.compare_exchange(0, now_mark, Ordering::AcqRel, Ordering::Acquire);
        }
        drop
    }
}

/// Held by a call the [`Bbr`] limiter admitted; records its response time
/// and leaves the in-flight count when dropped.
pub struct BbrPermit {
    inner: Arc<BbrInner>,
    start: Instant,
}

impl fmt::Debug for BbrPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BbrPermit").field("elapsed", &self.start.elapsed()).finish()
    }
}

impl Drop for BbrPermit {
    fn drop(&mut self) {
        let now = Instant::now();
        self.inner.record(now, now.saturating_duration_since(self.start));
        self.inner.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Limiter for Bbr {
    type Permit = BbrPermit;

    fn acquire(&self, _ctx: &Context) -> Option<BbrPermit> {
        let now = Instant::now();
        if self.inner.should_drop(now) {
            return None;
        }
        self.inner.in_flight.fetch_add(1, Ordering::AcqRel);
        Some(BbrPermit { inner: self.inner.clone(), start: now })
    }
}

/// The machine's CPU usage from `/proc/stat`, per mille, smoothed.
#[derive(Default)]
struct ProcCpu {
    /// When and what was last read: (at, busy ticks, total ticks).
    last: Mutex<Option<(Instant, u64, u64)>>,
    smoothed: AtomicU64,
}

const CPU_SAMPLE_EVERY: Duration = Duration::from_millis(500);
const CPU_DECAY: f64 = 0.95;

impl ProcCpu {
    fn usage(&self) -> u32 {
        // One caller samples; the others use the last value.
        if let Ok(mut last) = self.last.try_lock() {
            let now = Instant::now();
            if last.is_none_or(|(at, _, _)| now.saturating_duration_since(at) >= CPU_SAMPLE_EVERY) {
                if let Some((busy, total)) = read_proc_stat() {
                    if let Some((_, busy0, total0)) = *last {
                        if total > total0 && busy >= busy0 {
                            let current = (busy - busy0) as f64 * 1000.0 / (total - total0) as f64;
                            let prev = self.smoothed.load(Ordering::Relaxed) as f64;
                            let next = prev * CPU_DECAY + current * (1.0 - CPU_DECAY);
                            self.smoothed.store(next.round() as u64, Ordering::Relaxed);
                        }
                    }
                    *last = Some((now, busy, total));
                }
            }
        }
        u32::try_from(self.smoothed.load(Ordering::Relaxed)).unwrap_or(u32::MAX)
    }
}

/// (busy, total) CPU ticks of the machine since boot.
fn read_proc_stat() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_proc_stat(&text)
}

fn parse_proc_stat(text: &str) -> Option<(u64, u64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    // user nice system idle iowait irq softirq steal (guest time is already
    // counted in user and nice).
    let ticks: Vec<u64> = line.split_whitespace().skip(1).take(8).map(|t| t.parse().ok()).collect::<Option<_>>()?;
    if ticks.len() < 4 {
        return None;
    }
    let total: u64 = ticks.iter().sum();
    let idle = ticks[3] + ticks.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Kind, Side};

    fn ctx(op: &'static str) -> Context {
        Context::new(op, Kind::Grpc, Side::Server)
    }

    #[test]
    fn bucket_takes_bursts_and_refills() {
        let tb = TokenBucket::new(2.0, 3).unwrap();
        let t0 = Instant::now();
        let got: Vec<bool> = (0..5).map(|_| tb.take(&ctx("/a.v1.A/X"), t0)).collect();
        assert_eq!(got, [true, true, true, false, false]);
        assert!(!tb.take(&ctx("/a.v1.A/X"), t0 + Duration::from_millis(400)));
        assert!(tb.take(&ctx("/a.v1.A/X"), t0 + Duration::from_millis(600)));
        assert!(!tb.take(&ctx("/a.v1.A/X"), t0 + Duration::from_millis(700)));
        // Never more than the burst, however long it waits.
        let later = t0 + Duration::from_secs(3600);
        assert_eq!((0..5).filter(|_| tb.take(&ctx("/a.v1.A/X"), later)).count(), 3);
    }

    #[test]
    fn keyed_buckets_are_separate_and_bounded() {
        let tb = TokenBucket::new(0.0, 1).unwrap().per_operation().max_keys(2);
        let t0 = Instant::now();
        assert!(tb.take(&ctx("/a.v1.A/X"), t0));
        assert!(!tb.take(&ctx("/a.v1.A/X"), t0));
        assert!(tb.take(&ctx("/a.v1.A/Y"), t0));
        // Both tracked buckets are in use (rate 0: never full again).
        assert!(!tb.take(&ctx("/a.v1.A/Z"), t0));

        let tb = TokenBucket::new(1.0, 1).unwrap().per_operation().max_keys(2);
        assert!(tb.take(&ctx("/a.v1.A/X"), t0));
        assert!(tb.take(&ctx("/a.v1.A/Y"), t0));
        // A second later both are full again, so forgotten: Z gets a bucket.
        assert!(tb.take(&ctx("/a.v1.A/Z"), t0 + Duration::from_secs(1)));
        assert_eq!(lock(&tb.keyed).len(), 1);
    }

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

    #[test]
    fn bbr_estimates_in_flight_from_pass_and_rt() {
        let bbr = Bbr::new();
        let inner = &bbr.inner;
        let t0 = inner.start;
        // Nothing seen yet: 1 pass × 1 ms × 10 buckets/s / 1000 -> 0.
        assert_eq!(inner.max_in_flight(t0), 0);
        // Bucket 1: 200 calls of 50 ms; bucket 2: 10 calls of 20 ms.
        let b = inner.bucket;
        for _ in 0..200 {
            inner.record(t0 + b, Duration::from_millis(50));
        }
        for _ in 0..10 {
            inner.record(t0 + 2 * b, Duration::from_millis(20));
        }
        // Still in bucket 2: only bucket 1 is complete -> 200 × 50 × 10 / 1000.
        assert_eq!(inner.max_in_flight(t0 + 2 * b), 100);
        // In bucket 3: max pass 200, min rt 20 -> 40.
        assert_eq!(inner.max_in_flight(t0 + 3 * b), 40);
        // Once the window has slid past them, back to nothing.
        assert_eq!(inner.max_in_flight(t0 + 200 * b), 0);
    }

    #[test]
    fn bbr_drops_only_when_busy_and_over_the_estimate() {
        let busy = Arc::new(AtomicU64::new(1000));
        let cpu = busy.clone();
        let bbr = Bbr::new().cpu_source(move || cpu.load(Ordering::SeqCst) as u32);
        let c = ctx("/a.v1.A/X");
        let p1 = bbr.acquire(&c).unwrap();
        let p2 = bbr.acquire(&c).unwrap();
        assert_eq!(bbr.in_flight(), 2);
        assert!(bbr.acquire(&c).is_none(), "2 in flight > estimate 0 with a busy CPU");
        // The CPU calms down: still limited during the cool-down.
        busy.store(100, Ordering::SeqCst);
        assert!(bbr.acquire(&c).is_none());
        drop(p1);
        let p3 = bbr.acquire(&c).unwrap();
        drop((p2, p3));
        assert_eq!(bbr.in_flight(), 0);
        // After the cool-down, calls flow even with many in flight.
        let calm = Bbr::new().cpu_source(|| 0).cool_down(Duration::ZERO);
        let held: Vec<_> = (0..50).map(|_| calm.acquire(&c).unwrap()).collect();
        assert_eq!(calm.in_flight(), 50);
        drop(held);
        assert_eq!(calm.in_flight(), 0);
    }

    #[test]
    fn proc_stat_parsing() {
        let text = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n";
        assert_eq!(parse_proc_stat(text), Some((160, 980)));
        assert_eq!(parse_proc_stat("intr 1 2 3"), None);
        assert_eq!(parse_proc_stat("cpu  a b c d"), None);
        if std::path::Path::new("/proc/stat").exists() {
            assert!(read_proc_stat().is_some());
            assert!(Bbr::new().cpu_usage() <= 1000);
        }
    }
}
