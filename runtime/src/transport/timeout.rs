//! Per-request deadlines for both transports: the server's configured timeout
//! and, on gRPC, the client's `grpc-timeout`, whichever is sooner. Expiry is
//! 504 / `DeadlineExceeded` with reason `TIMEOUT` and the Bia error body.
//! No timer is armed (and nothing allocated) when no deadline applies.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::response::Response;
use pin_project_lite::pin_project;

use super::Kind;
use crate::error::Error;

/// Reason of a request that ran past its deadline.
pub const TIMEOUT_REASON: &str = "TIMEOUT";

/// Parses a `grpc-timeout` header value: digits and a unit (H, M, S, m, u, n).
pub(crate) fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (digits, unit) = v.split_at(v.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

fn expired(kind: Kind, limit: Duration) -> Response {
    let err = Error::gateway_timeout(TIMEOUT_REASON, format!("the request exceeded its {limit:?} deadline"));
    match kind {
        Kind::Http => super::http::error_response(&err),
        Kind::Grpc => err.to_status().into_http::<axum::body::Body>(),
    }
}

/// Wraps a router with deadlines.
#[derive(Clone, Debug)]
pub(crate) struct Deadline<S> {
    inner: S,
    kind: Kind,
    timeout: Option<Duration>,
}

impl<S> Deadline<S> {
    pub(crate) fn new(inner: S, kind: Kind, timeout: Option<Duration>) -> Self {
        Self { inner, kind, timeout }
    }
}

pin_project! {
    /// The future of [`Deadline`].
    pub(crate) struct DeadlineFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        kind: Kind,
        limit: Duration,
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for DeadlineFuture<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(r) = this.inner.poll(cx) {
            return Poll::Ready(r);
        }
        if let Some(sleep) = this.sleep.as_pin_mut() {
            if sleep.poll(cx).is_ready() {
                return Poll::Ready(Ok(expired(*this.kind, *this.limit)));
            }
        }
        Poll::Pending
    }
}

impl<S, B> tower::Service<http::Request<B>> for Deadline<S>
where
    S: tower::Service<http::Request<B>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let client = match self.kind {
            Kind::Grpc => req.headers().get("grpc-timeout").and_then(|v| parse_grpc_timeout(v.to_str().ok()?)),
            Kind::Http => None,
        };
        let limit = match (self.timeout, client) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(limit) = limit {
            // Handlers see it in their context; a client `Timeout` they call
            // through keeps within it.
            if let Some(at) = tokio::time::Instant::now().checked_add(limit) {
                req.extensions_mut().insert(crate::middleware::timeout::Deadline(at));
            }
        }
        DeadlineFuture {
            inner: self.inner.call(req),
            sleep: limit.map(tokio::time::sleep),
            kind: self.kind,
            limit: limit.unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_header() {
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("5"), None);
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("1x"), None);
    }
}
