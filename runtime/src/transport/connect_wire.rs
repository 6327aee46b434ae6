//! Connect's wire forms (`connectrpc.com/docs/protocol`), for the
//! translator in `connect.rs`: the five-byte envelope (gRPC's frame too),
//! the error JSON and the end-of-stream message, and the two streaming
//! bodies that reframe messages between Connect's JSON and gRPC's protobuf.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use base64::Engine as _;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue};
use http_body::Frame;
use pin_project_lite::pin_project;
use prost::Message as _;

use crate::codec::AnyType;
use crate::error::reason::{BAD_REQUEST, CODEC};
use crate::error::Error;

/// The largest unary request body and streamed message read (tonic's
/// default `max_decoding_message_size`, which the message then meets again).
pub(super) const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// An envelope's flag: the message is compressed.
pub(super) const COMPRESSED: u8 = 0x01;
/// An envelope's flag: the end of a stream, its JSON the status and trailers.
pub(super) const END_STREAM: u8 = 0x02;

pub(super) const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
pub(super) const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");
pub(super) const GRPC_DETAILS: HeaderName = HeaderName::from_static("grpc-status-details-bin");
pub(super) const GRPC_ENCODING: HeaderName = HeaderName::from_static("grpc-encoding");
pub(super) const GRPC_ACCEPT_ENCODING: HeaderName = HeaderName::from_static("grpc-accept-encoding");

pub(super) fn is_grpc_status_header(name: &HeaderName) -> bool {
    name == GRPC_STATUS || name == GRPC_MESSAGE || name == GRPC_DETAILS
}

/// A gzip-compressed JSON message, inflated within [`MAX_MESSAGE`].
pub(super) fn gunzip(data: &[u8]) -> Result<Vec<u8>, Error> {
    #[cfg(feature = "compression")]
    {
        use std::io::Read as _;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .take(MAX_MESSAGE as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::bad_request(CODEC, format!("the gzip-compressed message is corrupt: {e}")))?;
        if out.len() > MAX_MESSAGE {
            return Err(Error::payload_too_large(
                crate::error::reason::PAYLOAD_TOO_LARGE,
                format!("the message inflates past {MAX_MESSAGE} bytes"),
            ));
        }
        Ok(out)
    }
    #[cfg(not(feature = "compression"))]
    {
        let _ = data;
        Err(Error::grpc(
            tonic::Code::Unimplemented,
            crate::error::reason::UNSUPPORTED_ENCODING,
            "gzip needs the compression feature",
        ))
    }
}

/// Connect's error JSON: `{"code": "not_found", "message": "...",
/// "details": [{"type": "google.rpc.ErrorInfo", "value": "<base64>",
/// "debug": {...}}]}`. The `debug` form of an `ErrorInfo` (reason, domain,
/// metadata) is there for people reading the reply; clients read `value`.
fn error_value(status: &tonic::Status) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    obj.insert("code".into(), code_name(status.code()).into());
    if !status.message().is_empty() {
        obj.insert("message".into(), status.message().into());
    }
    let details = tonic_types::Status::decode(status.details()).map(|s| s.details).unwrap_or_default();
    if !details.is_empty() {
        let list = details
            .iter()
            .map(|any| {
                let name = any.type_url.rsplit('/').next().unwrap_or(&any.type_url);
                let mut d = serde_json::Map::new();
                d.insert("type".into(), name.into());
                d.insert("value".into(), base64::engine::general_purpose::STANDARD_NO_PAD.encode(&any.value).into());
                if name == "google.rpc.ErrorInfo" {
                    if let Ok(info) = tonic_types::pb::ErrorInfo::decode(any.value.as_slice()) {
                        let metadata: serde_json::Map<String, serde_json::Value> =
                            info.metadata.into_iter().map(|(k, v)| (k, v.into())).collect();
                        let debug =
                            serde_json::json!({"reason": info.reason, "domain": info.domain, "metadata": metadata});
                        d.insert("debug".into(), debug);
                    }
                }
                serde_json::Value::Object(d)
            })
            .collect();
        obj.insert("details".into(), serde_json::Value::Array(list));
    }
    serde_json::Value::Object(obj)
}

/// [`error_value`] as bytes, a unary call's error body.
pub(super) fn error_json(status: &tonic::Status) -> Vec<u8> {
    serde_json::to_vec(&error_value(status)).unwrap_or_default()
}

/// The end-of-stream envelope: the error (none when the call succeeded)
/// and the trailers (less gRPC's own) as `metadata`.
pub(super) fn end_stream(status: &tonic::Status, trailers: Option<&HeaderMap>) -> Bytes {
    let mut obj = serde_json::Map::new();
    if status.code() != tonic::Code::Ok {
        obj.insert("error".into(), error_value(status));
    }
    let mut metadata: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
    for (name, value) in trailers.into_iter().flatten() {
        if is_grpc_status_header(name) {
            continue;
        }
        let Ok(value) = value.to_str() else { continue };
        let entry = metadata.entry(name.as_str()).or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(values) = entry {
            values.push(value.into());
        }
    }
    if !metadata.is_empty() {
        obj.insert("metadata".into(), serde_json::Value::Object(metadata));
    }
    envelope(END_STREAM, &serde_json::to_vec(&obj).unwrap_or_default())
}

/// Connect's name of a code.
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "canceled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

/// One envelope (gRPC's frame and Connect's are the same five bytes: flags,
/// then the length, big-endian).
pub(super) fn envelope(flags: u8, message: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(5 + message.len());
    out.put_u8(flags);
    out.put_u32(message.len() as u32);
    out.put_slice(message);
    out.freeze()
}

/// Takes one whole envelope off the front of `data`: `None` when it does not
/// hold one yet; an error past [`MAX_MESSAGE`].
pub(super) fn next_envelope(data: &mut impl EnvelopeBuf) -> Result<Option<(u8, Bytes)>, String> {
    let chunk = data.bytes();
    if chunk.len() < 5 {
        return Ok(None);
    }
    let len = u32::from_be_bytes([chunk[1], chunk[2], chunk[3], chunk[4]]) as usize;
    if len > MAX_MESSAGE {
        return Err(format!("a message of {len} bytes is larger than {MAX_MESSAGE}"));
    }
    if chunk.len() < 5 + len {
        return Ok(None);
    }
    let flags = chunk[0];
    Ok(Some((flags, data.take(5 + len).slice(5..))))
}

/// What [`next_envelope`] reads from: a whole body, or a stream's buffer.
pub(super) trait EnvelopeBuf {
    fn bytes(&self) -> &[u8];
    fn take(&mut self, n: usize) -> Bytes;
}

impl EnvelopeBuf for Bytes {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn take(&mut self, n: usize) -> Bytes {
        self.split_to(n)
    }
}

/// The bytes of a stream not yet made into envelopes.
#[derive(Default)]
struct Envelopes(BytesMut);

impl EnvelopeBuf for Envelopes {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
    fn take(&mut self, n: usize) -> Bytes {
        self.0.split_to(n).freeze()
    }
}

impl Envelopes {
    fn push(&mut self, mut data: Bytes) {
        while data.has_remaining() {
            let chunk = data.chunk();
            self.0.extend_from_slice(chunk);
            let n = chunk.len();
            data.advance(n);
        }
    }
}

pin_project! {
    /// A JSON stream's request body: each envelope's message as protobuf.
    pub(super) struct JsonRequests {
        #[pin]
        inner: Body,
        input: &'static AnyType,
        // The messages flagged compressed are in gzip.
        gzip: bool,
        buf: Envelopes,
    }
}

impl JsonRequests {
    /// The request body of a JSON stream of `input` messages (`gzip`: the
    /// ones flagged compressed are in gzip).
    pub(super) fn new(inner: Body, input: &'static AnyType, gzip: bool) -> Self {
        Self { inner, input, gzip, buf: Envelopes::default() }
    }
}

impl http_body::Body for JsonRequests {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let mut this = self.project();
        loop {
            let mut out = BytesMut::new();
            while let Some((flags, message)) = next_envelope(this.buf).map_err(tonic::Status::resource_exhausted)? {
                let proto = if flags & COMPRESSED == 0 {
                    (this.input.json_to_proto)(&message)
                } else if *this.gzip {
                    gunzip(&message).and_then(|json| (this.input.json_to_proto)(&json))
                } else {
                    Err(Error::bad_request(CODEC, "a message is flagged compressed, but the stream names no encoding"))
                };
                let proto = proto.map_err(|e| e.to_status())?;
                out.extend_from_slice(&envelope(0, &proto));
            }
            if !out.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(out.freeze()))));
            }
            match std::task::ready!(this.inner.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        this.buf.push(data);
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(tonic::Status::from_error(e.into_inner())))),
                None if this.buf.0.is_empty() => return Poll::Ready(None),
                None => {
                    return Poll::Ready(Some(Err(tonic::Status::invalid_argument(
                        "the request stream ended inside a message",
                    ))))
                }
            }
        }
    }
}

pin_project! {
    /// A streaming reply in Connect's envelopes: gRPC's frames as they are
    /// (protobuf) or each message as JSON, then the status and trailers in
    /// the end-of-stream envelope.
    pub(super) struct ConnectReplies {
        #[pin]
        inner: Body,
        output: Option<&'static AnyType>,
        buf: Envelopes,
        done: bool,
    }
}

impl ConnectReplies {
    /// The reply body of a stream: gRPC's frames as they are, or each
    /// message as JSON of `output` when there is one.
    pub(super) fn new(inner: Body, output: Option<&'static AnyType>) -> Self {
        Self { inner, output, buf: Envelopes::default(), done: false }
    }
}

impl http_body::Body for ConnectReplies {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let mut this = self.project();
        loop {
            if *this.done {
                return Poll::Ready(None);
            }
            let mut end = |status: &tonic::Status, trailers: Option<&HeaderMap>| {
                *this.done = true;
                Poll::Ready(Some(Ok(Frame::data(end_stream(status, trailers)))))
            };
            let frame = match std::task::ready!(this.inner.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => frame,
                Some(Err(e)) => return end(&tonic::Status::from_error(e.into_inner()), None),
                None => return end(&tonic::Status::internal("the gRPC reply ended without a status"), None),
            };
            let frame = match frame.into_data() {
                Ok(data) => data,
                Err(frame) => {
                    let Ok(trailers) = frame.into_trailers() else { continue };
                    let status = tonic::Status::from_header_map(&trailers)
                        .unwrap_or_else(|| tonic::Status::internal("the gRPC reply carried no status"));
                    return end(&status, Some(&trailers));
                }
            };
            let Some(output) = this.output else {
                // Protobuf: gRPC's frames are Connect's envelopes.
                return Poll::Ready(Some(Ok(Frame::data(frame))));
            };
            this.buf.push(frame);
            let mut out = BytesMut::new();
            loop {
                match next_envelope(this.buf) {
                    Ok(Some((_, message))) => match (output.proto_to_json)(&message) {
                        Ok(json) => out.extend_from_slice(&envelope(0, &json)),
                        Err(e) => return end(&tonic::Status::internal(e), None),
                    },
                    Ok(None) => break,
                    Err(e) => return end(&tonic::Status::internal(e), None),
                }
            }
            if !out.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(out.freeze()))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

/// `connect-timeout-ms` (at most 10 digits) as `grpc-timeout` (at most 8).
pub(super) fn grpc_timeout(v: &HeaderValue) -> Result<HeaderValue, Error> {
    let bad = || Error::bad_request(BAD_REQUEST, format!("connect-timeout-ms {v:?} is not a number of milliseconds"));
    let text = v.to_str().map_err(|_| bad())?;
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let ms: u64 = text.parse().map_err(|_| bad())?;
    let value = if ms < 100_000_000 { format!("{ms}m") } else { format!("{}S", ms / 1000) };
    HeaderValue::from_str(&value).map_err(|_| bad())
}

/// Drops the headers of gRPC's own framing from a reply's headers.
pub(super) fn strip_grpc(headers: &mut HeaderMap) {
    for name in [GRPC_STATUS, GRPC_MESSAGE, GRPC_DETAILS, GRPC_ENCODING, GRPC_ACCEPT_ENCODING] {
        headers.remove(name);
    }
}

/// A unary reply's headers: the gRPC reply's own (less gRPC's framing) and
/// its trailers as `trailer-` headers, as Connect's unary calls carry them.
pub(super) fn copy_metadata(headers: &HeaderMap, trailers: Option<&HeaderMap>, out: &mut HeaderMap) {
    for (name, value) in headers {
        if !is_grpc_status_header(name)
            && name != CONTENT_TYPE
            && name != CONTENT_LENGTH
            && name != GRPC_ENCODING
            && name != GRPC_ACCEPT_ENCODING
        {
            out.append(name.clone(), value.clone());
        }
    }
    for (name, value) in trailers.into_iter().flatten() {
        if is_grpc_status_header(name) {
            continue;
        }
        if let Ok(prefixed) = HeaderName::try_from(format!("trailer-{name}")) {
            out.append(prefixed, value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_split_across_chunks() {
        let mut buf = Envelopes::default();
        let whole = [envelope(0, b"abc"), envelope(END_STREAM, b"{}")].concat();
        buf.push(Bytes::copy_from_slice(&whole[..4]));
        assert_eq!(next_envelope(&mut buf).unwrap(), None);
        buf.push(Bytes::copy_from_slice(&whole[4..]));
        assert_eq!(next_envelope(&mut buf).unwrap(), Some((0, Bytes::from_static(b"abc"))));
        assert_eq!(next_envelope(&mut buf).unwrap(), Some((END_STREAM, Bytes::from_static(b"{}"))));
        assert_eq!(next_envelope(&mut buf).unwrap(), None);
        let mut huge = Bytes::from(vec![0, 0xff, 0xff, 0xff, 0xff]);
        assert!(next_envelope(&mut huge).is_err());
    }

    #[test]
    fn errors_in_connect_json_with_error_info() {
        let err = Error::not_found("USER_NOT_FOUND", "no user 7").with_metadata("id", "7");
        let json: serde_json::Value = serde_json::from_slice(&error_json(&err.to_status())).unwrap();
        assert_eq!(json["code"], "not_found");
        assert_eq!(json["message"], "no user 7");
        assert_eq!(json["details"][0]["type"], "google.rpc.ErrorInfo");
        assert_eq!(json["details"][0]["debug"]["reason"], "USER_NOT_FOUND");
        assert_eq!(json["details"][0]["debug"]["metadata"]["id"], "7");
        let value = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(json["details"][0]["value"].as_str().unwrap())
            .unwrap();
        assert_eq!(tonic_types::pb::ErrorInfo::decode(value.as_slice()).unwrap().reason, "USER_NOT_FOUND");
        let end = end_stream(&tonic::Status::ok(""), None);
        assert_eq!(&end[..], &envelope(END_STREAM, b"{}")[..]);
    }
}
