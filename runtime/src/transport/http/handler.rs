//! One call over HTTP, as generated routers serve it: bind the request,
//! run the middleware and the handler, encode the reply or the error.

use std::future::Future;

use axum::response::{IntoResponse, Response};

use super::binding::{bind, Route};
use super::codec::{encode_reply, error_response, json_response};
use super::stream::{is_websocket, not_a_websocket};
use super::DEFAULT_MAX_BODY;
use crate::codec::Message;
use crate::context::Context;
use crate::error::reason::{METHOD_NOT_ALLOWED, NOT_FOUND};
use crate::error::Error;
use crate::middleware::{self, Chain, ServerChain};

/// Per-service HTTP settings (generated servers keep one).
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct ServiceConfig {
    pub max_body: usize,
    pub snake_case: bool,
    /// How often an idle server-sent event stream sends a heartbeat.
    pub sse_heartbeat: std::time::Duration,
    /// The service's own middleware (inside the server-wide ones).
    pub chain: Chain,
    /// Ends the service's streams at stop (set by the server).
    pub streams_end: crate::transport::server::StreamsEnd,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            max_body: DEFAULT_MAX_BODY,
            snake_case: false,
            sse_heartbeat: super::stream::DEFAULT_SSE_HEARTBEAT,
            chain: Chain::new(),
            streams_end: Default::default(),
        }
    }
}

/// Serves one unary call over HTTP: bind, run the middleware and `handler`,
/// encode (generated routers call this).
///
/// The request's parts move into the call's [`Context`] before the future
/// is made, and binding reads them there, so the future (which axum boxes)
/// holds them once and stays small.
#[doc(hidden)]
pub fn unary<Req, Rep, F, Fut>(
    route: &'static Route,
    cfg: std::sync::Arc<ServiceConfig>,
    req: axum::extract::Request,
    handler: F,
) -> impl Future<Output = Response> + Send + 'static
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
{
    let (parts, body) = req.into_parts();
    let (mut ctx, outer) = open(route, parts);
    async move {
        // A WebSocket on a unary route is a mistake of the client's; answered
        // here so it never reads as an ordinary call.
        if is_websocket(&ctx.parts_mut().headers) {
            return error_response(&not_a_websocket(route));
        }
        let msg = match bind::<Req>(route, &cfg, ctx.parts_mut(), body).await {
            Ok(m) => m,
            Err(e) => return error_response(&e),
        };
        let res = middleware::serve(outer, &cfg.chain, &mut ctx, msg, handler).await;
        let mut res = match res {
            Ok(rep) => match encode_reply(route.response_body, cfg.snake_case, &rep) {
                Ok(bytes) => json_response(bytes),
                Err(e) => error_response(&e),
            },
            Err(e) => error_response(&e),
        };
        let reply = ctx.take_reply();
        if !reply.is_empty() {
            res.headers_mut().extend(reply);
        }
        res
    }
}

/// The context of a call to `route`, and the server-wide chain the server
/// left in the request (every generated route starts here).
#[inline]
pub(super) fn open(route: &Route, parts: http::request::Parts) -> (Context, Option<Chain>) {
    let mut ctx = Context::http_server(route.operation, parts);
    let outer = ctx.extensions_mut().remove::<ServerChain>().map(|c| c.0);
    (ctx, outer)
}

/// The 404 of unknown routes, with the Bia error body.
pub async fn not_found(uri: http::Uri) -> Response {
    Error::not_found(NOT_FOUND, format!("no route for {}", uri.path())).into_response()
}

/// The 405 of a known path with another method, with the Bia error body.
pub(super) async fn method_not_allowed(method: http::Method, uri: http::Uri) -> Response {
    Error::new(405, METHOD_NOT_ALLOWED, format!("{method} is not allowed on {}", uri.path())).into_response()
}
