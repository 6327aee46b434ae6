//! The accept loop both transports share: HTTP/1.1 and HTTP/2 (gRPC is h2c)
//! on one hyper server, graceful drain on stop, and connections that outlive
//! the stop timeout closed by force.

use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// The stop signals of a server: `drain` stops accepting and lets
/// connections finish; `force` closes whatever is left.
#[derive(Clone, Debug)]
pub(crate) struct Stop {
    pub(crate) drain: watch::Receiver<bool>,
    pub(crate) force: watch::Receiver<bool>,
    /// Raised with `force`, before connections close: the streams in
    /// flight end with their `Unavailable` first.
    pub(crate) streams_end: Option<super::server::StreamsEnd>,
}

/// How long streams that were told to end get to send that end before
/// their connections close.
const STREAMS_END_GRACE: Duration = Duration::from_secs(1);

async fn raised(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// Serves `service` (a router, possibly wrapped once in a deadline) on
/// `listener` until `stop`.
pub(crate) async fn serve<S>(listener: TcpListener, service: S, stop: Stop)
where
    S: tower::Service<http::Request<Body>, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let service = service.map_request(|req: http::Request<Incoming>| req.map(Body::new));
    let builder = Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let svc = TowerToHyperService::new(service.clone());
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc).into_owned();
                let conn = graceful.watch(conn);
                conns.spawn(async move {
                    let _ = conn.await;
                });
                // Reap finished connections so the set does not grow.
                while conns.try_join_next().is_some() {}
            }
            _ = raised(stop.drain.clone()) => break,
        }
    }
    // New connections are refused from here on.
    drop(listener);
    let shutdown = graceful.shutdown();
    tokio::pin!(shutdown);
    tokio::select! {
        _ = &mut shutdown => {}
        _ = raised(stop.force.clone()) => {
            if let Some(end) = &stop.streams_end {
                end.raise();
            }
            if tokio::time::timeout(STREAMS_END_GRACE, &mut shutdown).await.is_err() {
                tracing::warn!(connections = conns.len(), "closing connections that outlived the stop timeout");
                conns.abort_all();
            }
        }
    }
    while conns.join_next().await.is_some() {}
}
