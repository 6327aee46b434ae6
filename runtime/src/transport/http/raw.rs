//! Streams of [`HttpBody`] as the HTTP body itself: a download sent as the
//! chunks come, an upload read as it arrives.
//!
//! **Downloads.** A method that streams `HttpBody` replies (server or
//! bidirectional) answers with the bytes of the replies, in order, as one
//! response body (chunked on HTTP/1.1), not as server-sent events: the
//! first reply's `content_type` is the response's `Content-Type`
//! (`application/octet-stream` when empty; the later ones' are not read),
//! so the headers go once the first reply is there. An error before the
//! first reply is the usual error response with its status; an error after
//! it aborts the response (on HTTP/1.1 the connection closes before the last
//! chunk, on HTTP/2 the stream is reset), so no client takes a cut file for
//! a whole one.
//!
//! **Uploads.** A client or bidirectional stream whose route has a `body`
//! rule (`#[rpc(put = "/v1/files/<name>", body = "file")]`, with
//! `Streaming<Req>` whose `file` is an `HttpBody`, or `body = "*"` with
//! `Streaming<HttpBody>`) is a plain request whose body is read as it
//! arrives, one message per chunk: the path and query are bound once, into
//! every message, and each chunk of the body fills the `HttpBody` (with the
//! request's `Content-Type`). The body is read as the handler reads the
//! stream, so a slow handler slows the sender down (nothing buffers the
//! upload); its length is the handler's to bound (each chunk comes as
//! soon as it is read, and returning an error stops the upload). A client
//! that breaks the upload off ends the stream with `STREAM_CLOSED` (499).
//! The reply is a unary reply (a client stream) or a streamed one (a
//! bidirectional stream: events, or a download when it is `HttpBody`).

use std::future::Future;

use axum::body::Body;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt as _;
use http::{header, HeaderMap, HeaderValue};
use http_body_util::BodyExt as _;

use super::binding::{bind_params, BodyRule, Route};
use super::codec::codec_error;
use super::handler::{fail, open, reply_response, ServiceConfig};
use super::http_body::{as_http_body, content_type, from_http_body, is_http_body, HttpBody};
use super::negotiate::{field_number, wants_protobuf};
use super::stream::{streamed_reply, wants_ndjson, with_headers};
use crate::codec::Message;
use crate::context::StreamStats;
use crate::error::reason::{CODEC, STREAM_CLOSED};
use crate::error::Error;
use crate::middleware::stream::{counted, serve_stream, stopped, stopping_error, ReplyStream, Sink};
use crate::middleware::{self};
use crate::stream::{StreamExt as _, Streaming};

/// Whether a client or bidirectional stream's route takes its messages as
/// the chunks of a request body (it has a `body` rule) rather than as
/// WebSocket frames.
#[inline]
pub(super) fn is_upload(route: &Route) -> bool {
    route.body != BodyRule::None
}

/// Serves a client stream whose messages are the chunks of the request body.
pub(super) fn client_streaming<Req, Rep, F, Fut>(
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
    let (parts, body) = req.into_parts();
    let (mut ctx, outer) = open(route, parts);
    async move {
        let input = match counted_upload::<Req>(route, &cfg, &mut ctx, outer.is_some(), body).await {
            Ok(input) => input,
            Err(e) => return fail(&cfg, &e),
        };
        let protobuf = route.response_body.is_none() && wants_protobuf(&ctx.parts_mut().headers);
        // As a WebSocket call, the stop ends an upload once its timeout has
        // passed (the handler may wait on a sender that never ends).
        let stop = stopped(cfg.streams_end.subscribe());
        let res = tokio::select! {
            res = middleware::serve(outer, &cfg.chain, &mut ctx, input, handler) => res,
            () = stop => Err(stopping_error()),
        };
        let res = reply_response(route, &cfg, protobuf, res);
        with_headers(res, ctx.take_reply())
    }
}

/// Serves a bidirectional stream whose messages are the chunks of the
/// request body; its replies go as a server stream's.
pub(super) fn streaming<Req, Rep, F, Fut>(
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
    let (parts, body) = req.into_parts();
    let ndjson = wants_ndjson(&parts.headers);
    let (mut ctx, outer) = open(route, parts);
    async move {
        let input = match counted_upload::<Req>(route, &cfg, &mut ctx, outer.is_some(), body).await {
            Ok(input) => input,
            Err(e) => return fail(&cfg, &e),
        };
        let end = cfg.streams_end.subscribe();
        match serve_stream(outer, cfg.chain.clone(), ctx, input, handler, end, None).await {
            Ok(opened) => streamed_reply(opened, ndjson, &cfg).await,
            Err((e, headers)) => with_headers(fail(&cfg, &e), headers),
        }
    }
}

/// The messages of an upload, counted for the middleware when there is any.
async fn counted_upload<Req: Message>(
    route: &Route,
    cfg: &ServiceConfig,
    ctx: &mut crate::context::Context,
    server_chain: bool,
    body: Body,
) -> Result<Streaming<Req>, Error> {
    let input = uploaded::<Req>(route, ctx.parts_mut(), body).await?;
    let stats = (server_chain || !cfg.chain.is_empty()).then(|| StreamStats::of_or_insert(ctx));
    Ok(counted(input, stats, true))
}

/// The messages of an upload: the path and query bound once, each chunk of
/// `body` set as the `HttpBody` of the route's `body` rule.
async fn uploaded<Req: Message>(
    route: &Route,
    parts: &mut http::request::Parts,
    body: Body,
) -> Result<Streaming<Req>, Error> {
    let template = bind_params(route, parts, Req::default()).await?;
    let content_type =
        parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let into: Target<Req> = match route.body {
        BodyRule::All if is_http_body::<Req>() => Target::Whole,
        BodyRule::Field(field) => Target::Field(template, field_number::<Req>(field)?),
        _ => return Err(codec_error("", format!("{} takes no upload: its body is not an HttpBody", route.operation))),
    };
    let chunks = body.into_data_stream().try_filter(|chunk| std::future::ready(!chunk.is_empty()));
    Ok(Streaming::new(chunks.map(move |chunk| match chunk {
        Ok(data) => into.message(HttpBody { content_type: content_type.clone(), data, extensions: Vec::new() }),
        Err(e) => Err(Error::client_closed(STREAM_CLOSED, format!("the upload broke off: {e}")).with_cause(e)),
    })))
}

/// Where an upload's chunk goes.
enum Target<Req> {
    /// The message is the `HttpBody` (`body = "*"`).
    Whole,
    /// The `HttpBody` field of this number of a copy of the bound message.
    Field(Req, u32),
}

impl<Req: Message> Target<Req> {
    fn message(&self, chunk: HttpBody) -> Result<Req, Error> {
        match self {
            Self::Whole => {
                from_http_body(chunk).ok_or_else(|| codec_error("", "the request is not an HttpBody".into()))
            }
            Self::Field(template, number) => {
                // The chunk as the field's encoding, merged into a copy of
                // the bound message (one copy of the bytes).
                let len = prost::Message::encoded_len(&chunk);
                let mut framed = BytesMut::with_capacity(len + 16);
                prost::encoding::encode_key(*number, prost::encoding::WireType::LengthDelimited, &mut framed);
                prost::encoding::encode_varint(len as u64, &mut framed);
                prost::Message::encode_raw(&chunk, &mut framed);
                let mut msg = template.clone();
                msg.merge(framed.freeze()).map_err(|e| Error::bad_request(CODEC, format!("invalid upload: {e}")))?;
                Ok(msg)
            }
        }
    }
}

/// The response of a stream of `HttpBody` replies: the first one's content
/// type, the bytes of all of them as they come; an error after the first
/// aborts the body.
pub(super) async fn download<Rep: Message>(mut stream: ReplyStream<Rep>, cfg: &ServiceConfig) -> Response {
    let first = match stream.next().await {
        None => HttpBody::default(),
        Some(Err(e)) => return fail(cfg, &e),
        Some(Ok(rep)) => match as_http_body(rep) {
            Ok(body) => body,
            Err(_) => return fail(cfg, &not_http_body()),
        },
    };
    let content_type = match content_type(&first.content_type) {
        Ok(v) => v,
        Err(e) => return fail(cfg, &e),
    };
    let rest = stream.then(|item| async move {
        match item.and_then(|rep| as_http_body(rep).map(|b| b.data).map_err(|_| not_http_body())) {
            Ok(data) => Ok(data),
            // Once pending before the error, so the server writes out what
            // it holds of the replies before it aborts the body.
            Err(e) => {
                tokio::task::yield_now().await;
                Err(e)
            }
        }
    });
    let first = futures_util::stream::once(std::future::ready(Ok::<_, Error>(first.data)));
    let mut res = Response::new(Body::from_stream(first.chain(rest)));
    res.headers_mut().insert(header::CONTENT_TYPE, content_type);
    res
}

fn not_http_body() -> Error {
    Error::internal_server(CODEC, "the reply is not an HttpBody")
}

/// The chunks of a download response as `HttpBody` messages, with its
/// content type (clients read a stream of `HttpBody` replies with this).
pub(super) fn chunks<Rep: Message, B>(
    headers: &HeaderMap,
    body: B,
    url: String,
) -> impl crate::stream::Stream<Item = Result<Rep, Error>> + Send + 'static
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    body.into_data_stream().try_filter(|chunk| std::future::ready(!chunk.is_empty())).map(move |chunk| match chunk {
        Ok(data) => received(content_type.clone(), data),
        Err(e) => Err(Error::service_unavailable(
            crate::error::reason::UNAVAILABLE,
            format!("the download from {url} broke off: {e}"),
        )),
    })
}

/// The `HttpBody` a client sends as the request's body, when its route's
/// body is one: the message itself (`body = "*"`) or its `HttpBody` field.
pub(super) fn sent_body<Req: Message>(route: &Route, req: &Req) -> Result<Option<HttpBody>, Error> {
    match route.body {
        BodyRule::All if is_http_body::<Req>() => Ok(as_http_body(req.clone()).ok()),
        BodyRule::Field(field) if is_http_body_field(Req::FIELDS.iter().find(|f| f.name == field)) => {
            field_body(req, field_number::<Req>(field)?).map(Some)
        }
        _ => Ok(None),
    }
}

fn is_http_body_field(field: Option<&crate::codec::FieldMeta>) -> bool {
    field.is_some_and(|f| super::http_body::is_http_body_field(f.nested))
}

/// The `HttpBody` field of this number of `msg` (read back from its
/// encoding, as messages have no accessor by number; the bytes are
/// shared, not copied again).
fn field_body<Req: Message>(msg: &Req, number: u32) -> Result<HttpBody, Error> {
    let mut buf = BytesMut::with_capacity(prost::Message::encoded_len(msg));
    prost::Message::encode_raw(msg, &mut buf);
    let mut buf = buf.freeze();
    let bad = |e: prost::DecodeError| Error::bad_request(CODEC, format!("cannot read the request's body field: {e}"));
    let mut body = HttpBody::default();
    while !buf.is_empty() {
        let (tag, wire) = prost::encoding::decode_key(&mut buf).map_err(bad)?;
        if tag == number && wire == prost::encoding::WireType::LengthDelimited {
            let len = prost::encoding::decode_varint(&mut buf).map_err(bad)? as usize;
            if len > buf.len() {
                return Err(Error::bad_request(CODEC, "cannot read the request's body field: it runs past the end"));
            }
            prost::Message::merge(&mut body, buf.split_to(len)).map_err(bad)?;
        } else {
            prost::encoding::skip_field(wire, tag, &mut buf, Default::default()).map_err(bad)?;
        }
    }
    Ok(body)
}

/// How a client sends the messages of an upload: the first one's path and
/// query, content type and bytes, then the bytes of the others as they come.
pub(super) struct Upload {
    /// The first message's content type.
    pub(super) content_type: HeaderValue,
    /// The bytes of every message, as they come.
    pub(super) body: Body,
}

/// The upload of `req`'s messages on `route`: its first message (to build
/// the URL from; the default message for an empty stream) and the request's
/// content type and body. An error of the stream aborts the body, so the
/// server sees a broken upload, never a short one.
pub(super) async fn upload<Req: Message>(
    route: &'static Route,
    mut req: Streaming<Req>,
) -> Result<(Req, Upload), Error> {
    let first = match req.next().await {
        Some(Ok(msg)) => msg,
        Some(Err(e)) => return Err(e),
        None => Req::default(),
    };
    let data = |msg: &Req| sent_body(route, msg)?.ok_or_else(|| not_an_upload(route));
    let head = data(&first)?;
    let content_type = content_type(&head.content_type)?;
    let rest = req.map(move |item| item.and_then(|msg| data(&msg)));
    let head = futures_util::stream::once(std::future::ready(Ok::<_, Error>(head)));
    let body = Body::from_stream(head.chain(rest).map_ok(|b| b.data));
    Ok((first, Upload { content_type, body }))
}

fn not_an_upload(route: &Route) -> Error {
    Error::bad_request(CODEC, format!("{} takes no upload: its body is not an HttpBody", route.operation))
}

/// A reply that is an `HttpBody`: its bytes with its content type.
pub(super) fn received<Rep: Message>(content_type: String, data: Bytes) -> Result<Rep, Error> {
    from_http_body(HttpBody { content_type, data, extensions: Vec::new() }).ok_or_else(not_http_body)
}

/// What the chunks of an upload fill: an `HttpBody`, or a field of one.
/// (Generated code asserts it of a client stream's `body`.)
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an `HttpBody`: a client stream with a `body` rule is an upload whose chunks fill one",
    label = "the upload's chunks go here",
    note = "make it `bia::transport::http::HttpBody` (a field: `Option<HttpBody>`), or remove `body` and use `get` for a WebSocket stream"
)]
pub trait UploadBody {}

impl UploadBody for HttpBody {}
impl UploadBody for Option<HttpBody> {}

/// Asserts at compile time that an upload's body is an `HttpBody`.
#[doc(hidden)]
pub fn upload_body<T: UploadBody>(_: &T) {}

/// The error of the stream an upload's body was sent from, when that is
/// what failed a request.
pub(super) fn sent_error(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(e) = e.downcast_ref::<Error>() {
            return Some(e.clone());
        }
        next = e.source();
    }
    None
}
