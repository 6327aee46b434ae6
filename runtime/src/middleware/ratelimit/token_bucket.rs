//! [`TokenBucket`]: a fixed rate with bursts, for all calls or per key.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Instant;

use super::{bad_config, lock, Limiter};
use crate::context::Context;
use crate::error::Error;

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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::ratelimit::test_ctx as ctx;
    use std::time::Duration;

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
}
