//! The reply side of a streaming call: the [`Sink`] a handler sends to, the
//! one-slot pipe or the handed-over stream between it and the transport,
//! and the [`ReplyStream`] the transport polls.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use http::HeaderMap;
use tokio::sync::watch;
use tonic::Status;

use super::stream::{stopped, stopping_error, Call};
use super::BoxFuture;
use crate::context::{Context, Deadline, StreamStats};
use crate::error::reason::{TIMEOUT, UNKNOWN};
use crate::error::Error;
use crate::stream::{Stream, StreamExt as _};

/// Where a streaming call's handler (or, on a client, the transport) sends
/// its replies: the transport takes each one as it comes and the handler
/// waits while one is waiting (a slow reader makes the handler wait, and
/// nothing buffers more than one message).
#[doc(hidden)]
pub struct Sink<Rep> {
    pub(in crate::middleware) pipe: Arc<Pipe<Rep>>,
    /// The counts middleware read, and whether replies count as sent (on a
    /// server) or received (on a client).
    pub(in crate::middleware) stats: Option<(Arc<StreamStats>, bool)>,
}

impl<Rep> std::fmt::Debug for Sink<Rep> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink").finish_non_exhaustive()
    }
}

impl<Rep: Send + 'static> Sink<Rep> {
    /// Opens the reply (its head goes with the reply metadata set so far)
    /// and sends every message of `stream`; its first error ends the call.
    ///
    /// Without middleware nothing needs to see the messages go by: the
    /// stream itself is handed to the transport, which polls it directly
    /// (no pipe, no second task), and this returns at once.
    pub async fn send_all<S, E>(self, stream: S) -> Result<(), Error>
    where
        S: Stream<Item = Result<Rep, E>> + Send,
        E: Into<Error>,
    {
        let head = crate::context::with(Context::opening_reply).unwrap_or_default();
        if self.stats.is_none() {
            // Errors take the transport's form here, once, where the
            // handler's stream makes them: a message then reaches the
            // transport in the very type it polls (gRPC: a `Status`), or at
            // the size of the message (an `Error` boxed), with no conversion
            // per message on the way.
            return match self.pipe.status {
                Some(form) => {
                    let stream = std::pin::pin!(ErrorsAs { stream, to: ToStatus(form.to) });
                    self.park(head, stream, Handing::Status).await
                }
                None => {
                    let stream = std::pin::pin!(ErrorsAs { stream, to: ToBox });
                    self.park(head, stream, Handing::Lean).await
                }
            };
        }
        self.pipe.lock().opened = Some(head);
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            self.pipe.put(item.map_err(Into::into)?).await;
            match &self.stats {
                Some((stats, true)) => stats.add_sent(),
                Some((stats, false)) => stats.add_received(),
                None => {}
            }
        }
        Ok(())
    }

    /// Hands `stream` to the transport (with the reply's head) and waits,
    /// parked, until the transport is done with it.
    async fn park<E: 'static>(
        &self,
        head: (HeaderMap, Option<HeaderMap>),
        stream: Pin<&mut (dyn Stream<Item = Result<Rep, E>> + Send + '_)>,
        handing: fn(Handed<Rep, E>) -> Handing<Rep>,
    ) -> Result<(), Error> {
        // SAFETY: only the pointer leaves; it is made `'static` to be
        // stored, and `Handed` says when it may be used: while this
        // future is parked below, never after.
        let stream: *mut (dyn Stream<Item = Result<Rep, E>> + Send + 'static) =
            unsafe { std::mem::transmute(Pin::into_inner_unchecked(stream)) };
        let handed = Handed { stream, context: crate::context::handle() };
        {
            let mut state = self.pipe.lock();
            state.opened = Some(head);
            state.handed = Some(handing(handed));
        }
        // Parked until the transport is done with the stream.
        std::future::poll_fn(|_| if self.pipe.lock().released { Poll::Ready(()) } else { Poll::Pending }).await;
        Ok(())
    }
}

/// A poll of a reply stream, its error of type `E`.
type Next<Rep, E> = Poll<Option<Result<Rep, E>>>;

/// A poll of a reply stream with its error boxed: a message then moves
/// through each layer at the size of the message, not of `Error`.
pub(crate) type Lean<Rep> = Poll<Option<Result<Rep, Box<Error>>>>;

/// A poll of a reply stream with its error as a gRPC status: what tonic's
/// encoder polls.
pub(crate) type Statused<Rep> = Poll<Option<Result<Rep, Status>>>;

/// How a gRPC server wants the errors of a handler's stream: as statuses,
/// made where the handler's stream makes the error (see [`Sink::send_all`]).
/// The transport gives both ways, so that this layer needs nothing of its.
#[derive(Clone, Copy)]
pub(crate) struct StatusForm {
    pub(crate) to: fn(Error) -> Status,
    pub(crate) from: fn(&Status) -> Error,
}

/// A handler's reply stream, handed to the transport to poll directly while
/// the handler's future (which owns the stream, pinned) is parked in
/// [`Sink::send_all`], with where its context lives.
///
/// Why by pointer: the stream may borrow the service (`&self`), so it
/// cannot be moved out as a `'static` box; the future that owns it stays
/// alive in the [`ReplyStream`] instead, and is not polled until the
/// transport releases the stream.
pub(in crate::middleware) struct Handed<Rep, E = Box<Error>> {
    stream: *mut (dyn Stream<Item = Result<Rep, E>> + Send + 'static),
    context: crate::context::Handle,
}

// SAFETY: the stream is `Send` (a bound of `send_all`) and lives in the
// call's future, which is `Send`; the pointer is used by one poller at a
// time, as the future would be.
unsafe impl<Rep, E> Send for Handed<Rep, E> {}

impl<Rep, E> Handed<Rep, E> {
    #[inline(always)]
    fn poll_next(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Result<Rep, E>>> {
        // SAFETY: the pointee is pinned in the call's future, which the
        // `Body::Parked` holding this keeps alive and does not poll while
        // the stream is in use (see `Sink::send_all`); the same goes for the
        // context's `Scoped` future, which is that call's.
        let stream = unsafe { Pin::new_unchecked(&mut *self.stream) };
        unsafe { crate::context::reenter(self.context, || stream.poll_next(cx)) }
    }
}

pin_project_lite::pin_project! {
    /// A handler's stream with its errors made the transport's form.
    ///
    /// Why not `StreamExt::map`: its closure over the whole `Result` is compiled
    /// to a copy of the largest variant (the `Error`) before the branch; here a
    /// message is passed on by itself and the conversion is out of line
    /// (about 20 instructions less a message on a bidirectional echo).
    struct ErrorsAs<S, T> {
        #[pin]
        stream: S,
        to: T,
    }
}

/// How [`ErrorsAs`] converts an error.
trait ErrorForm<E> {
    type Out;
    fn convert(&self, e: E) -> Self::Out;
}

/// To a gRPC status.
struct ToStatus(fn(Error) -> Status);

impl<E: Into<Error>> ErrorForm<E> for ToStatus {
    type Out = Status;
    #[cold]
    #[inline(never)]
    fn convert(&self, e: E) -> Status {
        (self.0)(e.into())
    }
}

/// To a boxed [`Error`] (see [`Lean`]).
struct ToBox;

impl<E: Into<Error>> ErrorForm<E> for ToBox {
    type Out = Box<Error>;
    #[cold]
    #[inline(never)]
    fn convert(&self, e: E) -> Box<Error> {
        Box::new(e.into())
    }
}

impl<S, T, Rep, E> Stream for ErrorsAs<S, T>
where
    S: Stream<Item = Result<Rep, E>>,
    T: ErrorForm<E>,
{
    type Item = Result<Rep, T::Out>;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        match this.stream.poll_next(cx) {
            Poll::Ready(Some(Ok(message))) => Poll::Ready(Some(Ok(message))),
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(this.to.convert(e)))),
        }
    }
}

/// A handed stream, its errors in the form the transport asked for.
pub(in crate::middleware) enum Handing<Rep> {
    Lean(Handed<Rep>),
    Status(Handed<Rep, Status>),
}

/// Where the end of the chain leaves each reply for the transport: one
/// message at most (the chain waits until it is taken), and the opening.
pub(in crate::middleware) struct Pipe<Rep> {
    state: Mutex<PipeState<Rep>>,
    /// Errors as gRPC statuses in a handed stream (a gRPC server).
    status: Option<StatusForm>,
}

struct PipeState<Rep> {
    /// The reply headers and trailers, once the handler starts sending.
    opened: Option<(HeaderMap, Option<HeaderMap>)>,
    item: Option<Rep>,
    /// The handler's stream itself, when nothing else needs the messages.
    handed: Option<Handing<Rep>>,
    /// The transport is done with the handed stream: its owner may go on.
    released: bool,
}

impl<Rep> Pipe<Rep> {
    pub(in crate::middleware) fn new(status: Option<StatusForm>) -> Self {
        let state = PipeState { opened: None, item: None, handed: None, released: false };
        Self { state: Mutex::new(state), status }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PipeState<Rep>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(in crate::middleware) fn take_opened(&self) -> Option<(HeaderMap, Option<HeaderMap>)> {
        self.lock().opened.take()
    }

    pub(in crate::middleware) fn take_handed(&self) -> Option<Handing<Rep>> {
        // (Taken once, right after the call opened.)
        self.lock().handed.take()
    }

    fn take(&self) -> Option<Rep> {
        self.lock().item.take()
    }

    /// Leaves `item` once the previous one was taken. The transport polls
    /// the call only when it has taken the item, so waiting here needs no
    /// waker: the next poll comes from the same task.
    async fn put(&self, item: Rep) {
        let mut item = Some(item);
        std::future::poll_fn(|_| {
            let mut state = self.lock();
            if state.item.is_some() {
                return Poll::Pending;
            }
            state.item = item.take();
            Poll::Ready(())
        })
        .await;
    }
}

/// The error a call ended with, in the form it was made in.
pub(in crate::middleware) enum Ended {
    Error(Box<Error>),
    Status(Box<Status>),
}

pub(in crate::middleware) enum Body<Rep> {
    /// The rest of the call (through the chain, when there is one), and
    /// where it leaves each message.
    Piped {
        call: Call,
        pipe: Arc<Pipe<Rep>>,
    },
    /// The call is over: what is left is its last message (still in the
    /// pipe), then its error, if any.
    Ending {
        pipe: Arc<Pipe<Rep>>,
        error: Option<Error>,
    },
    /// The handler's stream, polled directly while its future is parked.
    /// (`handed` first: it must not outlive `call`, which owns the stream.)
    Parked {
        handed: Handed<Rep>,
        call: Call,
        pipe: Arc<Pipe<Rep>>,
    },
    /// The same, its errors already gRPC statuses.
    ParkedStatus {
        handed: Handed<Rep, Status>,
        call: Call,
        pipe: Arc<Pipe<Rep>>,
    },
    /// The handed stream has ended: the handler's future finishes, then
    /// the error the stream ended with, if any.
    Finishing {
        call: Call,
        error: Option<Ended>,
    },
    Done,
}

impl<Rep> Body<Rep> {
    /// The body of a call that opened and is still running.
    pub(in crate::middleware) fn running(call: Call, pipe: Arc<Pipe<Rep>>) -> Self {
        match pipe.take_handed() {
            Some(Handing::Lean(handed)) => Body::Parked { handed, call, pipe },
            Some(Handing::Status(handed)) => Body::ParkedStatus { handed, call, pipe },
            None => Body::Piped { call, pipe },
        }
    }
}

/// The messages of an open streaming reply, ending early with `TIMEOUT`
/// when the call's deadline passes. Dropping it drops the handler's stream
/// (and, through middleware, the rest of the call).
pub(crate) struct ReplyStream<Rep> {
    body: Body<Rep>,
    deadline: Option<(Deadline, Pin<Box<tokio::time::Sleep>>)>,
    /// Ready when the server's stop timeout has passed.
    stopping: Option<BoxFuture<'static, ()>>,
    /// How errors become statuses and back (a gRPC server).
    status: Option<StatusForm>,
}

impl<Rep> ReplyStream<Rep> {
    pub(in crate::middleware) fn new(
        body: Body<Rep>,
        deadline: Option<Deadline>,
        end: Option<watch::Receiver<bool>>,
        status: Option<StatusForm>,
    ) -> Self {
        let deadline = deadline.map(|d| (d, Box::pin(tokio::time::sleep_until(d.0))));
        let stopping = end.map(|rx| -> BoxFuture<'static, ()> { Box::pin(stopped(Some(rx))) });
        Self { body, deadline, stopping, status }
    }

    /// The handed stream has ended (or failed): release it, and let the
    /// handler's future finish.
    #[cold]
    fn release(&mut self, error: Option<Ended>) {
        let (call, pipe) = match std::mem::replace(&mut self.body, Body::Done) {
            Body::Parked { call, pipe, .. } | Body::ParkedStatus { call, pipe, .. } => (call, pipe),
            _ => unreachable!("called on a parked body"),
        };
        pipe.lock().released = true;
        self.body = Body::Finishing { call, error };
    }

    /// Every body but a parked one, or a parked one polled in the other
    /// form; errors in the form they were made in.
    #[inline(never)]
    fn poll_rest(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Result<Rep, Ended>>> {
        loop {
            match std::mem::replace(&mut self.body, Body::Done) {
                Body::Done => return Poll::Ready(None),
                Body::Parked { mut handed, call, pipe } => match handed.poll_next(cx) {
                    Poll::Ready(Some(Ok(item))) => {
                        self.body = Body::Parked { handed, call, pipe };
                        return Poll::Ready(Some(Ok(item)));
                    }
                    Poll::Pending => {
                        self.body = Body::Parked { handed, call, pipe };
                        return Poll::Pending;
                    }
                    Poll::Ready(end) => {
                        self.body = Body::Parked { handed, call, pipe };
                        self.release(end.and_then(Result::err).map(Ended::Error));
                    }
                },
                Body::ParkedStatus { mut handed, call, pipe } => match handed.poll_next(cx) {
                    Poll::Ready(Some(Ok(item))) => {
                        self.body = Body::ParkedStatus { handed, call, pipe };
                        return Poll::Ready(Some(Ok(item)));
                    }
                    Poll::Pending => {
                        self.body = Body::ParkedStatus { handed, call, pipe };
                        return Poll::Pending;
                    }
                    Poll::Ready(end) => {
                        self.body = Body::ParkedStatus { handed, call, pipe };
                        self.release(end.and_then(Result::err).map(|s| Ended::Status(Box::new(s))));
                    }
                },
                Body::Finishing { mut call, error } => {
                    if call.as_mut().poll(cx).is_pending() {
                        self.body = Body::Finishing { call, error };
                        return Poll::Pending;
                    }
                    return Poll::Ready(error.map(Err));
                }
                Body::Piped { mut call, pipe } => {
                    if let Some(item) = pipe.take() {
                        self.body = Body::Piped { call, pipe };
                        return Poll::Ready(Some(Ok(item)));
                    }
                    match call.as_mut().poll(cx) {
                        Poll::Ready((res, _)) => self.body = Body::Ending { pipe, error: res.err() },
                        Poll::Pending => {
                            let item = pipe.take();
                            self.body = Body::Piped { call, pipe };
                            return item.map_or(Poll::Pending, |item| Poll::Ready(Some(Ok(item))));
                        }
                    }
                }
                Body::Ending { pipe, error } => {
                    if let Some(item) = pipe.take() {
                        self.body = Body::Ending { pipe, error };
                        return Poll::Ready(Some(Ok(item)));
                    }
                    return Poll::Ready(error.map(|e| Err(Ended::Error(Box::new(e)))));
                }
            }
        }
    }

    /// Nothing to send yet: has the deadline passed, or the stop timeout?
    #[inline(never)]
    fn poll_ends(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Result<Rep, Ended>>> {
        let this = self;
        if let Some((deadline, sleep)) = &mut this.deadline {
            if sleep.as_mut().poll(cx).is_ready() {
                this.body = Body::Done;
                let late = tokio::time::Instant::now().saturating_duration_since(deadline.0);
                let err = Error::gateway_timeout(TIMEOUT, format!("the stream ran past its deadline ({late:?} ago)"));
                return Poll::Ready(Some(Err(Ended::Error(Box::new(err)))));
            }
        }
        if let Some(stopping) = &mut this.stopping {
            if stopping.as_mut().poll(cx).is_ready() {
                this.body = Body::Done;
                this.stopping = None;
                return Poll::Ready(Some(Err(Ended::Error(Box::new(stopping_error())))));
            }
        }
        Poll::Pending
    }

    /// The rest of a poll, past the common case of a parked body.
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Result<Rep, Ended>>> {
        if let Poll::Ready(next) = self.poll_rest(cx) {
            return Poll::Ready(next);
        }
        self.poll_ends(cx)
    }
}

impl<Rep> Stream for ReplyStream<Rep> {
    type Item = Result<Rep, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.poll_lean(cx).map(|next| next.map(|item| item.map_err(|e| *e)))
    }
}

impl<Rep> ReplyStream<Rep> {
    /// The next message, an error boxed (what a transport that maps errors
    /// anyway polls: see [`Lean`]).
    #[inline(always)]
    pub(crate) fn poll_lean(&mut self, cx: &mut TaskContext<'_>) -> Lean<Rep> {
        // The common case first, kept small: a message of a handed stream,
        // returned as it came (see `poll_status`).
        if let Body::Parked { handed, .. } = &mut self.body {
            let next = handed.poll_next(cx);
            if let Poll::Ready(Some(Ok(_))) = next {
                return next;
            }
            return self.after_handed(next, cx, Ended::Error, Self::lean);
        }
        self.poll_lean_slow(cx)
    }

    #[inline(never)]
    fn poll_lean_slow(&mut self, cx: &mut TaskContext<'_>) -> Lean<Rep> {
        let next = self.poll_slow(cx);
        self.lean(next)
    }

    /// A poll with its error as a boxed [`Error`].
    #[inline(never)]
    fn lean(&self, next: Poll<Option<Result<Rep, Ended>>>) -> Lean<Rep> {
        let status = self.status;
        next.map(|next| {
            next.map(|item| {
                item.map_err(|end| match end {
                    Ended::Error(e) => e,
                    Ended::Status(s) => Box::new(
                        status
                            .map_or_else(|| Error::internal_server(UNKNOWN, s.message().to_owned()), |f| (f.from)(&s)),
                    ),
                })
            })
        })
    }

    /// The next message, an error as a gRPC status (what tonic's encoder
    /// polls: a handed stream's message passes through as it came).
    #[inline(always)]
    pub(crate) fn poll_status(&mut self, cx: &mut TaskContext<'_>) -> Statused<Rep> {
        if let Body::ParkedStatus { handed, .. } = &mut self.body {
            let next = handed.poll_next(cx);
            // A message is returned as it came (one test, no copy into a new
            // value of the same type); the rest out of line.
            if let Poll::Ready(Some(Ok(_))) = next {
                return next;
            }
            return self.after_handed(next, cx, |s| Ended::Status(Box::new(s)), Self::statused);
        }
        self.poll_status_slow(cx)
    }

    /// A handed stream's poll that was not a message (for `poll_lean` and
    /// `poll_status`, `ended` and `form` being their error's form): the
    /// stream is pending (it is not polled again: only the deadline and the
    /// stop are) or over.
    #[inline(never)]
    fn after_handed<E>(
        &mut self,
        next: Next<Rep, E>,
        cx: &mut TaskContext<'_>,
        ended: fn(E) -> Ended,
        form: fn(&Self, Next<Rep, Ended>) -> Next<Rep, E>,
    ) -> Next<Rep, E> {
        let rest = match next {
            Poll::Pending => self.poll_ends(cx),
            Poll::Ready(end) => {
                self.release(end.and_then(Result::err).map(ended));
                self.poll_slow(cx)
            }
        };
        form(self, rest)
    }

    #[inline(never)]
    fn poll_status_slow(&mut self, cx: &mut TaskContext<'_>) -> Statused<Rep> {
        let next = self.poll_slow(cx);
        self.statused(next)
    }

    /// A poll with its error as a gRPC status.
    #[inline(never)]
    fn statused(&self, next: Poll<Option<Result<Rep, Ended>>>) -> Statused<Rep> {
        let to: fn(Error) -> Status = match self.status {
            Some(form) => form.to,
            None => |e| Status::unknown(e.message().to_owned()),
        };
        next.map(|next| {
            next.map(|item| {
                item.map_err(|end| match end {
                    Ended::Error(e) => to(*e),
                    Ended::Status(s) => *s,
                })
            })
        })
    }
}
