//! Recovery: a panic in a handler (or in a middleware inside this one)
//! becomes 500 / `Internal` with reason `UNKNOWN`, and the server keeps
//! serving.
//!
//! As Kratos' `recovery.Recovery()`: the reply is
//! `Error::internal_server("UNKNOWN", "panic triggered: <panic message>")`
//! (change it with [`Recovery::handler`]), and the panic is logged with
//! `tracing::error!` (fields `kind`, `component`, `operation`, `panic`,
//! `location`, `backtrace`). Add it first so it wraps everything else:
//!
//! ```no_run
//! use bia::middleware::recovery::Recovery;
//!
//! # async fn run() -> bia::Result<()> {
//! bia::App::new("user-service")
//!     .middleware(Recovery::new())
//!     // .middleware(Logging::server()) ... then the services
//!     .run()
//!     .await
//! # }
//! ```
//!
//! # Backtraces
//!
//! A panic has unwound its stack by the time it is caught, so the backtrace
//! is taken where it happened, by a panic hook that `Recovery::new()`
//! installs once per process. The hook only acts on panics raised while a
//! `Recovery` is polling the call (on that thread): it records their location
//! and backtrace instead of printing them to stderr, so a recovered panic is
//! reported once, through `tracing`. Every other panic goes to the hook that
//! was installed before (the default one prints to stderr). A hook set later
//! with `std::panic::set_hook` replaces it: recovery still works, the log
//! then lacks location and backtrace.

use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Once};
use std::task::Poll;

use futures_util::FutureExt as _;

use super::{AnyMessage, Context, Next};
use crate::error::{Error, UNKNOWN_REASON};

type PanicHandler = dyn Fn(&Context, &Panic) -> Error + Send + Sync;

/// Turns panics into errors (see the [module docs](self)).
///
/// Works on both transports and, though it is meant for servers, on clients
/// too (a panicking client middleware then fails the call instead of the
/// caller's task).
///
/// ```
/// use bia::middleware::recovery::Recovery;
///
/// let recovery = Recovery::new()
///     .backtrace(false)
///     .handler(|ctx, panic| {
///         bia::Error::internal_server("PANIC", format!("{} failed: {}", ctx.operation(), panic.message()))
///     });
/// let _app = bia::App::new("demo").middleware(recovery);
/// ```
#[must_use]
pub struct Recovery {
    handler: Option<Arc<PanicHandler>>,
    backtrace: bool,
}

impl fmt::Debug for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recovery")
            .field("handler", &self.handler.as_ref().map(|_| "custom"))
            .field("backtrace", &self.backtrace)
            .finish()
    }
}

impl Default for Recovery {
    fn default() -> Self {
        Self::new()
    }
}

impl Recovery {
    /// Replies 500 / `Internal`, reason `UNKNOWN`, and logs the panic with
    /// its backtrace.
    ///
    /// ```
    /// let _ = bia::middleware::recovery::Recovery::new();
    /// ```
    pub fn new() -> Self {
        install_hook();
        Self { handler: None, backtrace: true }
    }

    /// Builds the error the caller gets from the context and the caught
    /// panic (Kratos' `recovery.WithHandler`).
    ///
    /// When the panic came from the handler, the context has lost what the
    /// handler could change (reply headers, extensions); operation,
    /// transport and side are still there.
    ///
    /// ```
    /// use bia::middleware::recovery::Recovery;
    ///
    /// // Do not tell clients what went wrong.
    /// let _ = Recovery::new().handler(|_, _| bia::Error::internal_server("UNKNOWN", "internal error"));
    /// ```
    pub fn handler(mut self, f: impl Fn(&Context, &Panic) -> Error + Send + Sync + 'static) -> Self {
        self.handler = Some(Arc::new(f));
        self
    }

    /// Whether to capture a backtrace where the panic happened (default
    /// `true`, whatever `RUST_BACKTRACE` says; capturing costs a few
    /// milliseconds per panic). Without it the location is still logged.
    ///
    /// ```
    /// let _ = bia::middleware::recovery::Recovery::new().backtrace(false);
    /// ```
    pub fn backtrace(mut self, on: bool) -> Self {
        self.backtrace = on;
        self
    }
}

#[bia_macros::middleware(crate = "crate")]
impl Recovery {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> crate::Result<AnyMessage> {
        // The context comes back from the handler's task-local even when
        // the handler panics (see `context::scope`), so it still describes
        // the call below.
        let mode = if self.backtrace { Mode::Backtrace } else { Mode::Location };
        let caught = AssertUnwindSafe(Watched { inner: next.run(ctx, req), mode }).catch_unwind().await;
        let payload = match caught {
            Ok(res) => return res,
            Err(payload) => payload,
        };
        let site = LAST.try_with(|l| l.try_borrow_mut().ok().and_then(|mut l| l.take())).ok().flatten();
        let (location, backtrace) = site.map(|s| (s.location, s.backtrace)).unwrap_or_default();
        let panic = Panic { message: panic_message(&*payload), location, backtrace, payload };
        tracing::error!(
            kind = ctx.kind().as_str(),
            component = ctx.side().as_str(),
            operation = ctx.operation(),
            panic = panic.message(),
            location = panic.location().unwrap_or(""),
            backtrace = panic.backtrace().unwrap_or(""),
            "panic recovered"
        );
        Err(match &self.handler {
            Some(h) => h(ctx, &panic),
            None => Error::internal_server(UNKNOWN_REASON, format!("panic triggered: {}", panic.message())),
        })
    }
}

/// A caught panic, as [`Recovery::handler`] sees it.
///
/// ```
/// use bia::middleware::recovery::Recovery;
///
/// #[derive(Debug)]
/// struct Overloaded;
///
/// // `std::panic::panic_any(Overloaded)` somewhere becomes a 503.
/// let _ = Recovery::new().handler(|_, panic| {
///     if panic.payload().is::<Overloaded>() {
///         return bia::Error::service_unavailable("OVERLOADED", "try again later");
///     }
///     let at = panic.location().unwrap_or("unknown location");
///     bia::Error::internal_server("UNKNOWN", format!("panic triggered: {} at {at}", panic.message()))
/// });
/// ```
pub struct Panic {
    message: String,
    location: Option<String>,
    backtrace: Option<String>,
    payload: Box<dyn Any + Send>,
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Panic")
            .field("message", &self.message)
            .field("location", &self.location)
            .field("backtrace", &self.backtrace.as_ref().map(|_| ".."))
            .finish()
    }
}

impl Panic {
    /// The panic message (`"<non-string panic payload>"` when it was not a
    /// string).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `file:line:column` of the panic, when the panic hook saw it.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The backtrace where the panic happened, when captured.
    pub fn backtrace(&self) -> Option<&str> {
        self.backtrace.as_deref()
    }

    /// The value the panic carried (`std::panic::panic_any` payloads).
    pub fn payload(&self) -> &(dyn Any + Send) {
        &*self.payload
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// What the panic hook does on this thread right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No `Recovery` is polling: pass the panic to the previous hook.
    Off,
    /// Record the location.
    Location,
    /// Record the location and a backtrace.
    Backtrace,
}

/// Where the last recovered panic on this thread happened.
struct Site {
    location: Option<String>,
    backtrace: Option<String>,
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Off) };
    static LAST: RefCell<Option<Site>> = const { RefCell::new(None) };
}

fn install_hook() {
    static HOOK: Once = Once::new();
    // `take_hook` must not run while this thread panics (a `Recovery` built in
    // a destructor during unwinding); a later `new()` installs it.
    if std::thread::panicking() {
        return;
    }
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let mode = MODE.try_with(Cell::get).unwrap_or(Mode::Off);
            if mode == Mode::Off {
                return previous(info);
            }
            let site = Site {
                location: info.location().map(|l| l.to_string()),
                backtrace: (mode == Mode::Backtrace).then(|| trim_backtrace(&Backtrace::force_capture().to_string())),
            };
            let _ = LAST.try_with(|l| l.try_borrow_mut().map(|mut l| *l = Some(site)));
        }));
    });
}

/// Keeps the frames between the panic machinery (this hook, `panic_fmt`,
/// ...) and the `Recovery` that caught it: the code that panicked.
fn trim_backtrace(full: &str) -> String {
    let mut frames: Vec<String> = Vec::new();
    for line in full.lines() {
        let t = line.trim_start();
        let header = t.split_once(": ").is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        match frames.last_mut() {
            Some(frame) if !header => {
                frame.push('\n');
                frame.push_str(line);
            }
            _ => frames.push(line.to_owned()),
        }
    }
    let end = frames.iter().position(|f| f.contains("recovery::Watched")).unwrap_or(frames.len());
    let machinery = [
        "core::panicking::",
        "rust_begin_unwind",
        "std::panicking::begin_panic",
        "__rust_end_short_backtrace",
        "recovery::install_hook",
    ];
    let start = frames[..end].iter().rposition(|f| machinery.iter().any(|m| f.contains(m))).map_or(0, |i| i + 1);
    if start >= end {
        return full.to_owned();
    }
    frames[start..end].join("\n")
}

pin_project_lite::pin_project! {
    /// Polls `inner` with the panic hook set to record for this `Recovery`.
    struct Watched<F> {
        #[pin]
        inner: F,
        mode: Mode,
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _guard = ModeGuard::enter(*this.mode);
        this.inner.poll(cx)
    }
}

/// Sets the hook mode for one poll, and restores it even when the poll
/// panics (nested `Recovery`s each restore the outer one's mode).
struct ModeGuard(Mode);

impl ModeGuard {
    fn enter(mode: Mode) -> Self {
        Self(MODE.try_with(|m| m.replace(mode)).unwrap_or(Mode::Off))
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        let _ = MODE.try_with(|m| m.set(self.0));
        // A poll that did not panic leaves no record behind (a panic the
        // handler caught itself was recorded too).
        if !std::thread::panicking() {
            let _ = LAST.try_with(|l| l.try_borrow_mut().map(|mut l| l.take()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backtraces_keep_the_code_between_the_panic_and_the_recovery() {
        let full = "   0: bia::middleware::recovery::install_hook::{{closure}}\n             at ./runtime/src/middleware/recovery.rs:1:1\n   1: std::panicking::panic_with_hook\n   2: core::panicking::panic_fmt\n             at core/src/panicking.rs:80:14\n   3: my_service::handler\n             at ./src/lib.rs:52:24\n   4: <bia::middleware::recovery::Watched<F> as core::future::future::Future>::poll\n   5: tokio::runtime::park";
        assert_eq!(trim_backtrace(full), "   3: my_service::handler\n             at ./src/lib.rs:52:24");
        assert_eq!(trim_backtrace("   0: a\n   1: b"), "   0: a\n   1: b");
        assert_eq!(trim_backtrace(""), "");
    }

    #[test]
    fn payload_messages() {
        assert_eq!(panic_message(&"static"), "static");
        assert_eq!(panic_message(&String::from("owned")), "owned");
        assert_eq!(panic_message(&42u8), "<non-string panic payload>");
    }
}
