//! One call over HTTP, as generated routers serve it: bind the request,
//! run the middleware and the handler, encode the reply or the error.

use std::future::Future;

use axum::response::{IntoResponse, Response};

use super::binding::{bind, Route};
use super::codec::{encode_reply, error_response, json_response};
use super::http_body::{as_http_body, response as http_body_response};
use super::negotiate::{protobuf_response, wants_protobuf};
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
    /// The largest part of a `multipart/form-data` body.
    pub max_part: usize,
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
            max_part: DEFAULT_MAX_BODY,
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
        // here so it never reads as an ordinary call. hyper marks every
        // HTTP/1.1 request with an `Upgrade` header (the only way a
        // WebSocket opens here) with `OnUpgrade`: an extension test first,
        // cheaper than a header lookup on every call.
        let parts = ctx.parts_mut();
        if parts.extensions.get::<hyper::upgrade::OnUpgrade>().is_some() && is_websocket(&parts.headers) {
            return fail(&cfg, &not_a_websocket(route));
        }
        // Reading the request (an upload may be slow) and the call, each
        // ended with 503 `STOPPING` when the server's stop timeout passes
        // first.
        let msg = match cfg.streams_end.until_stopped(bind::<Req>(route, &cfg, ctx.parts_mut(), body)).await {
            Ok(Ok(m)) => m,
            Ok(Err(e)) | Err(e) => return fail(&cfg, &e),
        };
        // A reply of one field (`response_body`) stays JSON.
        let protobuf = route.response_body.is_none() && wants_protobuf(&ctx.parts_mut().headers);
        let served = cfg.streams_end.until_stopped(middleware::serve(outer, &cfg.chain, &mut ctx, msg, handler));
        let res = match served.await {
            Ok(res) => res,
            Err(e) => return fail(&cfg, &e),
        };
        let mut res = reply_response(route, &cfg, protobuf, res);
        let reply = ctx.take_reply();
        if !reply.is_empty() {
            res.headers_mut().extend(reply);
        }
        res
    }
}

/// The response of a call's one reply (or error): an `HttpBody` as its own
/// bytes, protobuf when asked, else JSON in the server's envelope if any.
#[inline]
pub(super) fn reply_response<Rep: Message>(
    route: &Route,
    cfg: &ServiceConfig,
    protobuf: bool,
    res: Result<Rep, Error>,
) -> Response {
    match res {
        // An `HttpBody` reply is its own bytes and content type (a type
        // test the compiler settles for every other reply type).
        Ok(rep) => match as_http_body(rep) {
            Ok(body) => http_body_response(body).unwrap_or_else(|e| fail(cfg, &e)),
            Err(rep) if protobuf => protobuf_response(&rep),
            Err(rep) => match encode_reply(route.response_body, cfg.snake_case, &rep) {
                Ok(bytes) => match cfg.streams_end.envelope() {
                    None => json_response(bytes),
                    Some(envelope) => envelope.reply(bytes),
                },
                Err(e) => fail(cfg, &e),
            },
        },
        Err(e) => fail(cfg, &e),
    }
}

/// The response of a call's error: the server's envelope's, or the Bia
/// error body.
#[inline]
pub(super) fn fail(cfg: &ServiceConfig, err: &Error) -> Response {
    match cfg.streams_end.envelope() {
        None => error_response(err),
        Some(envelope) => envelope.error(err),
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

/// Which of `routes`, the bindings of one service on one axum path, serves
/// `req`, when some of them end in a captured segment and a custom verb
/// (`/v1/<id>:cancel` and `/v1/<id>` both on `/v1/{p0}`; generated routers
/// call this). `Err` is the reply when none does: 404 for a path no binding
/// has, 405 for one that other methods serve, each with the Bia error body.
///
/// As in grpc-gateway, the verb is read from the path as sent: when the
/// last segment of the raw path ends with `:` and the verb of one of
/// `routes`, the request is for that verb, and only the bindings with it
/// may serve it; otherwise only the bindings without a verb may, and the
/// last variable's value is the whole segment. So a verb is never bound
/// into a value, a `:` a client percent-encodes (`%3A`) is always part of
/// the value, and a rule with a verb never serves a request without it.
/// Unlike grpc-gateway, which takes the first rule that matches (the last
/// registered first), the outcome does not depend on the order of the
/// methods: a matching verb always wins over the verbless rules. A
/// segment that is nothing but `:verb` has no value before the verb: 404,
/// as grpc-gateway answers. A `HEAD` goes to a `GET` binding when no
/// binding is for `HEAD`, as axum's routing does.
///
/// ```
/// use bia::__private::{axum, http, http_transport, BodyRule, PathSeg, PatternSeg, Route};
///
/// const ID: PathSeg = PathSeg::Var { field: "id", pattern: &[PatternSeg::Capture("p0")], slash: false };
/// static GET: Route = Route {
///     operation: "/jobs.v1.Jobs/GetJob",
///     method: "GET",
///     axum_path: "/v1/{p0}",
///     template: &[PathSeg::Lit("/v1/"), ID],
///     body: BodyRule::None,
///     response_body: None,
///     bound: &["id"],
/// };
/// static CANCEL: Route = Route {
///     operation: "/jobs.v1.Jobs/CancelJob",
///     method: "POST",
///     template: &[PathSeg::Lit("/v1/"), ID, PathSeg::Lit(":cancel")],
///     ..GET
/// };
/// let pick = |method: &str, path: &str| {
///     let req = http::Request::builder().method(method).uri(path).body(axum::body::Body::empty()).unwrap();
///     let cfg = http_transport::ServiceConfig::default();
///     http_transport::select(&[&GET, &CANCEL], &req, &cfg).map_err(|res| res.status().as_u16())
/// };
/// assert_eq!(pick("POST", "/v1/7:cancel"), Ok(1));
/// assert_eq!(pick("GET", "/v1/7"), Ok(0));
/// assert_eq!(pick("GET", "/v1/7%3Acancel"), Ok(0)); // the id is `7:cancel`
/// assert_eq!(pick("GET", "/v1/7:cancel"), Err(405)); // the verb is POST's
/// assert_eq!(pick("POST", "/v1/7"), Err(405)); // GET's, without a verb
/// assert_eq!(pick("POST", "/v1/:cancel"), Err(404)); // no id
/// ```
// The `Err` is the request's whole reply, made once and moved into the
// response: boxing it would only add an allocation to a 404.
#[allow(clippy::result_large_err)]
pub fn select(
    routes: &[&Route],
    req: &http::Request<axum::body::Body>,
    cfg: &ServiceConfig,
) -> Result<usize, Response> {
    let path = req.uri().path();
    let last = path.rsplit('/').next().unwrap_or(path);
    let mut verb = None;
    for v in routes.iter().filter_map(|r| r.verb()) {
        // Verbs hold no `:`, so at most one can end the segment.
        if let Some(value) = last.strip_suffix(v).and_then(|s| s.strip_suffix(':')) {
            if value.is_empty() {
                return Err(fail(cfg, &no_route(path)));
            }
            verb = Some(v);
            break;
        }
    }
    let serving = |method: &str| routes.iter().position(|r| r.verb() == verb && r.method == method);
    let method = req.method();
    if let Some(i) =
        serving(method.as_str()).or_else(|| (method == http::Method::HEAD).then(|| serving("GET")).flatten())
    {
        return Ok(i);
    }
    if routes.iter().any(|r| r.verb() == verb) {
        return Err(fail(cfg, &not_allowed(method, path)));
    }
    Err(fail(cfg, &no_route(path)))
}

/// The 404 of unknown routes, with the Bia error body.
pub async fn not_found(uri: http::Uri) -> Response {
    not_found_response(uri.path())
}

/// The error of a path without a route.
pub(super) fn no_route(path: &str) -> Error {
    Error::not_found(NOT_FOUND, format!("no route for {path}"))
}

fn not_found_response(path: &str) -> Response {
    no_route(path).into_response()
}

/// The 405 of a known path with another method, with the Bia error body.
pub(super) async fn method_not_allowed(method: http::Method, uri: http::Uri) -> Response {
    method_not_allowed_response(&method, uri.path())
}

/// The error of a known path asked with another method.
pub(super) fn not_allowed(method: &http::Method, path: &str) -> Error {
    Error::new(405, METHOD_NOT_ALLOWED, format!("{method} is not allowed on {path}"))
}

fn method_not_allowed_response(method: &http::Method, path: &str) -> Response {
    not_allowed(method, path).into_response()
}
