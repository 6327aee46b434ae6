//! Connect's `GET` form of unary calls (for calls without side effects,
//! which HTTP caches can keep): the message in the query, read into the
//! `POST` the rest of the translation in `connect.rs` takes.

use bytes::Bytes;
use http::header::CONTENT_ENCODING;
use http::HeaderValue;

use super::connect::{Codec, Form};
use crate::error::reason::BAD_REQUEST;
use crate::error::Error;

/// The form of a unary call sent as a `GET` (Connect's form for calls
/// without side effects, which caches can keep): the query says
/// `encoding=json|proto` and, when `strict`, `connect=v1`.
pub(super) fn get_form(query: &str, strict: bool) -> Option<Form> {
    let (mut codec, mut versioned) = (None, false);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "encoding" if v == "json" => codec = Some(Codec::Json),
            "encoding" if v == "proto" => codec = Some(Codec::Proto),
            "connect" => versioned = true,
            _ => {}
        }
    }
    codec.filter(|_| versioned || !strict).map(Form::Unary)
}

/// The message of a `GET` call, from its query (`message`, URL-safe base64
/// with `base64=1`, `compression`), with the request made the `POST` the
/// rest of the translation reads.
pub(super) fn get_request(parts: &mut http::request::Parts) -> Result<Bytes, Error> {
    use base64::Engine as _;
    let (mut message, mut base64, mut compression, mut version) = (None, false, None, None);
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
        match &*k {
            "message" => message = Some(v.into_owned()),
            "base64" => base64 = v == "1",
            "compression" => compression = Some(v.into_owned()),
            "connect" => version = Some(v.into_owned()),
            _ => {}
        }
    }
    if let Some(v) = version.filter(|v| v != "v1") {
        return Err(Error::bad_request(BAD_REQUEST, format!("connect={v} is not supported: this server speaks v1")));
    }
    let message =
        message.ok_or_else(|| Error::bad_request(BAD_REQUEST, "a GET call carries its message in `message`"))?;
    let message = if base64 {
        const URL_SAFE: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        URL_SAFE
            .decode(message.as_bytes())
            .map_err(|e| Error::bad_request(BAD_REQUEST, format!("`message` is not URL-safe base64: {e}")))?
    } else {
        message.into_bytes()
    };
    if let Some(c) = compression {
        let c = HeaderValue::from_str(&c)
            .map_err(|_| Error::bad_request(BAD_REQUEST, format!("compression={c:?} is no encoding")))?;
        parts.headers.insert(CONTENT_ENCODING, c);
    }
    parts.method = http::Method::POST;
    Ok(Bytes::from(message))
}
