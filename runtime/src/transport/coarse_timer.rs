//! A timer for hyper's per-connection timeouts (the HTTP/1 header read
//! timeout) that costs a few instructions per request where tokio's timer
//! costs hundreds: deadlines are kept to the quarter second, and one
//! ticker per listener wakes the timeouts that passed.
//!
//! Why by hand: hyper re-arms the header timeout on every request of a
//! keep-alive connection, and tokio's timer wheel takes a lock and moves an
//! entry each time (measured: HTTP GET +10% instructions per request). A
//! timeout of seconds needs no better than a quarter second.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;

/// How often the ticker moves the clock and wakes what is due.
const TICK: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub(crate) struct CoarseTimer {
    shared: Arc<Shared>,
}

struct Shared {
    base: Instant,
    /// Milliseconds since `base`, as of the last tick.
    now_ms: AtomicU64,
    /// Every sleep made, until it is dropped.
    sleeps: Mutex<Vec<Weak<Entry>>>,
}

struct Entry {
    deadline_ms: AtomicU64,
    waker: AtomicWaker,
}

impl CoarseTimer {
    /// A timer and the ticker that drives it (runs until the timer's last
    /// clone is gone).
    pub(crate) fn start() -> Self {
        let shared =
            Arc::new(Shared { base: Instant::now(), now_ms: AtomicU64::new(0), sleeps: Mutex::new(Vec::new()) });
        let weak = Arc::downgrade(&shared);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(shared) = weak.upgrade() else { return };
                let now = shared.base.elapsed().as_millis() as u64;
                shared.now_ms.store(now, Ordering::Release);
                let mut sleeps = shared.sleeps.lock().unwrap_or_else(PoisonError::into_inner);
                sleeps.retain(|w| match w.upgrade() {
                    Some(e) => {
                        if e.deadline_ms.load(Ordering::Acquire) <= now {
                            e.waker.wake();
                        }
                        true
                    }
                    None => false,
                });
            }
        });
        Self { shared }
    }

    fn ms(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.shared.base).as_millis() as u64
    }
}

struct CoarseSleep {
    entry: Arc<Entry>,
    shared: Arc<Shared>,
}

impl Future for CoarseSleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let due = |s: &Self| s.shared.now_ms.load(Ordering::Acquire) >= s.entry.deadline_ms.load(Ordering::Acquire);
        if due(&self) {
            return Poll::Ready(());
        }
        self.entry.waker.register(cx.waker());
        if due(&self) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl hyper::rt::Sleep for CoarseSleep {}

impl hyper::rt::Timer for CoarseTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let entry = Arc::new(Entry { deadline_ms: AtomicU64::new(self.ms(deadline)), waker: AtomicWaker::new() });
        self.shared.sleeps.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::downgrade(&entry));
        Box::pin(CoarseSleep { entry, shared: Arc::clone(&self.shared) })
    }

    /// The clock as of the last tick (no system call per request).
    fn now(&self) -> Instant {
        self.shared.base + Duration::from_millis(self.shared.now_ms.load(Ordering::Acquire))
    }

    /// Moves the deadline of a sleep this timer made (hyper re-arms the
    /// same one for each request of a connection).
    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<CoarseSleep>() {
            Some(s) => s.entry.deadline_ms.store(self.ms(new_deadline), Ordering::Release),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}
