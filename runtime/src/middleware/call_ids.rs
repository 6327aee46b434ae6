//! The trace and span ids of the server call being served on this thread,
//! for log lines. The trace middleware's `tracing` span named `rpc` carries
//! them into any subscriber's lines; when [`bia::log`](crate::log) writes
//! JSON lines it reads them from here instead and writes the same `rpc`
//! entry under `span` and `spans`, and the call has no span to make, enter
//! on every poll and close (about 5,000 instructions per call, measured).

use std::borrow::Cow;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context as TaskContext, Poll};

use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceId};

/// Set once `bia::log` writes JSON lines, which read the ids from here.
static READ_BY_LOG: AtomicBool = AtomicBool::new(false);

/// Says that log lines read the ids from here (see the module docs).
pub(crate) fn read_by_log() {
    READ_BY_LOG.store(true, Ordering::Relaxed);
}

/// Whether log lines read the ids from here.
#[inline]
pub(crate) fn read_by_log_lines() -> bool {
    READ_BY_LOG.load(Ordering::Relaxed)
}

/// One server call's entry on its log lines.
pub(crate) struct CallIds {
    /// The call's trace and span ids (none without a valid span context).
    pub(crate) ids: Option<(TraceId, SpanId)>,
    pub(crate) operation: Cow<'static, str>,
}

impl CallIds {
    pub(crate) fn of(cx: &opentelemetry::Context, operation: Cow<'static, str>) -> Self {
        let span = cx.span();
        let sc = span.span_context();
        Self { ids: sc.is_valid().then(|| (sc.trace_id(), sc.span_id())), operation }
    }
}

std::thread_local! {
    /// The `CallIds` of the `WithCallIds` future being polled on this thread.
    static CURRENT: Cell<*const CallIds> = const { Cell::new(std::ptr::null()) };
}

pin_project_lite::pin_project! {
    /// A call's future with its ids current while it is polled.
    pub(crate) struct WithCallIds<F> {
        ids: CallIds,
        #[pin]
        fut: F,
    }
}

impl<F> WithCallIds<F> {
    pub(crate) fn new(ids: CallIds, fut: F) -> Self {
        Self { ids, fut }
    }
}

/// Puts the previous pointer back after a poll, also when it panics.
struct Restore(*const CallIds);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

impl<F: Future> Future for WithCallIds<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let ids: *const CallIds = this.ids;
        let previous = CURRENT.try_with(|c| c.replace(ids)).unwrap_or(std::ptr::null());
        let _restore = Restore(previous);
        this.fut.poll(cx)
    }
}

/// Runs `f` with the ids of the call being polled on this thread, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&CallIds>) -> R) -> R {
    let ptr = CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null());
    // SAFETY: a non-null pointer is set only by `WithCallIds::poll`, for the
    // duration of that poll, to a field of that pinned (so unmoving) future;
    // we are inside that poll, on its thread. The ids are never changed
    // while it runs.
    f(unsafe { ptr.as_ref() })
}
