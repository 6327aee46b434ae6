//! [`GrpcServer`]: generated services, `grpc.health.v1` and server
//! reflection built from the services' schemas.

use std::convert::Infallible;
use std::net::SocketAddr;

use tonic::body::Body;
use tonic::server::NamedService;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

use crate::context::Kind;
use crate::schema::DescribeService;
use crate::transport::server::{core_builder, Bound, EndStreams, ServerCore};

/// A gRPC server: generated services plus `grpc.health.v1` and server
/// reflection (v1 and v1alpha) built from the services' schemas.
#[must_use]
pub struct GrpcServer {
    core: ServerCore,
    routes: tonic::service::Routes,
    names: Vec<&'static str>,
}

impl std::fmt::Debug for GrpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcServer").field("addr", &self.core.addr()).field("services", &self.names).finish()
    }
}

core_builder! {
    GrpcServer, "gRPC", "bia::transport::grpc::GrpcServer",
    middleware:
        /// Adds a middleware for every generated operation this server serves
        /// (outside each service's own; the first added is the outermost).
    timeout:
        /// The longest a call may take (the client's `grpc-timeout` may shorten
        /// it); past it the call ends with `DeadlineExceeded`, reason `TIMEOUT`.
}

impl GrpcServer {
    /// A server that will listen on `addr` (`0.0.0.0:9000`; port 0 picks one).
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            core: ServerCore::new(Kind::Grpc, addr, super::status::error_response),
            routes: tonic::service::Routes::default(),
            names: Vec::new(),
        }
    }

    /// Adds a generated service.
    pub fn service<S>(mut self, mut svc: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + DescribeService
            + EndStreams
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        if self.names.contains(&S::NAME) {
            self.core.conflict(format!("the gRPC service {} is added twice", S::NAME));
            return self;
        }
        svc.end_streams_with(&self.core.streams_end);
        self.core.describe(S::describe);
        self.names.push(S::NAME);
        let what = format!("gRPC service {}", S::NAME);
        self.core.add(&mut self.routes, &what, move |routes| routes.add_service(svc));
        self
    }

    /// Binds the listener and adds health (every service serving) and
    /// reflection.
    pub(crate) async fn bind(mut self) -> std::io::Result<(Bound, Health)> {
        let listener = self.core.listen().await?;
        let (reporter, health_service) = tonic_health::server::health_reporter();
        let health = Health { reporter, names: self.names };
        health.set(ServingStatus::Serving).await;
        let fds = self.core.schema().file_descriptor_set();
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_file_descriptor_set(fds.clone())
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let reflection_error = |e| std::io::Error::other(format!("reflection: {e}"));
        let routes = self
            .routes
            .add_service(health_service)
            .add_service(reflection().build_v1().map_err(reflection_error)?)
            .add_service(reflection().build_v1alpha().map_err(reflection_error)?);
        let bound = self.core.bound(listener, routes.prepare().into_axum_router())?;
        Ok((bound, health))
    }
}

/// The health of a bound server's services, as `grpc.health.v1` reports it.
pub(crate) struct Health {
    reporter: HealthReporter,
    names: Vec<&'static str>,
}

impl Health {
    /// Sets every service and the server as a whole (`""`) to `status`.
    pub(crate) async fn set(&self, status: ServingStatus) {
        for name in self.names.iter().chain(std::iter::once(&"")) {
            self.reporter.set_service_status(*name, status).await;
        }
    }
}
