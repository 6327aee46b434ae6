//! One call over gRPC, as generated servers serve it: decode, run the
//! middleware and the handler, encode the reply or the error status.

use std::convert::Infallible;
use std::future::Future;

use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http::HeaderMap;
use tonic::body::Body;
use tonic::codec::{CompressionEncoding, EnabledCompressionEncodings};
use tonic::metadata::MetadataMap;
use tonic::server::{Grpc, UnaryService};
use tonic::{Code, Status};

use super::codec::ServerCodec;
use super::BoxFuture;
use crate::codec::Message;
use crate::context::{Context, StreamStats};
use crate::error::reason::{PAYLOAD_TOO_LARGE, UNSUPPORTED_ENCODING};
use crate::error::Error;
use crate::middleware::stream::{counted, serve_stream, CallInput, ReplyStream, Sink, StatusForm};
use crate::middleware::{self, Chain, ServerChain};
use crate::stream::Streaming;

/// Per-service settings generated servers apply to every call.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct CallConfig {
    /// The encodings a request may be compressed with (`grpc-encoding`);
    /// gzip and zstd unless the server says otherwise (see
    /// [`GrpcServer::accept_compression`](super::GrpcServer::accept_compression)).
    pub accept_compression: EnabledCompressionEncodings,
    /// The encodings a reply may be compressed with, when the client's
    /// `grpc-accept-encoding` names one; none unless the server says so.
    pub send_compression: EnabledCompressionEncodings,
    pub max_decoding_message_size: Option<usize>,
    pub max_encoding_message_size: Option<usize>,
    /// The service's own middleware (inside the server-wide ones).
    pub chain: Chain,
    /// Ends the service's streams at stop (set by the server).
    pub streams_end: crate::transport::server::StreamsEnd,
}

impl Default for CallConfig {
    fn default() -> Self {
        Self {
            accept_compression: encodings(DEFAULT_ACCEPT.iter().copied()),
            send_compression: EnabledCompressionEncodings::default(),
            max_decoding_message_size: None,
            max_encoding_message_size: None,
            chain: Chain::new(),
            streams_end: Default::default(),
        }
    }
}

/// What a server accepts and a client asks for unless told otherwise: every
/// encoding Bia's tonic is built with. Decoding costs nothing until a peer
/// compresses, and a peer only compresses with an encoding it was told of.
#[cfg(feature = "compression")]
pub(crate) const DEFAULT_ACCEPT: &[CompressionEncoding] = &[CompressionEncoding::Gzip, CompressionEncoding::Zstd];
/// Without the `compression` feature tonic has no encoding to accept.
#[cfg(not(feature = "compression"))]
pub(crate) const DEFAULT_ACCEPT: &[CompressionEncoding] = &[];

/// `list` as tonic keeps it (in order, each once).
pub(crate) fn encodings(list: impl IntoIterator<Item = CompressionEncoding>) -> EnabledCompressionEncodings {
    let mut enabled = EnabledCompressionEncodings::default();
    for encoding in list {
        enabled.enable(encoding);
    }
    enabled
}

/// Implemented by generated servers: the [`GrpcServer`](super::GrpcServer)
/// a service is added to sets the server-wide parts of its [`CallConfig`]
/// (compression) when it binds.
#[doc(hidden)]
pub trait ConfigureCalls {
    /// The settings the service's calls are served with.
    fn call_config_mut(&mut self) -> &mut CallConfig;
}

struct Once<F> {
    handler: Option<F>,
    operation: &'static str,
    chain: Chain,
}

impl<Req, Rep, F, Fut> UnaryService<Req> for Once<F>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
{
    type Response = Rep;
    type Future = BoxFuture<tonic::Response<Rep>, Status>;

    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        let Some(f) = self.handler.take() else {
            return Box::pin(async { Err(Status::internal("unary handler called twice")) });
        };
        let chain = std::mem::take(&mut self.chain);
        // The context is made here, before the future, so the future holds
        // the metadata once.
        let (metadata, mut extensions, msg) = request.into_parts();
        let outer = extensions.remove::<ServerChain>().map(|c| c.0);
        let mut ctx = Context::grpc_server(self.operation, metadata.into_headers(), extensions);
        Box::pin(async move {
            let res = middleware::serve(outer, &chain, &mut ctx, msg, f).await;
            answer(res, &mut ctx)
        })
    }
}

/// Serves one unary call: decode, run the middleware and `handler`, encode
/// (generated code calls this).
#[doc(hidden)]
pub fn unary<Req, Rep, F, Fut, B>(
    cfg: &CallConfig,
    operation: &'static str,
    req: http::Request<B>,
    handler: F,
) -> BoxFuture<http::Response<Body>, Infallible>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    let cfg = cfg.clone();
    Box::pin(async move {
        let mut grpc = grpc::<Req, Rep>(&cfg);
        let once = Once { handler: Some(handler), operation, chain: cfg.chain };
        // Ended with `Unavailable` (`STOPPING`) when the server's stop
        // timeout passes before the call does.
        match cfg.streams_end.until_stopped(grpc.unary(once, req)).await {
            Ok(res) => Ok(finish(res)),
            Err(e) => Ok(e.to_status().into_http()),
        }
    })
}

/// A call's settings as tonic takes them, for `Req` in and `Rep` out.
fn grpc<Req: Message, Rep: Message>(cfg: &CallConfig) -> Grpc<ServerCodec<Rep, Req>> {
    Grpc::new(ServerCodec::<Rep, Req>::default())
        .apply_compression_config(cfg.accept_compression, cfg.send_compression)
        .apply_max_message_size_config(cfg.max_decoding_message_size, cfg.max_encoding_message_size)
}

/// What a handler takes, as tonic hands it over: one message, or a stream.
pub(crate) trait TonicInput: CallInput {
    type Tonic: Send + 'static;
    /// The input; a stream's messages counted in `stats` (for middleware).
    fn convert(tonic: Self::Tonic, stats: Option<Arc<StreamStats>>) -> Self;
}

impl<M: Message> TonicInput for M {
    type Tonic = M;
    fn convert(msg: M, _: Option<Arc<StreamStats>>) -> M {
        msg
    }
}

impl<T: Message> TonicInput for Streaming<T> {
    type Tonic = tonic::Streaming<T>;
    fn convert(stream: tonic::Streaming<T>, stats: Option<Arc<StreamStats>>) -> Self {
        counted(Streaming::grpc(stream, incoming_error), stats, true)
    }
}

/// A bad message in a request stream: what tonic's decoding said, with an
/// oversized message (as sent, or once inflated) as `PAYLOAD_TOO_LARGE` (see
/// [`map_tonic_error`]).
fn incoming_error(status: &Status) -> Error {
    if matches!(status.code(), Code::OutOfRange | Code::ResourceExhausted) {
        return Error::payload_too_large(PAYLOAD_TOO_LARGE, status.message().to_owned());
    }
    Error::from_status(status)
}

/// The call's context, the server-wide chain and the input of a tonic
/// request; the input counted when middleware will look.
fn open<I: TonicInput>(
    operation: &'static str,
    chain: &Chain,
    request: tonic::Request<I::Tonic>,
) -> (Context, Option<Chain>, I) {
    let (metadata, mut extensions, input) = request.into_parts();
    let outer = extensions.remove::<ServerChain>().map(|c| c.0);
    let mut ctx = Context::grpc_server(operation, metadata.into_headers(), extensions);
    let stats = (outer.is_some() || !chain.is_empty()).then(|| StreamStats::of_or_insert(&mut ctx));
    (ctx, outer, I::convert(input, stats))
}

/// A client-streaming call: the handler takes the request stream.
struct OnceClientStream<F, Req> {
    handler: Option<F>,
    operation: &'static str,
    chain: Chain,
    _req: PhantomData<fn(Req)>,
}

impl<Req, Rep, F, Fut> tower::Service<tonic::Request<tonic::Streaming<Req>>> for OnceClientStream<F, Req>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Streaming<Req>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
{
    type Response = tonic::Response<Rep>;
    type Error = Status;
    type Future = BoxFuture<tonic::Response<Rep>, Status>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: tonic::Request<tonic::Streaming<Req>>) -> Self::Future {
        let Some(f) = self.handler.take() else {
            return Box::pin(async { Err(Status::internal("handler called twice")) });
        };
        let chain = std::mem::take(&mut self.chain);
        let (mut ctx, outer, input) = open::<Streaming<Req>>(self.operation, &chain, request);
        Box::pin(async move {
            let res = middleware::serve(outer, &chain, &mut ctx, input, f).await;
            answer(res, &mut ctx)
        })
    }
}

/// A server-streaming or bidirectional call: the handler sends its replies
/// to a [`Sink`] (and takes one request, or the request stream).
struct OnceStream<F, I, Rep> {
    handler: Option<F>,
    operation: &'static str,
    chain: Chain,
    end: Option<tokio::sync::watch::Receiver<bool>>,
    _types: PhantomData<fn(I) -> Rep>,
}

impl<F, I, Rep> OnceStream<F, I, Rep> {
    fn new(handler: F, operation: &'static str, cfg: &CallConfig) -> Self {
        let end = cfg.streams_end.subscribe();
        Self { handler: Some(handler), operation, chain: cfg.chain.clone(), end, _types: PhantomData }
    }
}

/// How a handler's reply stream makes its errors statuses, and back.
const STATUS_FORM: StatusForm = StatusForm { to: |e| e.to_status(), from: Error::from_status };

/// The replies of a streaming call as tonic sends them: each error as its
/// status (a handler's stream makes its errors statuses itself, so each
/// message passes through as it came: see [`StatusForm`]).
pub(crate) struct Replies<Rep>(ReplyStream<Rep>);

impl<Rep> futures_util::Stream for Replies<Rep> {
    type Item = Result<Rep, Status>;

    #[inline]
    fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_status(cx)
    }
}

impl<I, Rep, F, Fut> tower::Service<tonic::Request<I::Tonic>> for OnceStream<F, I, Rep>
where
    I: TonicInput,
    Rep: Message,
    F: FnOnce(I, Sink<Rep>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    type Response = tonic::Response<Replies<Rep>>;
    type Error = Status;
    type Future = BoxFuture<tonic::Response<Replies<Rep>>, Status>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: tonic::Request<I::Tonic>) -> Self::Future {
        let Some(f) = self.handler.take() else {
            return Box::pin(async { Err(Status::internal("handler called twice")) });
        };
        let chain = std::mem::take(&mut self.chain);
        let (ctx, outer, input) = open::<I>(self.operation, &chain, request);
        let end = self.end.take();
        Box::pin(async move {
            match serve_stream(outer, chain, ctx, input, f, end, Some(STATUS_FORM)).await {
                Ok(opened) => {
                    let res = tonic::Response::new(Replies(opened.stream));
                    Ok(with_metadata(res, opened.reply_headers, opened.reply_trailers))
                }
                Err((e, reply)) => Err(status(e, reply, None)),
            }
        })
    }
}

/// The answer of a call with one reply: the reply or the error's status,
/// with the reply metadata the call set.
fn answer<Rep>(res: Result<Rep, Error>, ctx: &mut Context) -> Result<tonic::Response<Rep>, Status> {
    let (reply, trailers) = (ctx.take_reply(), ctx.take_reply_trailers());
    match res {
        Ok(rep) => Ok(with_metadata(tonic::Response::new(rep), reply, trailers)),
        Err(e) => Err(status(e, reply, trailers)),
    }
}

fn with_metadata<T>(mut res: tonic::Response<T>, reply: HeaderMap, trailers: Option<HeaderMap>) -> tonic::Response<T> {
    if !reply.is_empty() {
        *res.metadata_mut() = MetadataMap::from_headers(reply);
    }
    if let Some(trailers) = trailers {
        res.extensions_mut().insert(SendTrailers(trailers));
    }
    res
}

/// The status of `e`, with the reply metadata (an error before any message
/// is a reply of trailers only: headers and trailers go together).
fn status(e: Error, reply: HeaderMap, trailers: Option<HeaderMap>) -> Status {
    let mut status = e.to_status();
    if !reply.is_empty() {
        status.metadata_mut().as_mut().extend(reply);
    }
    if let Some(trailers) = trailers {
        status.metadata_mut().as_mut().extend(trailers);
    }
    status
}

/// Reply trailers a handler or middleware set, carried from the tonic
/// response to the HTTP body that sends them.
#[derive(Clone)]
struct SendTrailers(HeaderMap);

/// The finished reply: tonic's own refusals in Bia's terms, and the reply
/// trailers added to the body's last frame.
fn finish(res: http::Response<Body>) -> http::Response<Body> {
    let mut res = map_tonic_error(res);
    match res.extensions_mut().remove::<SendTrailers>() {
        None => res,
        Some(SendTrailers(extra)) => res.map(|inner| Body::new(WithTrailers { inner, extra: Some(extra) })),
    }
}

/// A gRPC reply body with more trailing metadata. tonic has no API for a
/// server's own trailers on a successful reply (they are sent with its
/// `grpc-status`), so the body's trailers frame is extended on its way out.
struct WithTrailers {
    inner: Body,
    extra: Option<HeaderMap>,
}

impl http_body::Body for WithTrailers {
    type Data = bytes::Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        match std::task::ready!(std::pin::Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => match frame.into_trailers() {
                Ok(mut trailers) => {
                    for (name, value) in this.extra.take().into_iter().flatten() {
                        if let Some(name) = name {
                            trailers.append(name, value);
                        }
                    }
                    Poll::Ready(Some(Ok(http_body::Frame::trailers(trailers))))
                }
                Err(data) => Poll::Ready(Some(Ok(data))),
            },
            // A body that ends without trailers gets ours alone.
            None => Poll::Ready(this.extra.take().map(|t| Ok(http_body::Frame::trailers(t)))),
            other => Poll::Ready(other),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.extra.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves one server-streaming call (generated code calls this).
#[doc(hidden)]
pub fn server_streaming<Req, Rep, F, Fut, B>(
    cfg: &CallConfig,
    operation: &'static str,
    req: http::Request<B>,
    handler: F,
) -> BoxFuture<http::Response<Body>, Infallible>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req, Sink<Rep>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    let cfg = cfg.clone();
    Box::pin(async move {
        let svc = OnceStream::<F, Req, Rep>::new(handler, operation, &cfg);
        Ok(finish(grpc::<Req, Rep>(&cfg).server_streaming(svc, req).await))
    })
}

/// Serves one client-streaming call (generated code calls this).
#[doc(hidden)]
pub fn client_streaming<Req, Rep, F, Fut, B>(
    cfg: &CallConfig,
    operation: &'static str,
    req: http::Request<B>,
    handler: F,
) -> BoxFuture<http::Response<Body>, Infallible>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Streaming<Req>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    let cfg = cfg.clone();
    Box::pin(async move {
        let svc = OnceClientStream { handler: Some(handler), operation, chain: cfg.chain.clone(), _req: PhantomData };
        Ok(finish(grpc::<Req, Rep>(&cfg).client_streaming(svc, req).await))
    })
}

/// Serves one bidirectional call (generated code calls this).
#[doc(hidden)]
pub fn streaming<Req, Rep, F, Fut, B>(
    cfg: &CallConfig,
    operation: &'static str,
    req: http::Request<B>,
    handler: F,
) -> BoxFuture<http::Response<Body>, Infallible>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Streaming<Req>, Sink<Rep>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    let cfg = cfg.clone();
    Box::pin(async move {
        let svc = OnceStream::<F, Streaming<Req>, Rep>::new(handler, operation, &cfg);
        Ok(finish(grpc::<Req, Rep>(&cfg).streaming(svc, req).await))
    })
}

/// tonic refuses some requests by itself, before the handler runs, with a
/// trailers-only response and a bare status; Bia's error model gives each a
/// reason (and `google.rpc.ErrorInfo`):
///
/// * a message over the size limit as sent is `OutOfRange`, and one that
///   inflates past it is `ResourceExhausted`: both become 413 /
///   `ResourceExhausted`, reason `PAYLOAD_TOO_LARGE`;
/// * a message compressed with an encoding the server does not accept is
///   `Unimplemented` with the accepted ones in `grpc-accept-encoding` (as
///   the gRPC compression spec says): it stays `Unimplemented`, reason
///   `UNSUPPORTED_ENCODING` (HTTP 415 for Bia's clients), and keeps the
///   header.
///
/// A Bia error carries its details (`grpc-status-details-bin`); tonic's own
/// refusals do not, so the two are told apart. A successful reply has no
/// `grpc-status` header (its status is in the trailers): one lookup.
fn map_tonic_error(res: http::Response<Body>) -> http::Response<Body> {
    let Some(code) = res.headers().get("grpc-status").map(|v| Code::from_bytes(v.as_bytes())) else {
        return res;
    };
    if !matches!(code, Code::OutOfRange | Code::ResourceExhausted | Code::Unimplemented)
        || res.headers().contains_key("grpc-status-details-bin")
    {
        return res;
    }
    let accepted = res.headers().get(ACCEPT_ENCODING).cloned();
    if code == Code::Unimplemented && accepted.is_none() {
        return res;
    }
    let message = Status::from_header_map(res.headers()).map(|s| s.message().to_owned()).unwrap_or_default();
    let err = match code {
        Code::Unimplemented => Error::new(415, UNSUPPORTED_ENCODING, message).with_grpc_code(Code::Unimplemented),
        _ => Error::payload_too_large(PAYLOAD_TOO_LARGE, message),
    };
    let mut mapped = err.to_status().into_http();
    if let Some(accepted) = accepted {
        mapped.headers_mut().insert(ACCEPT_ENCODING, accepted);
    }
    mapped
}

/// Where a gRPC peer lists the encodings it accepts.
const ACCEPT_ENCODING: &str = "grpc-accept-encoding";

/// The `Unimplemented` reply for an unknown method (generated code calls this).
#[doc(hidden)]
pub fn unimplemented() -> BoxFuture<http::Response<Body>, Infallible> {
    Box::pin(async move {
        let status = Status::unimplemented("unknown method");
        Ok(status.into_http())
    })
}
