//! The user service written by hand with tonic: prost-derived messages and a
//! service shaped like tonic-build's output.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use tonic::codegen::{http, Body, BoxFuture, Service, StdError};
use tonic::server::{Grpc, NamedService, ServerStreamingService, StreamingService, UnaryService};
use tonic::{Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::{fair, Store};

#[derive(Clone, PartialEq, prost::Message)]
pub struct UserInfo {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(string, tag = "3")]
    pub email: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetUserRequest {
    #[prost(string, tag = "1")]
    pub id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CreateUserRequest {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub email: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct UserReply {
    #[prost(message, optional, tag = "1")]
    pub user: Option<UserInfo>,
}

/// The server.
#[derive(Clone)]
pub struct UserServer {
    store: Arc<Store>,
}

impl UserServer {
    /// A server over a fresh store.
    pub fn new() -> Self {
        Self { store: Arc::new(Store::default()) }
    }
}

impl Default for UserServer {
    fn default() -> Self {
        Self::new()
    }
}

impl NamedService for UserServer {
    const NAME: &'static str = "user.v1.User";
}

struct GetUserSvc(Arc<Store>);

impl UnaryService<GetUserRequest> for GetUserSvc {
    type Response = UserReply;
    type Future = BoxFuture<Response<UserReply>, Status>;
    fn call(&mut self, request: Request<GetUserRequest>) -> Self::Future {
        let store = Arc::clone(&self.0);
        Box::pin(async move {
            let id = request.into_inner().id;
            if fair::on() {
                fair::record_args(format_args!("{{\"id\":{id:?}}}"));
            }
            match store.get(&id) {
                Some((name, email)) => Ok(Response::new(UserReply { user: Some(UserInfo { id, name, email }) })),
                None if fair::on() => {
                    fair::record_reason("USER_NOT_FOUND");
                    Err(not_found(&id))
                }
                None => Err(Status::with_error_details(
                    tonic::Code::NotFound,
                    format!("user {id} not found"),
                    ErrorDetails::with_error_info("USER_NOT_FOUND", "user.v1", HashMap::new()),
                )),
            }
        })
    }
}

fn not_found(id: &str) -> Status {
    Status::with_error_details(
        tonic::Code::NotFound,
        format!("user {id} not found"),
        ErrorDetails::with_error_info("USER_NOT_FOUND", "user.v1", HashMap::new()),
    )
}

struct CreateUserSvc(Arc<Store>);

impl UnaryService<CreateUserRequest> for CreateUserSvc {
    type Response = UserReply;
    type Future = BoxFuture<Response<UserReply>, Status>;
    fn call(&mut self, request: Request<CreateUserRequest>) -> Self::Future {
        let store = Arc::clone(&self.0);
        Box::pin(async move {
            let req = request.into_inner();
            if fair::on() {
                fair::record_args(format_args!("{req:?}"));
            }
            let id = store.create(req.name.clone(), req.email.clone());
            Ok(Response::new(UserReply { user: Some(UserInfo { id, name: req.name, email: req.email }) }))
        })
    }
}

impl<B> Service<http::Request<B>> for UserServer
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let store = Arc::clone(&self.store);
        match req.uri().path() {
            "/user.v1.User/GetUser" => Box::pin(async move {
                let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(GetUserSvc(store), req).await)
            }),
            "/user.v1.User/CreateUser" => Box::pin(async move {
                let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(CreateUserSvc(store), req).await)
            }),
            _ => Box::pin(async move { Ok(Status::unimplemented("unknown method").into_http()) }),
        }
    }
}

/// How many ticks to stream.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TickRequest {
    #[prost(uint32, tag = "1")]
    pub count: u32,
}

/// One small message of a stream.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Tick {
    #[prost(uint32, tag = "1")]
    pub n: u32,
    #[prost(string, tag = "2")]
    pub text: String,
}

/// The reply stream of both streaming methods, boxed as tonic's streaming
/// example does.
type TickStream = Pin<Box<dyn Stream<Item = Result<Tick, Status>> + Send>>;

/// `bench.v1.Ticks`: a server stream of `count` ticks and a bidirectional
/// echo, shaped like tonic-build's output.
#[derive(Clone, Default)]
pub struct TicksServer;

impl NamedService for TicksServer {
    const NAME: &'static str = "bench.v1.Ticks";
}

struct StreamSvc;

impl ServerStreamingService<TickRequest> for StreamSvc {
    type Response = Tick;
    type ResponseStream = TickStream;
    type Future = BoxFuture<Response<TickStream>, Status>;
    fn call(&mut self, request: Request<TickRequest>) -> Self::Future {
        Box::pin(async move {
            let count = request.into_inner().count;
            let ticks = futures_util::stream::iter((1..=count).map(|n| Ok(Tick { n, text: "tick".to_owned() })));
            Ok(Response::new(Box::pin(ticks) as TickStream))
        })
    }
}

struct EchoSvc;

impl StreamingService<Tick> for EchoSvc {
    type Response = Tick;
    type ResponseStream = TickStream;
    type Future = BoxFuture<Response<TickStream>, Status>;
    fn call(&mut self, request: Request<tonic::Streaming<Tick>>) -> Self::Future {
        Box::pin(async move { Ok(Response::new(Box::pin(request.into_inner()) as TickStream)) })
    }
}

impl<B> Service<http::Request<B>> for TicksServer
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        match req.uri().path() {
            "/bench.v1.Ticks/Stream" => Box::pin(async move {
                let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.server_streaming(StreamSvc, req).await)
            }),
            "/bench.v1.Ticks/Echo" => Box::pin(async move {
                let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.streaming(EchoSvc, req).await)
            }),
            _ => Box::pin(async move { Ok(Status::unimplemented("unknown method").into_http()) }),
        }
    }
}

/// Serves until `shutdown`.
pub async fn serve(
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let mut builder = tonic::transport::Server::builder();
    if let Some((cert, key)) = crate::tls::server_pem() {
        let identity = tonic::transport::Identity::from_pem(cert, key);
        builder = builder.tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))?;
    }
    if fair::on() {
        let metrics = fair::init();
        let trace = tower_http::trace::TraceLayer::new_for_grpc()
            .make_span_with(|req: &http::Request<tonic::body::Body>| {
                fair::request_span("grpc", req.uri().path(), req.headers())
            })
            .on_request(())
            .on_response(())
            .on_eos(())
            .on_failure(());
        let layers = tower::ServiceBuilder::new()
            .layer(trace)
            .layer(tower::layer::layer_fn(move |inner| Observe { inner, metrics }));
        return builder
            .layer(layers)
            .add_service(UserServer::new())
            .add_service(TicksServer)
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await;
    }
    builder
        .add_service(UserServer::new())
        .add_service(TicksServer)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

/// The fair reference's log line and metrics of a gRPC call, once its
/// status is known: in the response's headers (a trailers-only error) or in
/// its trailers (tower-http's `TraceLayer` gives the span; tonic has no
/// metrics layer of its own, so this is what a team writes).
#[derive(Clone)]
struct Observe<S> {
    inner: S,
    metrics: &'static fair::Metrics,
}

impl<S, B> Service<http::Request<B>> for Observe<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let done =
            Done { metrics: self.metrics, operation: req.uri().path().to_owned(), start: std::time::Instant::now() };
        let call = self.inner.call(req);
        Box::pin(async move {
            let res = call.await?;
            if res.headers().contains_key("grpc-status") {
                done.finish(res.headers());
                return Ok(res);
            }
            Ok(res.map(|inner| tonic::body::Body::new(Finishing { inner, done: Some(done) })))
        })
    }
}

struct Done {
    metrics: &'static fair::Metrics,
    operation: String,
    start: std::time::Instant,
}

impl Done {
    fn finish(self, headers: &http::HeaderMap) {
        let status = Status::from_header_map(headers).unwrap_or_else(|| Status::unknown("no status"));
        let reason = status.get_error_details().error_info().map(|i| i.reason.clone()).unwrap_or_default();
        let code = i32::from(status.code());
        let latency = self.start.elapsed();
        fair::log_response(u16::try_from(code).unwrap_or(2), &reason, latency);
        self.metrics.record("grpc", &self.operation, code.to_string(), &reason, latency);
    }
}

/// A reply body that calls [`Done::finish`] at its trailers.
struct Finishing {
    inner: tonic::body::Body,
    done: Option<Done>,
}

impl Body for Finishing {
    type Data = bytes::Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let frame = std::task::ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(Some(trailers))) = frame.as_ref().map(|f| f.as_ref().map(http_body::Frame::trailers_ref)) {
            if let Some(done) = self.done.take() {
                done.finish(trailers);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
