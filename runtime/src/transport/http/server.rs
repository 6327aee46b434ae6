//! [`HttpServer`]: generated services, hand-written axum routes, health and
//! readiness, and the Bia 404/405 error bodies for everything else.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::response::IntoResponse;

use super::codec::{error_response, json_response};
#[cfg(feature = "compression")]
use super::compression::{Compression, CompressionLayer};
use super::handler::{method_not_allowed, no_route, not_allowed, not_found};
use super::layer::RouteLayer;
use crate::context::Kind;
use crate::error::reason::NOT_READY;
use crate::error::Error;
use crate::schema::{DescribeService, OpenApi};
use crate::transport::deadline::ErrorResponse;
use crate::transport::server::{core_builder, Bound, EndStreams, ServerCore};

/// A service that can be served over HTTP (implemented by generated servers).
pub trait IntoRouter: Sized {
    /// The routes of every operation.
    fn into_router(self) -> axum::Router;

    /// The routes, and each binding's route and handler for the server's
    /// own dispatch table (`None`: the router's paths are not known, and
    /// the server serves every request through the router).
    #[doc(hidden)]
    fn into_routes(self) -> (axum::Router, Option<Vec<super::FastRoute>>) {
        (self.into_router(), None)
    }
}

/// An HTTP server: generated services, hand-written axum routes, and the Bia
/// 404/405 error bodies for everything else.
#[must_use]
pub struct HttpServer {
    core: ServerCore,
    router: axum::Router,
    /// The OpenAPI settings; `None` serves no document.
    openapi: Option<OpenApi>,
    cors: Option<super::Cors>,
    /// The shape of replies and errors; `None`: Bia's own.
    envelope: Option<Arc<dyn super::Envelope>>,
    #[cfg(feature = "compression")]
    compression: Option<Compression>,
    /// Whether `/docs` is served (when the document is).
    #[cfg(feature = "docs")]
    docs: bool,
    /// The generated services' bindings, for the dispatch table, and the
    /// other paths the router has (`/metrics`); `None` once the router has
    /// routes whose paths the server does not know (`routes`).
    fast: Option<(Vec<super::FastRoute>, Vec<&'static str>)>,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut f = f.debug_struct("HttpServer");
        f.field("addr", &self.core.addr());
        f.field("openapi", &self.openapi);
        f.field("cors", &self.cors);
        #[cfg(feature = "compression")]
        f.field("compression", &self.compression);
        #[cfg(feature = "docs")]
        f.field("docs", &self.docs);
        f.finish()
    }
}

core_builder! {
    HttpServer, "HTTP", "bia::transport::http::HttpServer",
    middleware:
        /// Adds a middleware for every generated operation this server serves,
        /// and for routes added with [`routes_with_middleware`](Self::routes_with_middleware)
        /// (outside each service's own; the first added is the outermost).
    timeout:
        /// The longest a request may take; past it the reply is 504, reason
        /// `TIMEOUT`, with the Bia error body.
}

impl HttpServer {
    /// A server that will listen on `addr` (`0.0.0.0:8000`; port 0 picks one).
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            core: ServerCore::new(Kind::Http, addr, error_response),
            router: axum::Router::new(),
            openapi: Some(OpenApi::default()),
            cors: None,
            envelope: None,
            #[cfg(feature = "compression")]
            compression: None,
            #[cfg(feature = "docs")]
            docs: true,
            fast: Some(Default::default()),
        }
    }

    /// Answers cross-origin requests from browsers as `cors` says (see
    /// [`Cors`](super::Cors)), on every route of this server. Preflights are
    /// answered before any handler or middleware runs. Off by default: a
    /// server without it sends no CORS header, and a browser page on another
    /// origin cannot read its replies.
    ///
    /// ```
    /// use bia::transport::http::{Cors, HttpServer};
    ///
    /// let server = HttpServer::new("127.0.0.1:0".parse().unwrap())
    ///     .cors(Cors::new().allowed_origins(["https://app.example.com", "https://*.example.dev"]));
    /// # drop(server);
    /// ```
    pub fn cors(mut self, cors: impl Into<Option<super::Cors>>) -> Self {
        self.cors = cors.into();
        self
    }

    /// Writes this server's replies and errors in `envelope`'s shape (see
    /// [`Envelope`](super::Envelope) for what it covers): the generated
    /// operations' JSON replies, and every error this server answers with,
    /// the 404s and 405s of paths without a route and passed deadlines
    /// included. Its services may be added before or after.
    ///
    /// ```
    /// use bia::transport::http::{Envelope, HttpServer};
    ///
    /// /// Every reply under `data`; errors as Bia writes them.
    /// struct Data;
    /// impl Envelope for Data {
    ///     fn reply(&self, message: bytes::Bytes) -> axum::response::Response {
    ///         bia::transport::http::json_reply([&b"{\"data\":"[..], &message, b"}"].concat())
    ///     }
    /// }
    ///
    /// let server = HttpServer::new("127.0.0.1:0".parse().unwrap()).envelope(Data);
    /// # drop(server);
    /// ```
    pub fn envelope(mut self, envelope: impl super::Envelope) -> Self {
        self.envelope = Some(Arc::new(envelope));
        self
    }

    /// Compresses replies by the client's `Accept-Encoding` and takes
    /// compressed request bodies by their `Content-Encoding`, on every route
    /// of this server (generated, hand-written, health and the 404s); see
    /// [`Compression`] for what is compressed and the limits.
    ///
    /// Off by default. Enabled, it wraps every route in one more layer, and
    /// a request that asks for it pays tower-http's body wrappers (and the
    /// CPU of compressing): more than the budget a plain JSON call is held
    /// to, for replies most services keep small, on links where a proxy in
    /// front often compresses already. A request that asks for neither
    /// passes with two header lookups. Turn it on for large replies to
    /// clients on slow links.
    ///
    /// ```
    /// use bia::transport::http::{Compression, HttpServer};
    ///
    /// let server = HttpServer::new("127.0.0.1:0".parse().unwrap()).compression(Compression::new());
    /// # drop(server);
    /// ```
    ///
    /// With the `compression` feature (tower-http's gzip, brotli and zstd).
    #[cfg(feature = "compression")]
    #[cfg_attr(docsrs, doc(cfg(feature = "compression")))]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = Some(compression);
        self
    }

    /// The settings of the OpenAPI document this server serves at
    /// `/openapi.json` and `/openapi.yaml` (title, version, error reasons,
    /// which operations need a bearer token; see [`OpenApi`]). The document
    /// describes the services of this server, and those `api` names.
    ///
    /// Served by default, with the App's name and version as title and
    /// version; built on the first request for it, never again.
    ///
    /// ```
    /// use bia::schema::OpenApi;
    ///
    /// let server = bia::transport::http::HttpServer::new("127.0.0.1:0".parse().unwrap())
    ///     .openapi(OpenApi::new("Users", "1.0.0").description("Who is who."));
    /// # drop(server);
    /// ```
    pub fn openapi(mut self, api: OpenApi) -> Self {
        self.openapi = Some(api);
        self
    }

    /// Whether this server serves `/openapi.json` and `/openapi.yaml` (on
    /// by default). Off, they answer 404 with the Bia error body, as any
    /// path without a route.
    ///
    /// ```
    /// let server = bia::transport::http::HttpServer::new("127.0.0.1:0".parse().unwrap()).serve_openapi(false);
    /// # drop(server);
    /// ```
    pub fn serve_openapi(mut self, on: bool) -> Self {
        match (on, self.openapi.is_some()) {
            (false, _) => self.openapi = None,
            (true, false) => self.openapi = Some(OpenApi::default()),
            (true, true) => {}
        }
        self
    }

    /// Whether this server serves its interactive API page at `/docs`
    /// (Swagger UI over the document at `/openapi.json`, its assets built
    /// into the binary; with the `docs` feature). On by default where the
    /// document is served; [`serve_openapi(false)`](Self::serve_openapi)
    /// turns both off. Off, `/docs` answers 404 with the Bia error body.
    ///
    /// ```
    /// let server = bia::transport::http::HttpServer::new("127.0.0.1:0".parse().unwrap()).serve_docs(false);
    /// # drop(server);
    /// ```
    #[cfg(feature = "docs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "docs")))]
    pub fn serve_docs(mut self, on: bool) -> Self {
        self.docs = on;
        self
    }

    /// Adds a generated service. A route that another service or hand-written
    /// route already serves makes the start fail, naming the route.
    pub fn service<S: IntoRouter + DescribeService + EndStreams>(mut self, mut svc: S) -> Self {
        svc.end_streams_with(&self.core.streams_end);
        self.core.describe(S::describe);
        let (router, fast) = svc.into_routes();
        match (fast, &mut self.fast) {
            (Some(routes), Some((all, _))) => all.extend(routes),
            _ => self.fast = None,
        }
        self.merge(S::SERVICE_NAME, router)
    }

    /// Merges hand-written axum routes (the middleware chain does not run
    /// for them; see [`routes_with_middleware`](Self::routes_with_middleware)).
    ///
    /// A server serves its generated operations from a table of its own
    /// (cheaper than axum's router by about 5,000 instructions an HTTP GET)
    /// only while it knows every path its router has: once it has
    /// hand-written routes (or a [`layer`](Self::layer), CORS or
    /// compression), every request goes through the router. Replies are
    /// the same either way; a request on the table carries no axum
    /// `MatchedPath` or path parameters in its extensions (the call's
    /// operation is in its [`Context`](crate::context::Context)).
    pub fn routes(mut self, router: axum::Router) -> Self {
        self.fast = None;
        self.merge("hand-written routes", router)
    }

    /// Serves `metrics` at `/metrics` in Prometheus' text format, as
    /// `.routes(metrics.router())` does, keeping the server's dispatch
    /// table (see [`routes`](Self::routes)).
    ///
    /// ```
    /// use bia::middleware::metrics::Metrics;
    /// use bia::transport::http::HttpServer;
    ///
    /// let metrics = Metrics::new();
    /// let server = HttpServer::new("127.0.0.1:0".parse().unwrap()).metrics(&metrics);
    /// # drop(server);
    /// ```
    pub fn metrics(mut self, metrics: &crate::middleware::metrics::Metrics) -> Self {
        if let Some((_, paths)) = &mut self.fast {
            paths.push(crate::middleware::metrics::METRICS_PATH);
        }
        self.merge("the metrics endpoint (/metrics)", metrics.router())
    }

    /// Merges hand-written axum routes that run the server's middleware
    /// chain like generated operations, with their route template
    /// (`/v1/files/{name}`) as the operation. Middleware see the request as
    /// an [`AnyMessage`](crate::middleware::AnyMessage) of type
    /// `http.Request` (its method and path in the JSON view); an error a
    /// middleware returns becomes the Bia error body. (This is
    /// [`RouteLayer`](super::RouteLayer) applied with `Router::route_layer`.)
    ///
    /// ```
    /// use axum::routing::get;
    ///
    /// let server = bia::transport::http::HttpServer::new("127.0.0.1:0".parse().unwrap())
    ///     .routes_with_middleware(axum::Router::new().route("/v1/files/{name}", get(|| async { "file" })));
    /// # drop(server);
    /// ```
    pub fn routes_with_middleware(mut self, router: axum::Router) -> Self {
        self.fast = None;
        self.merge("hand-written routes", router.route_layer(RouteLayer::new()))
    }

    fn merge(mut self, what: &str, router: axum::Router) -> Self {
        let what = format!("HTTP routes of {what} conflict");
        self.core.add(&mut self.router, &what, move |current| current.merge(router));
        self
    }

    /// Binds the listener and adds `/healthz`, `/readyz` (READY while
    /// `ready` is set), the OpenAPI document and its `/docs` page (titled after the App's `(name, version)` unless its
    /// settings say otherwise) and the 404/405 fallbacks.
    pub(crate) async fn bind(mut self, ready: Arc<AtomicBool>, app: (&str, &str)) -> std::io::Result<Bound> {
        // The paths of the server's own routes, for the dispatch table.
        let mut own = vec!["/healthz", "/readyz"];
        if let Some(api) = self.openapi.take() {
            let api = api.or_info(app.0, app.1);
            #[cfg(feature = "docs")]
            if self.docs {
                let page = super::docs::routes(api.title().unwrap_or("API"));
                self = self.merge("the API page (/docs)", page);
                own.extend(super::docs::PATHS);
            }
            let routes = super::openapi::routes(api, self.core.schema());
            self = self.merge("the OpenAPI document", routes);
            own.extend([super::OPENAPI_JSON, super::OPENAPI_YAML]);
        }
        let listener = self.core.listen().await?;
        let router = self
            .router
            .route("/healthz", axum::routing::get(|| async { json_response(&b"{\"status\":\"SERVING\"}"[..]) }))
            .route(
                "/readyz",
                axum::routing::get(move || {
                    let ready = ready.load(Ordering::Acquire);
                    async move {
                        if ready {
                            json_response(&b"{\"status\":\"READY\"}"[..])
                        } else {
                            Error::service_unavailable(NOT_READY, "the server is starting or draining").into_response()
                        }
                    }
                }),
            );
        let router = match self.envelope.take() {
            None => router.fallback(not_found).method_not_allowed_fallback(method_not_allowed),
            Some(envelope) => {
                // The services' handlers find it through the server's shared handle.
                self.core.streams_end.set_envelope(envelope.clone());
                self.core.error_response = ErrorResponse::Envelope(envelope.clone());
                let on_405 = envelope.clone();
                router
                    .fallback(move |uri: http::Uri| {
                        let envelope = envelope.clone();
                        async move { envelope.error(&no_route(uri.path())) }
                    })
                    .method_not_allowed_fallback(move |method: http::Method, uri: http::Uri| {
                        let envelope = on_405.clone();
                        async move { envelope.error(&not_allowed(&method, uri.path())) }
                    })
            }
        };
        #[cfg(feature = "compression")]
        let router = match self.compression {
            Some(compression) => router.layer(CompressionLayer(compression)),
            None => router,
        };
        let router = match &self.cors {
            Some(cors) => cors.wrap(router)?,
            None => router,
        };
        // The table only where the router's requests would be the same
        // without it: no compression or CORS around the routes (nor a
        // layer: `ServerCore::unbound`).
        #[cfg(feature = "compression")]
        let compressed = self.compression.is_some();
        #[cfg(not(feature = "compression"))]
        let compressed = false;
        let table = match self.fast.take() {
            Some((routes, paths)) if !compressed && self.cors.is_none() => {
                own.extend(paths);
                crate::transport::dispatch::FastTable::new(routes, &own)
            }
            _ => None,
        };
        self.core.bound(listener, router, table)
    }
}
