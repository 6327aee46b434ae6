//! The tower layers of the HTTP server: [`RouteLayer`] runs the server's
//! middleware chain around hand-written axum routes, with the matched route
//! template as the operation and the request and response as
//! [`RawRequest`]/[`RawResponse`] messages.

use std::convert::Infallible;
use std::sync::Mutex;
use std::task::{Context as TaskContext, Poll};

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::response::Response;

use super::codec::error_response;
use crate::context::Context;
use crate::error::reason::MIDDLEWARE;
use crate::error::Error;
use crate::middleware::{AnyMessage, BoxFuture, Endpoint, RawRequest, RawResponse, ServerChain};

/// A `tower::Layer` that runs the server's middleware chain around the
/// routes it wraps (apply it with `Router::route_layer`), with the matched
/// route template as operation. [`HttpServer::routes_with_middleware`](super::HttpServer::routes_with_middleware)
/// applies it for you.
///
/// ```
/// use axum::routing::get;
/// use bia::transport::http::RouteLayer;
///
/// let routes: axum::Router = axum::Router::new()
///     .route("/v1/files/{name}", get(|| async { "file" }))
///     .route_layer(RouteLayer::new());
/// # drop(routes);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteLayer;

impl RouteLayer {
    /// The layer.
    pub fn new() -> Self {
        Self
    }
}

impl<S> tower::Layer<S> for RouteLayer {
    type Service = RouteService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RouteService { inner }
    }
}

/// The service of [`RouteLayer`].
#[derive(Debug, Clone)]
pub struct RouteService<S> {
    inner: S,
}

impl<S> tower::Service<http::Request<Body>> for RouteService<S>
where
    S: tower::Service<http::Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, inner);
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let Some(ServerChain(chain)) = parts.extensions.remove::<ServerChain>() else {
                let mut inner = inner;
                return tower::Service::call(&mut inner, http::Request::from_parts(parts, body)).await;
            };
            let operation = match parts.extensions.get::<MatchedPath>() {
                Some(m) => m.as_str().to_owned(),
                None => parts.uri.path().to_owned(),
            };
            // The context gets the method, URI and headers; the extensions
            // (path parameters, matched path) stay with the request the
            // route's handler receives.
            let (mut head, ()) = http::Request::new(()).into_parts();
            head.method = parts.method.clone();
            head.uri = parts.uri.clone();
            head.headers = std::mem::take(&mut parts.headers);
            let mut ctx = Context::http_server(operation, head);
            let raw = RawRequest { method: parts.method.clone(), uri: parts.uri.clone() };
            let endpoint = RouteEndpoint { pending: Mutex::new(Some((inner, parts, body))) };
            let res = chain.run(&mut ctx, AnyMessage::raw(raw), &endpoint).await;
            let mut response = match res {
                Ok(reply) => match reply.downcast::<RawResponse>() {
                    Ok(r) => r.into_response().unwrap_or_else(|| {
                        error_response(&Error::internal_server(
                            MIDDLEWARE,
                            "the response of a hand-written route was taken",
                        ))
                    }),
                    Err(other) => error_response(&Error::internal_server(
                        MIDDLEWARE,
                        format!(
                            "a middleware replaced the response of {} with a {}",
                            ctx.operation(),
                            other.type_name()
                        ),
                    )),
                },
                Err(e) => error_response(&e),
            };
            let reply = ctx.take_reply();
            if !reply.is_empty() {
                response.headers_mut().extend(reply);
            }
            Ok(response)
        })
    }
}

type Pending<S> = (S, http::request::Parts, Body);

struct RouteEndpoint<S> {
    pending: Mutex<Option<Pending<S>>>,
}

impl<S> Endpoint for RouteEndpoint<S>
where
    S: tower::Service<http::Request<Body>, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    fn call<'a>(&'a self, ctx: &'a mut Context, _req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        let pending = self.pending.lock().map(|mut g| g.take()).unwrap_or(None);
        Box::pin(async move {
            let Some((mut inner, mut parts, body)) = pending else {
                return Err(Error::internal_server(
                    MIDDLEWARE,
                    format!("a middleware called the route {} twice", ctx.operation()),
                ));
            };
            parts.headers = ctx.request_headers().clone();
            let fut = tower::Service::call(&mut inner, http::Request::from_parts(parts, body));
            let response = match crate::context::scope(ctx, fut).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Ok(AnyMessage::raw(RawResponse::new(response)))
        })
    }
}
