//! The error body on what hyper answers by itself: an HTTP/1 request it
//! cannot parse (400), a URI over its limit (414), a head over the buffer or
//! header-count limit (431). hyper writes those responses without asking the
//! service (it has no hook for them), each with an empty body, and closes the
//! connection. The accept loop's connection recognises such a response as
//! hyper writes it and sends it with Bia's error body instead.
//!
//! Why in the write path: no crate offers a hook, and reading the request
//! line ahead of hyper would mean parsing every request twice. A response of
//! the service itself is never taken for one of these: hyper's carries
//! exactly `connection: close`, `content-length: 0` and `date`, and nothing
//! else, which a Bia reply (always with a body and a content type) never is.

use bytes::Bytes;

use crate::error::reason::{HEADERS_TOO_LARGE, MALFORMED_REQUEST, URI_TOO_LONG};
use crate::error::Error;

const PREFIX: &[u8] = b"HTTP/1.1 4";
/// `HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: <29 bytes>\r\n\r\n`
/// is 103 bytes, the 431 one 123: the range hyper's heads fall in.
const SHORTEST: usize = 103;
const LONGEST: usize = 123;

/// Cheap test for the hot path: could `buf` be one of hyper's own error
/// responses? (Every response of a served request fails it on its length or
/// its first bytes, or on both.)
#[inline(always)]
pub(super) fn maybe(buf: &[u8]) -> bool {
    (SHORTEST..=LONGEST).contains(&buf.len()) && buf.starts_with(PREFIX)
}

/// The same response with Bia's error body, when `buf` is exactly one of
/// hyper's own error responses.
#[cold]
#[inline(never)]
pub(super) fn rewrite(buf: &[u8]) -> Option<Bytes> {
    let text = std::str::from_utf8(buf).ok()?;
    let (status_line, rest) = text.split_once("\r\n")?;
    let date = rest.strip_prefix("connection: close\r\ncontent-length: 0\r\ndate: ")?.strip_suffix("\r\n\r\n")?;
    if date.len() != 29 || date.contains('\r') {
        return None;
    }
    let err = match status_line {
        "HTTP/1.1 400 Bad Request" => Error::bad_request(
            MALFORMED_REQUEST,
            "the request is not HTTP/1.1: its request line or a header could not be parsed",
        ),
        "HTTP/1.1 414 URI Too Long" => Error::new(414, URI_TOO_LONG, "the request URI is longer than 65,534 bytes"),
        "HTTP/1.1 431 Request Header Fields Too Large" => Error::new(
            431,
            HEADERS_TOO_LARGE,
            "the request head is larger than the server accepts (its size or its number of headers)",
        ),
        _ => return None,
    };
    // The error body as every Bia error response writes it (`Error`'s
    // serialisation), without the HTTP server's encoder: this module sits
    // below `http` (the accept loop uses it).
    let body = serde_json::to_vec(&err).expect("serializing strings to JSON cannot fail");
    let head = format!(
        "{status_line}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\ndate: {date}\r\n\r\n",
        body.len()
    );
    let mut out = Vec::with_capacity(head.len() + body.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(&body);
    Some(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Thu, 03 Dec 2026 01:42:32 GMT";

    #[test]
    fn hypers_own_responses_get_the_error_body() {
        for (line, code, reason) in [
            ("HTTP/1.1 400 Bad Request", 400, MALFORMED_REQUEST),
            ("HTTP/1.1 414 URI Too Long", 414, URI_TOO_LONG),
            ("HTTP/1.1 431 Request Header Fields Too Large", 431, HEADERS_TOO_LARGE),
        ] {
            let head = format!("{line}\r\nconnection: close\r\ncontent-length: 0\r\ndate: {DATE}\r\n\r\n");
            assert!(maybe(head.as_bytes()), "{head}");
            let out = rewrite(head.as_bytes()).expect("rewritten");
            let text = std::str::from_utf8(&out).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            assert!(head.starts_with(line), "{head}");
            assert!(head.contains("content-type: application/json"), "{head}");
            assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
            assert!(head.contains(&format!("date: {DATE}")), "{head}");
            let json: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!((json["code"].as_u64(), json["reason"].as_str()), (Some(code), Some(reason)), "{json}");
        }
    }

    #[test]
    fn nothing_else_is_touched() {
        let ours = format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: {DATE}\r\n\r\n");
        assert!(rewrite(ours.as_bytes()).is_none());
        let with_body =
            format!("HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 2\r\ndate: {DATE}\r\n\r\n{{}}");
        assert!(rewrite(with_body.as_bytes()).is_none());
        let other =
            format!("HTTP/1.1 418 I'm a teapot\r\nconnection: close\r\ncontent-length: 0\r\ndate: {DATE}\r\n\r\n");
        assert!(rewrite(other.as_bytes()).is_none());
        assert!(!maybe(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"));
    }
}
