//! Streaming calls over HTTP, as generated routers serve them.
//!
//! **Server streaming** answers the request (bound by the route's path,
//! query and body rules, as a unary call) with `text/event-stream`:
//!
//! ```text
//! data: {"id":"1","name":"ada"}
//!
//! : heartbeat
//!
//! event: error
//! data: {"code":504,"reason":"TIMEOUT","message":"...","metadata":{}}
//! ```
//!
//! one `data:` event per message, a comment line every
//! [`DEFAULT_SSE_HEARTBEAT`] while nothing is sent (so proxies keep the
//! connection), and an error that ends the stream as a last `event: error`
//! carrying the Bia error body. A client that asks for
//! `Accept: application/x-ndjson` gets newline-delimited JSON instead: one
//! `{"result":<message>}` line per message and a last `{"error":<body>}` line
//! for an error. An error before the first message (a bad request, a
//! middleware that refuses the call, a handler that fails before it returns
//! its stream) is a plain error response with its status.
//!
//! **Client and bidirectional streaming** run over a WebSocket opened with a
//! `GET` on the route's path:
//!
//! * the client sends one JSON message per text frame, and an *empty* text
//!   frame to end its stream (as gRPC's half-close); a close frame or a
//!   dropped connection before that cancels the call (`STREAM_CLOSED`, 499);
//! * the server sends `{"result":<message>}` per reply (one for a client
//!   stream) and closes with code 1000; an error is a last
//!   `{"error":<body>}` frame, then a close with code `4000 + status`
//!   (`4400` for a bad message, `4504` for a deadline, ...) and the error's
//!   reason as the close reason;
//! * a message larger than the service's body limit ends the call with
//!   `PAYLOAD_TOO_LARGE`; a frame that is not JSON of the message, with
//!   400 `CODEC` naming the field; a binary frame, with 400 `CODEC`.
//!
//! The upgrade answers before the handler runs, so a WebSocket call has no
//! reply metadata, and a middleware that refuses it (authentication, rate
//! limit) answers with the error frame and close code.

use std::convert::Infallible;
use std::future::Future;

use futures_util::future::Either;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message as Frame, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts as _;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::SinkExt as _;
use http::{header, HeaderMap, HeaderValue};

use super::binding::{bind, Route};
use super::codec::{encode_streamed, error_json, json_error};
use super::handler::{fail, open, ServiceConfig};
use super::http_body::is_http_body;
use super::raw;
use crate::codec::Message;
use crate::context::{Context, StreamStats};
use crate::error::reason::{CODEC, NOT_A_WEBSOCKET, PAYLOAD_TOO_LARGE, STREAM_CLOSED};
use crate::error::Error;
use crate::middleware::stream::{counted, serve_stream, stopped, stopping_error, Opened, ReplyStream, Sink};
use crate::middleware::{self, Chain};
use crate::stream::{StreamExt as _, Streaming};

/// How often an idle server-sent event stream sends a heartbeat comment
/// (`: heartbeat`) by default; `FooServer::sse_heartbeat` sets another.
pub const DEFAULT_SSE_HEARTBEAT: Duration = Duration::from_secs(15);

/// The content type of newline-delimited JSON.
pub(super) const NDJSON: &str = "application/x-ndjson";

/// The heartbeat comment.
const HEARTBEAT: &str = "heartbeat";

/// Serves one server-streaming call over HTTP (generated routers call
/// this): bind as for a unary call, run the middleware and `handler`, send
/// the replies as server-sent events or NDJSON.
#[doc(hidden)]
pub fn server_streaming<Req, Rep, F, Fut>(
    route: &'static Route,
    cfg: std::sync::Arc<ServiceConfig>,
    req: axum::extract::Request,
    handler: F,
) -> impl Future<Output = Response> + Send + 'static
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req, Sink<Rep>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    let (parts, body) = req.into_parts();
    let ndjson = wants_ndjson(&parts.headers);
    let upgrade = is_websocket(&parts.headers);
    let (mut ctx, outer) = open(route, parts);
    async move {
        if upgrade {
            return fail(&cfg, &not_a_websocket(route));
        }
        let msg = match bind::<Req>(route, &cfg, ctx.parts_mut(), body).await {
            Ok(m) => m,
            Err(e) => return fail(&cfg, &e),
        };
        let end = cfg.streams_end.subscribe();
        match serve_stream(outer, cfg.chain.clone(), ctx, msg, handler, end, None).await {
            Ok(opened) => streamed_reply(opened, ndjson, &cfg).await,
            Err((e, headers)) => with_headers(fail(&cfg, &e), headers),
        }
    }
}

/// The response of a call whose replies are a stream: a download of
/// `HttpBody` replies, else events (or NDJSON when asked for).
pub(super) async fn streamed_reply<Rep: Message>(opened: Opened<Rep>, ndjson: bool, cfg: &ServiceConfig) -> Response {
    let res = if is_http_body::<Rep>() {
        raw::download(opened.stream, cfg).await
    } else if ndjson {
        ndjson_response(opened.stream, cfg.snake_case)
    } else {
        sse_response(opened.stream, cfg.snake_case, cfg.sse_heartbeat)
    };
    with_headers(res, opened.reply_headers)
}

/// Whether the client asked for newline-delimited JSON.
pub(super) fn wants_ndjson(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|v| v.to_str().is_ok_and(|v| v.contains(NDJSON)))
}

/// Whether a request asks for a WebSocket.
pub(super) fn is_websocket(headers: &HeaderMap) -> bool {
    headers.get(header::UPGRADE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

/// The 400 of a WebSocket upgrade on a route that does not take one.
pub(super) fn not_a_websocket(route: &Route) -> Error {
    Error::bad_request(
        NOT_A_WEBSOCKET,
        format!("{} is not a client or bidirectional stream: it takes no WebSocket", route.operation),
    )
}

pub(super) fn with_headers(mut res: Response, headers: HeaderMap) -> Response {
    if !headers.is_empty() {
        res.headers_mut().extend(headers);
    }
    res
}

/// The items of a reply stream, up to and including its first error (a
/// reply that cannot be encoded is one).
fn until_error<Rep: Message, T: Send + 'static>(
    stream: ReplyStream<Rep>,
    mut each: impl FnMut(&Rep) -> Result<T, Error> + Send + 'static,
    mut last: impl FnMut(&Error) -> T + Send + 'static,
) -> impl crate::stream::Stream<Item = T> + Send + 'static {
    stream.scan(false, move |failed, item| {
        let out = match (*failed, item) {
            (true, _) => None,
            (false, Ok(rep)) => Some(each(&rep).unwrap_or_else(|e| {
                *failed = true;
                last(&e)
            })),
            (false, Err(e)) => {
                *failed = true;
                Some(last(&e))
            }
        };
        std::future::ready(out)
    })
}

fn sse_response<Rep: Message>(stream: ReplyStream<Rep>, snake_case: bool, heartbeat: Duration) -> Response {
    let events = until_error(
        stream,
        move |rep| {
            let json = encode_streamed(snake_case, rep, b"", b"")?;
            Ok(Ok::<_, Infallible>(Event::default().data(std::str::from_utf8(&json).unwrap_or_default())))
        },
        |e| {
            let json = error_json(e, b"", b"");
            Ok(Event::default().event("error").data(std::str::from_utf8(&json).unwrap_or_default()))
        },
    );
    Sse::new(events).keep_alive(KeepAlive::new().interval(heartbeat).text(HEARTBEAT)).into_response()
}

fn ndjson_response<Rep: Message>(stream: ReplyStream<Rep>, snake_case: bool) -> Response {
    let lines = until_error(
        stream,
        move |rep| {
            let line = encode_streamed(snake_case, rep, RESULT, b"}\n")?;
            Ok(Ok::<_, Infallible>(line))
        },
        |e| Ok(error_json(e, ERROR, b"}\n")),
    );
    let mut res = Response::new(Body::from_stream(lines));
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    res
}

/// What a reply goes in on NDJSON lines and WebSocket frames.
pub(super) const RESULT: &[u8] = b"{\"result\":";
/// What the error that ends a stream goes in.
pub(super) const ERROR: &[u8] = b"{\"error\":";

/// Serves one client-streaming call over a WebSocket (generated routers
/// call this).
#[doc(hidden)]
pub fn client_streaming<Req, Rep, F, Fut>(
    route: &'static Route,
    cfg: std::sync::Arc<ServiceConfig>,
    req: axum::extract::Request,
    handler: F,
) -> impl Future<Output = Response> + Send + 'static
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Streaming<Req>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
{
    if raw::is_upload(route) {
        return Either::Left(raw::client_streaming(route, cfg, req, handler));
    }
    Either::Right(websocket(route, cfg, req, move |call: WsCall<Req>| async move {
        let WsCall { mut tx, input, mut ctx, outer, cfg } = call;
        // An upgraded connection is out of the server's graceful shutdown:
        // the stop ends the call here, once its timeout has passed.
        let stop = stopped(cfg.streams_end.subscribe());
        let res = tokio::select! {
            res = middleware::serve(outer, &cfg.chain, &mut ctx, input, handler) => res,
            () = stop => Err(stopping_error()),
        };
        let res = res.and_then(|rep| encode_streamed(cfg.snake_case, &rep, RESULT, b"}"));
        match res {
            Ok(frame) => {
                if send_frame(&mut tx, frame).await {
                    close(&mut tx, None).await;
                }
            }
            Err(e) => close(&mut tx, Some(&e)).await,
        }
    }))
}

/// Serves one bidirectional call over a WebSocket (generated routers call
/// this).
#[doc(hidden)]
pub fn streaming<Req, Rep, F, Fut>(
    route: &'static Route,
    cfg: std::sync::Arc<ServiceConfig>,
    req: axum::extract::Request,
    handler: F,
) -> impl Future<Output = Response> + Send + 'static
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Streaming<Req>, Sink<Rep>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    if raw::is_upload(route) {
        return Either::Left(raw::streaming(route, cfg, req, handler));
    }
    Either::Right(websocket(route, cfg, req, move |call: WsCall<Req>| async move {
        let WsCall { mut tx, input, ctx, outer, cfg } = call;
        let end = cfg.streams_end.subscribe();
        let mut replies = match serve_stream(outer, cfg.chain.clone(), ctx, input, handler, end, None).await {
            Ok(opened) => opened.stream,
            Err((e, _)) => return close(&mut tx, Some(&e)).await,
        };
        while let Some(item) = replies.next().await {
            let frame = item.and_then(|rep| encode_streamed(cfg.snake_case, &rep, RESULT, b"}"));
            match frame {
                // A client that is gone: dropping the replies cancels the
                // handler.
                Ok(frame) => {
                    if !send_frame(&mut tx, frame).await {
                        return;
                    }
                }
                Err(e) => return close(&mut tx, Some(&e)).await,
            }
        }
        close(&mut tx, None).await;
    }))
}

/// A WebSocket call once upgraded: the socket's sending half, the client's
/// messages (counted for middleware), the call's context, the server-wide
/// chain and the service's settings.
struct WsCall<Req> {
    tx: Tx,
    input: Streaming<Req>,
    ctx: Context,
    outer: Option<Chain>,
    cfg: std::sync::Arc<ServiceConfig>,
}

/// Answers the upgrade of a client or bidirectional stream, then runs
/// `serve` on the upgraded socket (what both shapes share).
fn websocket<Req, S, Fut>(
    route: &'static Route,
    cfg: std::sync::Arc<ServiceConfig>,
    req: axum::extract::Request,
    serve: S,
) -> impl Future<Output = Response> + Send + 'static
where
    Req: Message,
    S: FnOnce(WsCall<Req>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (parts, _) = req.into_parts();
    async move {
        let Upgrade { ws, mut ctx, outer } = match upgrade(route, &cfg, parts).await {
            Ok(u) => u,
            Err(res) => return res,
        };
        ws.on_upgrade(move |socket| {
            let (tx, rx) = futures_util::StreamExt::split(socket);
            let stats = stats(&mut ctx, outer.as_ref(), &cfg.chain);
            let input = counted(incoming::<Req>(rx), stats, true);
            serve(WsCall { tx, input, ctx, outer, cfg })
        })
    }
}

/// A WebSocket call, upgraded: the upgrade to answer with, the call's
/// context and the server-wide chain.
struct Upgrade {
    ws: WebSocketUpgrade,
    ctx: Context,
    outer: Option<Chain>,
}

async fn upgrade(
    route: &'static Route,
    cfg: &ServiceConfig,
    mut parts: http::request::Parts,
) -> Result<Upgrade, Response> {
    let ws = WebSocketUpgrade::from_request_parts(&mut parts, &()).await.map_err(|rejection| {
        fail(
            cfg,
            &Error::bad_request(
                NOT_A_WEBSOCKET,
                format!("{} is a stream: open it as a WebSocket ({rejection})", route.operation),
            ),
        )
    })?;
    let ws = ws.max_message_size(cfg.max_body).max_frame_size(cfg.max_body);
    let (ctx, outer) = open(route, parts);
    Ok(Upgrade { ws, ctx, outer })
}

/// The message counts, when there is middleware to read them.
fn stats(ctx: &mut Context, outer: Option<&Chain>, inner: &Chain) -> Option<std::sync::Arc<StreamStats>> {
    (outer.is_some() || !inner.is_empty()).then(|| StreamStats::of_or_insert(ctx))
}

/// The client's messages: one per text frame until an empty one; an error
/// (a bad frame, a close before the end) is the stream's last item.
fn incoming<Req: Message>(rx: SplitStream<WebSocket>) -> Streaming<Req> {
    Streaming::from_results(futures_util::stream::unfold(Some(rx), |rx| async move {
        let mut rx = rx?;
        loop {
            let item = match rx.next().await {
                Some(Ok(Frame::Text(text))) if text.is_empty() => return None,
                Some(Ok(Frame::Text(text))) => decode_frame::<Req>(text.as_str()),
                Some(Ok(Frame::Binary(_))) => {
                    Err(Error::bad_request(CODEC, "a stream's messages are JSON text frames, not binary ones"))
                }
                Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => continue,
                Some(Ok(Frame::Close(_))) | None => {
                    Err(Error::client_closed(STREAM_CLOSED, "the client closed the WebSocket before ending its stream"))
                }
                Some(Err(e)) => Err(frame_error(e)),
            };
            let next = item.is_ok().then_some(rx);
            return Some((item, next));
        }
    }))
}

fn decode_frame<Req: Message>(text: &str) -> Result<Req, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let msg = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error("", e))?;
    de.end().map_err(|e| Error::bad_request(CODEC, format!("invalid JSON frame: {e}")))?;
    Ok(msg)
}

/// A frame that could not be read: over the size limit, or a broken
/// connection.
fn frame_error(e: axum::Error) -> Error {
    let inner = e.into_inner();
    match inner.downcast_ref::<tokio_tungstenite::tungstenite::Error>() {
        Some(tokio_tungstenite::tungstenite::Error::Capacity(c)) => {
            Error::payload_too_large(PAYLOAD_TOO_LARGE, format!("a WebSocket message is over the limit: {c}"))
        }
        _ => Error::client_closed(STREAM_CLOSED, format!("the WebSocket broke: {inner}")),
    }
    .with_cause(inner)
}

type Tx = SplitSink<WebSocket, Frame>;

/// Sends one JSON frame; false when the client is gone.
async fn send_frame(tx: &mut Tx, json: Bytes) -> bool {
    match Utf8Bytes::try_from(json) {
        Ok(text) => tx.send(Frame::Text(text)).await.is_ok(),
        Err(_) => false,
    }
}

/// Ends the call: the error frame and its close code, or a normal close.
async fn close(tx: &mut Tx, error: Option<&Error>) {
    let frame = match error {
        None => CloseFrame { code: 1000, reason: Utf8Bytes::from_static("") },
        Some(e) => {
            if !send_frame(tx, error_json(e, ERROR, b"}")).await {
                return;
            }
            CloseFrame { code: close_code(e.code()), reason: Utf8Bytes::from(close_reason(e.reason())) }
        }
    };
    let _ = tx.send(Frame::Close(Some(frame))).await;
}

/// The close code of an error: `4000 + status` (statuses outside 400..=599
/// as 500).
pub(super) fn close_code(status: u16) -> u16 {
    4000 + if (400..600).contains(&status) { status } else { 500 }
}

/// A close reason fits in 123 bytes.
fn close_reason(reason: &str) -> &str {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_and_reasons() {
        assert_eq!(close_code(400), 4400);
        assert_eq!(close_code(504), 4504);
        assert_eq!(close_code(200), 4500);
        assert_eq!(close_reason("SHORT"), "SHORT");
        let long = "é".repeat(100);
        assert!(close_reason(&long).len() <= 123);
        assert!(long.starts_with(close_reason(&long)));
    }

    #[test]
    fn ndjson_is_asked_for_by_accept() {
        let mut h = HeaderMap::new();
        assert!(!wants_ndjson(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/x-ndjson, */*"));
        assert!(wants_ndjson(&h));
    }
}
