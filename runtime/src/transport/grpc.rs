//! gRPC through tonic: the codec, what generated servers and clients call, and
//! the server builder that adds health and reflection.
//!
//! A generated `FooServer<T>` is a plain tonic `NamedService`, so it also plugs
//! into any `tonic::transport::Server` router by hand:
//!
//! ```no_run
//! # #[bia::message(package = "hello.v1")] pub struct HelloRequest { pub name: String }
//! # #[bia::message(package = "hello.v1")] pub struct HelloReply { pub message: String }
//! # #[bia::service(package = "hello.v1")]
//! # pub trait Greeter: Send + Sync + 'static {
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! # }
//! # struct MyGreeter;
//! # impl Greeter for MyGreeter {
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply> {
//! #         Ok(HelloReply { message: req.name })
//! #     }
//! # }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! tonic::transport::Server::builder()
//!     .add_service(GreeterServer::new(MyGreeter))
//!     .serve("127.0.0.1:9000".parse()?)
//!     .await?;
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;

use tonic::body::Body;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder, EnabledCompressionEncodings};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::Status;

use crate::client::pool::{never_sent, Pool};
use crate::client::{Dial, Target};
use crate::codec::Message;
use crate::context::Context;
use crate::error::{Error, CODEC_REASON};
use crate::middleware::{self, AnyMessage, Chain, Endpoint, Middleware, ServerChain};
use crate::schema::{DescribeService, Schema, SchemaBuilder};
use crate::transport::Kind;

/// The boxed future of a gRPC call (what tonic's generated servers use too).
pub type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'static>>;

/// The server-side codec: prost encoding, and bad request bytes become
/// `InvalidArgument` with reason `CODEC` and the field named, not `Internal`.
#[derive(Debug)]
pub struct ServerCodec<E, D>(PhantomData<fn() -> (E, D)>);

impl<E, D> Default for ServerCodec<E, D> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<E: Message, D: Message> Codec for ServerCodec<E, D> {
    type Encode = E;
    type Decode = D;
    type Encoder = tonic_prost::ProstEncoder<E>;
    type Decoder = ServerDecoder<D>;

    fn encoder(&mut self) -> Self::Encoder {
        tonic_prost::ProstEncoder::new(BufferSettings::default())
    }
    fn decoder(&mut self) -> Self::Decoder {
        ServerDecoder(PhantomData)
    }
}

/// Decoder half of [`ServerCodec`].
#[derive(Debug)]
pub struct ServerDecoder<D>(PhantomData<fn() -> D>);

impl<D: Message> Decoder for ServerDecoder<D> {
    type Item = D;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<D>, Status> {
        D::decode(buf).map(Some).map_err(|e| decode_error::<D>(&e).to_status())
    }
}

/// A bad-protobuf error naming the field, from prost's `Message.field: ...` text.
fn decode_error<D: Message>(e: &prost::DecodeError) -> Error {
    let text = e.to_string();
    let detail = text.strip_prefix("failed to decode Protobuf message: ").unwrap_or(&text);
    let mut err = Error::bad_request(CODEC_REASON, format!("invalid {} message: {detail}", D::FULL_NAME));
    // prost lists the innermost field first: `Inner.field: Outer.inner: description`.
    let fields: Vec<&str> = detail
        .split(": ")
        .take_while(|s| s.contains('.') && !s.contains(' '))
        .filter_map(|s| s.split_once('.').map(|(_, f)| f))
        .collect();
    if !fields.is_empty() {
        let path: Vec<&str> = fields.into_iter().rev().collect();
        err = err.with_metadata("field", path.join("."));
    }
    err
}

/// Per-service settings generated servers apply to every call.
#[derive(Debug, Clone, Default)]
#[doc(hidden)]
pub struct CallConfig {
    pub accept_compression: EnabledCompressionEncodings,
    pub send_compression: EnabledCompressionEncodings,
    pub max_decoding_message_size: Option<usize>,
    pub max_encoding_message_size: Option<usize>,
    /// The service's own middleware (inside the server-wide ones).
    pub chain: Chain,
}

struct Once<F> {
    handler: Option<F>,
    operation: &'static str,
    chain: Chain,
}

impl<Req, Rep, F, Fut> UnaryService<Req> for Once<F>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
{
    type Response = Rep;
    type Future = BoxFuture<tonic::Response<Rep>, Status>;

    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        let Some(f) = self.handler.take() else {
            return Box::pin(async { Err(Status::internal("unary handler called twice")) });
        };
        let chain = std::mem::take(&mut self.chain);
        // The context is made here, before the future, so the future holds
        // the metadata once.
        let (metadata, mut extensions, msg) = request.into_parts();
        let outer = extensions.remove::<ServerChain>().map(|c| c.0);
        let mut ctx = Context::grpc_server(self.operation, metadata.into_headers(), extensions);
        Box::pin(async move {
            let res = middleware::serve(outer, &chain, &mut ctx, msg, f).await;
            let reply = ctx.take_reply();
            match res {
                Ok(rep) => {
                    let mut res = tonic::Response::new(rep);
                    if !reply.is_empty() {
                        *res.metadata_mut() = tonic::metadata::MetadataMap::from_headers(reply);
                    }
                    Ok(res)
                }
                Err(e) => {
                    let mut status = e.to_status();
                    if !reply.is_empty() {
                        status.metadata_mut().as_mut().extend(reply);
                    }
                    Err(status)
                }
            }
        })
    }
}

/// Serves one unary call: decode, run the middleware and `handler`, encode
/// (generated code calls this).
#[doc(hidden)]
pub fn unary<Req, Rep, F, Fut, B>(
    cfg: &CallConfig,
    operation: &'static str,
    req: http::Request<B>,
    handler: F,
) -> BoxFuture<http::Response<Body>, Infallible>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    let cfg = cfg.clone();
    Box::pin(async move {
        let mut grpc = Grpc::new(ServerCodec::<Rep, Req>::default())
            .apply_compression_config(cfg.accept_compression, cfg.send_compression)
            .apply_max_message_size_config(cfg.max_decoding_message_size, cfg.max_encoding_message_size);
        let once = Once { handler: Some(handler), operation, chain: cfg.chain };
        let res = grpc.unary(once, req).await;
        Ok(map_size_error(res))
    })
}

/// tonic reports a request over the size limit as `OutOfRange`; Bia's error
/// model says 413 / `ResourceExhausted`, reason `PAYLOAD_TOO_LARGE`.
fn map_size_error(res: http::Response<Body>) -> http::Response<Body> {
    let out_of_range = res.headers().get("grpc-status").is_some_and(|v| v.as_bytes() == b"11");
    if !out_of_range {
        return res;
    }
    let message = res
        .headers()
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .map(|m| percent_encoding::percent_decode_str(m).decode_utf8_lossy().into_owned())
        .unwrap_or_default();
    if !message.contains("too large") {
        return res;
    }
    Error::payload_too_large("PAYLOAD_TOO_LARGE", message).to_status().into_http()
}

/// The `Unimplemented` reply for an unknown method (generated code calls this).
#[doc(hidden)]
pub fn unimplemented() -> BoxFuture<http::Response<Body>, Infallible> {
    Box::pin(async move {
        let status = Status::unimplemented("unknown method");
        Ok(status.into_http())
    })
}

/// A client connection (a tonic `Channel`).
pub type Channel = tonic::transport::Channel;

/// The client half generated `FooGrpcClient`s wrap.
#[derive(Debug, Clone)]
pub struct GrpcClient {
    backend: Backend,
    chain: Chain,
}

/// Where calls go: one channel, or a balanced pool of nodes.
#[derive(Debug, Clone)]
enum Backend {
    One(tonic::client::Grpc<Channel>),
    Pool(std::sync::Arc<Pool<Channel>>),
}

fn endpoint(dst: &str) -> Result<tonic::transport::Endpoint, Error> {
    tonic::transport::Endpoint::from_shared(dst.to_owned())
        .map_err(|e| Error::bad_request("BAD_ENDPOINT", format!("invalid endpoint `{dst}`: {e}")))
}

/// A node's channel (connects on first use).
fn node_channel(addr: &str) -> Result<Channel, Error> {
    Ok(endpoint(&format!("http://{addr}"))?.tcp_nodelay(true).connect_lazy())
}

impl GrpcClient {
    /// A client on an existing channel.
    pub fn new(channel: Channel) -> Self {
        Self { backend: Backend::One(tonic::client::Grpc::new(channel)), chain: Chain::new() }
    }

    /// Connects to `dst`: `http://127.0.0.1:9000`, or a balanced
    /// `direct:///host:port,host:port` (see [`crate::client`]).
    pub async fn connect(dst: impl Into<String>) -> Result<Self, Error> {
        let dst = dst.into();
        match Target::parse(&dst)? {
            Target::Url(_) => Self::connect_one(&dst).await,
            _ => Self::dial(Dial::new(dst)).await,
        }
    }

    async fn connect_one(dst: &str) -> Result<Self, Error> {
        let channel = endpoint(dst)?
            .connect()
            .await
            .map_err(|e| Error::service_unavailable("CONNECT_FAILED", format!("cannot connect to {dst}: {e}")))?;
        Ok(Self::new(channel))
    }

    /// A client that connects on first use (`http://..` or `direct:///..`).
    pub fn connect_lazy(dst: impl Into<String>) -> Result<Self, Error> {
        let dst = dst.into();
        match Target::parse(&dst)? {
            Target::Url(_) => Ok(Self::new(endpoint(&dst)?.connect_lazy())),
            Target::Direct(list) => Ok(Self::pooled(Pool::direct(&Dial::new(dst), &list, "grpc", node_channel))),
            Target::Discovery(_) => Err(Error::bad_request(
                "BAD_ENDPOINT",
                format!("`{dst}` needs a discovery: use FooGrpcClient::dial(bia::client::Dial::new(..).discovery(..))"),
            )),
        }
    }

    /// Dials a target with its discovery, balancer and node filter (see
    /// [`crate::client`]).
    pub async fn dial(dial: Dial) -> Result<Self, Error> {
        match Target::parse(&dial.target)? {
            Target::Url(url) => Self::connect_one(&url).await,
            Target::Direct(list) => Ok(Self::pooled(Pool::direct(&dial, &list, "grpc", node_channel))),
            Target::Discovery(name) => Ok(Self::pooled(Pool::discover(&dial, &name, "grpc", node_channel).await?)),
        }
    }

    fn pooled(pool: std::sync::Arc<Pool<Channel>>) -> Self {
        Self { backend: Backend::Pool(pool), chain: Chain::new() }
    }

    /// Adds a client middleware (the first added is the outermost).
    pub fn middleware(mut self, m: impl Middleware) -> Self {
        self.chain.push(std::sync::Arc::new(m));
        self
    }

    /// Adds every middleware of `chain`.
    pub fn chain(mut self, chain: &Chain) -> Self {
        self.chain.extend(chain);
        self
    }

    /// One unary call (generated clients call this).
    #[doc(hidden)]
    pub async fn unary<Req: Message, Rep: Message>(&self, path: &'static str, req: Req) -> Result<Rep, Error> {
        if self.chain.is_empty() {
            return match self.send(path, req, None).await? {
                Ok(res) => Ok(res.into_inner()),
                Err(status) => Err(Error::from_status(&status)),
            };
        }
        let mut ctx = Context::new(path, Kind::Grpc, crate::context::Side::Client);
        let endpoint = ClientEndpoint::<Req, Rep> { client: self, path, _types: PhantomData };
        self.chain.run_client(&mut ctx, AnyMessage::new(req), &endpoint).await
    }

    async fn send<Req: Message, Rep: Message>(
        &self,
        path: &'static str,
        req: Req,
        headers: Option<&http::HeaderMap>,
    ) -> Result<Result<tonic::Response<Rep>, Status>, Error> {
        let pool = match &self.backend {
            Backend::One(grpc) => return send_on(grpc.clone(), path, request(req, headers)).await,
            Backend::Pool(pool) => pool,
        };
        let mut tried = Vec::new();
        let mut req = req;
        loop {
            let picked = pool.pick(&tried)?;
            // Another node can take the call if this one refuses it.
            let more = pool.len() > tried.len() + 1;
            let msg = if more { req.clone() } else { std::mem::take(&mut req) };
            let grpc = tonic::client::Grpc::new(picked.node.handle.clone());
            let res = send_on(grpc, path, request(msg, headers)).await;
            let refused = match &res {
                Err(e) => e.cause().is_some_and(|c| never_sent(c)),
                Ok(Err(status)) => std::error::Error::source(status).is_some_and(never_sent),
                Ok(Ok(_)) => false,
            };
            let node = std::sync::Arc::clone(&picked.node);
            picked.done(refused);
            if refused && more {
                tracing::debug!("{} refused {path}; trying another node", node.addr);
                tried.push(node);
                continue;
            }
            return res;
        }
    }
}

fn request<Req>(msg: Req, headers: Option<&http::HeaderMap>) -> tonic::Request<Req> {
    let mut request = tonic::Request::new(msg);
    if let Some(h) = headers.filter(|h| !h.is_empty()) {
        *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(h.clone());
    }
    request
}

async fn send_on<Req: Message, Rep: Message>(
    mut grpc: tonic::client::Grpc<Channel>,
    path: &'static str,
    req: tonic::Request<Req>,
) -> Result<Result<tonic::Response<Rep>, Status>, Error> {
    grpc.ready()
        .await
        .map_err(|e| Error::service_unavailable("UNAVAILABLE", format!("transport not ready: {e}")).with_cause(e))?;
    let codec = tonic_prost::ProstCodec::<Req, Rep>::default();
    let path = http::uri::PathAndQuery::from_static(path);
    Ok(grpc.unary(req, path, codec).await)
}

struct ClientEndpoint<'c, Req, Rep> {
    client: &'c GrpcClient,
    path: &'static str,
    _types: PhantomData<fn(Req) -> Rep>,
}

impl<Req: Message, Rep: Message> Endpoint for ClientEndpoint<'_, Req, Rep> {
    fn call<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
    ) -> middleware::BoxFuture<'a, Result<AnyMessage, Error>> {
        Box::pin(async move {
            let msg = req.downcast::<Req>().map_err(|other| {
                Error::internal_server(
                    "MIDDLEWARE",
                    format!("a client middleware replaced the request of {} with a {}", self.path, other.type_name()),
                )
            })?;
            match self.client.send::<Req, Rep>(self.path, msg, Some(ctx.request_headers())).await? {
                Ok(res) => {
                    let (metadata, rep, _) = res.into_parts();
                    *ctx.reply_headers_mut() = metadata.into_headers();
                    Ok(AnyMessage::new(rep))
                }
                Err(status) => {
                    *ctx.reply_headers_mut() = status.metadata().clone().into_headers();
                    Err(Error::from_status(&status))
                }
            }
        })
    }
}

/// A gRPC server: generated services plus `grpc.health.v1` and server
/// reflection (v1 and v1alpha) built from the services' schemas.
#[must_use]
pub struct GrpcServer {
    addr: SocketAddr,
    routes: tonic::service::Routes,
    describe: Vec<fn(&mut SchemaBuilder)>,
    names: Vec<&'static str>,
    conflict: Option<String>,
    timeout: Option<std::time::Duration>,
    chain: Chain,
    layers: Vec<super::BoxedLayer>,
}

impl std::fmt::Debug for GrpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcServer").field("addr", &self.addr).field("services", &self.names).finish()
    }
}

impl GrpcServer {
    /// A server that will listen on `addr` (`0.0.0.0:9000`; port 0 picks one).
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            routes: tonic::service::Routes::default(),
            describe: Vec::new(),
            names: Vec::new(),
            conflict: None,
            timeout: None,
            chain: Chain::new(),
            layers: Vec::new(),
        }
    }

    /// Applies a tower `Layer` to every request of this server (gRPC only; it
    /// runs outside the Bia middleware chain). Layers wrap the whole router
    /// when the server starts, in the order added (the last added is the
    /// outermost, as with axum's `Router::layer`).
    ///
    /// ```
    /// let server = bia::transport::grpc::GrpcServer::new("127.0.0.1:0".parse().unwrap())
    ///     .layer(tower::util::MapResponseLayer::new(|res: axum::response::Response| res));
    /// # drop(server);
    /// ```
    pub fn layer(mut self, layer: impl super::ServerLayer) -> Self {
        self.layers.push(super::boxed_layer(layer));
        self
    }

    /// Adds a middleware for every generated operation this server serves
    /// (outside each service's own; the first added is the outermost).
    pub fn middleware(mut self, m: impl Middleware) -> Self {
        self.chain.push(std::sync::Arc::new(m));
        self
    }

    /// Adds every middleware of `chain` (what [`App::middleware`](crate::App) uses).
    pub fn chain(mut self, chain: &Chain) -> Self {
        self.chain.extend(chain);
        self
    }

    /// The longest a call may take (the client's `grpc-timeout` may shorten
    /// it); past it the call ends with `DeadlineExceeded`, reason `TIMEOUT`.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Adds a generated service.
    pub fn service<S>(mut self, svc: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + DescribeService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        if self.names.contains(&S::NAME) {
            self.conflict.get_or_insert(format!("the gRPC service {} is added twice", S::NAME));
            return self;
        }
        self.describe.push(S::describe);
        self.names.push(S::NAME);
        let routes = std::mem::take(&mut self.routes);
        let keep = routes.clone();
        match super::catch_conflict(&format!("gRPC service {}", S::NAME), move || routes.add_service(svc)) {
            Ok(r) => self.routes = r,
            Err(e) => {
                self.routes = keep;
                self.conflict.get_or_insert(e);
            }
        }
        self
    }

    /// Puts `outer` before this server's own middleware.
    pub(crate) fn prepend_chain(&mut self, outer: &Chain) {
        self.chain.prepend(outer);
    }

    /// The configured address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The schema of every added service.
    pub fn schema(&self) -> Schema {
        Schema::from_fns(&self.describe)
    }

    /// Binds the listener (fails with the address named when it is in use).
    pub(crate) async fn bind(self) -> std::io::Result<BoundGrpc> {
        if let Some(conflict) = self.conflict {
            return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, conflict));
        }
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("gRPC server cannot listen on {}: {e}", self.addr)))?;
        let local = listener.local_addr()?;
        let schema = self.schema();
        let (health_reporter, health) = tonic_health::server::health_reporter();
        for name in &self.names {
            health_reporter.set_service_status(*name, tonic_health::ServingStatus::Serving).await;
        }
        health_reporter.set_service_status("", tonic_health::ServingStatus::Serving).await;
        let fds = schema.file_descriptor_set();
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_file_descriptor_set(fds.clone())
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(|e| std::io::Error::other(format!("reflection: {e}")))?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_file_descriptor_set(fds)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .map_err(|e| std::io::Error::other(format!("reflection: {e}")))?;
        let routes = self.routes.add_service(health).add_service(reflection_v1).add_service(reflection_v1alpha);
        Ok(BoundGrpc {
            listener,
            local,
            routes,
            health: health_reporter,
            names: self.names,
            timeout: self.timeout,
            chain: self.chain,
            layers: self.layers,
        })
    }
}

pub(crate) struct BoundGrpc {
    listener: tokio::net::TcpListener,
    pub(crate) local: SocketAddr,
    routes: tonic::service::Routes,
    pub(crate) health: tonic_health::server::HealthReporter,
    pub(crate) names: Vec<&'static str>,
    timeout: Option<std::time::Duration>,
    chain: Chain,
    layers: Vec<super::BoxedLayer>,
}

impl BoundGrpc {
    /// Serves gRPC (HTTP/2 cleartext) through the same hyper server as HTTP,
    /// so deadlines, drain and connection handling are Bia's on both.
    pub(crate) async fn serve(self, stop: super::Stop) -> Result<(), Error> {
        let router = self.routes.prepare().into_axum_router();
        let router = self.layers.into_iter().fold(router, |r, layer| layer(r));
        // One deadline around the whole router (not `Router::layer`, which
        // wraps and boxes every route again).
        super::serve_router(self.listener, router, Kind::Grpc, self.timeout, self.chain, stop).await;
        Ok(())
    }
}
