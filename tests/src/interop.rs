//! `grpc.testing.TestService`, the service the gRPC project's interop test
//! cases run against, written as a Bia service: its messages carry the
//! published names and field numbers, its methods the published shapes.
//!
//! The server features it implements (as the interop test descriptions name
//! them): EmptyCall, UnaryCall, CacheableUnaryCall, StreamingInputCall,
//! StreamingOutputCall, FullDuplexCall, HalfDuplexCall, Echo Status, Echo
//! Metadata (the [`echo_metadata`] middleware), `interval_us`, and
//! CompressedRequest. `UnimplementedCall` answers `UNIMPLEMENTED`, and
//! `grpc.testing.UnimplementedService` is not served at all.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

use bia::context::Context;
use bia::middleware::{AnyMessage, Next};
use bia::prelude::{App, GrpcServer, HttpServer};
use bia::stream::{Stream, StreamExt as _, Streaming};

use crate::TestApp;

/// An empty message (`grpc.testing.Empty`).
#[bia::message(package = "grpc.testing")]
pub struct Empty {}

/// A bool that can be absent.
#[bia::message(package = "grpc.testing")]
pub struct BoolValue {
    pub value: bool,
}

/// The kind of payload to send back.
#[bia::enumeration(package = "grpc.testing")]
pub enum PayloadType {
    /// Compressible text.
    #[value(name = "COMPRESSABLE")]
    Compressable = 0,
}

/// Bytes that make a message as big as asked.
#[bia::message(package = "grpc.testing")]
pub struct Payload {
    pub r#type: PayloadType,
    pub body: Vec<u8>,
}

/// A status for the server to end the call with.
#[bia::message(package = "grpc.testing")]
pub struct EchoStatus {
    pub code: i32,
    pub message: String,
}

/// How a call reached the server through gRPCLB.
#[bia::enumeration(package = "grpc.testing")]
pub enum GrpclbRouteType {
    #[value(name = "GRPCLB_ROUTE_TYPE_UNKNOWN")]
    Unknown = 0,
    #[value(name = "GRPCLB_ROUTE_TYPE_FALLBACK")]
    Fallback = 1,
    #[value(name = "GRPCLB_ROUTE_TYPE_BACKEND")]
    Backend = 2,
}

/// A load report (accepted and ignored here).
#[bia::message(package = "grpc.testing")]
pub struct TestOrcaReport {
    pub cpu_utilization: f64,
    pub memory_utilization: f64,
    pub request_cost: HashMap<String, f64>,
    pub utilization: HashMap<String, f64>,
}

/// The unary request.
#[bia::message(package = "grpc.testing")]
pub struct SimpleRequest {
    pub response_type: PayloadType,
    pub response_size: i32,
    pub payload: Option<Payload>,
    pub fill_username: bool,
    pub fill_oauth_scope: bool,
    pub response_compressed: Option<BoolValue>,
    pub response_status: Option<EchoStatus>,
    pub expect_compressed: Option<BoolValue>,
    pub fill_server_id: bool,
    pub fill_grpclb_route_type: bool,
    pub orca_per_query_report: Option<TestOrcaReport>,
}

/// The unary reply.
#[bia::message(package = "grpc.testing")]
pub struct SimpleResponse {
    pub payload: Option<Payload>,
    pub username: String,
    pub oauth_scope: String,
    pub server_id: String,
    pub grpclb_route_type: GrpclbRouteType,
    pub hostname: String,
}

/// One message of a client stream.
#[bia::message(package = "grpc.testing")]
pub struct StreamingInputCallRequest {
    pub payload: Option<Payload>,
    pub expect_compressed: Option<BoolValue>,
}

/// What a client stream adds up to.
#[bia::message(package = "grpc.testing")]
pub struct StreamingInputCallResponse {
    pub aggregated_payload_size: i32,
}

/// One reply to send: its size and the wait before it.
#[bia::message(package = "grpc.testing")]
pub struct ResponseParameters {
    pub size: i32,
    pub interval_us: i32,
    pub compressed: Option<BoolValue>,
}

/// The request of the streaming-out calls.
#[bia::message(package = "grpc.testing")]
pub struct StreamingOutputCallRequest {
    pub response_type: PayloadType,
    pub response_parameters: Vec<ResponseParameters>,
    pub payload: Option<Payload>,
    #[field(tag = 7)]
    pub response_status: Option<EchoStatus>,
    #[field(tag = 8)]
    pub orca_oob_report: Option<TestOrcaReport>,
}

/// One reply of the streaming-out calls.
#[bia::message(package = "grpc.testing")]
pub struct StreamingOutputCallResponse {
    pub payload: Option<Payload>,
}

/// A service that covers every shape of call.
#[bia::service(package = "grpc.testing")]
pub trait TestService: Send + Sync + 'static {
    /// One empty request, one empty reply.
    async fn empty_call(&self, req: Empty) -> bia::Result<Empty>;

    /// One request, one reply of the size asked.
    async fn unary_call(&self, req: SimpleRequest) -> bia::Result<SimpleResponse>;

    /// Like `unary_call`, with a reply a cache may keep (a timestamp payload
    /// and `cache-control`).
    async fn cacheable_unary_call(&self, req: SimpleRequest) -> bia::Result<SimpleResponse>;

    /// One request, a reply per `response_parameters`.
    async fn streaming_output_call(
        &self,
        req: StreamingOutputCallRequest,
    ) -> bia::Result<impl Stream<Item = bia::Result<StreamingOutputCallResponse>>>;

    /// A stream of requests, one reply with the size of their payloads.
    async fn streaming_input_call(
        &self,
        req: Streaming<StreamingInputCallRequest>,
    ) -> bia::Result<StreamingInputCallResponse>;

    /// Each request answered as it comes.
    async fn full_duplex_call(
        &self,
        req: Streaming<StreamingOutputCallRequest>,
    ) -> bia::Result<impl Stream<Item = bia::Result<StreamingOutputCallResponse>>>;

    /// Every request first, then every reply.
    async fn half_duplex_call(
        &self,
        req: Streaming<StreamingOutputCallRequest>,
    ) -> bia::Result<impl Stream<Item = bia::Result<StreamingOutputCallResponse>>>;

    async fn unimplemented_call(&self, req: Empty) -> bia::Result<Empty>;
}

/// The interop test server.
#[derive(Debug, Default, Clone, Copy)]
pub struct InteropServer;

/// A payload of `size` zeros.
fn payload(size: i32) -> bia::Result<Payload> {
    let size = usize::try_from(size)
        .map_err(|_| bia::Error::bad_request("NEGATIVE_SIZE", format!("a payload size of {size} is negative")))?;
    Ok(Payload { r#type: PayloadType::Compressable, body: vec![0; size] })
}

/// The error an `EchoStatus` asks for (`None` for OK or none).
fn echo_status(status: Option<&EchoStatus>) -> Option<bia::Error> {
    let status = status.filter(|s| s.code != 0)?;
    Some(bia::Error::grpc(bia::error::GrpcCode::from_i32(status.code), "ECHO_STATUS", status.message.clone()))
}

/// CompressedRequest: a request that says it was compressed must have been.
fn check_compressed(expect: Option<&BoolValue>) -> bia::Result<()> {
    if !expect.is_some_and(|b| b.value) {
        return Ok(());
    }
    let compressed = bia::context::with(|ctx| ctx.request_header("grpc-encoding").is_some_and(|e| e != "identity"));
    match compressed {
        Some(true) => Ok(()),
        _ => Err(bia::Error::bad_request("NOT_COMPRESSED", "the request was expected to be compressed")),
    }
}

fn response(p: &ResponseParameters) -> bia::Result<StreamingOutputCallResponse> {
    Ok(StreamingOutputCallResponse { payload: Some(payload(p.size)?) })
}

/// Waits the `interval_us` a reply asks for.
async fn interval(p: &ResponseParameters) {
    if p.interval_us > 0 {
        tokio::time::sleep(Duration::from_micros(p.interval_us as u64)).await;
    }
}

/// The replies of a streaming-out call: the requests' parameters in order,
/// each after its interval; an `EchoStatus` ends the call.
struct Replies {
    requests: Streaming<StreamingOutputCallRequest>,
    pending: VecDeque<ResponseParameters>,
    done: bool,
}

async fn next_reply(mut st: Replies) -> Option<(bia::Result<StreamingOutputCallResponse>, Replies)> {
    loop {
        if st.done {
            return None;
        }
        if let Some(p) = st.pending.pop_front() {
            interval(&p).await;
            let reply = response(&p);
            st.done = reply.is_err();
            return Some((reply, st));
        }
        match st.requests.message().await {
            Ok(Some(req)) => {
                if let Some(e) = echo_status(req.response_status.as_ref()) {
                    st.done = true;
                    return Some((Err(e), st));
                }
                st.pending.extend(req.response_parameters);
            }
            Ok(None) => return None,
            Err(e) => {
                st.done = true;
                return Some((Err(e), st));
            }
        }
    }
}

/// The replies to a stream of requests.
fn replies(
    requests: Streaming<StreamingOutputCallRequest>,
) -> impl Stream<Item = bia::Result<StreamingOutputCallResponse>> + Send {
    bia::stream::unfold(Replies { requests, pending: VecDeque::new(), done: false }, next_reply)
}

impl TestService for InteropServer {
    async fn empty_call(&self, _req: Empty) -> bia::Result<Empty> {
        Ok(Empty {})
    }

    async fn unary_call(&self, req: SimpleRequest) -> bia::Result<SimpleResponse> {
        if let Some(e) = echo_status(req.response_status.as_ref()) {
            return Err(e);
        }
        check_compressed(req.expect_compressed.as_ref())?;
        Ok(SimpleResponse { payload: Some(payload(req.response_size)?), ..Default::default() })
    }

    async fn cacheable_unary_call(&self, _req: SimpleRequest) -> bia::Result<SimpleResponse> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        bia::context::with_mut(|ctx| ctx.set_reply_header("cache-control", "max-age=60, public"));
        let body = now.as_nanos().to_string().into_bytes();
        Ok(SimpleResponse { payload: Some(Payload { r#type: PayloadType::Compressable, body }), ..Default::default() })
    }

    async fn streaming_output_call(
        &self,
        req: StreamingOutputCallRequest,
    ) -> bia::Result<impl Stream<Item = bia::Result<StreamingOutputCallResponse>>> {
        // The one request as a stream of one: the same replies as a duplex
        // call whose client sent it and half-closed.
        TestService::full_duplex_call(self, Streaming::iter([req])).await
    }

    async fn streaming_input_call(
        &self,
        mut req: Streaming<StreamingInputCallRequest>,
    ) -> bia::Result<StreamingInputCallResponse> {
        let mut size: usize = 0;
        while let Some(msg) = req.message().await? {
            check_compressed(msg.expect_compressed.as_ref())?;
            size += msg.payload.map_or(0, |p| p.body.len());
        }
        let aggregated_payload_size = i32::try_from(size)
            .map_err(|_| bia::Error::payload_too_large("TOO_LARGE", "the payloads add up to more than 2 GiB"))?;
        Ok(StreamingInputCallResponse { aggregated_payload_size })
    }

    async fn full_duplex_call(
        &self,
        req: Streaming<StreamingOutputCallRequest>,
    ) -> bia::Result<impl Stream<Item = bia::Result<StreamingOutputCallResponse>>> {
        Ok(replies(req))
    }

    async fn half_duplex_call(
        &self,
        mut req: Streaming<StreamingOutputCallRequest>,
    ) -> bia::Result<impl Stream<Item = bia::Result<StreamingOutputCallResponse>>> {
        // The reply opens at once; its first poll takes every request, then
        // the replies go as a duplex call would send them.
        let all = async move {
            let mut all = Vec::new();
            while let Some(msg) = req.message().await? {
                all.push(msg);
            }
            Ok::<_, bia::Error>(all)
        };
        Ok(bia::stream::once(all).flat_map(|all| match all {
            Ok(all) => replies(Streaming::iter(all)).left_stream(),
            Err(e) => bia::stream::once(async { Err(e) }).right_stream(),
        }))
    }

    async fn unimplemented_call(&self, _req: Empty) -> bia::Result<Empty> {
        Err(bia::Error::not_implemented(
            "UNIMPLEMENTED",
            "grpc.testing.TestService/UnimplementedCall is not implemented",
        ))
    }
}

/// Echo Metadata: `x-grpc-test-echo-initial` comes back in the reply's
/// initial metadata, `x-grpc-test-echo-trailing-bin` in its trailers.
#[bia::middleware]
pub async fn echo_metadata(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    if let Some(v) = ctx.request_headers().get("x-grpc-test-echo-initial").cloned() {
        ctx.reply_headers_mut().insert("x-grpc-test-echo-initial", v);
    }
    if let Some(v) = ctx.request_headers().get("x-grpc-test-echo-trailing-bin").cloned() {
        ctx.reply_trailers_mut().insert("x-grpc-test-echo-trailing-bin", v);
    }
    next.run(ctx, req).await
}

/// Serves `grpc.testing.TestService` (with [`echo_metadata`]) on free
/// loopback ports, HTTP and gRPC.
pub async fn start_interop() -> TestApp {
    let server = TestServiceServer::new(InteropServer).middleware(echo_metadata());
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let app = App::new("interop")
        .http(HttpServer::new(any).service(server.clone()))
        .grpc(GrpcServer::new(any).service(server));
    crate::start(app).await
}
