//! What both servers are built from: the builder core ([`ServerCore`]: the
//! address, the server-wide middleware, tower layers, the services' schemas,
//! the deadline, a route conflict kept for `bind`) and the bound server
//! ([`Bound`]) that serves one router through the shared accept loop.
//!
//! `HttpServer` and `GrpcServer` each hold a core and add what only their
//! transport has (axum routes and the health and readiness routes; tonic
//! services, health and reflection); both end as an `axum::Router` served
//! here, so deadlines, the chain, drain and connection handling are the same
//! on both.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::connect::{Connect, Methods};
use super::deadline::{ErrorResponse, WithDeadline};
use super::dispatch::{FastTable, Routes};
use super::envelope::Envelope;
use super::limits::ConnectionLimits;
use super::stacks::{stack, OnePort, Split, WithChain};
use super::tls::{ServerTls, TlsSetting, TlsSource};
use super::{accept, Kind, Stop};
use crate::error::Error;
use crate::middleware::{Chain, Middleware};
use crate::schema::{Schema, SchemaBuilder};

/// A tower `Layer` a server can wrap its whole router in: any layer axum's
/// `Router::layer` takes (`HttpServer::layer`, `GrpcServer::layer`).
pub trait ServerLayer: Send + 'static {
    /// Wraps `router`.
    #[doc(hidden)]
    fn wrap(self, router: axum::Router) -> axum::Router;
}

impl<L> ServerLayer for L
where
    L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
    L::Service: tower::Service<::http::Request<axum::body::Body>> + Clone + Send + Sync + 'static,
    <L::Service as tower::Service<::http::Request<axum::body::Body>>>::Response: axum::response::IntoResponse + 'static,
    <L::Service as tower::Service<::http::Request<axum::body::Body>>>::Error: Into<std::convert::Infallible> + 'static,
    <L::Service as tower::Service<::http::Request<axum::body::Body>>>::Future: Send + 'static,
{
    fn wrap(self, router: axum::Router) -> axum::Router {
        router.layer(self)
    }
}

/// A tower layer kept until the server binds (applied to the whole router).
type BoxedLayer = Box<dyn FnOnce(axum::Router) -> axum::Router + Send>;

/// The settings both servers share, and what both builders do with them.
pub(crate) struct ServerCore {
    kind: Kind,
    addr: SocketAddr,
    /// The transport's error response (a deadline's expiry).
    pub(crate) error_response: ErrorResponse,
    describe: Vec<fn(&mut SchemaBuilder)>,
    /// The first route conflict; `bind` fails with it.
    conflict: Option<String>,
    timeout: Option<Duration>,
    chain: Chain,
    layers: Vec<BoxedLayer>,
    /// Ends the streams of this server's services when its stop timeout
    /// passes.
    pub(crate) streams_end: StreamsEnd,
    limits: ConnectionLimits,
    tls: Option<TlsSetting>,
}

/// What ends a server's streams in flight once its stop timeout has passed:
/// each streaming call of the services added to the server watches it, and
/// ends with 503 / `Unavailable` (reason `STOPPING`) when it is raised.
/// Generated servers hold one (see [`EndStreams`]); unset, nothing ends
/// streams but their own end. It also carries the HTTP server's reply
/// [`Envelope`] to its services' handlers, which is why an HTTP server can
/// be given one after its services.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct StreamsEnd(Option<std::sync::Arc<ServerShared>>);

/// What a server shares with the services added to it: the signal that ends
/// their streams, and (an HTTP server's) the [`Envelope`] of their replies,
/// set when the server binds.
struct ServerShared {
    end: tokio::sync::watch::Sender<bool>,
    envelope: std::sync::OnceLock<Arc<dyn Envelope>>,
}

impl std::fmt::Debug for ServerShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerShared").field("envelope", &self.envelope.get().is_some()).finish_non_exhaustive()
    }
}

impl StreamsEnd {
    fn new() -> Self {
        let end = tokio::sync::watch::channel(false).0;
        Self(Some(std::sync::Arc::new(ServerShared { end, envelope: std::sync::OnceLock::new() })))
    }

    /// A receiver for one stream; `None` when unset.
    pub(crate) fn subscribe(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        self.0.as_ref().map(|s| s.end.subscribe())
    }

    /// Ends every stream watching.
    pub(crate) fn raise(&self) {
        if let Some(s) = &self.0 {
            s.end.send_replace(true);
        }
    }

    /// The envelope of the server's HTTP replies, if it has one.
    #[inline]
    pub(crate) fn envelope(&self) -> Option<&Arc<dyn Envelope>> {
        self.0.as_ref()?.envelope.get()
    }

    /// Sets the envelope (once: at bind).
    pub(crate) fn set_envelope(&self, envelope: Arc<dyn Envelope>) {
        if let Some(s) = &self.0 {
            let _ = s.envelope.set(envelope);
        }
    }
}

impl StreamsEnd {
    /// `call` (a unary call: reading its request, the middleware and the
    /// handler), ended with 503 / `Unavailable` (reason `STOPPING`) if the
    /// server's stop timeout passes first: a call longer than the stop
    /// timeout gets an answer instead of a closed connection.
    ///
    /// Nothing is subscribed, allocated or polled beyond `call` until `call`
    /// is first pending: a call answered in one poll costs a branch.
    #[inline]
    pub(crate) fn until_stopped<F: std::future::Future>(&self, call: F) -> UntilStopped<'_, F> {
        UntilStopped { call, end: self, stopped: None }
    }
}

/// The error of a unary call the stop ended.
#[cold]
pub(crate) fn call_stopped() -> Error {
    Error::service_unavailable(
        crate::error::reason::STOPPING,
        "the server stopped before this call ended (its stop timeout passed): try again",
    )
}

pin_project_lite::pin_project! {
    /// The future of [`StreamsEnd::until_stopped`].
    pub(crate) struct UntilStopped<'a, F> {
        #[pin]
        call: F,
        end: &'a StreamsEnd,
        stopped: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
    }
}

impl<F: std::future::Future> std::future::Future for UntilStopped<'_, F> {
    type Output = Result<F::Output, Error>;

    #[inline]
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let this = self.project();
        if let std::task::Poll::Ready(out) = this.call.poll(cx) {
            return std::task::Poll::Ready(Ok(out));
        }
        poll_stopped(this.end, this.stopped, cx)
    }
}

/// The stop half of [`UntilStopped::poll`], once its call is pending.
#[cold]
fn poll_stopped<T>(
    end: &StreamsEnd,
    stopped: &mut Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<Result<T, Error>> {
    let stopped = stopped.get_or_insert_with(|| Box::pin(crate::middleware::stream::stopped(end.subscribe())));
    match stopped.as_mut().poll(cx) {
        std::task::Poll::Ready(()) => std::task::Poll::Ready(Err(call_stopped())),
        std::task::Poll::Pending => std::task::Poll::Pending,
    }
}

/// Implemented by generated servers: the server a service is added to
/// hands it the signal that ends its streams at stop.
#[doc(hidden)]
pub trait EndStreams {
    /// Sets the signal on both transports' settings.
    fn end_streams_with(&mut self, end: &StreamsEnd);
}

impl std::fmt::Debug for ServerCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCore").field("kind", &self.kind).field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl ServerCore {
    pub(crate) fn new(kind: Kind, addr: SocketAddr, error_response: fn(&Error) -> axum::response::Response) -> Self {
        Self {
            kind,
            addr,
            error_response: ErrorResponse::Form(error_response),
            describe: Vec::new(),
            conflict: None,
            timeout: None,
            chain: Chain::new(),
            layers: Vec::new(),
            streams_end: StreamsEnd::new(),
            limits: ConnectionLimits::default(),
            tls: None,
        }
    }

    pub(crate) fn limits(&mut self, limits: ConnectionLimits) {
        self.limits = limits;
    }

    pub(crate) fn tls(&mut self, tls: Option<ServerTls>) {
        self.tls = tls.map(TlsSetting::Files);
    }

    pub(crate) fn tls_config(&mut self, config: std::sync::Arc<rustls::ServerConfig>) {
        self.tls = Some(TlsSetting::Config(config));
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn layer(&mut self, layer: impl ServerLayer) {
        self.layers.push(Box::new(move |router| layer.wrap(router)));
    }

    pub(crate) fn middleware(&mut self, m: impl Middleware) {
        self.chain.push(std::sync::Arc::new(m));
    }

    pub(crate) fn chain(&mut self, chain: &Chain) {
        self.chain.extend(chain);
    }

    /// Puts `outer` (the App's middleware) before this server's own.
    pub(crate) fn prepend_chain(&mut self, outer: &Chain) {
        self.chain.prepend(outer);
    }

    pub(crate) fn timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout);
    }

    /// Records the schema of an added service.
    pub(crate) fn describe(&mut self, describe: fn(&mut SchemaBuilder)) {
        self.describe.push(describe);
    }

    pub(crate) fn schema(&self) -> Schema {
        Schema::from_fns(&self.describe)
    }

    /// Records a conflict that makes `bind` fail (the first one wins).
    pub(crate) fn conflict(&mut self, message: String) {
        self.conflict.get_or_insert(message);
    }

    /// Runs `add` on what `slot` holds. axum and tonic report a route
    /// conflict by panicking; the panic becomes a conflict kept for `bind`
    /// (naming `what`), and `slot` keeps what it held before.
    pub(crate) fn add<T: Clone + Default>(&mut self, slot: &mut T, what: &str, add: impl FnOnce(T) -> T) {
        let current = std::mem::take(slot);
        let keep = current.clone();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || add(current))) {
            Ok(added) => *slot = added,
            Err(panic) => {
                *slot = keep;
                let text = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "unknown conflict".to_owned());
                self.conflict(format!("{what}: {text}"));
            }
        }
    }

    /// Binds the listener; fails with the first conflict, or naming the
    /// address when it cannot be bound.
    pub(crate) async fn listen(&mut self) -> std::io::Result<tokio::net::TcpListener> {
        self.no_conflict()?;
        let transport = match self.kind {
            Kind::Http => "HTTP",
            Kind::Grpc => "gRPC",
        };
        tokio::net::TcpListener::bind(self.addr).await.map_err(|e| {
            std::io::Error::new(e.kind(), format!("{transport} server cannot listen on {}: {e}", self.addr))
        })
    }

    /// The server, bound, ready to serve `router` wrapped in its layers (in
    /// the order added: the last added is the outermost, as with
    /// `Router::layer`).
    pub(crate) fn bound(
        self,
        listener: tokio::net::TcpListener,
        router: axum::Router,
        table: Option<FastTable>,
    ) -> std::io::Result<Bound> {
        let local = listener.local_addr()?;
        let mut bound = self.unbound(router, table)?;
        bound.listener = Some(listener);
        bound.local = local;
        Ok(bound)
    }

    /// Fails with the first conflict recorded.
    pub(crate) fn no_conflict(&mut self) -> std::io::Result<()> {
        match self.conflict.take() {
            Some(conflict) => Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, conflict)),
            None => Ok(()),
        }
    }

    /// The server ready to serve `router` on another server's listener
    /// (its own address unused).
    /// `table` (the dispatch table of the router's generated routes) is
    /// served only where no tower layer wraps the router: a layer may look
    /// at or change any request, so then every request takes the router.
    pub(crate) fn unbound(self, router: axum::Router, table: Option<FastTable>) -> std::io::Result<Bound> {
        let table = if self.layers.is_empty() { table.map(Arc::new) } else { None };
        let local = self.addr;
        // gRPC is HTTP/2 only; HTTP offers both, h2 first.
        const HTTP_ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];
        const GRPC_ALPN: &[&[u8]] = &[b"h2"];
        let alpn = if self.kind == Kind::Grpc { GRPC_ALPN } else { HTTP_ALPN };
        let tls = self
            .tls
            .map(|t| TlsSource::new(t, alpn))
            .transpose()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.message().to_owned()))?;
        let options = accept::Options { limits: self.limits, tls };
        let router = self.layers.into_iter().fold(router, |r, layer| layer(r));
        Ok(Bound {
            options,
            listener: None,
            local,
            router,
            kind: self.kind,
            timeout: self.timeout,
            error_response: self.error_response,
            chain: self.chain,
            streams_end: self.streams_end,
            connect: None,
            cors: None,
            grpc_web: None,
            table,
        })
    }
}

/// The builder methods both servers forward to their [`ServerCore`] (field
/// `core`), written once so that the two cannot drift apart; the docs of
/// `middleware` and `timeout` say what each transport does.
macro_rules! core_builder {
    (
        $server:ident, $transport:literal, $path:literal,
        middleware: $(#[$middleware_doc:meta])*
        timeout: $(#[$timeout_doc:meta])*
    ) => {
        impl $server {
            #[doc = concat!("Applies a tower `Layer` to every request of this server (", $transport, " only; it")]
            /// runs outside the Bia middleware chain). Layers wrap the whole router
            /// when the server starts, in the order added (the last added is the
            /// outermost, as with axum's `Router::layer`).
            ///
            /// ```
            #[doc = concat!("let server = ", $path, "::new(\"127.0.0.1:0\".parse().unwrap())")]
            ///     .layer(tower::util::MapResponseLayer::new(|res: axum::response::Response| res));
            /// # drop(server);
            /// ```
            pub fn layer(mut self, layer: impl $crate::transport::ServerLayer) -> Self {
                self.core.layer(layer);
                self
            }

            $(#[$middleware_doc])*
            pub fn middleware(mut self, m: impl $crate::middleware::Middleware) -> Self {
                self.core.middleware(m);
                self
            }

            /// Adds every middleware of `chain` (what [`App::middleware`](crate::App) uses).
            pub fn chain(mut self, chain: &$crate::middleware::Chain) -> Self {
                self.core.chain(chain);
                self
            }

            $(#[$timeout_doc])*
            pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.core.timeout(timeout);
                self
            }

            /// Serves TLS with the certificate and key of `tls` (PEM files,
            /// reloaded when they change), and mutual TLS with its `client_ca`;
            /// `None` serves plaintext. Files that do not load fail the start,
            /// naming the file.
            ///
            /// ```
            #[doc = concat!("let server = ", $path, "::new(\"127.0.0.1:0\".parse().unwrap())")]
            ///     .tls(Some(bia::transport::ServerTls::new("server.crt", "server.key")));
            /// # drop(server);
            /// ```
            pub fn tls(mut self, tls: impl Into<Option<$crate::transport::ServerTls>>) -> Self {
                self.core.tls(tls.into());
                self
            }

            /// Serves TLS with a rustls config made in code (its ALPN as it is:
            /// set `h2`, and `http/1.1` on an HTTP server).
            pub fn tls_config(mut self, config: ::std::sync::Arc<::rustls::ServerConfig>) -> Self {
                self.core.tls_config(config);
                self
            }

            /// The connection limits and timeouts (see
            /// [`ConnectionLimits`]($crate::transport::ConnectionLimits) for the defaults).
            ///
            /// ```
            /// let limits = bia::transport::ConnectionLimits { max_connections: 512, ..Default::default() };
            #[doc = concat!("let server = ", $path, "::new(\"127.0.0.1:0\".parse().unwrap()).limits(limits);")]
            /// # drop(server);
            /// ```
            pub fn limits(mut self, limits: $crate::transport::ConnectionLimits) -> Self {
                self.core.limits(limits);
                self
            }

            /// Puts `outer` (the App's middleware) before this server's own.
            pub(crate) fn prepend_chain(&mut self, outer: &$crate::middleware::Chain) {
                self.core.prepend_chain(outer);
            }

            /// The configured address.
            pub fn addr(&self) -> ::std::net::SocketAddr {
                self.core.addr()
            }

            /// The schema of every added service.
            pub fn schema(&self) -> $crate::schema::Schema {
                self.core.schema()
            }
        }
    };
}

pub(crate) use core_builder;

/// A bound server: what [`App`](crate::App) serves until it stops.
pub(crate) struct Bound {
    options: accept::Options,
    /// `None` for a server whose requests another one's listener takes
    /// (one port: [`Bound::serve_with`]).
    listener: Option<tokio::net::TcpListener>,
    pub(crate) local: SocketAddr,
    router: axum::Router,
    kind: Kind,
    timeout: Option<Duration>,
    error_response: ErrorResponse,
    chain: Chain,
    streams_end: StreamsEnd,
    /// The methods of a gRPC server that answers the Connect protocol too.
    pub(crate) connect: Option<Arc<Methods>>,
    /// CORS around the whole stack (a gRPC server with Connect on its own
    /// port); other servers have theirs around the router.
    pub(crate) cors: Option<tower_http::cors::CorsLayer>,
    /// The routes with tonic-web's layer, for gRPC-Web requests (a gRPC
    /// server with gRPC-Web on).
    pub(crate) grpc_web: Option<axum::Router>,
    /// The table of the generated routes, served before the router
    /// (`dispatch.rs`); `None` serves every request through the router.
    pub(crate) table: Option<Arc<FastTable>>,
}

impl Bound {
    /// Answers gRPC-Web too: tonic-web's layer on a copy of the whole
    /// routes (CORS and all), which only gRPC-Web requests take ([`Split`]):
    /// on the routes every native call takes, the layer would box each call
    /// once more (about 5% of a call, measured).
    pub(crate) fn add_grpc_web(&mut self) {
        self.grpc_web = Some(self.router.clone().layer(tonic_web::GrpcWebLayer::new()));
    }

    /// Whether it serves TLS (its announced endpoint is `https://` or
    /// `grpcs://`).
    pub(crate) fn tls(&self) -> bool {
        self.options.tls.is_some()
    }

    /// Serves the router: the server-wide chain (when there is one) and the
    /// deadline (always on gRPC, which reads `grpc-timeout`; on HTTP only
    /// when a timeout is set), each one wrapper around the whole router
    /// (not `Router::layer`, which wraps and boxes every route again).
    pub(crate) async fn serve(self, stop: Stop) -> Result<(), Error> {
        let Bound {
            options,
            listener,
            router,
            kind,
            timeout,
            error_response,
            chain,
            streams_end,
            connect,
            cors,
            grpc_web,
            table,
            ..
        } = self;
        let listener =
            listener.ok_or_else(|| Error::internal_server(crate::error::reason::BIND_FAILED, "no listener"))?;
        let stop = Stop { streams_end: vec![streams_end], ..stop };
        // Turns every handler into a `Route` once, as `Router::into_make_service`
        // does: served as it is, axum clones and boxes each handler per request.
        let router = Routes { table, router: router.with_state(()) };
        let deadline = kind == Kind::Grpc || timeout.is_some();
        if connect.is_some() || grpc_web.is_some() {
            // Connect's translation goes outside the deadline, which reads
            // the `grpc-timeout` it writes and answers in gRPC's form when it
            // passes; gRPC-Web's is chosen inside, by the content type. (A
            // server with neither is served as below, unwrapped.)
            let inner = Split { native: router, web: grpc_web.map(|r| r.with_state(())) };
            let svc = WithDeadline::new(WithChain { inner, chain }, kind, timeout, error_response);
            let svc = Connect::new(svc, connect);
            match cors {
                Some(cors) => accept::serve(listener, tower::Layer::layer(&cors, svc), stop, options).await,
                None => accept::serve(listener, svc, stop, options).await,
            }
            return Ok(());
        }
        match (chain.is_empty(), deadline) {
            (true, false) => accept::serve(listener, router, stop, options).await,
            (true, true) => {
                let svc = WithDeadline::new(router, kind, timeout, error_response);
                accept::serve(listener, svc, stop, options).await
            }
            (false, false) => accept::serve(listener, WithChain { inner: router, chain }, stop, options).await,
            (false, true) => {
                let inner = WithChain { inner: router, chain };
                accept::serve(listener, WithDeadline::new(inner, kind, timeout, error_response), stop, options).await
            }
        }
        Ok(())
    }

    /// Serves this (HTTP) server's requests and `grpc`'s on this server's
    /// listener: a request whose content type starts with
    /// `application/grpc` (gRPC, and gRPC-Web when `grpc` answers it) goes
    /// to `grpc`, with its chain, deadline and error form; every other one
    /// here. Connection limits and TLS are this server's (its ALPN offers
    /// h2, which gRPC needs, and http/1.1). The cost of the dispatch is in
    /// BENCHMARKS.md (`run.sh oneport`).
    pub(crate) async fn serve_with(self, grpc: Bound, stop: Stop) -> Result<(), Error> {
        let Bound { options, listener, router, kind, timeout, error_response, chain, streams_end, table, .. } = self;
        let listener =
            listener.ok_or_else(|| Error::internal_server(crate::error::reason::BIND_FAILED, "no listener"))?;
        let http = stack(router, table, None, kind, timeout, error_response, chain);
        let Bound {
            router: grpc_router,
            kind: grpc_kind,
            timeout: grpc_timeout,
            error_response: grpc_error,
            chain: grpc_chain,
            streams_end: grpc_end,
            connect,
            grpc_web,
            table: grpc_table,
            ..
        } = grpc;
        let connect_on = connect.is_some();
        let grpc = Connect::new(
            stack(grpc_router, grpc_table, grpc_web, grpc_kind, grpc_timeout, grpc_error, grpc_chain),
            connect,
        );
        let stop = Stop { streams_end: vec![streams_end, grpc_end], ..stop };
        accept::serve(listener, OnePort { http: Connect::new(http, None), grpc, connect: connect_on }, stop, options)
            .await;
        Ok(())
    }
}
