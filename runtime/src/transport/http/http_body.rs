//! [`HttpBody`]: `google.api.HttpBody`, a request or reply that is a raw
//! body with its content type rather than a message in JSON.

use std::any::{Any, TypeId};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderValue};

use crate::codec::Message;
use crate::error::reason::CODEC;
use crate::error::Error;

/// `google.api.HttpBody`: a body of any content type, passed through the
/// HTTP API as it is. As a reply, the bytes of `data` are the response's
/// body and `content_type` its `Content-Type` (a file download, an image,
/// CSV); as the request (`body = "*"`), or as the field a `body = "field"`
/// rule names, it receives the request's body and `Content-Type` whatever
/// they are (an upload), the rest of the message bound from the path and
/// query as usual. On gRPC it is the ordinary message it is.
///
/// Streamed: a stream of `HttpBody` replies is a download (the replies'
/// bytes as one body, as they come, with the first one's content type), and
/// a client stream with a `body` rule is an upload read as it arrives, one
/// message per chunk (`async fn upload(&self, req: Streaming<FileChunk>)`
/// with `#[rpc(put = "/v1/files/<name>", body = "file")]`); files larger
/// than the body limit go this way.
///
/// ```
/// use bia::transport::http::HttpBody;
///
/// #[bia::message(package = "files.v1")]
/// pub struct GetFileRequest { pub name: String }
///
/// #[bia::message(package = "files.v1")]
/// pub struct PutFileRequest { pub name: String, pub file: Option<HttpBody> }
///
/// #[bia::message(package = "files.v1")]
/// pub struct Stored { pub name: String, pub size: i64 }
///
/// #[bia::service(package = "files.v1")]
/// pub trait Files: Send + Sync + 'static {
///     /// The file, with its content type.
///     #[rpc(get = "/v1/files/<name>")]
///     async fn get_file(&self, req: GetFileRequest) -> bia::Result<HttpBody>;
///     /// `curl -T photo.png -H 'content-type: image/png' localhost:8000/v1/files/photo.png`
///     #[rpc(put = "/v1/files/<name>", body = "file")]
///     async fn put_file(&self, req: PutFileRequest) -> bia::Result<Stored>;
/// }
/// ```
#[bia_macros::message(package = "google.api", crate = "crate")]
pub struct HttpBody {
    /// The body's content type (`image/png`); empty reads as
    /// `application/octet-stream`.
    pub content_type: String,
    /// The body.
    pub data: Bytes,
    /// Application-specific metadata.
    pub extensions: Vec<crate::types::Any>,
}

/// Whether `M` is [`HttpBody`] (settled at compile time).
#[inline]
pub(super) fn is_http_body<M: 'static>() -> bool {
    TypeId::of::<M>() == TypeId::of::<HttpBody>()
}

/// `msg` as an [`HttpBody`], when `M` is that type.
#[inline]
pub(super) fn as_http_body<M: 'static>(msg: M) -> Result<HttpBody, M> {
    if !is_http_body::<M>() {
        return Err(msg);
    }
    let mut slot = Some(msg);
    let body = (&mut slot as &mut dyn Any).downcast_mut::<Option<HttpBody>>().and_then(Option::take);
    body.ok_or_else(|| slot.take().expect("not taken"))
}

/// An [`HttpBody`] as `M`, when `M` is that type.
pub(super) fn from_http_body<M: 'static>(body: HttpBody) -> Option<M> {
    let mut slot = Some(body);
    (&mut slot as &mut dyn Any).downcast_mut::<Option<M>>().and_then(Option::take)
}

/// Whether a message's fields are those of [`HttpBody`] (a field of that
/// type, seen through its field list).
pub(super) fn is_http_body_field(nested: &[crate::codec::FieldMeta]) -> bool {
    let names = nested.iter().map(|f| f.name);
    names.eq(HttpBody::FIELDS.iter().map(|f| f.name))
}

/// The body a request brings, as an [`HttpBody`] (encoded, for a field).
pub(super) fn request_body(headers: &http::HeaderMap, data: Bytes) -> HttpBody {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    HttpBody { content_type: content_type.to_owned(), data, extensions: Vec::new() }
}

/// The response of an [`HttpBody`] reply: its bytes, with its content type.
pub(super) fn response(body: HttpBody) -> Result<Response, Error> {
    let content_type = content_type(&body.content_type)?;
    let mut res = Response::new(Body::from(body.data));
    res.headers_mut().insert(header::CONTENT_TYPE, content_type);
    Ok(res)
}

/// The `Content-Type` of an [`HttpBody`]'s `content_type`
/// (`application/octet-stream` when empty).
pub(super) fn content_type(value: &str) -> Result<HeaderValue, Error> {
    if value.is_empty() {
        return Ok(HeaderValue::from_static("application/octet-stream"));
    }
    HeaderValue::from_str(value)
        .map_err(|_| Error::internal_server(CODEC, format!("the reply's content type {value:?} is not a header value")))
}
