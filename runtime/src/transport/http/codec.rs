//! JSON on the wire: request and reply bodies (proto3 JSON, through each
//! message's serde impls), the Kratos error body, and the errors a body
//! that does not parse becomes.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use serde::Deserialize;

use super::binding::BodyRule;
use crate::codec::Message;
use crate::error::reason::{CODEC, UNKNOWN};
use crate::error::Error;

/// The content type of every JSON body (and what clients `Accept`).
pub(super) const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The response of an error: status = code, the Kratos JSON body.
pub fn error_response(err: &Error) -> Response {
    let status = StatusCode::from_u16(err.code())
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = Response::new(Body::from(error_json(err, b"", b"")));
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, JSON);
    res
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        error_response(&self)
    }
}

impl Error {
    /// Rebuilds an error from an HTTP status and a response body. A body that is
    /// not a Bia error body keeps the status as code and becomes the message.
    pub fn from_http(status: u16, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            code: Option<u16>,
            #[serde(default)]
            reason: String,
            #[serde(default)]
            message: String,
            #[serde(default)]
            metadata: BTreeMap<String, String>,
        }
        match serde_json::from_slice::<Body>(body) {
            Ok(b) if b.code.is_some() || !b.reason.is_empty() => {
                Error::new(b.code.unwrap_or(status), b.reason, b.message).with_metadata_map(b.metadata)
            }
            _ => Error::new(status, UNKNOWN, String::from_utf8_lossy(body).into_owned()),
        }
    }
}

pub(crate) use crate::codec::{codec_error, json_error};

/// A 200 response with a JSON body.
pub(super) fn json_response(bytes: impl Into<Bytes>) -> Response {
    let mut res = Response::new(Body::from(bytes.into()));
    res.headers_mut().insert(header::CONTENT_TYPE, JSON);
    res
}

/// JSON written by `write` into a per-thread buffer and copied into an
/// allocation of exactly its size: a `Vec` with spare capacity would cost a
/// second allocation on its way into a body (`Bytes` keeps a shared header for
/// it), and a growing `Vec` a reallocation. Replies and error bodies both go
/// this way.
fn encode_json<E>(write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>) -> Result<Bytes, E> {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    /// Larger buffers are not kept once their JSON is copied out.
    const KEEP: usize = 64 * 1024;
    let encode = |out: &mut Vec<u8>| write(out).map(|()| Bytes::copy_from_slice(out));
    BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut out) => {
            out.clear();
            let res = encode(&mut out);
            if out.capacity() > KEEP {
                *out = Vec::new();
            }
            res
        }
        // Only if encoding JSON wrote other JSON on this thread.
        Err(_) => encode(&mut Vec::with_capacity(128)),
    })
}

/// The reply as JSON (see [`encode_json`]): the whole message, or the one
/// field `response_body` names; field names in snake_case when the service
/// asks for it.
pub(super) fn encode_reply<Rep: Message>(
    response_body: Option<&str>,
    snake_case: bool,
    rep: &Rep,
) -> Result<Bytes, Error> {
    let write = || {
        encode_json(|out| match response_body {
            None => serde::Serialize::serialize(rep, &mut serde_json::Serializer::new(out)),
            Some(field) => rep.serialize_json_field(field, &mut serde_json::Serializer::new(out)),
        })
    };
    let res = if snake_case { crate::codec::with_snake_case_output(write) } else { write() };
    res.map_err(|e| Error::internal_server(CODEC, format!("cannot encode reply: {e}")))
}

/// The error body of `err` between `prefix` and `suffix` (the envelope of a
/// stream's last line or frame).
pub(super) fn error_json(err: &Error, prefix: &[u8], suffix: &[u8]) -> Bytes {
    encode_json(|out| {
        out.extend_from_slice(prefix);
        serde::Serialize::serialize(err, &mut serde_json::Serializer::new(&mut *out))?;
        out.extend_from_slice(suffix);
        Ok::<(), serde_json::Error>(())
    })
    .expect("serializing strings to JSON cannot fail")
}

/// A streamed reply between `prefix` and `suffix` (see [`encode_reply`]).
pub(super) fn encode_streamed<Rep: Message>(
    snake_case: bool,
    rep: &Rep,
    prefix: &[u8],
    suffix: &[u8],
) -> Result<Bytes, Error> {
    let write = || {
        encode_json(|out| {
            out.extend_from_slice(prefix);
            serde::Serialize::serialize(rep, &mut serde_json::Serializer::new(&mut *out))?;
            out.extend_from_slice(suffix);
            Ok::<(), serde_json::Error>(())
        })
    };
    let res = if snake_case { crate::codec::with_snake_case_output(write) } else { write() };
    res.map_err(|e| Error::internal_server(CODEC, format!("cannot encode reply: {e}")))
}

/// The body a client sends for `rule`: the whole message, one field, or none.
pub(super) fn encode_request<Req: Message>(rule: BodyRule, req: &Req) -> Result<Body, Error> {
    let encode_failed = |e: serde_json::Error| Error::bad_request(CODEC, format!("cannot encode request: {e}"));
    Ok(match rule {
        BodyRule::All => Body::from(serde_json::to_vec(req).map_err(encode_failed)?),
        BodyRule::Field(f) => {
            let mut out = Vec::new();
            req.serialize_json_field(f, &mut serde_json::Serializer::new(&mut out)).map_err(encode_failed)?;
            Body::from(out)
        }
        BodyRule::None => Body::empty(),
    })
}

/// A reply as a client reads it: the whole message, or the one field
/// `response_body` names. `url` names the call in the error.
pub(super) fn decode_reply<Rep: Message>(response_body: Option<&str>, bytes: &[u8], url: &str) -> Result<Rep, Error> {
    let decode_failed = |e: serde_json::Error| Error::internal_server(CODEC, format!("invalid reply from {url}: {e}"));
    match response_body {
        None => serde_json::from_slice(bytes).map_err(decode_failed),
        Some(field) => {
            let mut rep = Rep::default();
            let mut de = serde_json::Deserializer::from_slice(bytes);
            rep.merge_json_field(field, &mut de).map_err(decode_failed)?;
            Ok(rep)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_body_round_trip_and_foreign_body() {
        let err = Error::conflict("EMAIL_TAKEN", "taken").with_metadata("email", "a@b.c");
        assert_eq!(Error::from_http(409, &err.to_json()), err);
        let foreign = Error::from_http(502, b"bad gateway");
        assert_eq!((foreign.code(), foreign.reason(), foreign.message()), (502, "UNKNOWN", "bad gateway"));
    }
}
