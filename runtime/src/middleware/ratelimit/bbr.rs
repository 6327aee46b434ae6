//! [`Bbr`]: Kratos' adaptive limiter, which refuses calls beyond what the
//! service has shown it can carry while the CPU is busy.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cpu::ProcCpu;
use super::{bad_config, lock, Limiter};
use crate::context::Context;
use crate::error::Error;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::ratelimit::test_ctx as ctx;

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
}
