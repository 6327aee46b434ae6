//! [`Envelope`]: how an HTTP server writes its replies and errors, and how an
//! `HttpClient` reads them back, for an API whose bodies must all have one
//! shape (Kratos' `ResponseEncoder` / `ErrorEncoder` and their decoders).

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};

use crate::error::Error;

/// The shape of an HTTP API's bodies, set once on an
/// [`HttpServer`](crate::transport::http::HttpServer) (and on the
/// [`HttpClient`](crate::transport::http::HttpClient)s that call it): for a
/// team whose every reply must read `{"code": 0, "message": "ok", "data":
/// {...}}`, or whose errors must be `200 {"code": 40401, ...}`, without
/// forking anything. Kratos' `ResponseEncoder`, `ErrorEncoder` and their
/// decoders, as one trait.
///
/// On the server, [`reply`](Self::reply) writes every successful JSON reply
/// of the generated operations (the message, or its `response_body` field,
/// as Bia writes it in proto3 JSON), and [`error`](Self::error) every error
/// the server answers with: a handler's or a middleware's, a request that
/// cannot be bound or fails validation, a body past the limit, a path or
/// method without a route, a passed deadline, a refused stream. Untouched:
/// protobuf replies (`Accept: application/x-protobuf`), streams once open
/// (server-sent events, NDJSON, WebSocket keep their own framing),
/// hand-written routes, health, metrics and the OpenAPI document. gRPC is
/// not concerned: its status has one form.
///
/// On a client, [`open`](Self::open) takes a reply (its status and body)
/// back to the message's JSON or to the error.
///
/// Every method has a default (Bia's own form), so an envelope writes only
/// what differs.
///
/// ```
/// use bia::transport::http::{json_reply, Envelope, HttpServer};
/// use bia::Error;
/// use bytes::Bytes;
/// use http::StatusCode;
///
/// /// `{"code": 0, "message": "ok", "data": <reply>}`; errors as
/// /// `{"code": <HTTP code>, "reason": ..., "message": ..., "data": null}`.
/// struct CodeDataMessage;
///
/// impl Envelope for CodeDataMessage {
///     fn reply(&self, message: Bytes) -> axum::response::Response {
///         json_reply([&br#"{"code":0,"message":"ok","data":"#[..], &message, b"}"].concat())
///     }
///
///     fn error(&self, err: &Error) -> axum::response::Response {
///         let body = serde_json::json!({
///             "code": err.code(), "reason": err.reason(), "message": err.message(), "data": null,
///         });
///         let mut res = json_reply(body.to_string());
///         *res.status_mut() = StatusCode::from_u16(err.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
///         res
///     }
///
///     fn open(&self, status: StatusCode, body: Bytes) -> Result<Bytes, Error> {
///         let v: serde_json::Value = serde_json::from_slice(&body)
///             .map_err(|e| Error::internal_server("BAD_ENVELOPE", e.to_string()))?;
///         if status.is_success() && v["code"] == 0 {
///             return Ok(Bytes::from(v["data"].to_string()));
///         }
///         let code = v["code"].as_u64().and_then(|c| u16::try_from(c).ok()).unwrap_or(status.as_u16());
///         let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
///         Err(Error::new(code, text("reason"), text("message")))
///     }
/// }
///
/// let server = HttpServer::new("127.0.0.1:0".parse().unwrap()).envelope(CodeDataMessage);
/// # drop(server);
/// ```
pub trait Envelope: Send + Sync + 'static {
    /// The response to a successful call; `message` is the reply as Bia
    /// writes it (proto3 JSON). Default: `message` as the JSON body.
    fn reply(&self, message: Bytes) -> Response {
        json_reply(message)
    }

    /// The response to a failed call. Default: the error's code as the
    /// status and the Bia error body (`{"code", "reason", "message",
    /// "metadata"}`).
    fn error(&self, err: &Error) -> Response {
        let status = StatusCode::from_u16(err.code())
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = json_reply(serde_json::to_vec(err).unwrap_or_default());
        *res.status_mut() = status;
        res
    }

    /// Client side: the message's JSON from a reply's status and body, or
    /// the error it carries. Default: a 2xx body as it is; any other the Bia
    /// error body read back.
    fn open(&self, status: StatusCode, body: Bytes) -> Result<Bytes, Error> {
        if status.is_success() {
            Ok(body)
        } else {
            Err(Error::from_http(status.as_u16(), &body))
        }
    }
}

/// A 200 response with `body` as JSON (`content-type: application/json`),
/// for [`Envelope`]s to build theirs from.
///
/// ```
/// let res = bia::transport::http::json_reply(r#"{"ok":true}"#);
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.headers()["content-type"], "application/json");
/// ```
pub fn json_reply(body: impl Into<Bytes>) -> Response {
    let mut res = Response::new(Body::from(body.into()));
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

impl std::fmt::Debug for dyn Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Envelope")
    }
}
