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
use std::task::Poll;

use http::HeaderMap;
use tokio::sync::watch;

use super::chain::{Endpoint, Next};
use super::{AnyMessage, BoxFuture, Chain, RawPart};
use crate::codec::Message;
use crate::context::{Context, Deadline, StreamStats};
use crate::error::reason::{MIDDLEWARE, STOPPING};
use crate::error::Error;

pub(crate) use super::stream_input::{counted, CallInput};
pub use super::stream_reply::Sink;
use super::stream_reply::{Body, Pipe};
pub(crate) use super::stream_reply::{ReplyStream, StatusForm};

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
    status: Option<StatusForm>,
) -> Result<Opened<Rep>, Refused>
where
    I: CallInput,
    Rep: Message,
    F: FnOnce(I, Sink<Rep>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    serve_stream_with(outer, inner, ctx, input, Once(Mutex::new(Some(handler))), end, status).await
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
    status: Option<StatusForm>,
) -> Result<Opened<Rep>, Refused>
where
    I: CallInput,
    Rep: Message,
    O: Opener<I, Rep>,
{
    let deadline = Deadline::of(&ctx);
    let pipe = Arc::new(Pipe::<Rep>::new(status));
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
        None => Body::running(call, pipe),
        Some((res, _)) => Body::Ending { pipe, error: res.err() },
    };
    Ok(Opened { reply_headers, reply_trailers, stream: ReplyStream::new(body, deadline, end, status) })
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
pub(crate) type Call = Pin<Box<dyn Future<Output = (Result<(), Error>, Context)> + Send>>;

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
