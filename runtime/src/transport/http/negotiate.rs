//! Content negotiation of the HTTP API: a request body in JSON (the
//! default), protobuf (`application/x-protobuf`, `application/protobuf`,
//! `application/proto`) or an HTML form (`application/x-www-form-urlencoded`,
//! bound as the query is); anything else is 415 with the Bia error body. A
//! reply is JSON unless the `Accept` header asks for protobuf first. Errors
//! are always the JSON error body.
//!
//! Hand-written: the media types are a handful of fixed strings, matched by
//! their essence (before any `;` parameter); a general `Accept` parser
//! (q-values, wildcards) would decide nothing more here, as JSON is the
//! answer to everything but an explicit protobuf.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, StatusCode};

use super::codec::codec_error;
use crate::codec::Message;
use crate::error::reason::UNSUPPORTED_MEDIA_TYPE;
use crate::error::Error;

/// The content type of protobuf replies.
pub(super) const PROTOBUF: HeaderValue = HeaderValue::from_static("application/x-protobuf");

/// The protobuf media types read and offered (their essence, lower case).
const PROTOBUF_TYPES: [&str; 3] = ["application/x-protobuf", "application/protobuf", "application/proto"];

/// What a request body is written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum BodyFormat {
    Json,
    Protobuf,
    Form,
    /// `multipart/form-data`, with its boundary.
    Multipart(String),
}

/// The format of a request body of `bytes` with these headers. No content
/// type is JSON. A form whose body is a JSON object is read as JSON: that is
/// what `curl -d '{..}'` sends (curl's `-d` names the form type).
pub(super) fn body_format(headers: &HeaderMap, bytes: &[u8]) -> Result<BodyFormat, Error> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(BodyFormat::Json);
    };
    // The common case first, on the bytes: `application/json`, maybe with
    // parameters.
    let raw = value.as_bytes();
    const JSON: &[u8] = b"application/json";
    if raw.len() >= JSON.len()
        && raw[..JSON.len()].eq_ignore_ascii_case(JSON)
        && matches!(raw.get(JSON.len()), None | Some(b';' | b' '))
    {
        return Ok(BodyFormat::Json);
    }
    let essence = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        return Ok(BodyFormat::Json);
    }
    let lower = essence.to_ascii_lowercase();
    if PROTOBUF_TYPES.contains(&lower.as_str()) {
        return Ok(BodyFormat::Protobuf);
    }
    if lower == "application/x-www-form-urlencoded" {
        let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        return Ok(if json { BodyFormat::Json } else { BodyFormat::Form });
    }
    if lower.ends_with("+json") {
        return Ok(BodyFormat::Json);
    }
    if lower == "multipart/form-data" {
        let boundary = multer::parse_boundary(value.to_str().unwrap_or(""))
            .map_err(|e| codec_error("", format!("invalid multipart/form-data content type: {e}")))?;
        return Ok(BodyFormat::Multipart(boundary));
    }
    Err(Error::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE.as_u16(),
        UNSUPPORTED_MEDIA_TYPE,
        format!(
            "request bodies are read as application/json, application/x-protobuf, application/x-www-form-urlencoded or multipart/form-data, not `{}`",
            value.to_str().unwrap_or("?")
        ),
    )
    .with_metadata("content_type", value.to_str().unwrap_or("")))
}

/// The whole message from a protobuf body.
pub(super) fn decode_protobuf<M: Message>(bytes: &[u8]) -> Result<M, Error> {
    M::decode(bytes).map_err(|e| codec_error("", format!("invalid protobuf body: {e}")))
}

/// Merges a protobuf body into the field `field` of `msg`: the body is that
/// field's value, so it is framed as the field (its number, length-delimited)
/// and merged into the message. The number comes from the message's schema,
/// described for the call: only protobuf bodies of `body = "field"` routes
/// pay it (the generated field list carries names, not numbers).
pub(super) fn merge_protobuf_field<M: Message>(msg: &mut M, field: &str, bytes: &[u8]) -> Result<(), Error> {
    let number = field_number::<M>(field)?;
    let mut framed = Vec::with_capacity(bytes.len() + 10);
    prost::encoding::encode_key(number, prost::encoding::WireType::LengthDelimited, &mut framed);
    prost::encoding::encode_varint(bytes.len() as u64, &mut framed);
    framed.extend_from_slice(bytes);
    msg.merge(&framed[..]).map_err(|e| codec_error(field, format!("invalid protobuf body: {e}")))
}

/// The number of the top-level field `field` of `M`.
pub(super) fn field_number<M: Message>(field: &str) -> Result<u32, Error> {
    let mut b = crate::schema::SchemaBuilder::default();
    M::describe(&mut b);
    let schema = b.build();
    schema
        .message(M::FULL_NAME)
        .and_then(|m| m.fields.iter().find(|f| f.name == field))
        .map(|f| f.number)
        .ok_or_else(|| codec_error(field, format!("`{field}` is not a field of {}", M::FULL_NAME)))
}

/// Binds a form body as the query is bound: each `key=value` fills the
/// field at the dotted key (under `field` when the body is one field). A
/// key that names no field is skipped, as an unknown JSON member is (an
/// HTML form's submit button sends one); a bad value of a field is a 400.
pub(super) fn bind_form<M: Message>(msg: &mut M, field: Option<&str>, bytes: &[u8]) -> Result<(), Error> {
    for (k, v) in form_urlencoded::parse(bytes) {
        let key = match field {
            Some(f) => format!("{f}.{k}"),
            None => k.into_owned(),
        };
        match msg.bind_param(&key, &v) {
            Ok(_) => {}
            Err(e) => return Err(codec_error(&key, format!("invalid form field `{key}`: {e}"))),
        }
    }
    Ok(())
}

/// Whether the client asks for a protobuf reply: its `Accept` names a
/// protobuf type before `application/json` (or without it).
#[inline]
pub(super) fn wants_protobuf(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT) else { return false };
    // Most requests ask for JSON or anything: one scan for `proto` and out.
    if !mentions_proto(accept.as_bytes()) {
        return false;
    }
    for item in accept.to_str().unwrap_or("").split(',') {
        let essence = item.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if PROTOBUF_TYPES.contains(&essence.as_str()) {
            return true;
        }
        if essence == "application/json" {
            return false;
        }
    }
    false
}

/// Whether `bytes` hold `proto` in any case (looked for at each `p`).
#[inline]
fn mentions_proto(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while let Some(at) = rest.iter().position(|b| b | 0x20 == b'p') {
        rest = &rest[at..];
        if rest.len() < 5 {
            return false;
        }
        if rest[..5].eq_ignore_ascii_case(b"proto") {
            return true;
        }
        rest = &rest[1..];
    }
    false
}

/// A 200 reply with the message in protobuf.
pub(super) fn protobuf_response<M: Message>(rep: &M) -> Response {
    let mut res = Response::new(Body::from(Bytes::from(rep.encode_to_vec())));
    res.headers_mut().insert(header::CONTENT_TYPE, PROTOBUF);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), HeaderValue::from_str(v).unwrap())).collect()
    }

    #[test]
    fn body_formats_by_content_type() {
        let f = |ct: &str, body: &[u8]| body_format(&headers(&[("content-type", ct)]), body).map_err(|e| e.code());
        assert_eq!(body_format(&HeaderMap::new(), b"{}"), Ok(BodyFormat::Json));
        assert_eq!(f("application/json; charset=utf-8", b"{}"), Ok(BodyFormat::Json));
        assert_eq!(f("Application/JSON", b"{}"), Ok(BodyFormat::Json));
        assert_eq!(f("application/merge-patch+json", b"{}"), Ok(BodyFormat::Json));
        assert_eq!(f("application/x-protobuf", b""), Ok(BodyFormat::Protobuf));
        assert_eq!(f("application/proto", b""), Ok(BodyFormat::Protobuf));
        assert_eq!(f("application/x-www-form-urlencoded", b"name=a"), Ok(BodyFormat::Form));
        // curl -d '{..}'
        assert_eq!(f("application/x-www-form-urlencoded", b" {\"name\":\"a\"}"), Ok(BodyFormat::Json));
        assert_eq!(f("text/plain", b"hi"), Err(415));
        assert_eq!(f("multipart/form-data; boundary=x", b""), Ok(BodyFormat::Multipart("x".into())));
        assert_eq!(f("multipart/form-data", b""), Err(400), "no boundary");
    }

    #[test]
    fn protobuf_replies_only_when_asked_first() {
        let w = |a: &str| wants_protobuf(&headers(&[("accept", a)]));
        assert!(!wants_protobuf(&HeaderMap::new()));
        assert!(!w("*/*"));
        assert!(!w("application/json"));
        assert!(w("application/x-protobuf"));
        assert!(w("application/protobuf, application/json;q=0.5"));
        assert!(!w("application/json, application/x-protobuf"));
        assert!(!w("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(w("APPLICATION/X-PROTOBUF"));
        assert!(!w("application/prot"));
    }
}
