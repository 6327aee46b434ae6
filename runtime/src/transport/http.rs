//! HTTP/JSON through axum: the google.api.http binding rules, the error body,
//! what generated routers and clients call, and the server builder.
//!
//! A generated `FooServer<T>` gives a plain `axum::Router`, so a user's own
//! routes and layers merge with it:
//!
//! ```
//! # #[bia::message(package = "hello.v1")] pub struct HelloRequest { pub name: String }
//! # #[bia::message(package = "hello.v1")] pub struct HelloReply { pub message: String }
//! # #[bia::service(package = "hello.v1")]
//! # pub trait Greeter: Send + Sync + 'static {
//! #     #[rpc(get = "/hello/<name>")]
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! # }
//! # struct MyGreeter;
//! # impl Greeter for MyGreeter {
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply> {
//! #         Ok(HelloReply { message: req.name })
//! #     }
//! # }
//! let app: axum::Router = GreeterServer::new(MyGreeter)
//!     .into_router()
//!     .route("/version", axum::routing::get(|| async { "1.0" }));
//! ```

use std::future::Future;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use http_body_util::BodyExt as _;

use crate::client::pool::{never_sent, Pool};
use crate::client::{Dial, Target};
use crate::codec::{Message, QueryWriter};
use crate::context::{Context, Side};
use crate::error::{Error, CODEC_REASON};
use crate::middleware::{self, AnyMessage, Chain, Endpoint, Middleware, ServerChain};
use crate::schema::{DescribeService, Schema, SchemaBuilder};
use crate::transport::Kind;

/// Default limit of a request body: 4 MiB (as gRPC's default message size).
pub const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The response of an error: status = code, the Kratos JSON body.
pub fn error_response(err: &Error) -> Response {
    let status = StatusCode::from_u16(err.code())
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = encode_json(|out| serde::Serialize::serialize(err, &mut serde_json::Serializer::new(out)))
        .expect("serializing strings to JSON cannot fail");
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, JSON);
    res
}

/// Which part of a request fills the request message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum BodyRule {
    /// No body: fields not in the path come from the query.
    None,
    /// `body = "*"`: the whole message from the body.
    All,
    /// `body = "field"`: that field from the body, the rest from the query.
    Field(&'static str),
}

/// One piece of a variable's pattern (`<name=shelves/*>`).
#[derive(Debug, Clone, Copy)]
#[doc(hidden)]
pub enum PatternSeg {
    /// Literal text.
    Lit(&'static str),
    /// A captured path segment (`*`), by capture name.
    Capture(&'static str),
    /// The captured rest of the path (`**`), by capture name.
    CaptureRest(&'static str),
}

/// Whether `value` fits a variable's pattern (the client picks the binding
/// whose patterns the request's values fit, as grpc-gateway clients do).
fn fits(pattern: &[PatternSeg], value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    if let [PatternSeg::Capture(_)] | [PatternSeg::CaptureRest(_)] = pattern {
        return true;
    }
    let mut segs = value.split('/');
    for p in pattern {
        match p {
            PatternSeg::Lit("/") => {}
            PatternSeg::Lit(l) => {
                if segs.next() != Some(*l) {
                    return false;
                }
            }
            PatternSeg::Capture(_) => {
                if segs.next().is_none_or(str::is_empty) {
                    return false;
                }
            }
            PatternSeg::CaptureRest(_) => return segs.next().is_some_and(|s| !s.is_empty()),
        }
    }
    segs.next().is_none()
}

/// One piece of a path template.
#[derive(Debug, Clone, Copy)]
#[doc(hidden)]
pub enum PathSeg {
    /// Literal text.
    Lit(&'static str),
    /// A field bound from the path; `slash` when its value may contain `/`.
    Var { field: &'static str, pattern: &'static [PatternSeg], slash: bool },
}

/// One HTTP binding of an operation, generated per `#[rpc]` rule.
#[derive(Debug)]
#[doc(hidden)]
pub struct Route {
    pub operation: &'static str,
    pub method: &'static str,
    /// The axum route path (`/v1/user/{id}`).
    pub axum_path: &'static str,
    pub template: &'static [PathSeg],
    pub body: BodyRule,
    pub response_body: Option<&'static str>,
    /// Top-level and dotted fields the path and body bind (not sent as query).
    pub bound: &'static [&'static str],
}

/// Per-service HTTP settings.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct ServiceConfig {
    pub max_body: usize,
    pub snake_case: bool,
    /// The service's own middleware (inside the server-wide ones).
    pub chain: Chain,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self { max_body: DEFAULT_MAX_BODY, snake_case: false, chain: Chain::new() }
    }
}

fn codec_error(field: &str, message: String) -> Error {
    let err = Error::bad_request(CODEC_REASON, message);
    if field.is_empty() {
        err
    } else {
        err.with_metadata("field", field)
    }
}

fn json_error(prefix: &str, e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    // `?` marks a segment the tracker could not name (e.g. a malformed key).
    let path: String = e.path().to_string().split('.').take_while(|s| *s != "?").collect::<Vec<_>>().join(".");
    let path = if path.is_empty() { ".".to_owned() } else { path };
    let field = match (prefix, path.as_str()) {
        (p, ".") => p.to_owned(),
        ("", p) => p.to_owned(),
        (p, q) => format!("{p}.{q}"),
    };
    let inner = e.into_inner();
    if field.is_empty() {
        codec_error("", format!("invalid JSON body: {inner}"))
    } else {
        codec_error(&field, format!("invalid JSON body at `{field}`: {inner}"))
    }
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, Error> {
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(Error::payload_too_large("PAYLOAD_TOO_LARGE", format!("request body is larger than {limit} bytes")))
        }
        Err(e) => Err(Error::bad_request(CODEC_REASON, format!("cannot read request body: {e}"))),
    }
}

/// Binds an HTTP request into the request message: body, then query, then
/// path (path wins).
async fn bind<Req: Message>(
    route: &Route,
    cfg: &ServiceConfig,
    parts: &mut http::request::Parts,
    body: Body,
) -> Result<Req, Error> {
    if let Some(len) = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok()) {
        if len > cfg.max_body {
            return Err(Error::payload_too_large(
                "PAYLOAD_TOO_LARGE",
                format!("request body is larger than {} bytes", cfg.max_body),
            ));
        }
    }
    let mut msg = Req::default();
    match route.body {
        BodyRule::None => {}
        BodyRule::All => {
            let bytes = read_body(body, cfg.max_body).await?;
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                let mut de = serde_json::Deserializer::from_slice(&bytes);
                msg = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error("", e))?;
                de.end().map_err(|e| codec_error("", format!("invalid JSON body: {e}")))?;
            }
        }
        BodyRule::Field(field) => {
            let bytes = read_body(body, cfg.max_body).await?;
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                let mut de = serde_json::Deserializer::from_slice(&bytes);
                let mut track = serde_path_to_error::Track::new();
                let res = msg.merge_json_field(field, serde_path_to_error::Deserializer::new(&mut de, &mut track));
                if let Err(e) = res {
                    return Err(json_error(field, serde_path_to_error::Error::new(track.path(), e)));
                }
                de.end().map_err(|e| codec_error(field, format!("invalid JSON body: {e}")))?;
            }
        }
    }
    if route.body != BodyRule::All {
        if let Some(query) = parts.uri.query() {
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                if route.bound.contains(&&*k) {
                    continue;
                }
                msg.bind_param(&k, &v).map_err(|e| codec_error(&k, format!("invalid query parameter `{k}`: {e}")))?;
            }
        }
    }
    if route.template.iter().any(|s| matches!(s, PathSeg::Var { .. })) {
        if let Some(bound) = bind_simple_path(route, parts.uri.path(), &mut msg) {
            return bound.map(|()| msg);
        }
        let params = axum::extract::RawPathParams::from_request_parts(parts, &())
            .await
            .map_err(|e| codec_error("", format!("invalid path: {e}")))?;
        for seg in route.template {
            let PathSeg::Var { field, pattern, .. } = seg else { continue };
            let mut value = String::new();
            for p in *pattern {
                match p {
                    PatternSeg::Lit(l) => value.push_str(l),
                    PatternSeg::Capture(name) | PatternSeg::CaptureRest(name) => {
                        if let Some((_, v)) = params.iter().find(|(k, _)| k == name) {
                            value.push_str(v);
                        }
                    }
                }
            }
            match msg.bind_param(field, &value) {
                Ok(true) => {}
                Ok(false) => return Err(codec_error(field, format!("path parameter `{field}` names no field"))),
                Err(e) => return Err(codec_error(field, format!("invalid path parameter `{field}`: {e}"))),
            }
        }
    }
    Ok(msg)
}

/// Binds the path variables of a template whose variables are each one
/// whole segment (`/v1/user/{id}`, the common case) straight from the
/// request path, without axum's parameter list. `None` when the template or
/// the path is anything else (the caller then goes through
/// `RawPathParams`, which also gives the same errors).
fn bind_simple_path<M: Message>(route: &Route, path: &str, msg: &mut M) -> Option<Result<(), Error>> {
    let simple = route.template.iter().all(|s| match s {
        PathSeg::Lit(_) => true,
        PathSeg::Var { pattern, slash, .. } => !slash && matches!(pattern, [PatternSeg::Capture(_)]),
    });
    if !simple {
        return None;
    }
    // First check the whole path against the template, then bind: a path
    // that does not fit binds nothing here.
    let mut values: [(&str, &str); 4] = [("", ""); 4];
    let mut n = 0;
    let mut rest = path;
    for seg in route.template {
        match seg {
            PathSeg::Lit(l) => rest = rest.strip_prefix(l)?,
            PathSeg::Var { field, .. } => {
                let end = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
                if end == 0 || n == values.len() {
                    return None;
                }
                values[n] = (field, &rest[..end]);
                n += 1;
                rest = &rest[end..];
            }
        }
    }
    if !rest.is_empty() {
        return None;
    }
    let mut decoded: [std::borrow::Cow<'_, str>; 4] = Default::default();
    for (d, (_, raw)) in decoded.iter_mut().zip(&values[..n]) {
        *d = if raw.as_bytes().contains(&b'%') {
            percent_encoding::percent_decode_str(raw).decode_utf8().ok()?
        } else {
            std::borrow::Cow::Borrowed(raw)
        };
    }
    for ((field, _), value) in values[..n].iter().zip(&decoded) {
        match msg.bind_param(field, value) {
            Ok(true) => {}
            Ok(false) => return Some(Err(codec_error(field, format!("path parameter `{field}` names no field")))),
            Err(e) => return Some(Err(codec_error(field, format!("invalid path parameter `{field}`: {e}")))),
        }
    }
    Some(Ok(()))
}

fn json_response(bytes: impl Into<bytes::Bytes>) -> Response {
    let mut res = Response::new(Body::from(bytes.into()));
    res.headers_mut().insert(header::CONTENT_TYPE, JSON);
    res
}

/// JSON written by `write` into a per-thread buffer and copied into an
/// allocation of exactly its size: a `Vec` with spare capacity would cost a
/// second allocation on its way into a body (`Bytes` keeps a shared header for
/// it), and a growing `Vec` a reallocation. Replies and error bodies both go
/// this way.
fn encode_json<E>(write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>) -> Result<bytes::Bytes, E> {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    /// Larger buffers are not kept once their JSON is copied out.
    const KEEP: usize = 64 * 1024;
    let encode = |out: &mut Vec<u8>| write(out).map(|()| bytes::Bytes::copy_from_slice(out));
    BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut out) => {
            out.clear();
            let res = encode(&mut out);
            if out.capacity() > KEEP {
                *out = Vec::new();
            }
            res
        }
        // Only if encoding JSON wrote other JSON on this thread.
        Err(_) => encode(&mut Vec::with_capacity(128)),
    })
}

/// The reply as JSON (see [`encode_json`]).
fn encode_reply<Rep: Message>(route: &Route, cfg: &ServiceConfig, rep: &Rep) -> Result<bytes::Bytes, Error> {
    let write = || {
        encode_json(|out| match route.response_body {
            None => serde::Serialize::serialize(rep, &mut serde_json::Serializer::new(out)),
            Some(field) => rep.serialize_json_field(field, &mut serde_json::Serializer::new(out)),
        })
    };
    let res = if cfg.snake_case { crate::codec::with_snake_case_output(write) } else { write() };
    res.map_err(|e| Error::internal_server("CODEC", format!("cannot encode reply: {e}")))
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
    cfg: ServiceConfig,
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
    let mut ctx = Context::http_server(route.operation, parts);
    let outer = ctx.extensions_mut().remove::<ServerChain>().map(|c| c.0);
    async move {
        let msg = match bind::<Req>(route, &cfg, ctx.parts_mut(), body).await {
            Ok(m) => m,
            Err(e) => return error_response(&e),
        };
        let res = middleware::serve(outer, &cfg.chain, &mut ctx, msg, handler).await;
        let mut res = match res {
            Ok(rep) => match encode_reply(route, &cfg, &rep) {
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

/// The 404 of unknown routes, with the Bia error body.
pub async fn not_found(uri: http::Uri) -> Response {
    Error::not_found("NOT_FOUND", format!("no route for {}", uri.path())).into_response()
}

async fn method_not_allowed(method: http::Method, uri: http::Uri) -> Response {
    Error::new(405, "METHOD_NOT_ALLOWED", format!("{method} is not allowed on {}", uri.path())).into_response()
}

/// A service that can be served over HTTP (implemented by generated servers).
pub trait IntoRouter {
    /// The routes of every operation.
    fn into_router(self) -> axum::Router;
}

/// An HTTP server: generated services, hand-written axum routes, and the Bia
/// 404/405 error bodies for everything else.
#[must_use]
pub struct HttpServer {
    addr: SocketAddr,
    router: axum::Router,
    describe: Vec<fn(&mut SchemaBuilder)>,
    conflict: Option<String>,
    timeout: Option<std::time::Duration>,
    chain: Chain,
    layers: Vec<super::BoxedLayer>,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer").field("addr", &self.addr).finish()
    }
}

impl HttpServer {
    /// A server that will listen on `addr` (`0.0.0.0:8000`; port 0 picks one).
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            router: axum::Router::new(),
            describe: Vec::new(),
            conflict: None,
            timeout: None,
            chain: Chain::new(),
            layers: Vec::new(),
        }
    }

    /// Applies a tower `Layer` to every request of this server (HTTP only; it
    /// runs outside the Bia middleware chain). Layers wrap the whole router
    /// when the server starts, in the order added (the last added is the
    /// outermost, as with axum's `Router::layer`).
    ///
    /// ```
    /// let server = bia::transport::http::HttpServer::new("127.0.0.1:0".parse().unwrap())
    ///     .layer(tower::util::MapResponseLayer::new(|res: axum::response::Response| res));
    /// # drop(server);
    /// ```
    pub fn layer(mut self, layer: impl super::ServerLayer) -> Self {
        self.layers.push(super::boxed_layer(layer));
        self
    }

    /// Adds a middleware for every generated operation this server serves,
    /// and for routes added with [`routes_with_middleware`](Self::routes_with_middleware)
    /// (outside each service's own; the first added is the outermost).
    pub fn middleware(mut self, m: impl Middleware) -> Self {
        self.chain.push(std::sync::Arc::new(m));
        self
    }

    /// Adds every middleware of `chain` (what [`App::middleware`](crate::App) uses).
    pub fn chain(mut self, chain: &Chain) -> Self {
        self.chain.extend(chain);
        self
    }

    /// The longest a request may take; past it the reply is 504, reason
    /// `TIMEOUT`, with the Bia error body.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Adds a generated service. A route that another service or hand-written
    /// route already serves makes the start fail, naming the route.
    pub fn service<S: IntoRouter + DescribeService>(mut self, svc: S) -> Self {
        self.describe.push(S::describe);
        self.merge(S::SERVICE_NAME, svc.into_router())
    }

    /// Merges hand-written axum routes (the middleware chain does not run
    /// for them; see [`routes_with_middleware`](Self::routes_with_middleware)).
    pub fn routes(self, router: axum::Router) -> Self {
        self.merge("hand-written routes", router)
    }

    /// Merges hand-written axum routes that run the server's middleware
    /// chain like generated operations, with their route template
    /// (`/v1/files/{name}`) as the operation. Middleware see the request as
    /// an [`AnyMessage`] of type `http.Request` (its method and path in the
    /// JSON view); an error a middleware returns becomes the Bia error body.
    ///
    /// ```
    /// use axum::routing::get;
    ///
    /// let server = bia::transport::http::HttpServer::new("127.0.0.1:0".parse().unwrap())
    ///     .routes_with_middleware(axum::Router::new().route("/v1/files/{name}", get(|| async { "file" })));
    /// # drop(server);
    /// ```
    pub fn routes_with_middleware(self, router: axum::Router) -> Self {
        self.merge("hand-written routes", router.route_layer(crate::middleware::RouteLayer::new()))
    }

    fn merge(mut self, what: &str, router: axum::Router) -> Self {
        let current = std::mem::take(&mut self.router);
        let keep = current.clone();
        match super::catch_conflict(&format!("HTTP routes of {what} conflict"), move || current.merge(router)) {
            Ok(r) => self.router = r,
            Err(e) => {
                self.router = keep;
                self.conflict.get_or_insert(e);
            }
        }
        self
    }

    /// Puts `outer` before this server's own middleware.
    pub(crate) fn prepend_chain(&mut self, outer: &Chain) {
        self.chain.prepend(outer);
    }

    /// The configured address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The schema of every added service.
    pub fn schema(&self) -> Schema {
        Schema::from_fns(&self.describe)
    }

    pub(crate) async fn bind(self, ready: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::io::Result<BoundHttp> {
        if let Some(conflict) = self.conflict {
            return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, conflict));
        }
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("HTTP server cannot listen on {}: {e}", self.addr)))?;
        let local = listener.local_addr()?;
        let router = self
            .router
            .route("/healthz", axum::routing::get(|| async { json_response(&b"{\"status\":\"SERVING\"}"[..]) }))
            .route(
                "/readyz",
                axum::routing::get(move || {
                    let ready = ready.load(std::sync::atomic::Ordering::Acquire);
                    async move {
                        if ready {
                            json_response(&b"{\"status\":\"READY\"}"[..])
                        } else {
                            Error::service_unavailable("NOT_READY", "the server is starting or draining")
                                .into_response()
                        }
                    }
                }),
            )
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed);
        let router = self.layers.into_iter().fold(router, |r, layer| layer(r));
        Ok(BoundHttp { listener, local, router, timeout: self.timeout, chain: self.chain })
    }
}

pub(crate) struct BoundHttp {
    listener: tokio::net::TcpListener,
    pub(crate) local: SocketAddr,
    router: axum::Router,
    timeout: Option<std::time::Duration>,
    chain: Chain,
}

impl BoundHttp {
    pub(crate) async fn serve(self, stop: super::Stop) -> Result<(), Error> {
        super::serve_router(self.listener, self.router, Kind::Http, self.timeout, self.chain, stop).await;
        Ok(())
    }
}

type HyperClient = hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Body>;

/// The client half generated `FooHttpClient`s wrap: builds the URL, query and
/// body from the same rules the server binds with, and rebuilds `bia::Error`s.
#[derive(Debug, Clone)]
pub struct HttpClient {
    backend: Backend,
    client: HyperClient,
    chain: Chain,
}

/// Where calls go: one base URL, or a balanced pool of nodes.
#[derive(Debug, Clone)]
enum Backend {
    One(String),
    Pool(std::sync::Arc<Pool<String>>),
}

/// A node's base URL.
fn node_base(addr: &str) -> Result<String, Error> {
    Ok(format!("http://{addr}"))
}

fn hyper_client() -> HyperClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

impl HttpClient {
    /// A client for `base` (`http://127.0.0.1:8000`), or for a balanced
    /// `direct:///host:port,host:port` (see [`crate::client`]).
    pub fn new(base: impl Into<String>) -> Result<Self, Error> {
        let base = base.into();
        let backend = match Target::parse(&base)? {
            Target::Url(url) => {
                let url = url.trim_end_matches('/').to_owned();
                if !url.starts_with("http://") {
                    return Err(Error::bad_request(
                        "BAD_ENDPOINT",
                        format!("invalid endpoint `{url}`: expected http://host:port, direct:///host:port,.. or discovery:///name"),
                    ));
                }
                Backend::One(url)
            }
            Target::Direct(list) => Backend::Pool(Pool::direct(&Dial::new(base), &list, "http", node_base)),
            Target::Discovery(_) => {
                return Err(Error::bad_request(
                    "BAD_ENDPOINT",
                    format!(
                        "`{base}` needs a discovery: use FooHttpClient::dial(bia::client::Dial::new(..).discovery(..))"
                    ),
                ))
            }
        };
        Ok(Self { backend, client: hyper_client(), chain: Chain::new() })
    }

    /// Dials a target with its discovery, balancer and node filter (see
    /// [`crate::client`]).
    pub async fn dial(dial: Dial) -> Result<Self, Error> {
        let pool = match Target::parse(&dial.target)? {
            Target::Url(url) => return Self::new(url),
            Target::Direct(list) => Pool::direct(&dial, &list, "http", node_base),
            Target::Discovery(name) => Pool::discover(&dial, &name, "http", node_base).await?,
        };
        Ok(Self { backend: Backend::Pool(pool), client: hyper_client(), chain: Chain::new() })
    }

    /// Adds a client middleware (the first added is the outermost).
    pub fn middleware(mut self, m: impl Middleware) -> Self {
        self.chain.push(std::sync::Arc::new(m));
        self
    }

    /// Adds every middleware of `chain`.
    pub fn chain(mut self, chain: &Chain) -> Self {
        self.chain.extend(chain);
        self
    }

    /// One unary call over the first of `routes` whose path patterns the
    /// request's values fit (generated clients call this).
    #[doc(hidden)]
    pub async fn unary<Req: Message, Rep: Message>(&self, routes: &[&'static Route], req: &Req) -> Result<Rep, Error> {
        if self.chain.is_empty() {
            return self.send(routes, req, None).await;
        }
        let mut ctx = Context::new(routes[0].operation, Kind::Http, Side::Client);
        let endpoint = ClientEndpoint::<Req, Rep> { client: self, routes, _types: std::marker::PhantomData };
        self.chain.run_client(&mut ctx, AnyMessage::new(req.clone()), &endpoint).await
    }

    async fn send<Req: Message, Rep: Message>(
        &self,
        routes: &[&'static Route],
        req: &Req,
        mut ctx: Option<&mut Context>,
    ) -> Result<Rep, Error> {
        let pool = match &self.backend {
            Backend::One(base) => return self.send_to(base, routes, req, ctx).await,
            Backend::Pool(pool) => pool,
        };
        let mut tried = Vec::new();
        loop {
            let picked = pool.pick(&tried)?;
            let more = pool.len() > tried.len() + 1;
            let res = self.send_to(&picked.node.handle, routes, req, ctx.as_deref_mut()).await;
            let refused =
                matches!(&res, Err(e) if e.reason() == UNAVAILABLE && e.cause().is_some_and(|c| never_sent(c)));
            let node = std::sync::Arc::clone(&picked.node);
            picked.done(refused);
            if refused && more {
                tracing::debug!("{} refused the call; trying another node", node.addr);
                tried.push(node);
                continue;
            }
            return res;
        }
    }

    async fn send_to<Req: Message, Rep: Message>(
        &self,
        base: &str,
        routes: &[&'static Route],
        req: &Req,
        ctx: Option<&mut Context>,
    ) -> Result<Rep, Error> {
        let route = routes
            .iter()
            .find(|r| {
                r.template.iter().all(|s| match s {
                    PathSeg::Lit(_) => true,
                    PathSeg::Var { field, pattern, .. } => fits(pattern, &req.param(field).unwrap_or_default()),
                })
            })
            .ok_or_else(|| {
                Error::bad_request(
                    "NO_MATCHING_ROUTE",
                    format!("the path fields of the request fit no HTTP binding of {}", routes[0].operation),
                )
            })?;
        let mut url = String::with_capacity(base.len() + 32);
        url.push_str(base);
        for seg in route.template {
            match seg {
                PathSeg::Lit(l) => url.push_str(l),
                PathSeg::Var { field, slash, .. } => {
                    let value = req.param(field).unwrap_or_default();
                    if value.is_empty() {
                        return Err(Error::bad_request(
                            "MISSING_PATH_PARAM",
                            format!("`{field}` is empty but is part of the path of {}", route.operation),
                        ));
                    }
                    let set = if *slash { PATH_WITH_SLASH } else { PATH_SEGMENT };
                    url.extend(percent_encoding::utf8_percent_encode(&value, set));
                }
            }
        }
        let body = match route.body {
            BodyRule::All => Body::from(serde_json::to_vec(req).map_err(encode_failed)?),
            BodyRule::Field(f) => {
                let mut out = Vec::new();
                req.serialize_json_field(f, &mut serde_json::Serializer::new(&mut out)).map_err(encode_failed)?;
                Body::from(out)
            }
            BodyRule::None => Body::empty(),
        };
        if route.body != BodyRule::All {
            let mut q = QueryWriter::default();
            req.write_query("", route.bound, &mut q);
            if let Some(q) = q.finish() {
                url.push('?');
                url.push_str(&q);
            }
        }
        let mut request = http::Request::builder().method(route.method).uri(&url).header(header::ACCEPT, JSON);
        if route.body != BodyRule::None {
            request = request.header(header::CONTENT_TYPE, JSON);
        }
        let mut request = request
            .body(body)
            .map_err(|e| Error::bad_request("BAD_REQUEST", format!("cannot build request to {url}: {e}")))?;
        if let Some(ctx) = ctx.as_deref() {
            for (k, v) in ctx.request_headers() {
                request.headers_mut().append(k, v.clone());
            }
        }
        let res = self.client.request(request).await.map_err(|e| {
            Error::service_unavailable(UNAVAILABLE, format!("{} {url} failed: {e}", route.method)).with_cause(e)
        })?;
        let status = res.status();
        let (head, body) = res.into_parts();
        if let Some(ctx) = ctx {
            *ctx.reply_headers_mut() = head.headers;
        }
        let bytes = body
            .collect()
            .await
            .map_err(|e| Error::service_unavailable("UNAVAILABLE", format!("reading reply of {url}: {e}")))?
            .to_bytes();
        if !status.is_success() {
            return Err(Error::from_http(status.as_u16(), &bytes));
        }
        let decode_failed =
            |e: serde_json::Error| Error::internal_server("CODEC", format!("invalid reply from {url}: {e}"));
        match route.response_body {
            None => serde_json::from_slice(&bytes).map_err(decode_failed),
            Some(field) => {
                let mut rep = Rep::default();
                let mut de = serde_json::Deserializer::from_slice(&bytes);
                rep.merge_json_field(field, &mut de).map_err(decode_failed)?;
                Ok(rep)
            }
        }
    }
}

struct ClientEndpoint<'c, Req, Rep> {
    client: &'c HttpClient,
    routes: &'c [&'static Route],
    _types: std::marker::PhantomData<fn(Req) -> Rep>,
}

impl<Req: Message, Rep: Message> Endpoint for ClientEndpoint<'_, Req, Rep> {
    fn call<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
    ) -> middleware::BoxFuture<'a, Result<AnyMessage, Error>> {
        Box::pin(async move {
            let msg = req.downcast::<Req>().map_err(|other| {
                Error::internal_server(
                    "MIDDLEWARE",
                    format!(
                        "a client middleware replaced the request of {} with a {}",
                        self.routes[0].operation,
                        other.type_name()
                    ),
                )
            })?;
            let rep = self.client.send::<Req, Rep>(self.routes, &msg, Some(ctx)).await?;
            Ok(AnyMessage::new(rep))
        })
    }
}

/// The reason of a call that failed in transport.
const UNAVAILABLE: &str = "UNAVAILABLE";

fn encode_failed(e: serde_json::Error) -> Error {
    Error::bad_request("CODEC", format!("cannot encode request: {e}"))
}

const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
const PATH_WITH_SLASH: &percent_encoding::AsciiSet = &PATH_SEGMENT.remove(b'/');
