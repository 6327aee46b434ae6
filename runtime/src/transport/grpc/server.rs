//! [`GrpcServer`]: generated services, `grpc.health.v1` and server
//! reflection built from the services' schemas.

use std::convert::Infallible;
use std::net::SocketAddr;

use tonic::body::Body;
use tonic::codec::EnabledCompressionEncodings;
use tonic::server::NamedService;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

use super::handler::{encodings, CallConfig, ConfigureCalls, DEFAULT_ACCEPT};
use super::CompressionEncoding;
use crate::context::Kind;
use crate::schema::DescribeService;
use crate::transport::server::{core_builder, Bound, EndStreams, ServerCore};

/// A gRPC server: generated services plus `grpc.health.v1` and server
/// reflection (v1 and v1alpha) built from the services' schemas.
///
/// **Compression** (the `compression` feature). Requests compressed with
/// gzip or zstd (`grpc-encoding`) are accepted by default; a request in another encoding is refused with
/// `Unimplemented`, reason `UNSUPPORTED_ENCODING`, and the accepted ones in
/// `grpc-accept-encoding`. Replies are sent uncompressed unless
/// [`send_compression`](Self::send_compression) names encodings. A message
/// that inflates past the service's `max_decoding_message_size` (4 MiB by
/// default) is refused with `ResourceExhausted`, reason
/// `PAYLOAD_TOO_LARGE`, as one that is sent that large.
#[must_use]
pub struct GrpcServer {
    core: ServerCore,
    routes: tonic::service::Routes,
    names: Vec<&'static str>,
    /// The services added, joined to `routes` at `bind`, once every
    /// server-wide setting is known (whatever the order of the builder's
    /// calls).
    pending: Vec<(&'static str, AddService)>,
    compression: Compression,
}

/// One added service, waiting for the server's settings.
type AddService = Box<dyn FnOnce(&Compression, tonic::service::Routes) -> tonic::service::Routes + Send>;

/// The server-wide compression settings, as each service's calls take them.
#[derive(Debug, Clone, Copy)]
struct Compression {
    accept: EnabledCompressionEncodings,
    send: EnabledCompressionEncodings,
}

impl Compression {
    fn apply(&self, cfg: &mut CallConfig) {
        cfg.accept_compression = self.accept;
        cfg.send_compression = self.send;
    }
}

impl std::fmt::Debug for GrpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcServer")
            .field("addr", &self.core.addr())
            .field("services", &self.names)
            .field("compression", &self.compression)
            .finish()
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
            pending: Vec::new(),
            compression: Compression {
                accept: encodings(DEFAULT_ACCEPT.iter().copied()),
                send: EnabledCompressionEncodings::default(),
            },
        }
    }

    /// The encodings requests may be compressed with (`grpc-encoding`), for
    /// every service of this server; default gzip and zstd. An empty list
    /// accepts uncompressed requests only. Accepting costs nothing until a
    /// client compresses, so the default takes whatever a client sends.
    ///
    /// ```
    /// # #[cfg(feature = "compression")] {
    /// use bia::transport::grpc::{CompressionEncoding, GrpcServer};
    ///
    /// // gzip only: a zstd request gets `Unimplemented`, reason UNSUPPORTED_ENCODING.
    /// let server = GrpcServer::new("127.0.0.1:0".parse().unwrap())
    ///     .accept_compression([CompressionEncoding::Gzip]);
    /// # drop(server);
    /// # }
    /// ```
    pub fn accept_compression(mut self, encodings: impl IntoIterator<Item = CompressionEncoding>) -> Self {
        self.compression.accept = super::handler::encodings(encodings);
        self
    }

    /// The encodings replies may be compressed with, for every service of
    /// this server; default none. A reply is compressed with the first
    /// encoding of the client's `grpc-accept-encoding` that is in this list
    /// (a client that names none gets it uncompressed), each message of a
    /// stream on its own. Off by default because compressing costs the
    /// server CPU on every reply, and the small messages most services send
    /// gain little from it: turn it on for large, repetitive replies over
    /// slow links.
    ///
    /// ```
    /// # #[cfg(feature = "compression")] {
    /// use bia::transport::grpc::{CompressionEncoding, GrpcServer};
    ///
    /// let server = GrpcServer::new("127.0.0.1:0".parse().unwrap())
    ///     .send_compression([CompressionEncoding::Zstd, CompressionEncoding::Gzip]);
    /// # drop(server);
    /// # }
    /// ```
    pub fn send_compression(mut self, encodings: impl IntoIterator<Item = CompressionEncoding>) -> Self {
        self.compression.send = super::handler::encodings(encodings);
        self
    }

    /// Adds a generated service.
    pub fn service<S>(mut self, mut svc: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + DescribeService
            + EndStreams
            + ConfigureCalls
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
        let add = move |compression: &Compression, routes: tonic::service::Routes| {
            let mut svc = svc;
            compression.apply(svc.call_config_mut());
            routes.add_service(svc)
        };
        self.pending.push((S::NAME, Box::new(add)));
        self
    }

    /// Binds the listener and adds health (every service serving) and
    /// reflection.
    pub(crate) async fn bind(mut self) -> std::io::Result<(Bound, Health)> {
        let compression = self.compression;
        for (name, add) in std::mem::take(&mut self.pending) {
            let what = format!("gRPC service {name}");
            self.core.add(&mut self.routes, &what, move |routes| add(&compression, routes));
        }
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
