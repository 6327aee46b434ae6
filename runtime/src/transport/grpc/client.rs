//! [`GrpcClient`]: what generated `FooGrpcClient`s wrap.

use http::HeaderValue;
use tonic::Status;

use crate::client::call::{through_chain, Call};
use crate::client::failover::{never_sent, Failover};
use crate::client::{chain_builder, Backend, Dial, Dialed};
use crate::codec::Message;
use crate::context::deadline::GRPC_TIMEOUT;
use crate::context::{Context, Deadline, Kind};
use crate::error::reason::{BAD_ENDPOINT, CONNECT_FAILED, UNAVAILABLE};
use crate::error::Error;
use crate::middleware::Chain;

/// A client connection (a tonic `Channel`).
pub type Channel = tonic::transport::Channel;

/// The client half generated `FooGrpcClient`s wrap.
#[derive(Debug, Clone)]
pub struct GrpcClient {
    backend: Backend<Channel>,
    chain: Chain,
}

/// What a call brings back: the reply or the status the server (or tonic)
/// answered, each with its metadata; or a failure before any answer.
type Sent<Rep> = Result<Result<tonic::Response<Rep>, Status>, Error>;

fn endpoint(dst: &str) -> Result<tonic::transport::Endpoint, Error> {
    tonic::transport::Endpoint::from_shared(dst.to_owned())
        .map_err(|e| Error::bad_request(BAD_ENDPOINT, format!("invalid endpoint `{dst}`: {e}")))
}

/// A node's channel (connects on first use).
fn node_channel(addr: &str) -> Result<Channel, Error> {
    Ok(endpoint(&format!("http://{addr}"))?.tcp_nodelay(true).connect_lazy())
}

chain_builder!(GrpcClient);

impl GrpcClient {
    /// A client on an existing channel.
    pub fn new(channel: Channel) -> Self {
        Self::with(Backend::One(channel))
    }

    fn with(backend: Backend<Channel>) -> Self {
        Self { backend, chain: Chain::new() }
    }

    /// Connects to `dst`: `http://127.0.0.1:9000`, or a balanced
    /// `direct:///host:port,host:port` (see [`crate::client`]).
    pub async fn connect(dst: impl Into<String>) -> Result<Self, Error> {
        Self::dial(Dial::new(dst)).await
    }

    /// A client that connects on first use (`http://..` or `direct:///..`).
    pub fn connect_lazy(dst: impl Into<String>) -> Result<Self, Error> {
        let one = |url: String| Ok(endpoint(&url)?.connect_lazy());
        Ok(Self::with(Backend::lazy(&dst.into(), "grpc", "FooGrpcClient", one, node_channel)?))
    }

    /// Dials a target with its discovery, balancer and node filter (see
    /// [`crate::client`]).
    pub async fn dial(dial: Dial) -> Result<Self, Error> {
        let dst = match Backend::dial(&dial, "grpc", node_channel).await? {
            Dialed::Pool(pool) => return Ok(Self::with(pool)),
            Dialed::Url(dst) => dst,
        };
        let channel = endpoint(&dst)?
            .connect()
            .await
            .map_err(|e| Error::service_unavailable(CONNECT_FAILED, format!("cannot connect to {dst}: {e}")))?;
        Ok(Self::new(channel))
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
        through_chain(&self.chain, GrpcCall { client: self, path }, req).await
    }

    /// Sends to the one server, or to a node of the pool, going on to
    /// another node when one refuses the call before anything was sent.
    async fn send<Req: Message, Rep: Message>(&self, path: &'static str, req: Req, ctx: Option<&Context>) -> Sent<Rep> {
        let pool = match &self.backend {
            Backend::One(channel) => return send_on(channel.clone(), path, request(req, ctx)).await,
            Backend::Pool(pool) => pool,
        };
        let mut failover = Failover::new(pool);
        let mut req = req;
        loop {
            let attempt = failover.next()?;
            // Keep the request for another node only while there is one.
            let msg = if attempt.more { req.clone() } else { std::mem::take(&mut req) };
            let res = send_on(attempt.handle().clone(), path, request(msg, ctx)).await;
            let refused = match &res {
                Err(e) => e.cause().is_some_and(|c| never_sent(c)),
                Ok(Err(status)) => std::error::Error::source(status).is_some_and(never_sent),
                Ok(Ok(_)) => false,
            };
            if !failover.again(attempt, refused, path) {
                return res;
            }
        }
    }
}

/// The tonic request of `msg`: the call's request metadata, and what is left
/// of its deadline as `grpc-timeout` (so the server gives up when the
/// client does).
fn request<Req>(msg: Req, ctx: Option<&Context>) -> tonic::Request<Req> {
    let mut request = tonic::Request::new(msg);
    let Some(ctx) = ctx else { return request };
    let deadline = Deadline::of(ctx);
    if ctx.request_headers().is_empty() && deadline.is_none() {
        return request;
    }
    let mut headers = ctx.request_headers().clone();
    if let Some(value) = deadline.and_then(|d| HeaderValue::try_from(d.to_grpc_timeout()).ok()) {
        headers.insert(GRPC_TIMEOUT, value);
    }
    *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers);
    request
}

async fn send_on<Req: Message, Rep: Message>(
    channel: Channel,
    path: &'static str,
    req: tonic::Request<Req>,
) -> Sent<Rep> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Error::service_unavailable(UNAVAILABLE, format!("transport not ready: {e}")).with_cause(e))?;
    let codec = tonic_prost::ProstCodec::<Req, Rep>::default();
    let path = http::uri::PathAndQuery::from_static(path);
    Ok(grpc.unary(req, path, codec).await)
}

/// One operation of a [`GrpcClient`], at the end of its middleware chain.
struct GrpcCall<'c> {
    client: &'c GrpcClient,
    path: &'static str,
}

impl Call for GrpcCall<'_> {
    fn operation(&self) -> &'static str {
        self.path
    }

    fn kind(&self) -> Kind {
        Kind::Grpc
    }

    async fn send<Req: Message, Rep: Message>(&self, req: Req, ctx: &mut Context) -> Result<Rep, Error> {
        match self.client.send::<Req, Rep>(self.path, req, Some(ctx)).await? {
            Ok(res) => {
                let (metadata, rep, _) = res.into_parts();
                *ctx.reply_headers_mut() = metadata.into_headers();
                Ok(rep)
            }
            Err(status) => {
                *ctx.reply_headers_mut() = status.metadata().clone().into_headers();
                Err(Error::from_status(&status))
            }
        }
    }
}
