//! [`Running`]: a started App, until it stops.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tonic_health::ServingStatus;

use super::{run_hooks, AppInfo, Hook};
use crate::error::reason::SERVER_TASK;
use crate::error::Error;
use crate::registry::{Registrar, ServiceInstance};
use crate::transport::grpc::Health;

pub(super) fn flatten(res: Result<Result<(), Error>, tokio::task::JoinError>) -> Result<(), Error> {
    res.map_err(|e| Error::internal_server(SERVER_TASK, format!("server task failed: {e}")))?
}

pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// A started [`App`](super::App): every server is bound and serving.
pub struct Running {
    pub(super) info: AppInfo,
    /// What `/readyz` reports.
    pub(super) ready: Arc<AtomicBool>,
    pub(super) before_stop: Vec<Hook>,
    pub(super) after_stop: Vec<Hook>,
    pub(super) http_addrs: Vec<SocketAddr>,
    pub(super) grpc_addrs: Vec<SocketAddr>,
    /// Raised to drain, then to close what outlived the stop timeout.
    pub(super) stop: watch::Sender<bool>,
    pub(super) force: watch::Sender<bool>,
    pub(super) tasks: JoinSet<Result<(), Error>>,
    pub(super) stop_timeout: Duration,
    pub(super) drain_delay: Duration,
    pub(super) health: Vec<Health>,
    pub(super) cleanups: Option<crate::wire::Cleanups>,
    /// Deregistered first thing at stop.
    pub(super) registered: Option<(Arc<dyn Registrar>, ServiceInstance)>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("info", &self.info)
            .field("http_addrs", &self.http_addrs)
            .field("grpc_addrs", &self.grpc_addrs)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// Who the application is.
    pub fn info(&self) -> &AppInfo {
        &self.info
    }

    /// The bound addresses of the HTTP servers, in the order they were added.
    pub fn http_addrs(&self) -> &[SocketAddr] {
        &self.http_addrs
    }

    /// The bound addresses of the gRPC servers, in the order they were added.
    pub fn grpc_addrs(&self) -> &[SocketAddr] {
        &self.grpc_addrs
    }

    /// Stops accepting, lets in-flight requests finish (up to the stop
    /// timeout, then aborts), and returns the first server error if any.
    pub async fn stop(mut self) -> Result<(), Error> {
        self.ready.store(false, Ordering::Release);
        // Out of the registry first, so clients stop picking this instance
        // while it still serves what they already sent.
        let deregistered = match self.registered.take() {
            Some((registrar, instance)) => registrar
                .deregister(&instance)
                .await
                .inspect_err(|e| tracing::warn!("deregistering failed: {}", e.message())),
            None => Ok(()),
        };
        let before = run_hooks(std::mem::take(&mut self.before_stop), "before-stop").await;
        for health in &self.health {
            health.set(ServingStatus::NotServing).await;
        }
        if !self.drain_delay.is_zero() {
            tokio::time::sleep(self.drain_delay).await;
        }
        let _ = self.stop.send(true);
        let mut first_err = Ok(());
        let drained = tokio::time::timeout(self.stop_timeout, join_all(&mut self.tasks, &mut first_err)).await;
        if drained.is_err() {
            tracing::warn!("stop timeout reached; closing in-flight requests");
            let _ = self.force.send(true);
            join_all(&mut self.tasks, &mut first_err).await;
        }
        tracing::info!("servers stopped");
        let after = run_hooks(std::mem::take(&mut self.after_stop), "after-stop").await;
        if let Some(c) = self.cleanups.take() {
            c.run().await;
        }
        first_err.and(before).and(after).and(deregistered)
    }
}

/// Waits for every server task, keeping the first error in `first`.
async fn join_all(tasks: &mut JoinSet<Result<(), Error>>, first: &mut Result<(), Error>) {
    while let Some(res) = tasks.join_next().await {
        if let Err(e) = flatten(res) {
            if first.is_ok() {
                *first = Err(e);
            }
        }
    }
}
