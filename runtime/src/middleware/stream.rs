//! Streaming calls through the chain.
//!
//! A streaming call runs the chain once, from its open to its end, so every
//! middleware sees it as it sees a unary call: `handle` gets the context at
//! open, before the handler, and what `next.run` returns is the end of the
//! stream, with its final code, when the last message has gone (or the error
//! that ended it). What a middleware measures around `next.run` (a log
//! line, a duration, a span) covers the whole stream.
//!
//! * The request is the request message (server streaming), or a stream
//!   request (client streaming and bidirectional: [`AnyMessage::is_stream`]),
//!   whose messages a middleware looks at with
//!   [`AnyMessage::inspect_messages`].
//! * The reply of a streaming reply is a [`StreamEnd`] (its `type_name` is
//!   `bia.StreamEnd`), not a message; the messages went to the caller as the
//!   handler produced them.
//! * [`Context::stream`](crate::context::Context::stream) counts the
//!   messages received and sent so far.
//!
//! The transport starts sending once the handler has returned its stream:
//! the reply metadata set until then go with the reply's head.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use http::HeaderMap;
use tokio::sync::watch;

use super::any::Inspector;
use super::chain::{Endpoint, Next};
use super::{AnyMessage, BoxFuture, Chain, MessageRef, RawPart};
use crate::codec::Message;
use crate::context::{Context, Deadline, StreamStats};
use crate::error::reason::{MIDDLEWARE, STOPPING, TIMEOUT};
use crate::error::Error;
use crate::stream::{Stream, StreamExt as _, Streaming};

/// The `type_name` of the request of a client-streaming or bidirectional
/// call.
pub(crate) const STREAM_REQUEST: &str = "bia.StreamRequest";

/// The end of a stream of replies, as `next.run` returns it to middleware.
#[derive(Debug, Clone, Copy)]
pub struct StreamEnd {
    messages: u64,
}

impl StreamEnd {
    /// How many messages the stream carried.
    pub fn messages(&self) -> u64 {
        self.messages
    }
}

impl RawPart for StreamEnd {
    const NAME: &'static str = "bia.StreamEnd";
    const STREAM: bool = true;
    fn describe(&self) -> String {
        format!("<end of a stream of {} messages>", self.messages)
    }
}

/// The request of a client-streaming or bidirectional call inside an
/// [`AnyMessage`]: the stream itself, until the handler takes it.
struct StreamRequest<T>(Mutex<Option<Streaming<T>>>);

impl<T: Message> RawPart for StreamRequest<T> {
    const NAME: &'static str = STREAM_REQUEST;
    const STREAM: bool = true;
    fn describe(&self) -> String {
        "<stream>".to_owned()
    }
    fn inspect(&mut self, inspect: Inspector) -> bool {
        let slot = self.0.get_mut().unwrap_or_else(PoisonError::into_inner);
        let Some(stream) = slot.take() else { return false };
        *slot = Some(Streaming::new(stream.map(move |item| {
            let msg = item?;
            inspect(MessageRef::new(&msg))?;
            Ok(msg)
        })));
        true
    }
}

/// What a handler takes: one message, or a stream of them. The chain carries
/// either as an [`AnyMessage`].
pub(crate) trait CallInput: Send + Sized + 'static {
    fn into_any(self) -> AnyMessage;
    fn from_any(any: AnyMessage, operation: &str) -> Result<Self, Error>;
}

impl<M: Message> CallInput for M {
    fn into_any(self) -> AnyMessage {
        AnyMessage::new(self)
    }

    fn from_any(any: AnyMessage, operation: &str) -> Result<Self, Error> {
        any.downcast::<M>().map_err(|other| replaced(operation, M::FULL_NAME, other.type_name()))
    }
}

impl<T: Message> CallInput for Streaming<T> {
    fn into_any(self) -> AnyMessage {
        AnyMessage::raw(StreamRequest(Mutex::new(Some(self))))
    }

    fn from_any(any: AnyMessage, operation: &str) -> Result<Self, Error> {
        let request = any
            .downcast::<StreamRequest<T>>()
            .map_err(|other| replaced(operation, STREAM_REQUEST, other.type_name()))?;
        request
            .0
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .ok_or_else(|| Error::internal_server(MIDDLEWARE, format!("the request stream of {operation} was taken")))
    }
}

fn replaced(operation: &str, expected: &str, found: &str) -> Error {
    Error::internal_server(
        MIDDLEWARE,
        format!("a middleware replaced the request of {operation} ({expected}) with a {found}"),
    )
}

/// The request stream of a call, counted for middleware (received on a
/// server, sent on a client).
pub(crate) fn counted<T: Message>(stream: Streaming<T>, stats: Option<Arc<StreamStats>>, server: bool) -> Streaming<T> {
    match stats {
        None => stream,
        Some(stats) => Streaming::new(stream.inspect(move |item| match (item, server) {
            (Err(_), _) => {}
            (Ok(_), true) => stats.add_received(),
            (Ok(_), false) => stats.add_sent(),
        })),
    }
}

/// A streaming reply, open: the reply metadata to send with its head, and
/// the messages.
pub(crate) struct Opened<Rep> {
    pub(crate) reply_headers: HeaderMap,
    /// gRPC trailing metadata to send at the end (set before it opened).
    pub(crate) reply_trailers: Option<HeaderMap>,
    pub(crate) stream: ReplyStream<Rep>,
}

/// A streaming call that failed before it opened: the error and the reply
/// metadata set until then.
pub(crate) type Refused = (Error, HeaderMap);

/// Where a streaming call's handler (or, on a client, the transport) sends
/// its replies: the transport takes each one as it comes and the handler
/// waits while one is waiting (a slow reader makes the handler wait, and
/// nothing buffers more than one message).
#[doc(hidden)]
pub struct Sink<Rep> {
    pipe: Arc<Pipe<Rep>>,
    /// The counts middleware read, and whether replies count as sent (on a
    /// server) or received (on a client).
    stats: Option<(Arc<StreamStats>, bool)>,
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
            // (Errors boxed: a message moves through each layer at the size
            // of the `Result`, and `Error` is many times a small message.)
            let stream = std::pin::pin!(stream.map(|item| item.map_err(|e| Box::new(e.into()))));
            let stream: Pin<&mut (dyn Stream<Item = Result<Rep, Box<Error>>> + Send + '_)> = stream;
            // SAFETY: only the pointer leaves; it is made `'static` to be
            // stored, and `Handed` says when it may be used: while this
            // future is parked below, never after.
            let stream: *mut (dyn Stream<Item = Result<Rep, Box<Error>>> + Send + 'static) =
                unsafe { std::mem::transmute(Pin::into_inner_unchecked(stream)) };
            let handed = Handed { stream, context: crate::context::handle() };
            {
                let mut state = self.pipe.lock();
                state.opened = Some(head);
                state.handed = Some(handed);
            }
            // Parked until the transport is done with the stream.
            std::future::poll_fn(|_| if self.pipe.lock().released { Poll::Ready(()) } else { Poll::Pending }).await;
            return Ok(());
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
}

/// Serves a call whose reply is a stream: the chains, then `handler`, which
/// sends the replies to its [`Sink`]. Returns once the replies have opened
/// (or the call failed before); the returned stream then runs the rest of
/// the call. On a server, `outer` and `inner` are the server-wide and the
/// service's chains, and the handler runs once.
pub(crate) async fn serve_stream<I, Rep, F, Fut>(
    outer: Option<Chain>,
    inner: Chain,
    ctx: Context,
    input: I,
    handler: F,
    end: Option<watch::Receiver<bool>>,
) -> Result<Opened<Rep>, Refused>
where
    I: CallInput,
    Rep: Message,
    F: FnOnce(I, Sink<Rep>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    serve_stream_with(outer, inner, ctx, input, Once(Mutex::new(Some(handler))), end).await
}

/// What runs a streaming call at the end of its chain: the handler on a
/// server (once), the transport on a client (again for each attempt a
/// retry makes at open).
pub(crate) trait Opener<I, Rep>: Send + Sync + 'static {
    type Fut: Future<Output = Result<(), Error>> + Send + 'static;
    /// Starts one run; `None` when it cannot run again.
    fn open(&self, input: I, sink: Sink<Rep>) -> Option<Self::Fut>;
}

/// A handler that runs once.
pub(crate) struct Once<F>(Mutex<Option<F>>);

impl<I, Rep, F, Fut> Opener<I, Rep> for Once<F>
where
    F: FnOnce(I, Sink<Rep>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    type Fut = Fut;
    fn open(&self, input: I, sink: Sink<Rep>) -> Option<Fut> {
        let f = self.0.lock().unwrap_or_else(PoisonError::into_inner).take()?;
        Some(f(input, sink))
    }
}

/// A transport that can run again.
pub(crate) struct Again<F>(pub(crate) F);

impl<I, Rep, F, Fut> Opener<I, Rep> for Again<F>
where
    F: Fn(I, Sink<Rep>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    type Fut = Fut;
    fn open(&self, input: I, sink: Sink<Rep>) -> Option<Fut> {
        Some((self.0)(input, sink))
    }
}

/// [`serve_stream`] with any [`Opener`]; on a client, `inner` is the
/// client's chain and `opener` its transport.
pub(crate) async fn serve_stream_with<I, Rep, O>(
    outer: Option<Chain>,
    inner: Chain,
    mut ctx: Context,
    input: I,
    opener: O,
    end: Option<watch::Receiver<bool>>,
) -> Result<Opened<Rep>, Refused>
where
    I: CallInput,
    Rep: Message,
    O: Opener<I, Rep>,
{
    let deadline = Deadline::of(&ctx);
    let pipe = Arc::new(Pipe::<Rep>::default());
    let mut call: Call = if outer.is_none() && inner.is_empty() {
        let sink = Sink { pipe: Arc::clone(&pipe), stats: None };
        let run = opener.open(input, sink);
        Box::pin(async move {
            let res = match run {
                Some(run) => crate::context::scope(&mut ctx, run).await,
                None => Err(Error::internal_server(MIDDLEWARE, format!("{} ran twice", ctx.operation()))),
            };
            (res, ctx)
        })
    } else {
        let stats = StreamStats::of_or_insert(&mut ctx);
        let side = ctx.is_server();
        let endpoint = StreamEndpoint { opener, pipe: Arc::clone(&pipe), stats: (stats, side), _types: PhantomData };
        Box::pin(async move {
            let outer = outer.unwrap_or_default();
            let next = Next::new(outer.as_slice(), inner.as_slice(), &endpoint);
            let res = match next.run(&mut ctx, input.into_any()).await {
                Ok(end) if end.is::<StreamEnd>() => Ok(()),
                Ok(other) => Err(Error::internal_server(
                    MIDDLEWARE,
                    format!(
                        "a middleware replaced the end of the stream of {} with a {}",
                        ctx.operation(),
                        other.type_name()
                    ),
                )),
                Err(e) => Err(e),
            };
            (res, ctx)
        })
    };
    // Run the call until the handler starts sending (or the call ends).
    let mut ended = None;
    let (reply_headers, reply_trailers) = std::future::poll_fn(|cx| {
        if let Some(head) = pipe.take_opened() {
            return Poll::Ready(Ok(head));
        }
        let Poll::Ready((res, mut ctx)) = call.as_mut().poll(cx) else {
            return pipe.take_opened().map_or(Poll::Pending, |h| Poll::Ready(Ok(h)));
        };
        match (pipe.take_opened(), res) {
            // It opened and ended in that one poll: what it sent is in the
            // pipe (or the stream itself, handed over), then its end.
            (Some(opened), res) => {
                ended = Some((res, ctx));
                Poll::Ready(Ok(opened))
            }
            // A reply that is all trailers: headers and trailers go together.
            (None, Err(e)) => {
                let mut headers = ctx.take_reply();
                headers.extend(ctx.take_reply_trailers().unwrap_or_default());
                Poll::Ready(Err((e, headers)))
            }
            // The handler returned without sending: an empty stream.
            (None, Ok(())) => {
                let head = (ctx.take_reply(), ctx.take_reply_trailers());
                ended = Some((Ok(()), ctx));
                Poll::Ready(Ok(head))
            }
        }
    })
    .await?;
    let body = match ended {
        None => match pipe.take_handed() {
            Some(handed) => Body::Parked { handed, call, pipe },
            None => Body::Piped { call, pipe },
        },
        Some((res, _)) => Body::Ending { pipe, error: res.err() },
    };
    Ok(Opened { reply_headers, reply_trailers, stream: ReplyStream::new(body, deadline, end) })
}

/// Ready once the server's stop timeout has passed and its streams must end
/// (never without `end`, nor when the server is gone: a dropped sender ends
/// nothing by itself).
pub(crate) async fn stopped(end: Option<watch::Receiver<bool>>) {
    if let Some(mut rx) = end {
        if rx.wait_for(|v| *v).await.is_ok() {
            return;
        }
    }
    std::future::pending::<()>().await;
}

/// What a stream the stop ended ends with.
pub(crate) fn stopping_error() -> Error {
    Error::service_unavailable(STOPPING, "the server is stopping: open the stream again")
}

/// The rest of a streaming call after it opened.
/// (Its output gives the context back: its reply metadata, and the context
/// a handed-over stream is polled in.)
type Call = Pin<Box<dyn Future<Output = (Result<(), Error>, Context)> + Send>>;

/// A poll of a reply stream with its error boxed: a message then moves
/// through each layer at the size of the message, not of `Error`.
pub(crate) type Lean<Rep> = Poll<Option<Result<Rep, Box<Error>>>>;

/// A handler's reply stream, handed to the transport to poll directly while
/// the handler's future (which owns the stream, pinned) is parked in
/// [`Sink::send_all`], with where its context lives.
///
/// Why by pointer: the stream may borrow the service (`&self`), so it
/// cannot be moved out as a `'static` box; the future that owns it stays
/// alive in the [`ReplyStream`] instead, and is not polled until the
/// transport releases the stream.
struct Handed<Rep> {
    stream: *mut (dyn Stream<Item = Result<Rep, Box<Error>>> + Send + 'static),
    context: crate::context::Handle,
}

// SAFETY: the stream is `Send` (a bound of `send_all`) and lives in the
// call's future, which is `Send`; the pointer is used by one poller at a
// time, as the future would be.
unsafe impl<Rep> Send for Handed<Rep> {}

impl<Rep> Handed<Rep> {
    #[inline(always)]
    fn poll_next(&mut self, cx: &mut TaskContext<'_>) -> Lean<Rep> {
        // SAFETY: the pointee is pinned in the call's future, which the
        // `Body::Parked` holding this keeps alive and does not poll while
        // the stream is in use (see `Sink::send_all`); the same goes for the
        // context's `Scoped` future, which is that call's.
        let stream = unsafe { Pin::new_unchecked(&mut *self.stream) };
        unsafe { crate::context::reenter(self.context, || stream.poll_next(cx)) }
    }
}

/// Where the end of the chain leaves each reply for the transport: one
/// message at most (the chain waits until it is taken), and the opening.
struct Pipe<Rep> {
    state: Mutex<PipeState<Rep>>,
}

struct PipeState<Rep> {
    /// The reply headers and trailers, once the handler starts sending.
    opened: Option<(HeaderMap, Option<HeaderMap>)>,
    item: Option<Rep>,
    /// The handler's stream itself, when nothing else needs the messages.
    handed: Option<Handed<Rep>>,
    /// The transport is done with the handed stream: its owner may go on.
    released: bool,
}

impl<Rep> Default for Pipe<Rep> {
    fn default() -> Self {
        Self { state: Mutex::new(PipeState { opened: None, item: None, handed: None, released: false }) }
    }
}

impl<Rep> Pipe<Rep> {
    fn lock(&self) -> std::sync::MutexGuard<'_, PipeState<Rep>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take_opened(&self) -> Option<(HeaderMap, Option<HeaderMap>)> {
        self.lock().opened.take()
    }

    fn take_handed(&self) -> Option<Handed<Rep>> {
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

/// The end of a streaming reply's chain: the handler (the transport, on a
/// client), which sends the replies to its sink; its end is the call's.
/// Each run gets a sink of its own on the same pipe.
struct StreamEndpoint<O, I, Rep> {
    opener: O,
    pipe: Arc<Pipe<Rep>>,
    stats: (Arc<StreamStats>, bool),
    _types: PhantomData<fn(I)>,
}

impl<I, Rep, O> Endpoint for StreamEndpoint<O, I, Rep>
where
    I: CallInput,
    Rep: Message,
    O: Opener<I, Rep>,
{
    fn call<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        Box::pin(async move {
            let input = I::from_any(req, ctx.operation())?;
            let sink = Sink { pipe: Arc::clone(&self.pipe), stats: Some((Arc::clone(&self.stats.0), self.stats.1)) };
            let Some(run) = self.opener.open(input, sink) else {
                return Err(Error::internal_server(
                    MIDDLEWARE,
                    format!("a middleware called the handler of {} twice", ctx.operation()),
                ));
            };
            crate::context::scope(ctx, run).await?;
            let messages = ctx.stream().map_or(0, |s| if ctx.is_server() { s.sent() } else { s.received() });
            Ok(AnyMessage::raw(StreamEnd { messages }))
        })
    }
}

enum Body<Rep> {
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
    /// The handed stream has ended: the handler's future finishes, then
    /// the error the stream ended with, if any.
    Finishing {
        call: Call,
        error: Option<Box<Error>>,
    },
    Done,
}

/// The messages of an open streaming reply, ending early with `TIMEOUT`
/// when the call's deadline passes. Dropping it drops the handler's stream
/// (and, through middleware, the rest of the call).
pub(crate) struct ReplyStream<Rep> {
    body: Body<Rep>,
    deadline: Option<(Deadline, Pin<Box<tokio::time::Sleep>>)>,
    /// Ready when the server's stop timeout has passed.
    stopping: Option<BoxFuture<'static, ()>>,
}

impl<Rep> ReplyStream<Rep> {
    fn new(body: Body<Rep>, deadline: Option<Deadline>, end: Option<watch::Receiver<bool>>) -> Self {
        let deadline = deadline.map(|d| (d, Box::pin(tokio::time::sleep_until(d.0))));
        let stopping = end.map(|rx| -> BoxFuture<'static, ()> { Box::pin(stopped(Some(rx))) });
        Self { body, deadline, stopping }
    }

    /// The next message, or `Pending` with the body as it was.
    #[inline(always)]
    fn poll_body(&mut self, cx: &mut TaskContext<'_>) -> Lean<Rep> {
        // The common case first, kept small: a message of a handed stream.
        if let Body::Parked { handed, .. } = &mut self.body {
            match handed.poll_next(cx) {
                Poll::Ready(Some(Ok(item))) => return Poll::Ready(Some(Ok(item))),
                Poll::Pending => return Poll::Pending,
                end => self.release(end),
            }
        }
        self.poll_rest(cx)
    }

    /// The handed stream has ended (or failed): release it, and let the
    /// handler's future finish.
    #[cold]
    fn release(&mut self, end: Lean<Rep>) {
        let Body::Parked { call, pipe, .. } = std::mem::replace(&mut self.body, Body::Done) else {
            unreachable!("called on a parked body")
        };
        pipe.lock().released = true;
        let error = match end {
            Poll::Ready(Some(Err(e))) => Some(e),
            _ => None,
        };
        self.body = Body::Finishing { call, error };
    }

    /// Every body but a parked one.
    #[inline(never)]
    fn poll_rest(&mut self, cx: &mut TaskContext<'_>) -> Lean<Rep> {
        loop {
            match std::mem::replace(&mut self.body, Body::Done) {
                Body::Done => return Poll::Ready(None),
                // Handled by `poll_body`.
                parked @ Body::Parked { .. } => {
                    self.body = parked;
                    return self.poll_body(cx);
                }
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
                    return Poll::Ready(error.map(|e| Err(Box::new(e))));
                }
            }
        }
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
        if let Poll::Ready(next) = self.poll_body(cx) {
            return Poll::Ready(next);
        }
        self.poll_ends(cx)
    }

    /// Nothing to send yet: has the deadline passed, or the stop timeout?
    #[inline(never)]
    fn poll_ends(&mut self, cx: &mut TaskContext<'_>) -> Lean<Rep> {
        let this = self;
        if let Some((deadline, sleep)) = &mut this.deadline {
            if sleep.as_mut().poll(cx).is_ready() {
                this.body = Body::Done;
                let late = tokio::time::Instant::now().saturating_duration_since(deadline.0);
                let err = Error::gateway_timeout(TIMEOUT, format!("the stream ran past its deadline ({late:?} ago)"));
                return Poll::Ready(Some(Err(Box::new(err))));
            }
        }
        if let Some(stopping) = &mut this.stopping {
            if stopping.as_mut().poll(cx).is_ready() {
                this.body = Body::Done;
                this.stopping = None;
                return Poll::Ready(Some(Err(Box::new(stopping_error()))));
            }
        }
        Poll::Pending
    }
}
