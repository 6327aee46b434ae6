//! The context of the server call being handled, reachable from the
//! handler's task: [`with`] and [`with_mut`] read and change it without the
//! context being copied, boxed or moved (see [`Current`]).

use super::Context;

/// The running call's context as the handler's task sees it: a pointer to
/// the context the transport's call future owns, and a borrow flag.
///
/// The context is not moved anywhere: [`Scoped`] points a thread-local at
/// it for the duration of each poll of the handler's future (a pointer store
/// and restore), so a handler reads it without the context being copied or
/// boxed.
struct Current {
    ptr: std::ptr::NonNull<Context>,
    /// 0: free; n > 0: n shared borrows; -1: borrowed mutably.
    borrow: std::cell::Cell<isize>,
}

// SAFETY: `Current` is created by `scope` from a `&mut Context` that stays
// borrowed (and so neither moved nor touched by its owner) for as long as the
// `Scoped` future exists, and it is only dereferenced by `with`/`with_mut`
// while that future is being polled, on the polling thread. Moving the future
// to another thread between polls moves only the pointer; the context lives
// in the call's pinned future, where the `&mut` keeps it.
unsafe impl Send for Current {}

std::thread_local! {
    /// The `Current` of the `Scoped` future being polled on this thread.
    static CURRENT: std::cell::Cell<*const Current> = const { std::cell::Cell::new(std::ptr::null()) };
}

pin_project_lite::pin_project! {
    /// A handler's future with its call's context current while it is polled.
    struct Scoped<F> {
        current: Current,
        #[pin]
        fut: F,
    }
}

/// Restores the thread-local after a poll, also when the poll panics.
struct Restore(*const Current);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

impl<F: std::future::Future> std::future::Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        let this = self.project();
        let current: *const Current = this.current;
        let previous = CURRENT.try_with(|c| c.replace(current)).unwrap_or(std::ptr::null());
        let _restore = Restore(previous);
        this.fut.poll(cx)
    }
}

/// The `Current` of the call whose handler is being polled on this thread.
fn current<R>(f: impl FnOnce(&Current) -> Option<R>) -> Option<R> {
    let ptr = CURRENT.try_with(std::cell::Cell::get).ok()?;
    if ptr.is_null() {
        return None;
    }
    // SAFETY: a non-null pointer is set only by `Scoped::poll` for the
    // duration of that poll, to its own pinned field; we are inside it.
    f(unsafe { &*ptr })
}

/// Puts the borrow flag back, also when the closure panics.
struct Unborrow<'a>(&'a std::cell::Cell<isize>, isize);

impl Drop for Unborrow<'_> {
    fn drop(&mut self) {
        self.0.set(self.1);
    }
}

/// Reads the context of the server call this task is handling; `None`
/// outside of one (or inside a [`with_mut`]).
///
/// ```
/// // Outside of a call there is none.
/// assert!(bia::context::with(|ctx| ctx.operation().to_owned()).is_none());
/// ```
pub fn with<R>(f: impl FnOnce(&Context) -> R) -> Option<R> {
    current(|c| {
        let state = c.borrow.get();
        if state < 0 {
            return None;
        }
        c.borrow.set(state + 1);
        let _unborrow = Unborrow(&c.borrow, state);
        // SAFETY: see `Current`; no `with_mut` is running (checked above).
        Some(f(unsafe { c.ptr.as_ref() }))
    })
}

/// Changes the context of the server call this task is handling (sets a reply
/// header, say); `None` outside of one (or inside another `with`).
///
/// ```
/// assert!(bia::context::with_mut(|ctx| ctx.set_reply_header("x-a", "1")).is_none());
/// ```
pub fn with_mut<R>(f: impl FnOnce(&mut Context) -> R) -> Option<R> {
    current(|c| {
        if c.borrow.get() != 0 {
            return None;
        }
        c.borrow.set(-1);
        let _unborrow = Unborrow(&c.borrow, 0);
        // SAFETY: see `Current`; no other `with`/`with_mut` is running
        // (checked above), so this is the only reference.
        Some(f(unsafe { &mut *c.ptr.as_ptr() }))
    })
}

/// Where the context of the handler being polled on this thread lives (its
/// `Scoped` future), to make it current again later: see [`reenter`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handle(*const Current);

// SAFETY: the pointer is dereferenced only by `with`/`with_mut` inside
// `reenter`, on whichever thread polls; see `reenter`.
unsafe impl Send for Handle {}

/// The handle of the context current on this thread (one of no context
/// when there is none).
pub(crate) fn handle() -> Handle {
    Handle(CURRENT.try_with(std::cell::Cell::get).unwrap_or(std::ptr::null()))
}

/// Runs `f` with the context of `handle` current again (or none, for a
/// handle of none).
///
/// # Safety
///
/// The `Scoped` future `handle` was taken in must still exist (pinned,
/// so its `Current` has not moved) and must not be being polled: its
/// context is then borrowed by nothing else, as during its own polls.
#[inline(always)]
pub(crate) unsafe fn reenter<R>(handle: Handle, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.try_with(|c| c.replace(handle.0)).unwrap_or(std::ptr::null());
    let _restore = Restore(previous);
    f()
}

/// Runs `fut` with `ctx` as the current context (what the handler changes
/// through [`with_mut`] lands in `ctx`). No allocation and no copy of the
/// context; a panic in `fut` leaves `ctx` in place.
pub(crate) async fn scope<F: std::future::Future>(ctx: &mut Context, fut: F) -> F::Output {
    let current = Current { ptr: std::ptr::NonNull::from(ctx), borrow: std::cell::Cell::new(0) };
    Scoped { current, fut }.await
}
