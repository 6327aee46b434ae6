//! The Connect protocol (`connectrpc.com/docs/protocol`) on the gRPC server:
//! unary calls as plain HTTP `POST`s of one message (`application/proto` or
//! `application/json`) or as `GET`s with the message in the query (Connect's
//! form for calls without side effects: `?encoding=json&message=...`, or
//! `encoding=proto&base64=1`, optionally `compression=gzip`), streaming calls as Connect's envelopes
//! (`application/connect+proto` or `+json`), over HTTP/1.1 or HTTP/2,
//! answered by the very services, middleware chain, deadlines and drain that
//! answer gRPC.
//!
//! Connect is gRPC's calls in another framing, so [`Connect`] translates:
//! each Connect request becomes the gRPC request the server already answers
//! (the message framed, `connect-timeout-ms` as `grpc-timeout`, the
//! compression headers renamed, JSON turned into protobuf by the message's
//! own codec) and the gRPC reply comes back as Connect's (the message bare,
//! trailers as `trailer-` headers, the status as Connect's error JSON with its
//! `google.rpc.ErrorInfo` detail; on streams, the end-of-stream envelope), as
//! tonic-web does for gRPC-Web. Hand-written: the Connect project's Rust
//! runtime serves messages of its own code generator, not prost's, so it
//! cannot host Bia's services, and no crate translates Connect to gRPC.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt as _;
use pin_project_lite::pin_project;

use crate::codec::AnyType;
use crate::error::reason::{BAD_REQUEST, PAYLOAD_TOO_LARGE, UNSUPPORTED_ENCODING};
use crate::error::{http_code_of, Error};
use crate::schema::Schema;

use super::connect_get::{get_form, get_request};
use super::connect_wire::{
    copy_metadata, end_stream, envelope, error_json, grpc_timeout, gunzip, next_envelope, strip_grpc, ConnectReplies,
    JsonRequests, COMPRESSED, GRPC_ACCEPT_ENCODING, GRPC_ENCODING, MAX_MESSAGE,
};

/// A translated call's future.
type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'static>>;

/// The methods a server answers, by path, with what JSON needs: the message
/// types' codecs, and whether a call streams.
pub(crate) struct Methods {
    by_path: HashMap<String, Method>,
}

struct Method {
    input: Option<&'static AnyType>,
    output: Option<&'static AnyType>,
    streaming: bool,
}

impl Methods {
    /// The methods of the services in `schema` (services mounted with
    /// `tonic_service` are not in it: they answer Connect's protobuf only).
    pub(crate) fn of(schema: &Schema) -> Arc<Self> {
        let mut by_path = HashMap::new();
        for svc in schema.services() {
            for m in &svc.methods {
                let path = format!("/{}.{}/{}", svc.package, svc.name, m.name);
                let method = Method {
                    input: AnyType::find(m.input),
                    output: AnyType::find(m.output),
                    streaming: m.client_streaming || m.server_streaming,
                };
                by_path.insert(path, method);
            }
        }
        Arc::new(Self { by_path })
    }
}

/// How messages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Proto,
    Json,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Proto => "proto",
            Codec::Json => "json",
        }
    }
}

/// The two shapes of a Connect call.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Form {
    /// One message each way, bare.
    Unary(Codec),
    /// Enveloped messages, the status in the last envelope.
    Stream(Codec),
}

/// The Connect form of a request, if it is one: a `POST` whose content
/// type is `application/connect+proto|json` (a stream) or
/// `application/proto|json` (a unary call). With `strict` (one port, where
/// the HTTP API takes JSON `POST`s too) a unary call must also say
/// `connect-protocol-version`, as Connect's clients do.
fn form<B>(req: &Request<B>, strict: bool) -> Option<Form> {
    if req.method() == http::Method::GET {
        return get_form(req.uri().query()?, strict);
    }
    if req.method() != http::Method::POST {
        return None;
    }
    let ct = req.headers().get(CONTENT_TYPE)?;
    // gRPC's own (and gRPC-Web's) first, at the cost of one comparison.
    if ct.as_bytes().starts_with(b"application/grpc") {
        return None;
    }
    let ct = ct.to_str().ok()?;
    let media = ct.split(';').next().unwrap_or("").trim();
    let codec = |name: &str| {
        if name.eq_ignore_ascii_case("proto") {
            Some(Codec::Proto)
        } else if name.eq_ignore_ascii_case("json") {
            Some(Codec::Json)
        } else {
            None
        }
    };
    let (kind, sub) = media.split_once('/')?;
    if !kind.eq_ignore_ascii_case("application") {
        return None;
    }
    if let Some(name) = sub.get(..8).filter(|p| p.eq_ignore_ascii_case("connect+")).and_then(|_| sub.get(8..)) {
        return codec(name).map(Form::Stream);
    }
    let unary = codec(sub).map(Form::Unary)?;
    (!strict || req.headers().contains_key(PROTOCOL_VERSION)).then_some(unary)
}

/// The Connect form of a request on one port, where the HTTP API takes
/// JSON `POST`s too (`None`: not a Connect call, for the HTTP API).
pub(crate) fn one_port_form<B>(req: &Request<B>) -> Option<Form> {
    form(req, true)
}

const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("connect-protocol-version");
const TIMEOUT_MS: HeaderName = HeaderName::from_static("connect-timeout-ms");
const STREAM_ENCODING: HeaderName = HeaderName::from_static("connect-content-encoding");
const STREAM_ACCEPT_ENCODING: HeaderName = HeaderName::from_static("connect-accept-encoding");
const GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");

/// A server's whole request handling with Connect calls translated (when
/// `methods` is set: the gRPC server said [`connect`](super::grpc::GrpcServer::connect)).
/// Every other request, and every request of a server without it, passes
/// straight through.
#[derive(Clone)]
pub(crate) struct Connect<S> {
    inner: S,
    methods: Option<Arc<Methods>>,
}

impl<S> Connect<S> {
    pub(crate) fn new(inner: S, methods: Option<Arc<Methods>>) -> Self {
        Self { inner, methods }
    }
}

pin_project! {
    /// The future of [`Connect`]: the inner one as it is, or a translated call.
    #[project = ConnectProj]
    pub(crate) enum ConnectFuture<F> {
        Plain { #[pin] inner: F },
        Translated { inner: BoxFuture<Response, Infallible> },
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for ConnectFuture<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            ConnectProj::Plain { inner } => inner.poll(cx),
            ConnectProj::Translated { inner } => inner.as_mut().poll(cx),
        }
    }
}

impl<S> tower::Service<Request<Body>> for Connect<S>
where
    S: tower::Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ConnectFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let form = match self.methods {
            Some(_) => form(&req, false),
            None => None,
        };
        self.call_as(req, form)
    }
}

impl<S> Connect<S>
where
    S: tower::Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    /// Calls with the request's form known already (one port looked): a
    /// Connect call translated, anything else (`None`) straight through.
    pub(crate) fn call_as(&mut self, req: Request<Body>, form: Option<Form>) -> ConnectFuture<S::Future> {
        let (Some(form), Some(methods)) = (form, &self.methods) else {
            return ConnectFuture::Plain { inner: self.inner.call(req) };
        };
        let methods = methods.clone();
        // Routers are always ready: a clone can take the call.
        let inner = self.inner.clone();
        let inner: BoxFuture<Response, Infallible> = match form {
            Form::Unary(codec) => Box::pin(async move { Ok(unary(inner, &methods, codec, req).await) }),
            Form::Stream(codec) => Box::pin(async move { Ok(stream(inner, &methods, codec, req).await) }),
        };
        ConnectFuture::Translated { inner }
    }
}

/// A unary call: the message read whole, framed for gRPC, the reply's one
/// message (or its status, as Connect's error JSON) written bare.
async fn unary<S>(mut inner: S, methods: &Methods, codec: Codec, req: Request<Body>) -> Response
where
    S: tower::Service<Request<Body>, Response = Response, Error = Infallible>,
{
    let (mut parts, mut body) = req.into_parts();
    if parts.method == http::Method::GET {
        match get_request(&mut parts) {
            Ok(message) => body = Body::from(message),
            Err(err) => return unary_error(&err.to_status(), HeaderMap::new(), None),
        }
    }
    let method = methods.by_path.get(parts.uri.path());
    let framed = match unary_request(&mut parts.headers, method, parts.uri.path(), codec, body).await {
        Ok(framed) => framed,
        Err(err) => return unary_error(&err.to_status(), HeaderMap::new(), None),
    };
    // The call is gRPC's whatever the client's HTTP version: tonic-web (when
    // on) passes only HTTP/2 requests that are not its own.
    parts.version = http::Version::HTTP_2;
    let Ok(res) = inner.call(Request::from_parts(parts, Body::from(framed))).await;
    let (parts, body) = res.into_parts();
    if let Some(status) = http_failure(parts.status) {
        return unary_error(&status, HeaderMap::new(), None);
    }
    let (data, trailers) = match body.collect().await {
        Ok(collected) => {
            let trailers = collected.trailers().cloned();
            (collected.to_bytes(), trailers)
        }
        Err(e) => return unary_error(&tonic::Status::from_error(e.into_inner()), parts.headers, None),
    };
    let status = trailers.as_ref().or(Some(&parts.headers)).and_then(tonic::Status::from_header_map);
    let status = status.unwrap_or_else(|| tonic::Status::internal("the gRPC reply carried no status"));
    if status.code() != tonic::Code::Ok {
        return unary_error(&status, parts.headers, trailers.as_ref());
    }
    match unary_reply(&parts.headers, method, codec, data) {
        Ok((message, encoding)) => {
            let mut res = Response::new(Body::from(message));
            let headers = res.headers_mut();
            copy_metadata(&parts.headers, trailers.as_ref(), headers);
            headers.insert(CONTENT_TYPE, content_type(codec, false));
            if let Some(encoding) = encoding {
                headers.insert(CONTENT_ENCODING, encoding);
            }
            res
        }
        Err(status) => unary_error(&status, parts.headers, trailers.as_ref()),
    }
}

/// The gRPC request of a unary Connect call: headers renamed in place, the
/// body read (within [`MAX_MESSAGE`]), turned into protobuf and framed.
async fn unary_request(
    headers: &mut HeaderMap,
    method: Option<&Method>,
    path: &str,
    codec: Codec,
    body: Body,
) -> Result<Bytes, Error> {
    if method.is_some_and(|m| m.streaming) {
        return Err(Error::bad_request(
            BAD_REQUEST,
            format!("{path} streams: call it with application/connect+{}", codec.name()),
        ));
    }
    let compressed = translate_headers(headers, codec, CONTENT_ENCODING, ACCEPT_ENCODING)?;
    let bytes = match http_body_util::Limited::new(body, MAX_MESSAGE).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(Error::payload_too_large(
                PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {MAX_MESSAGE} bytes"),
            ))
        }
        Err(e) => return Err(Error::bad_request(BAD_REQUEST, format!("cannot read the request body: {e}"))),
    };
    let message = match (codec, compressed) {
        (Codec::Proto, _) => bytes,
        (Codec::Json, Compressed::Gzip) => Bytes::from((input_of(method, path)?.json_to_proto)(&gunzip(&bytes)?)?),
        (Codec::Json, _) => Bytes::from((input_of(method, path)?.json_to_proto)(&bytes)?),
    };
    Ok(envelope(u8::from(compressed == Compressed::ForServer), &message))
}

/// The reply message of a unary call, with its `Content-Encoding` if the
/// server compressed it.
fn unary_reply(
    headers: &HeaderMap,
    method: Option<&Method>,
    codec: Codec,
    mut data: Bytes,
) -> Result<(Bytes, Option<HeaderValue>), tonic::Status> {
    let Some((flags, message)) = next_envelope(&mut data).map_err(tonic::Status::internal)? else {
        return Err(tonic::Status::internal("the gRPC reply carried no message"));
    };
    let encoding = if flags & COMPRESSED != 0 { headers.get(GRPC_ENCODING).cloned() } else { None };
    match codec {
        Codec::Proto => Ok((message, encoding)),
        // JSON calls never offer the server an encoding (`translate_headers`).
        Codec::Json if encoding.is_some() => Err(tonic::Status::internal("a JSON reply came compressed")),
        Codec::Json => {
            let output = method.and_then(|m| m.output).ok_or_else(|| tonic::Status::internal("no JSON codec"))?;
            let json = (output.proto_to_json)(&message).map_err(tonic::Status::internal)?;
            Ok((Bytes::from(json), None))
        }
    }
}

/// A unary call's error: the HTTP status of its code, Connect's error JSON,
/// the reply's headers and trailers (as `trailer-` headers).
fn unary_error(status: &tonic::Status, headers: HeaderMap, trailers: Option<&HeaderMap>) -> Response {
    let mut res = Response::new(Body::from(error_json(status)));
    *res.status_mut() = StatusCode::from_u16(http_code_of(status.code())).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let out = res.headers_mut();
    copy_metadata(&headers, trailers, out);
    out.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

/// A streaming call: the envelopes passed through (protobuf) or each one's
/// message turned into protobuf and back (JSON), the gRPC status as the
/// end-of-stream envelope.
async fn stream<S>(mut inner: S, methods: &Methods, codec: Codec, req: Request<Body>) -> Response
where
    S: tower::Service<Request<Body>, Response = Response, Error = Infallible>,
{
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let method = methods.by_path.get(&path);
    let prepared = (|| {
        if method.is_some_and(|m| !m.streaming) {
            return Err(Error::bad_request(
                BAD_REQUEST,
                format!("{path} is unary: call it with application/{}", codec.name()),
            ));
        }
        let compressed = translate_headers(&mut parts.headers, codec, STREAM_ENCODING, STREAM_ACCEPT_ENCODING)?;
        match codec {
            Codec::Proto => Ok((body, None)),
            Codec::Json => {
                let input = input_of(method, &path)?;
                let output = method.and_then(|m| m.output).ok_or_else(|| no_json(&path))?;
                let gzip = compressed == Compressed::Gzip;
                let body = Body::new(JsonRequests::new(body, input, gzip));
                Ok((body, Some(output)))
            }
        }
    })();
    let (body, output) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return stream_reply(codec, HeaderMap::new(), Body::from(end_stream(&err.to_status(), None))),
    };
    parts.version = http::Version::HTTP_2;
    let Ok(res) = inner.call(Request::from_parts(parts, body)).await;
    let (parts, body) = res.into_parts();
    if let Some(status) = http_failure(parts.status) {
        return stream_reply(codec, HeaderMap::new(), Body::from(end_stream(&status, None)));
    }
    let mut headers = parts.headers;
    // A trailers-only reply (an error before any message): its status in the headers.
    if let Some(status) = tonic::Status::from_header_map(&headers) {
        strip_grpc(&mut headers);
        return stream_reply(codec, headers, Body::from(end_stream(&status, None)));
    }
    if let Some(encoding) = headers.remove(GRPC_ENCODING) {
        headers.insert(STREAM_ENCODING, encoding);
    }
    let body = Body::new(ConnectReplies::new(body, output));
    stream_reply(codec, headers, body)
}

/// The status of a reply that is not gRPC's at all (an HTTP error from a
/// layer before the services), as gRPC's HTTP mapping has it.
fn http_failure(status: StatusCode) -> Option<tonic::Status> {
    use tonic::Code;
    if status.is_success() {
        return None;
    }
    let code = match status.as_u16() {
        400 => Code::Internal,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::Unimplemented,
        429 | 502 | 503 | 504 => Code::Unavailable,
        _ => Code::Unknown,
    };
    Some(tonic::Status::new(code, format!("the gRPC server answered HTTP {status}")))
}

fn stream_reply(codec: Codec, mut headers: HeaderMap, body: Body) -> Response {
    strip_grpc(&mut headers);
    headers.remove(CONTENT_LENGTH);
    headers.insert(CONTENT_TYPE, content_type(codec, true));
    let mut res = Response::new(body);
    *res.headers_mut() = headers;
    res
}

fn content_type(codec: Codec, stream: bool) -> HeaderValue {
    HeaderValue::from_static(match (codec, stream) {
        (Codec::Proto, false) => "application/proto",
        (Codec::Json, false) => "application/json",
        (Codec::Proto, true) => "application/connect+proto",
        (Codec::Json, true) => "application/connect+json",
    })
}

/// Renames a Connect request's headers to gRPC's, in place: the content
/// type, the timeout, and the compression headers (`encoding` and
/// `accept_encoding`, which differ between unary calls and streams).
/// Returns how the messages are compressed.
fn translate_headers(
    headers: &mut HeaderMap,
    codec: Codec,
    encoding: HeaderName,
    accept_encoding: HeaderName,
) -> Result<Compressed, Error> {
    if let Some(v) = headers.get(PROTOCOL_VERSION) {
        if v != "1" {
            return Err(Error::bad_request(
                BAD_REQUEST,
                format!("connect-protocol-version {v:?} is not supported: this server speaks version 1"),
            ));
        }
    }
    if let Some(v) = headers.remove(TIMEOUT_MS) {
        headers.insert(GRPC_TIMEOUT, grpc_timeout(&v)?);
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.remove(CONTENT_LENGTH);
    let compressed = match headers.remove(&encoding) {
        Some(v) if v != "identity" => match codec {
            // The gRPC server decompresses (or refuses the encoding) as for gRPC.
            Codec::Proto => {
                headers.insert(GRPC_ENCODING, v);
                Compressed::ForServer
            }
            // JSON is turned into protobuf here, so it is decompressed here.
            Codec::Json if cfg!(feature = "compression") && v == "gzip" => Compressed::Gzip,
            Codec::Json => {
                let accepted = if cfg!(feature = "compression") { "gzip" } else { "none" };
                return Err(Error::grpc(
                    tonic::Code::Unimplemented,
                    UNSUPPORTED_ENCODING,
                    format!("JSON requests compressed with {v:?} are not supported (accepted: {accepted})"),
                )
                .with_metadata("accepted", accepted));
            }
        },
        _ => Compressed::No,
    };
    // A JSON call is never offered compressed: its reply is turned into JSON here.
    match (headers.remove(&accept_encoding), codec) {
        (Some(v), Codec::Proto) => {
            headers.insert(GRPC_ACCEPT_ENCODING, v);
        }
        _ => {
            headers.remove(GRPC_ACCEPT_ENCODING);
        }
    }
    Ok(compressed)
}

/// How a request's messages are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compressed {
    No,
    /// Protobuf in the named encoding, which the gRPC server decodes.
    ForServer,
    /// JSON in gzip, decoded here (the `compression` feature).
    Gzip,
}

fn no_json(path: &str) -> Error {
    Error::grpc(
        tonic::Code::Unimplemented,
        BAD_REQUEST,
        format!("{path} is not a method this server can call with JSON (services added with tonic_service take protobuf only)"),
    )
}

fn input_of(method: Option<&Method>, path: &str) -> Result<&'static AnyType, Error> {
    method.and_then(|m| m.input).ok_or_else(|| no_json(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(ct: &str, version: bool) -> Request<()> {
        let mut b = Request::post("/a.B/C").header(CONTENT_TYPE, ct);
        if version {
            b = b.header(PROTOCOL_VERSION, "1");
        }
        b.body(()).unwrap()
    }

    #[test]
    fn forms_by_content_type_and_strictness() {
        assert!(matches!(form(&req("application/connect+proto", false), true), Some(Form::Stream(Codec::Proto))));
        assert!(matches!(form(&req("application/Connect+JSON", false), true), Some(Form::Stream(Codec::Json))));
        assert!(matches!(form(&req("application/json; charset=utf-8", false), false), Some(Form::Unary(Codec::Json))));
        assert!(form(&req("application/json", false), true).is_none());
        assert!(matches!(form(&req("application/proto", true), true), Some(Form::Unary(Codec::Proto))));
        assert!(form(&req("application/grpc", true), true).is_none());
        assert!(form(&req("application/connect+xml", true), true).is_none());
        assert!(form(&req("text/plain", true), true).is_none());
        let get = Request::get("/a.B/C").header(CONTENT_TYPE, "application/proto").body(()).unwrap();
        assert!(form(&get, false).is_none());
    }

    #[test]
    fn timeouts_fit_grpc_digits() {
        let t = |s: &str| grpc_timeout(&HeaderValue::from_str(s).unwrap()).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(t("250").unwrap(), "250m");
        assert_eq!(t("99999999").unwrap(), "99999999m");
        assert_eq!(t("9999999999").unwrap(), "9999999S");
        for bad in ["", "-1", "1.5", "12345678901", "1e3"] {
            assert!(t(bad).is_err(), "{bad}");
        }
    }
}
