//! The wrappers a bound server's routes are served in (`Bound::serve` and
//! `Bound::serve_with` in `server.rs`): the server-wide middleware chain
//! handed to handlers ([`WithChain`]), gRPC-Web's copy of the routes chosen
//! by content type ([`Split`]), and one port's dispatch between an HTTP and
//! a gRPC server ([`OnePort`]).

use std::convert::Infallible;
use std::time::Duration;

use super::connect::{one_port_form, Connect};
use super::deadline::{ErrorResponse, WithDeadline};
use super::dispatch::{FastTable, Routes, RoutesFuture};
use super::Kind;
use crate::middleware::{Chain, ServerChain};

/// A server's whole request handling on one port: the chain and the
/// deadline always wrapped (an empty chain and no deadline pass straight
/// through), so that both servers' stacks are one type and the listener's
/// connection code is compiled once more, not once per combination (and
/// nothing is boxed per request).
pub(super) type Stack = WithDeadline<WithChain<Split>>;

pub(super) fn stack(
    router: axum::Router,
    table: Option<std::sync::Arc<FastTable>>,
    grpc_web: Option<axum::Router>,
    kind: Kind,
    timeout: Option<Duration>,
    error_response: ErrorResponse,
    chain: Chain,
) -> Stack {
    let native = Routes { table, router: router.with_state(()) };
    let inner = Split { native, web: grpc_web.map(|r| r.with_state(())) };
    WithDeadline::new(WithChain { inner, chain }, kind, timeout, error_response)
}

/// A server's routes, and (gRPC-Web on) the same routes with tonic-web's
/// layer, which only gRPC-Web requests (`application/grpc-web...`) take.
#[derive(Clone)]
pub(super) struct Split {
    pub(super) native: Routes,
    pub(super) web: Option<axum::Router>,
}

impl tower::Service<::http::Request<axum::body::Body>> for Split {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = RoutesFuture;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        // Routers are always ready.
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: ::http::Request<axum::body::Body>) -> Self::Future {
        if let Some(web) = &mut self.web {
            let grpc_web = req
                .headers()
                .get(::http::header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc-web"));
            if grpc_web {
                return RoutesFuture::Router { call: web.call(req) };
            }
        }
        self.native.call(req)
    }
}

/// One listener for an HTTP server and a gRPC server: routed by content
/// type, as gRPC's (and gRPC-Web's) is always `application/grpc...` and an
/// HTTP/JSON API's never is; Connect's is `application/connect+...` on
/// streams, and on unary calls `application/json` or `application/proto`
/// with the `connect-protocol-version` header Connect's clients send (the
/// HTTP API's JSON requests have no such header). Both sides are wrapped
/// in [`Connect`] so that their futures are one type; only the gRPC side
/// translates.
#[derive(Clone)]
pub(super) struct OnePort {
    pub(super) http: Connect<Stack>,
    pub(super) grpc: Connect<Stack>,
    /// The gRPC server answers Connect.
    pub(super) connect: bool,
}

impl tower::Service<::http::Request<axum::body::Body>> for OnePort {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = <Connect<Stack> as tower::Service<::http::Request<axum::body::Body>>>::Future;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        // Both are routers, always ready.
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: ::http::Request<axum::body::Body>) -> Self::Future {
        let grpc = req
            .headers()
            .get(::http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
        if grpc {
            return self.grpc.call_as(req, None);
        }
        // Connect's requests, looked at once here and handed on as they are.
        match self.connect.then(|| one_port_form(&req)).flatten() {
            Some(form) => self.grpc.call_as(req, Some(form)),
            None => self.http.call(req),
        }
    }
}

/// Hands the server-wide middleware chain to generated handlers (and the
/// hand-written routes that opt in) through the request extensions.
#[derive(Clone)]
pub(super) struct WithChain<S> {
    pub(super) inner: S,
    pub(super) chain: Chain,
}

impl<S, B> tower::Service<::http::Request<B>> for WithChain<S>
where
    S: tower::Service<::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: ::http::Request<B>) -> Self::Future {
        // Empty only on one port (`Stack`); `serve` leaves it out instead.
        if !self.chain.is_empty() {
            req.extensions_mut().insert(ServerChain(self.chain.clone()));
        }
        self.inner.call(req)
    }
}
