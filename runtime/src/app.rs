//! The application: runs HTTP and gRPC servers together and stops them together.
//!
//! This is the minimal runner (bind everything first, serve, stop on
//! SIGINT/SIGTERM or on [`Running::stop`]); config, hooks and the registry
//! build on it.
//!
//! ```no_run
//! # #[bia::message(package = "hello.v1")] pub struct HelloRequest { pub name: String }
//! # #[bia::message(package = "hello.v1")] pub struct HelloReply { pub message: String }
//! # #[bia::service(package = "hello.v1")]
//! # pub trait Greeter: Send + Sync + 'static {
//! #     #[rpc(get = "/hello/<name>")]
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! # }
//! # #[derive(Clone)] struct MyGreeter;
//! # impl Greeter for MyGreeter {
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply> {
//! #         Ok(HelloReply { message: req.name })
//! #     }
//! # }
//! use bia::transport::{grpc::GrpcServer, http::HttpServer};
//!
//! # async fn run() -> Result<(), bia::Error> {
//! let greeter = GreeterServer::new(MyGreeter);
//! bia::App::new("helloworld")
//!     .http(HttpServer::new(([0, 0, 0, 0], 8000).into()).service(greeter.clone()))
//!     .grpc(GrpcServer::new(([0, 0, 0, 0], 9000).into()).service(greeter))
//!     .run()
//!     .await
//! # }
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::error::Error;
use crate::transport::grpc::GrpcServer;
use crate::transport::http::HttpServer;

/// A set of servers run as one application.
#[must_use]
#[derive(Debug)]
pub struct App {
    name: String,
    http: Vec<HttpServer>,
    grpc: Vec<GrpcServer>,
    stop_timeout: Duration,
}

impl App {
    /// A new application named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), http: Vec::new(), grpc: Vec::new(), stop_timeout: Duration::from_secs(10) }
    }

    /// Adds an HTTP server.
    pub fn http(mut self, server: HttpServer) -> Self {
        self.http.push(server);
        self
    }

    /// Adds a gRPC server.
    pub fn grpc(mut self, server: GrpcServer) -> Self {
        self.grpc.push(server);
        self
    }

    /// How long [`Running::stop`] waits for in-flight requests (default 10 s).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// The application name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Binds every listener, then serves. Any address that cannot be bound
    /// fails the start (naming the address) before anything serves.
    pub async fn start(self) -> Result<Running, Error> {
        let bind_failed = |e: std::io::Error| Error::internal_server("BIND_FAILED", e.to_string());
        let mut http = Vec::new();
        for s in self.http {
            http.push(s.bind().await.map_err(bind_failed)?);
        }
        let mut grpc = Vec::new();
        for s in self.grpc {
            grpc.push(s.bind().await.map_err(bind_failed)?);
        }
        let (tx, rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let http_addrs: Vec<SocketAddr> = http.iter().map(|h| h.local).collect();
        let grpc_addrs: Vec<SocketAddr> = grpc.iter().map(|g| g.local).collect();
        let mut health = Vec::new();
        for h in http {
            tasks.spawn(h.serve(stopped(rx.clone())));
        }
        for g in grpc {
            health.push(g.health.clone());
            tasks.spawn(g.serve(stopped(rx.clone())));
        }
        for a in &http_addrs {
            tracing::info!(app = %self.name, "HTTP server listening on {a}");
        }
        for a in &grpc_addrs {
            tracing::info!(app = %self.name, "gRPC server listening on {a}");
        }
        Ok(Running { http_addrs, grpc_addrs, stop: tx, tasks, stop_timeout: self.stop_timeout, health })
    }

    /// Starts, waits for SIGINT or SIGTERM (or a server failure), then stops.
    pub async fn run(self) -> Result<(), Error> {
        let mut running = self.start().await?;
        tokio::select! {
            _ = shutdown_signal() => {}
            res = running.tasks.join_next() => {
                if let Some(res) = res {
                    flatten(res)?;
                }
            }
        }
        running.stop().await
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

fn flatten(res: Result<Result<(), Error>, tokio::task::JoinError>) -> Result<(), Error> {
    res.map_err(|e| Error::internal_server("SERVER_TASK", format!("server task failed: {e}")))?
}

async fn shutdown_signal() {
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

/// A started [`App`].
#[derive(Debug)]
pub struct Running {
    http_addrs: Vec<SocketAddr>,
    grpc_addrs: Vec<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<Result<(), Error>>,
    stop_timeout: Duration,
    health: Vec<tonic_health::server::HealthReporter>,
}

impl Running {
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
        for h in &self.health {
            h.set_service_status("", tonic_health::ServingStatus::NotServing).await;
        }
        let _ = self.stop.send(true);
        let mut first_err = Ok(());
        let drain = async {
            while let Some(res) = self.tasks.join_next().await {
                if let Err(e) = flatten(res) {
                    if first_err.is_ok() {
                        first_err = Err(e);
                    }
                }
            }
        };
        if tokio::time::timeout(self.stop_timeout, drain).await.is_err() {
            tracing::warn!("stop timeout reached; aborting in-flight requests");
            self.tasks.abort_all();
        }
        first_err
    }
}
