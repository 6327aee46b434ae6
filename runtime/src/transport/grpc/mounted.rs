//! A service tonic-build generated, mounted on a [`GrpcServer`](super::GrpcServer)
//! with [`tonic_service`](super::GrpcServer::tonic_service): its replies
//! kept within the call's deadline, as Bia's own streams are.

use std::convert::Infallible;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use http_body::Frame;
use pin_project_lite::pin_project;
use tonic::body::Body;
use tonic::server::NamedService;

use super::BoxFuture;
use crate::context::Deadline;
use crate::error::reason::TIMEOUT;
use crate::error::Error;

/// A mounted tonic service. The server's deadline (its timeout or the
/// client's `grpc-timeout`) already ends a call whose reply has not started;
/// this ends a reply stream that is still going when it passes, with
/// `DeadlineExceeded`, reason `TIMEOUT`, in the trailers.
#[derive(Clone)]
pub(super) struct Mounted<S>(pub(super) S);

impl<S: NamedService> NamedService for Mounted<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower::Service<http::Request<Body>> for Mounted<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<http::Response<Body>, Infallible>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let deadline = req.extensions().get::<Deadline>().copied();
        let reply = self.0.call(req);
        Box::pin(async move {
            let res = reply.await?;
            Ok(match deadline {
                None => res,
                Some(d) => res.map(|inner| {
                    Body::new(WithinDeadline { inner, sleep: tokio::time::sleep_until(d.0), done: false })
                }),
            })
        })
    }
}

pin_project! {
    /// A reply body that ends with `DeadlineExceeded` trailers at the deadline.
    struct WithinDeadline {
        #[pin]
        inner: Body,
        #[pin]
        sleep: tokio::time::Sleep,
        done: bool,
    }
}

impl http_body::Body for WithinDeadline {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<bytes::Bytes>, tonic::Status>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        // The deadline first: a stream that is always ready would otherwise
        // never let it be looked at.
        if this.sleep.poll(cx).is_pending() {
            let frame = std::task::ready!(this.inner.poll_frame(cx));
            if frame.is_none() {
                *this.done = true;
            }
            return Poll::Ready(frame);
        }
        *this.done = true;
        let status = Error::gateway_timeout(TIMEOUT, "the call exceeded its deadline").to_status();
        let mut trailers = http::HeaderMap::new();
        Poll::Ready(Some(match status.add_header(&mut trailers) {
            Ok(()) => Ok(Frame::trailers(trailers)),
            Err(status) => Err(status),
        }))
    }

    // A trailers-only reply (an error before any message) stays one: its
    // headers carry END_STREAM.
    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
