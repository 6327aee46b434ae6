//! Generated routes served without axum's router: an HTTP server whose
//! every route Bia knows (generated services, health, the OpenAPI document
//! and its page, the metrics endpoint) finds a request's handler in its own
//! table and calls it; anything else, and every request of a server with
//! routes or layers of the user's, goes through the axum `Router` as before.
//! A gRPC server does the same with its generated services (`/{service}/`
//! paths, each its own: no route can outrank another); tonic services,
//! health and reflection stay on the router.
//!
//! Why: axum's router does per request what a generated handler never
//! reads (the matched path and the URL parameters, each an extension with
//! its allocations, a boxed clone of the route's service, the response's
//! length set again): an HTTP GET took 17,642 instructions through it and
//! takes 12,601 through the table, about half of the difference in the
//! allocator (BENCHMARKS.md, `run.sh instructions`). The table is a `matchit` router, as axum's is, holding
//! every path the axum router holds, so a path matches the route it would
//! match there; a path of a route Bia leaves to axum, a method the path has
//! no handler for (a `HEAD`, a 405), a path that matches nothing (404) and a
//! path with `%` escapes (whose decoding errors are axum's) go to the
//! router.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;

/// A boxed handler future.
type HandlerFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// A generated route's handler as the table calls it.
type Handler = Arc<dyn Fn(Request) -> HandlerFuture + Send + Sync>;

/// One binding of a generated service (`IntoRouter::into_routes`, made by
/// `http_transport::fast_route`), or a generated gRPC service: its axum
/// path and method, and the handler the table may serve it with.
#[doc(hidden)]
pub struct FastRoute {
    path: std::borrow::Cow<'static, str>,
    /// `None`: every method (a gRPC service answers them all).
    method: Option<&'static str>,
    /// `None`: the axum router serves this binding, the table only knows
    /// its path is there.
    handler: Option<Handler>,
}

impl FastRoute {
    /// `method` on `path` served by `handler` (the closure the axum router
    /// gets too).
    pub(crate) fn served<H, F>(path: &'static str, method: &'static str, handler: H) -> Self
    where
        H: FnOnce(Request) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Response> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |req| Box::pin((handler.clone())(req)));
        Self { path: path.into(), method: Some(method), handler: Some(handler) }
    }

    /// `method` on `path`, served by the axum router.
    pub(crate) fn router_only(path: &'static str, method: &'static str) -> Self {
        Self { path: path.into(), method: Some(method), handler: None }
    }

    /// The gRPC service `name` (`/{name}/...`, any method), served by `svc`
    /// as tonic's `Routes::add_service` serves it: the body made tonic's,
    /// the service made ready, the reply made axum's.
    pub(crate) fn grpc<S>(name: &'static str, svc: S) -> Self
    where
        S: tower::Service<http::Request<tonic::body::Body>, Error = Infallible> + Clone + Send + Sync + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        use axum::response::IntoResponse as _;
        let handler: Handler = Arc::new(move |req: Request| {
            let call = tower::ServiceExt::oneshot(svc.clone(), req.map(tonic::body::Body::new));
            Box::pin(async move {
                match call.await {
                    Ok(res) => res.into_response(),
                    Err(never) => match never {},
                }
            })
        });
        Self { path: format!("/{name}/{{*rest}}").into(), method: None, handler: Some(handler) }
    }
}

impl std::fmt::Debug for FastRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastRoute")
            .field("path", &self.path)
            .field("method", &self.method)
            .field("served", &self.handler.is_some())
            .finish()
    }
}

/// The handlers of one path, by method (`None`: any).
type Methods = Vec<(Option<http::Method>, Handler)>;

/// The table: every path of the server's router, with the handlers it may
/// call itself.
pub(crate) struct FastTable {
    paths: matchit::Router<Methods>,
}

impl FastTable {
    /// The table of `routes` and of the server's own `paths` (served by the
    /// router); `None` where it could not hold them all as the router does
    /// (then the router serves everything).
    pub(crate) fn new(routes: Vec<FastRoute>, paths: &[&str]) -> Option<Self> {
        let mut by_path: Vec<(String, Methods)> = Vec::new();
        for FastRoute { path, method, handler } in routes {
            let at = match by_path.iter().position(|(p, _)| *p == path) {
                Some(at) => at,
                None => {
                    by_path.push((path.into_owned(), Vec::new()));
                    by_path.len() - 1
                }
            };
            let method = match method {
                Some(m) => Some(http::Method::from_bytes(m.as_bytes()).ok()?),
                None => None,
            };
            if let Some(handler) = handler {
                by_path[at].1.push((method, handler));
            }
        }
        by_path.extend(paths.iter().map(|p| ((*p).to_owned(), Vec::new())));
        let mut table = matchit::Router::new();
        for (path, methods) in by_path {
            table.insert(path, methods).ok()?;
        }
        Some(Self { paths: table })
    }

    /// The handler the table serves `method` on `path` with, if any.
    fn handler(&self, method: &http::Method, path: &str) -> Option<&Handler> {
        if path.as_bytes().contains(&b'%') {
            return None;
        }
        let methods = self.paths.at(path).ok()?.value;
        methods.iter().find(|(m, _)| m.as_ref().is_none_or(|m| m == method)).map(|(_, h)| h)
    }
}

impl std::fmt::Debug for FastTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastTable").finish_non_exhaustive()
    }
}

/// The server's routes: the table first (when the server has one), then
/// the axum router.
#[derive(Clone)]
pub(crate) struct Routes {
    pub(crate) table: Option<Arc<FastTable>>,
    pub(crate) router: axum::Router,
}

impl tower::Service<Request> for Routes {
    type Response = Response;
    type Error = Infallible;
    type Future = RoutesFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Routers are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> RoutesFuture {
        if let Some(handler) = self.table.as_deref().and_then(|t| t.handler(req.method(), req.uri().path())) {
            return RoutesFuture::Table { call: handler(req) };
        }
        RoutesFuture::Router { call: self.router.call(req) }
    }
}

pin_project_lite::pin_project! {
    /// A request served by the table or by the router.
    #[project = RoutesProj]
    pub(crate) enum RoutesFuture {
        Table { call: HandlerFuture },
        Router { #[pin] call: <axum::Router as tower::Service<Request>>::Future },
    }
}

impl Future for RoutesFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            RoutesProj::Table { call } => call.as_mut().poll(cx).map(Ok),
            RoutesProj::Router { call } => call.poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: Request) -> std::future::Ready<Response> {
        std::future::ready(Response::default())
    }

    fn served(path: &'static str, method: &'static str) -> FastRoute {
        FastRoute::served(path, method, ok)
    }

    #[test]
    fn a_path_takes_its_own_methods_and_leaves_the_rest_to_the_router() {
        let routes = vec![
            served("/v1/things/{name}", "GET"),
            served("/v1/things/{name}", "PATCH"),
            FastRoute::router_only("/v1/jobs/{p0}", "POST"),
            served("/{name}", "GET"),
        ];
        let table = FastTable::new(routes, &["/healthz"]).expect("table");
        let get = http::Method::GET;
        assert!(table.handler(&get, "/v1/things/a").is_some());
        assert!(table.handler(&http::Method::PATCH, "/v1/things/a").is_some());
        assert!(table.handler(&http::Method::HEAD, "/v1/things/a").is_none());
        assert!(table.handler(&http::Method::DELETE, "/v1/things/a").is_none());
        assert!(table.handler(&http::Method::POST, "/v1/jobs/j:cancel").is_none());
        assert!(table.handler(&get, "/v1/things/a%20b").is_none());
        assert!(table.handler(&get, "/v1/things/a/b").is_none());
        assert!(table.handler(&get, "/other").is_some());
        // The server's own path beats `/{name}`, and is the router's.
        assert!(table.handler(&get, "/healthz").is_none());
    }

    #[test]
    fn paths_the_router_could_not_hold_either_leave_everything_to_it() {
        // A generated path the server's own routes hold too (the router's
        // merge fails the start on it).
        assert!(FastTable::new(vec![served("/healthz", "GET")], &["/healthz"]).is_none());
        assert!(FastTable::new(vec![served("/v1/x", "BAD METHOD")], &[]).is_none());
    }

    #[test]
    fn a_grpc_service_takes_every_method_under_its_name() {
        let svc = tower::service_fn(|_: http::Request<tonic::body::Body>| async {
            Ok::<_, Infallible>(http::Response::new(tonic::body::Body::empty()))
        });
        let table = FastTable::new(vec![FastRoute::grpc("pkg.v1.Things", svc)], &[]).expect("table");
        assert!(table.handler(&http::Method::POST, "/pkg.v1.Things/Get").is_some());
        assert!(table.handler(&http::Method::GET, "/pkg.v1.Things/Get").is_some());
        assert!(table.handler(&http::Method::POST, "/pkg.v1.Other/Get").is_none());
    }
}
