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
use crate::transport::dispatch::{FastRoute, FastTable};
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
    /// Encoded descriptor sets of services added with
    /// [`tonic_service`](GrpcServer::tonic_service), for reflection.
    descriptor_sets: Vec<&'static [u8]>,
    /// gRPC-Web (tonic-web) beside gRPC on the same port.
    grpc_web: bool,
    /// The Connect protocol beside gRPC on the same port.
    connect: bool,
    cors: Option<crate::transport::http::Cors>,
}

/// One added service, waiting for the server's settings: the routes with
/// it, and (a generated one) its entry in the server's dispatch table.
type AddService =
    Box<dyn FnOnce(&Compression, tonic::service::Routes) -> (tonic::service::Routes, Option<FastRoute>) + Send>;

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
            .field("grpc_web", &self.grpc_web)
            .field("connect", &self.connect)
            .field("cors", &self.cors)
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
            descriptor_sets: Vec::new(),
            grpc_web: false,
            connect: false,
            cors: None,
        }
    }

    /// Also answers gRPC-Web (`application/grpc-web`, `+proto`, and the
    /// base64 `grpc-web-text` form) on this port, over HTTP/1.1 and HTTP/2,
    /// through tonic-web: what browser clients (`@connectrpc/connect-web`'s
    /// gRPC-Web transport, grpc-web, improbable-eng) speak. The calls are the
    /// server's own: same services, middleware chain, deadlines
    /// (`grpc-timeout`), limits, TLS and drain; the status goes in the body's
    /// trailer frame, as gRPC-Web has it. Off by default: it adds a look at
    /// the content type to every call (tonic-web itself runs for gRPC-Web
    /// requests only). A page on another origin also needs
    /// [`cors`](Self::cors).
    ///
    /// ```
    /// use bia::transport::grpc::GrpcServer;
    /// use bia::transport::http::Cors;
    ///
    /// let server = GrpcServer::new("127.0.0.1:0".parse().unwrap())
    ///     .grpc_web(true)
    ///     .cors(Cors::new().allowed_origins(["https://app.example.com"]));
    /// # drop(server);
    /// ```
    pub fn grpc_web(mut self, on: bool) -> Self {
        self.grpc_web = on;
        self
    }

    /// Also answers the Connect protocol on this port, over HTTP/1.1 and
    /// HTTP/2: unary calls as a `POST` of one message
    /// (`application/proto`, or `application/json` in proto3 JSON) and
    /// streaming calls in Connect's envelopes (`application/connect+proto`
    /// or `+json`); what `@connectrpc/connect-web`'s Connect transport,
    /// the Python `connectrpc` client, connect-go and curl speak. The
    /// calls are the server's own: same services, middleware chain and
    /// operation names, deadlines (`connect-timeout-ms`), limits, TLS and
    /// drain. An error is Connect's error JSON (`{"code": "not_found",
    /// "message": ..., "details": [...]}`) with the `google.rpc.ErrorInfo`
    /// (reason, metadata) a gRPC client gets, and the HTTP status of its
    /// code. Messages are compressed as Connect says (`content-encoding`,
    /// `connect-content-encoding`) with the encodings the server accepts,
    /// protobuf only. Services added with
    /// [`tonic_service`](Self::tonic_service) answer protobuf only (their
    /// messages have no JSON codec here). Off by default: when on, every
    /// call's content type is looked at once more. A page on another origin
    /// also needs [`cors`](Self::cors).
    ///
    /// ```
    /// use bia::transport::grpc::GrpcServer;
    ///
    /// // curl -H 'content-type: application/json' -d '{"name":"Ada"}' \
    /// //      http://127.0.0.1:9000/hello.v1.Greeter/SayHello
    /// let server = GrpcServer::new("127.0.0.1:9000".parse().unwrap()).connect(true);
    /// # drop(server);
    /// ```
    pub fn connect(mut self, on: bool) -> Self {
        self.connect = on;
        self
    }

    /// Answers cross-origin requests from browsers as `cors` says (see
    /// [`Cors`](crate::transport::http::Cors); its defaults allow the
    /// headers gRPC-Web clients send and expose `grpc-status` and
    /// `grpc-message`), before anything else runs. Off by default.
    pub fn cors(mut self, cors: impl Into<Option<crate::transport::http::Cors>>) -> Self {
        self.cors = cors.into();
        self
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

    /// Adds a service generated by tonic-build (from a `.proto` a team
    /// already has), beside Bia's own: a team can move one service at a
    /// time. `descriptor_set` is the encoded `FileDescriptorSet` of its
    /// files (what `tonic_prost_build`'s `file_descriptor_set_path` writes),
    /// served by reflection; `None` leaves it out of reflection.
    ///
    /// It is served on the same listener, with the same connection limits,
    /// TLS, `grpc-timeout` deadlines (`DeadlineExceeded` past them), health
    /// (`SERVING` under its name) and drain as the rest. It is not part of
    /// the App's schema (the `.proto` export, the OpenAPI document), and
    /// Bia's middleware chain does not run for it: its calls carry tonic's
    /// messages, not Bia's, and its own tower layers (or interceptors) are
    /// where such work goes until it moves.
    ///
    /// ```no_run
    /// # mod pb {
    /// #     use std::{convert::Infallible, task::{Context, Poll}};
    /// #     #[derive(Clone)] pub struct GreeterServer;
    /// #     impl tonic::server::NamedService for GreeterServer { const NAME: &'static str = "greeter.v1.Greeter"; }
    /// #     impl tower::Service<http::Request<tonic::body::Body>> for GreeterServer {
    /// #         type Response = http::Response<tonic::body::Body>; type Error = Infallible;
    /// #         type Future = std::future::Ready<Result<Self::Response, Infallible>>;
    /// #         fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> { Poll::Ready(Ok(())) }
    /// #         fn call(&mut self, _: http::Request<tonic::body::Body>) -> Self::Future { std::future::ready(Ok(tonic::Status::unimplemented("demo").into_http())) }
    /// #     }
    /// #     pub const FILE_DESCRIPTOR_SET: &[u8] = &[];
    /// # }
    /// use bia::transport::grpc::GrpcServer;
    ///
    /// // `pb::GreeterServer` as tonic-build generated it, `pb::FILE_DESCRIPTOR_SET` its descriptors.
    /// let server = GrpcServer::new("127.0.0.1:9000".parse().unwrap())
    ///     .tonic_service(pb::GreeterServer, Some(pb::FILE_DESCRIPTOR_SET));
    /// # drop(server);
    /// ```
    pub fn tonic_service<S>(mut self, svc: S, descriptor_set: Option<&'static [u8]>) -> Self
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        if !self.claim(S::NAME) {
            return self;
        }
        self.descriptor_sets.extend(descriptor_set);
        // Its reply streams end at the call's deadline too (see `Mounted`).
        let mounted = super::mounted::Mounted(svc);
        let add = move |_: &Compression, routes: tonic::service::Routes| (routes.add_service(mounted), None);
        self.pending.push((S::NAME, Box::new(add)));
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
        if !self.claim(S::NAME) {
            return self;
        }
        svc.end_streams_with(&self.core.streams_end);
        self.core.describe(S::describe);
        let add = move |compression: &Compression, routes: tonic::service::Routes| {
            let mut svc = svc;
            compression.apply(svc.call_config_mut());
            let fast = FastRoute::grpc(S::NAME, svc.clone());
            (routes.add_service(svc), Some(fast))
        };
        self.pending.push((S::NAME, Box::new(add)));
        self
    }

    /// Takes `name` for a service being added: false (and a start error)
    /// when the server has one of that name already.
    fn claim(&mut self, name: &'static str) -> bool {
        if self.names.contains(&name) {
            self.core.conflict(format!("the gRPC service {name} is added twice"));
            return false;
        }
        self.names.push(name);
        true
    }

    /// Binds the listener (unless `listen` is false: another server's
    /// listener takes its calls) and adds health (every service serving)
    /// and reflection.
    pub(crate) async fn bind(mut self, listen: bool) -> std::io::Result<(Bound, Health)> {
        let compression = self.compression;
        let mut fast = Vec::new();
        for (name, add) in std::mem::take(&mut self.pending) {
            let what = format!("gRPC service {name}");
            self.core.add(&mut self.routes, &what, |routes| {
                let (routes, route) = add(&compression, routes);
                fast.extend(route);
                routes
            });
        }
        let listener = if listen {
            Some(self.core.listen().await?)
        } else {
            self.core.no_conflict()?;
            None
        };
        let (reporter, health_service) = tonic_health::server::health_reporter();
        let health = Health { reporter, names: self.names };
        health.set(ServingStatus::Serving).await;
        let schema = self.core.schema();
        let fds = schema.file_descriptor_set();
        let connect = self.connect.then(|| crate::transport::connect::Methods::of(&schema));
        let tonic_sets = std::mem::take(&mut self.descriptor_sets);
        let reflection = || {
            let builder = tonic_reflection::server::Builder::configure()
                .register_file_descriptor_set(fds.clone())
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
            tonic_sets.iter().fold(builder, |b, set| b.register_encoded_file_descriptor_set(set))
        };
        let reflection_error = |e| std::io::Error::other(format!("reflection: {e}"));
        let routes = self
            .routes
            .add_service(health_service)
            .add_service(reflection().build_v1().map_err(reflection_error)?)
            .add_service(reflection().build_v1alpha().map_err(reflection_error)?);
        let mut router = routes.prepare().into_axum_router();
        // On its own port with Connect on, CORS goes around the whole stack
        // (Connect's translation included), so that an error Connect answers
        // before any call is readable by a page too; otherwise around the router.
        let mut outer_cors = None;
        if let Some(cors) = &self.cors {
            if connect.is_some() && listener.is_some() {
                let invalid =
                    |e: crate::Error| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.message().to_owned());
                outer_cors = Some(cors.layer().map_err(invalid)?);
            } else {
                router = cors.wrap(router)?;
            }
        }
        // The table only where the router's requests would be the same
        // without it: no CORS around the routes (nor a layer: `unbound`).
        let table = self.cors.is_none().then(|| FastTable::new(fast, &[])).flatten();
        let mut bound = match listener {
            Some(listener) => self.core.bound(listener, router, table)?,
            None => self.core.unbound(router, table)?,
        };
        bound.connect = connect;
        bound.cors = outer_cors;
        if self.grpc_web {
            bound.add_grpc_web();
        }
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
