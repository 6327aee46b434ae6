//! The user service written by hand with axum.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::{fair, Store};

#[derive(Serialize)]
struct UserInfo {
    id: String,
    name: String,
    email: String,
}

#[derive(Serialize)]
struct UserReply {
    user: UserInfo,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct CreateUserRequest {
    name: String,
    email: String,
}

#[derive(Serialize)]
struct ErrorBody {
    code: u16,
    reason: &'static str,
    message: String,
    metadata: BTreeMap<String, String>,
}

async fn get_user(State(store): State<Arc<Store>>, Path(id): Path<String>) -> Response {
    if fair::on() {
        fair::record_args(format_args!("{{\"id\":{id:?}}}"));
    }
    match store.get(&id) {
        Some((name, email)) => Json(UserReply { user: UserInfo { id, name, email } }).into_response(),
        None => {
            let mut res = (
                StatusCode::NOT_FOUND,
                Json(ErrorBody {
                    code: 404,
                    reason: "USER_NOT_FOUND",
                    message: format!("user {id} not found"),
                    metadata: BTreeMap::new(),
                }),
            )
                .into_response();
            if fair::on() {
                fair::record_reason("USER_NOT_FOUND");
                res.extensions_mut().insert(Reason("USER_NOT_FOUND"));
            }
            res
        }
    }
}

/// An error's reason, for the fair reference's metrics.
#[derive(Clone, Copy)]
struct Reason(&'static str);

async fn create_user(State(store): State<Arc<Store>>, Json(req): Json<CreateUserRequest>) -> Json<UserReply> {
    if fair::on() {
        fair::record_args(serde_json::to_string(&req).unwrap_or_default());
    }
    let id = store.create(req.name.clone(), req.email.clone());
    Json(UserReply { user: UserInfo { id, name: req.name, email: req.email } })
}

#[derive(Serialize)]
struct Tick {
    n: u32,
    text: &'static str,
}

/// `count` ticks as server-sent events, one JSON `data:` line each, with a
/// keep-alive comment every 15 s as Bia's (axum's SSE example, with the
/// stream written out directly).
async fn ticks(Path(count): Path<u32>) -> Sse<impl Stream<Item = Result<Event, axum::Error>>> {
    let events = futures_util::stream::iter((1..=count).map(|n| Event::default().json_data(Tick { n, text: "tick" })));
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The router (with the fair reference's observability when it is on).
pub fn router(store: Arc<Store>) -> Router {
    let router = Router::new()
        .route("/v1/user/{id}", get(get_user))
        .route("/v1/user", post(create_user))
        .route("/v1/ticks/{count}", get(ticks))
        .with_state(store);
    if fair::on() {
        observed(router)
    } else {
        router
    }
}

/// The router with a span and a log line per request (tower-http's
/// `TraceLayer`) and its metrics (a middleware, as axum's Prometheus
/// example records them).
fn observed(router: Router) -> Router {
    use axum::extract::{MatchedPath, Request};
    use axum::middleware::Next;
    let metrics = fair::init();
    let operation = |req: &Request| req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let track = move |req: Request, next: Next| async move {
        let start = std::time::Instant::now();
        let op = operation(&req).unwrap_or_else(|| req.uri().path().to_owned());
        let res = next.run(req).await;
        let reason = res.extensions().get::<Reason>().map_or("", |r| r.0);
        metrics.record("http", &op, res.status().as_u16().to_string(), reason, start.elapsed());
        res
    };
    let trace = tower_http::trace::TraceLayer::new_for_http()
        .make_span_with(move |req: &Request| {
            let op = operation(req);
            fair::request_span("http", op.as_deref().unwrap_or(req.uri().path()), req.headers())
        })
        .on_request(())
        .on_response(|res: &Response, latency: Duration, _: &tracing::Span| {
            let reason = res.extensions().get::<Reason>().map_or("", |r| r.0);
            fair::log_response(res.status().as_u16(), reason, latency);
        })
        .on_failure(());
    router.layer(axum::middleware::from_fn(track)).layer(trace)
}

/// Serves until `shutdown`.
pub async fn serve(
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    if let Some((cert, key)) = crate::tls::server_pem() {
        return serve_tls(addr, crate::tls::rustls_server(&cert, &key, &[b"h2", b"http/1.1"]), shutdown).await;
    }
    let listener = tokio::net::TcpListener::bind(addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(Arc::new(Store::default()))).with_graceful_shutdown(shutdown).await
}

/// Serves over TLS until `shutdown`, as axum's `low-level-rustls` example
/// does: tokio-rustls accepts, hyper-util serves the router on each
/// connection (HTTP/1.1 or h2 by ALPN).
async fn serve_tls(
    addr: SocketAddr,
    config: Arc<rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::service::TowerToHyperService;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let app = router(Arc::new(Store::default()));
    tokio::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = &mut shutdown => return Ok(()),
        };
        let _ = tcp.set_nodelay(true);
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else { return };
            let service = TowerToHyperService::new(app);
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await;
        });
    }
}
