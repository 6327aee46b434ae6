//! Per-request deadlines for both servers: the server's configured timeout
//! and, on gRPC, the client's `grpc-timeout`, whichever is sooner. Expiry is
//! 504 / `DeadlineExceeded` with reason `TIMEOUT` and the Bia error body.
//! No timer is armed (and nothing allocated) when no deadline applies.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::response::Response;
use pin_project_lite::pin_project;

use super::envelope::Envelope;
use super::Kind;
use crate::context::deadline::{self, Deadline, GRPC_TIMEOUT};
use crate::error::reason::TIMEOUT;
use crate::error::Error;

/// How a server answers with an error: its transport's error response, or
/// an HTTP server's [`Envelope`].
#[derive(Clone)]
pub(crate) enum ErrorResponse {
    Form(fn(&Error) -> Response),
    Envelope(Arc<dyn Envelope>),
}

impl ErrorResponse {
    pub(crate) fn respond(&self, err: &Error) -> Response {
        match self {
            ErrorResponse::Form(form) => form(err),
            ErrorResponse::Envelope(envelope) => envelope.error(err),
        }
    }
}

impl std::fmt::Debug for ErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ErrorResponse::Form(_) => "Form",
            ErrorResponse::Envelope(_) => "Envelope",
        })
    }
}

/// Wraps a served router with deadlines.
#[derive(Clone, Debug)]
pub(crate) struct WithDeadline<S> {
    inner: S,
    kind: Kind,
    timeout: Option<Duration>,
    error_response: ErrorResponse,
}

impl<S> WithDeadline<S> {
    pub(crate) fn new(inner: S, kind: Kind, timeout: Option<Duration>, error_response: ErrorResponse) -> Self {
        Self { inner, kind, timeout, error_response }
    }
}

pin_project! {
    /// The future of [`WithDeadline`].
    pub(crate) struct DeadlineFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        error_response: ErrorResponse,
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
                let err =
                    Error::gateway_timeout(TIMEOUT, format!("the request exceeded its {:?} deadline", this.limit));
                return Poll::Ready(Ok(this.error_response.respond(&err)));
            }
        }
        Poll::Pending
    }
}

impl<S, B> tower::Service<http::Request<B>> for WithDeadline<S>
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
            Kind::Grpc => req.headers().get(GRPC_TIMEOUT).and_then(|v| deadline::parse(v.to_str().ok()?)),
            Kind::Http => None,
        };
        let limit = match (self.timeout, client) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(at) = limit.and_then(Deadline::after) {
            // Handlers see it in their context; a client `Timeout` they call
            // through keeps within it.
            req.extensions_mut().insert(at);
        }
        DeadlineFuture {
            inner: self.inner.call(req),
            sleep: limit.map(tokio::time::sleep),
            error_response: self.error_response.clone(),
            limit: limit.unwrap_or_default(),
        }
    }
}
