//! The two transports: [`http`] (axum, JSON) and [`grpc`] (tonic, protobuf).
//!
//! Generated code serves a trait on both and builds a client for each; these
//! modules hold what they share: the request binding rules, the error mapping,
//! the codecs, and the server builders the [`App`](crate::App) runs.

pub mod grpc;
pub mod http;
mod serve;
pub(crate) mod timeout;

pub(crate) use serve::Stop;

pub use timeout::TIMEOUT_REASON;

/// A tower layer kept until the server binds (applied to the whole router).
pub(crate) type BoxedLayer = Box<dyn FnOnce(axum::Router) -> axum::Router + Send>;

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

/// Boxes a layer until the server binds.
pub(crate) fn boxed_layer(layer: impl ServerLayer) -> BoxedLayer {
    Box::new(move |router| layer.wrap(router))
}

/// Which transport a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// HTTP/JSON through axum.
    Http,
    /// gRPC through tonic.
    Grpc,
}

impl Kind {
    /// `"http"` or `"grpc"` (the `kind` label of metrics and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Grpc => "grpc",
        }
    }
}

/// Runs a router-building step that axum or tonic report by panicking (a
/// route conflict), turning the panic into an error kept for `bind`.
pub(crate) fn catch_conflict<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let text = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "unknown conflict".to_owned());
        format!("{what}: {text}")
    })
}

/// Hands the server-wide middleware chain to generated handlers through the
/// request extensions (wrapped around a whole router, only when the chain is
/// not empty).
#[derive(Clone)]
pub(crate) struct WithChain<S> {
    inner: S,
    chain: crate::middleware::Chain,
}

impl<S> WithChain<S> {
    pub(crate) fn new(inner: S, chain: crate::middleware::Chain) -> Self {
        Self { inner, chain }
    }
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
        req.extensions_mut().insert(crate::middleware::ServerChain(self.chain.clone()));
        self.inner.call(req)
    }
}

/// Serves a finished router: the server-wide chain (when there is one) and
/// the deadline (always on gRPC, which reads `grpc-timeout`; on HTTP only
/// when a timeout is set), each one wrapper around the whole router.
pub(crate) async fn serve_router(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    kind: Kind,
    timeout: Option<std::time::Duration>,
    chain: crate::middleware::Chain,
    stop: Stop,
) {
    // Turns every handler into a `Route` once, as `Router::into_make_service`
    // does: served as it is, axum clones and boxes each handler per request.
    let router = router.with_state(());
    let deadline = kind == Kind::Grpc || timeout.is_some();
    match (chain.is_empty(), deadline) {
        (true, false) => serve::serve(listener, router, stop).await,
        (true, true) => serve::serve(listener, timeout::Deadline::new(router, kind, timeout), stop).await,
        (false, false) => serve::serve(listener, WithChain::new(router, chain), stop).await,
        (false, true) => {
            let inner = WithChain::new(router, chain);
            serve::serve(listener, timeout::Deadline::new(inner, kind, timeout), stop).await
        }
    }
}
