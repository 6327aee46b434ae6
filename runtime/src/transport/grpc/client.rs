//! [`GrpcClient`]: what generated `FooGrpcClient`s wrap.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::Poll;

use http::HeaderValue;
use tonic::codec::EnabledCompressionEncodings;
use tonic::metadata::MetadataMap;
use tonic::Status;

use super::codec::ClientCodec;
use crate::client::call::{open_stream, through_chain, Call};
use crate::client::failover::{never_sent, Failover};
use crate::client::{chain_builder, Backend, ClientTls, Dial, Dialed, TlsSettings};
use crate::codec::Message;
use crate::context::deadline::GRPC_TIMEOUT;
use crate::context::{Context, Deadline, Kind, StreamStats};
use crate::error::reason::UNAVAILABLE;
use crate::error::Error;
use crate::middleware::stream::{counted, CallInput, Sink};
use crate::middleware::Chain;
use crate::stream::{StreamExt as _, Streaming};
use crate::tls::closed_early;

use super::client_conn::{handshake_error, node_channel, Conn};
use super::client_stream::{BidiReplies, Failed, Outgoing};
use super::handler::{encodings, DEFAULT_ACCEPT};
use super::CompressionEncoding;

/// A client connection (a tonic `Channel`).
pub type Channel = tonic::transport::Channel;

/// The client half generated `FooGrpcClient`s wrap.
///
/// **TLS.** `https://` (or `grpcs://`) servers are called over TLS through
/// tonic's rustls support (`h2` by ALPN), trusting the system's CA
/// certificates unless [`Dial::tls`] (or
/// [`connect_lazy_with_tls`](Self::connect_lazy_with_tls)) says otherwise; a
/// failed handshake is `Unavailable` (503), reason `TLS_HANDSHAKE`.
///
/// **Compression.** A client asks for replies in gzip or zstd
/// (`grpc-accept-encoding`) and sends its messages uncompressed, unless
/// told otherwise ([`accept_compression`](Self::accept_compression),
/// [`send_compression`](Self::send_compression)); a server sends
/// uncompressed replies unless it is set to compress them.
#[derive(Debug, Clone)]
pub struct GrpcClient {
    backend: Backend<Conn>,
    chain: Chain,
    compression: Compression,
}

/// What a client's calls compress and ask for.
#[derive(Debug, Clone, Copy)]
struct Compression {
    accept: EnabledCompressionEncodings,
    send: Option<CompressionEncoding>,
}

impl Compression {
    /// `grpc` set to send and accept as told.
    fn apply(self, mut grpc: tonic::client::Grpc<Channel>) -> tonic::client::Grpc<Channel> {
        if let Some(encoding) = self.send {
            grpc = grpc.send_compressed(encoding);
        }
        // tonic lists them in the order enabled; `pop` takes the last first.
        let (mut accept, mut order) = (self.accept, [None; 3]);
        for slot in order.iter_mut().rev() {
            *slot = accept.pop();
        }
        for encoding in order.into_iter().flatten() {
            grpc = grpc.accept_compressed(encoding);
        }
        grpc
    }
}

/// What a call brings back: the reply or the status the server (or tonic)
/// answered, each with its metadata; or a failure before any answer.
type Sent<Rep> = Result<Result<tonic::Response<Rep>, Status>, Error>;

chain_builder!(GrpcClient);

impl GrpcClient {
    /// A client on an existing channel.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:9000").connect_lazy();
    /// let client = bia::transport::grpc::GrpcClient::new(channel);
    /// # drop(client);
    /// # }
    /// ```
    pub fn new(channel: Channel) -> Self {
        Self::with(Backend::One(Conn::of(channel)))
    }

    fn with(backend: Backend<Conn>) -> Self {
        let compression = Compression { accept: encodings(DEFAULT_ACCEPT.iter().copied()), send: None };
        Self { backend, chain: Chain::new(), compression }
    }

    /// The encodings this client asks for replies in (its
    /// `grpc-accept-encoding`, in order of preference); default gzip and
    /// zstd. An empty list asks for uncompressed replies. A server compresses
    /// only when it is set to (see
    /// [`GrpcServer::send_compression`](super::GrpcServer::send_compression)),
    /// so asking costs one header until then.
    ///
    /// ```
    /// # #[cfg(feature = "compression")] {
    /// # async fn demo() -> Result<(), bia::Error> {
    /// use bia::transport::grpc::{CompressionEncoding, GrpcClient};
    ///
    /// let client = GrpcClient::connect_lazy("http://127.0.0.1:9000")?.accept_compression([CompressionEncoding::Zstd]);
    /// # drop(client);
    /// # Ok(()) }
    /// # }
    /// ```
    pub fn accept_compression(mut self, encodings: impl IntoIterator<Item = CompressionEncoding>) -> Self {
        self.compression.accept = super::handler::encodings(encodings);
        self
    }

    /// Compresses every request message with `encoding` (`grpc-encoding`;
    /// each message of a stream on its own), or none with `None` (the
    /// default). The server must accept it: a Bia server accepts gzip and
    /// zstd unless told otherwise; one that does not answers
    /// `Unimplemented`, reason `UNSUPPORTED_ENCODING`. Off by default because
    /// compressing costs CPU on every call and small messages gain little.
    ///
    /// ```
    /// # #[cfg(feature = "compression")] {
    /// # async fn demo() -> Result<(), bia::Error> {
    /// use bia::transport::grpc::{CompressionEncoding, GrpcClient};
    ///
    /// let client = GrpcClient::connect_lazy("http://127.0.0.1:9000")?.send_compression(CompressionEncoding::Gzip);
    /// # drop(client);
    /// # Ok(()) }
    /// # }
    /// ```
    pub fn send_compression(mut self, encoding: impl Into<Option<CompressionEncoding>>) -> Self {
        self.compression.send = encoding.into();
        self
    }

    /// Connects to `dst`: `http://127.0.0.1:9000`, `https://..` or
    /// `grpcs://..` over TLS (trusting the system's CA certificates), or a
    /// balanced `direct:///host:port,host:port` (see [`crate::client`]).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), bia::Error> {
    /// let client = bia::transport::grpc::GrpcClient::connect("http://127.0.0.1:9000").await?;
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub async fn connect(dst: impl Into<String>) -> Result<Self, Error> {
        Self::dial(Dial::new(dst)).await
    }

    /// A client that connects on first use (`http://..`, `https://..`,
    /// `grpcs://..` or `direct:///..`).
    ///
    /// ```
    /// # fn demo() -> Result<(), bia::Error> {
    /// let client = bia::transport::grpc::GrpcClient::connect_lazy("http://127.0.0.1:9000")?;
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub fn connect_lazy(dst: impl Into<String>) -> Result<Self, Error> {
        Self::lazy(&Dial::new(dst))
    }

    /// A client that connects on first use, to `dst` (`https://..`,
    /// `grpcs://..`, or a `direct:///..` list dialed over TLS) with these TLS
    /// settings: a CA of your own, a client certificate for mutual TLS, a
    /// server name. Fails with reason `TLS_CONFIG` when they do not load.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), bia::Error> {
    /// use bia::client::ClientTls;
    ///
    /// let tls = ClientTls::new().ca_file("ca.crt").server_name("users.internal");
    /// let client = bia::transport::grpc::GrpcClient::connect_lazy_with_tls("grpcs://10.0.0.5:9443", tls)?;
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub fn connect_lazy_with_tls(dst: impl Into<String>, tls: ClientTls) -> Result<Self, Error> {
        Self::lazy(&Dial::new(dst).tls(tls))
    }

    fn lazy(dial: &Dial) -> Result<Self, Error> {
        let tls = TlsSettings::new(dial.tls.clone())?;
        let one = |url: String| Conn::lazy(&url, &tls);
        Ok(Self::with(Backend::lazy(dial, "grpc", "FooGrpcClient", one, node_channel(tls.clone()))?))
    }

    /// Dials a target with its discovery, balancer, node filter and TLS
    /// settings (see [`crate::client`]).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), bia::Error> {
    /// use bia::client::{ClientTls, Dial};
    ///
    /// let dial = Dial::new("grpcs://127.0.0.1:9443").tls(ClientTls::new().ca_file("ca.crt"));
    /// let client = bia::transport::grpc::GrpcClient::dial(dial).await?;
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub async fn dial(dial: Dial) -> Result<Self, Error> {
        let tls = TlsSettings::new(dial.tls.clone())?;
        let dst = match Backend::dial(&dial, "grpc", node_channel(tls.clone())).await? {
            Dialed::Pool(pool) => return Ok(Self::with(pool)),
            Dialed::Url(dst) => dst,
        };
        Ok(Self::with(Backend::One(Conn::connect(&dst, &tls).await?)))
    }

    /// One unary call (generated clients call this).
    #[doc(hidden)]
    pub async fn unary<Req: Message, Rep: Message>(&self, path: &'static str, req: Req) -> Result<Rep, Error> {
        if self.chain.is_empty() {
            return split(self.send::<Unary, Req, Rep>(path, req, None).await?).1;
        }
        through_chain(&self.chain, GrpcCall { client: self, path, _input: PhantomData::<fn(Req)> }, req).await
    }

    /// One client-streaming call (generated clients call this).
    #[doc(hidden)]
    pub async fn client_streaming<Req: Message, Rep: Message>(
        &self,
        path: &'static str,
        req: Streaming<Req>,
    ) -> Result<Rep, Error> {
        if self.chain.is_empty() {
            let (res, _) = self.send_stream::<ClientStreaming, Req, Rep>(path, req, None).await?;
            return split(res).1;
        }
        let call = GrpcCall { client: self, path, _input: PhantomData::<fn(Streaming<Req>)> };
        through_chain(&self.chain, call, req).await
    }

    /// One server-streaming call (generated clients call this).
    #[doc(hidden)]
    pub async fn server_streaming<Req: Message, Rep: Message>(
        &self,
        path: &'static str,
        req: Req,
    ) -> Result<Streaming<Rep>, Error> {
        self.open_stream(path, req, move |client: GrpcClient, req: Req, sink: Sink<Rep>| async move {
            let outbound = Outbound::current();
            let res = client.send::<ServerStreaming, Req, Rep>(path, req, outbound.as_ref()).await?;
            let replies = reply_metadata(res)?;
            sink.send_all(replies.map(|item| item.map_err(|status| Error::from_status(&status)))).await
        })
        .await
    }

    /// One bidirectional call (generated clients call this).
    #[doc(hidden)]
    pub async fn streaming<Req: Message, Rep: Message>(
        &self,
        path: &'static str,
        req: Streaming<Req>,
    ) -> Result<Streaming<Rep>, Error> {
        self.open_stream(path, req, move |client: GrpcClient, req: Streaming<Req>, sink: Sink<Rep>| async move {
            let outbound = Outbound::current();
            let req = counted(req, outbound.as_ref().and_then(|o| o.stats.clone()), false);
            let (res, failed) = client.send_stream::<Bidi, Req, Rep>(path, req, outbound.as_ref()).await?;
            let replies = reply_metadata(res)?;
            sink.send_all(BidiReplies::new(replies, failed)).await
        })
        .await
    }

    /// A call with a stream of replies, through the client's chain (which
    /// runs until the stream ends).
    async fn open_stream<I, Rep, F, Fut>(&self, path: &'static str, input: I, send: F) -> Result<Streaming<Rep>, Error>
    where
        I: CallInput,
        Rep: Message,
        F: Fn(GrpcClient, I, Sink<Rep>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        let client = self.clone();
        open_stream(&self.chain, path, Kind::Grpc, input, move |input, sink| send(client.clone(), input, sink)).await
    }

    /// Sends one message to the one server, or to a node of the pool, going
    /// on to another node when one refuses the call before anything was
    /// sent.
    async fn send<S, Req, Rep>(&self, path: &'static str, req: Req, out: Option<&Outbound>) -> Sent<S::Out>
    where
        S: Shape<Req, Rep, In = Req>,
        Req: Message,
        Rep: Message,
    {
        let pool = match &self.backend {
            Backend::One(conn) => return send_on::<S, Req, Rep>(conn, self.compression, path, request(req, out)).await,
            Backend::Pool(pool) => pool,
        };
        let mut failover = Failover::new(pool);
        let mut req = req;
        loop {
            let attempt = failover.next()?;
            // Keep the request for another node only while there is one.
            let msg = if attempt.more { req.clone() } else { std::mem::take(&mut req) };
            let res = send_on::<S, Req, Rep>(attempt.handle(), self.compression, path, request(msg, out)).await;
            if !failover.again(attempt, refused(&res), path) {
                return res;
            }
        }
    }

    /// Sends a stream of messages (to one node: a stream is sent once); an
    /// error of the request stream ends the call with it (and later ends a
    /// bidirectional call's replies, through the returned [`Failed`]).
    async fn send_stream<S, Req, Rep>(
        &self,
        path: &'static str,
        req: Streaming<Req>,
        out: Option<&Outbound>,
    ) -> Result<(Result<tonic::Response<S::Out>, Status>, Failed), Error>
    where
        S: Shape<Req, Rep, In = Outgoing<Req>>,
        Req: Message,
        Rep: Message,
    {
        let (outgoing, mut failed) = Outgoing::new(req);
        let call = async {
            match &self.backend {
                Backend::One(conn) => {
                    send_on::<S, Req, Rep>(conn, self.compression, path, request(outgoing, out)).await
                }
                Backend::Pool(pool) => {
                    let mut failover = Failover::new(pool);
                    let attempt = failover.next()?;
                    let res =
                        send_on::<S, Req, Rep>(attempt.handle(), self.compression, path, request(outgoing, out)).await;
                    failover.again(attempt, refused(&res), path);
                    res
                }
            }
        };
        let mut call = std::pin::pin!(call);
        let sent = std::future::poll_fn(|cx| {
            if let Poll::Ready(e) = failed.poll_error(cx) {
                return Poll::Ready(Err(e));
            }
            call.as_mut().poll(cx)
        })
        .await?;
        Ok((sent, failed))
    }
}

/// What came back from the server: its metadata, and the reply or the
/// error its status says.
fn split<T>(res: Result<tonic::Response<T>, Status>) -> (http::HeaderMap, Result<T, Error>) {
    match res {
        Ok(res) => {
            let (metadata, out, _) = res.into_parts();
            (metadata.into_headers(), Ok(out))
        }
        Err(status) => (status.metadata().clone().into_headers(), Err(Error::from_status(&status))),
    }
}

/// [`split`], with the metadata left as the reply metadata of the client
/// call being made on this task (a streaming call through middleware).
fn reply_metadata<T>(res: Result<tonic::Response<T>, Status>) -> Result<T, Error> {
    let (headers, out) = split(res);
    crate::context::with_mut(|ctx| *ctx.reply_headers_mut() = headers);
    out
}

/// What a client call sends besides its messages: the request metadata the
/// middleware left in its context, its deadline, and the count of its
/// messages.
struct Outbound {
    headers: http::HeaderMap,
    deadline: Option<Deadline>,
    stats: Option<Arc<StreamStats>>,
}

impl Outbound {
    fn of(ctx: &Context) -> Self {
        let stats = ctx.extensions().get::<Arc<StreamStats>>().cloned();
        Self { headers: ctx.request_headers().clone(), deadline: Deadline::of(ctx), stats }
    }

    /// The one of the client call being made on this task, if it runs
    /// through middleware.
    fn current() -> Option<Self> {
        crate::context::with(Self::of)
    }
}

/// Whether a call was refused before anything was sent.
fn refused<T>(res: &Sent<T>) -> bool {
    match res {
        Err(e) => e.cause().is_some_and(|c| never_sent(c)),
        Ok(Err(status)) => std::error::Error::source(status).is_some_and(never_sent),
        Ok(Ok(_)) => false,
    }
}

/// The tonic request of `msg`: the call's request metadata, and what is left
/// of its deadline as `grpc-timeout` (so the server gives up when the
/// client does).
fn request<T>(msg: T, out: Option<&Outbound>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(msg);
    let Some(out) = out else { return request };
    if out.headers.is_empty() && out.deadline.is_none() {
        return request;
    }
    let mut headers = out.headers.clone();
    if let Some(value) = out.deadline.and_then(|d| HeaderValue::try_from(d.to_grpc_timeout()).ok()) {
        headers.insert(GRPC_TIMEOUT, value);
    }
    *request.metadata_mut() = MetadataMap::from_headers(headers);
    request
}

async fn send_on<S: Shape<Req, Rep>, Req: Message, Rep: Message>(
    conn: &Conn,
    compression: Compression,
    path: &'static str,
    req: tonic::Request<S::In>,
) -> Sent<S::Out> {
    let mut grpc = compression.apply(tonic::client::Grpc::new(conn.channel.clone()));
    if let Err(e) = grpc.ready().await {
        return Err(match handshake_error(path, &e) {
            Some(err) => err,
            None => match conn.ask_why(path, closed_early(&e)).await {
                Some(err) => return Err(err),
                None => Error::service_unavailable(UNAVAILABLE, format!("transport not ready: {e}")),
            },
        }
        .with_cause(e));
    }
    match S::call(grpc, req, http::uri::PathAndQuery::from_static(path)).await {
        // A status tonic made of a failed handshake: said as one.
        Err(status) => match handshake_error(path, &status) {
            Some(err) => Err(err.with_cause(status)),
            None => match conn.ask_why(path, closed_early(&status)).await {
                Some(err) => Err(err),
                None => Ok(Err(status)),
            },
        },
        res => Ok(res),
    }
}

/// One of tonic's four call shapes: what goes out, what comes back.
trait Shape<Req, Rep> {
    /// One message, or a stream of them.
    type In: Send + 'static;
    /// One message, or a stream of them.
    type Out: Send + 'static;

    fn call(
        grpc: tonic::client::Grpc<Channel>,
        req: tonic::Request<Self::In>,
        path: http::uri::PathAndQuery,
    ) -> impl Future<Output = Result<tonic::Response<Self::Out>, Status>> + Send;
}

struct Unary;
struct ServerStreaming;
struct ClientStreaming;
struct Bidi;

impl<Req: Message, Rep: Message> Shape<Req, Rep> for Unary {
    type In = Req;
    type Out = Rep;
    async fn call(
        mut grpc: tonic::client::Grpc<Channel>,
        req: tonic::Request<Req>,
        path: http::uri::PathAndQuery,
    ) -> Result<tonic::Response<Rep>, Status> {
        grpc.unary(req, path, ClientCodec::default()).await
    }
}

impl<Req: Message, Rep: Message> Shape<Req, Rep> for ServerStreaming {
    type In = Req;
    type Out = tonic::Streaming<Rep>;
    async fn call(
        mut grpc: tonic::client::Grpc<Channel>,
        req: tonic::Request<Req>,
        path: http::uri::PathAndQuery,
    ) -> Result<tonic::Response<tonic::Streaming<Rep>>, Status> {
        grpc.server_streaming(req, path, ClientCodec::default()).await
    }
}

impl<Req: Message, Rep: Message> Shape<Req, Rep> for ClientStreaming {
    type In = Outgoing<Req>;
    type Out = Rep;
    async fn call(
        mut grpc: tonic::client::Grpc<Channel>,
        req: tonic::Request<Outgoing<Req>>,
        path: http::uri::PathAndQuery,
    ) -> Result<tonic::Response<Rep>, Status> {
        grpc.client_streaming(req, path, ClientCodec::default()).await
    }
}

impl<Req: Message, Rep: Message> Shape<Req, Rep> for Bidi {
    type In = Outgoing<Req>;
    type Out = tonic::Streaming<Rep>;
    async fn call(
        mut grpc: tonic::client::Grpc<Channel>,
        req: tonic::Request<Outgoing<Req>>,
        path: http::uri::PathAndQuery,
    ) -> Result<tonic::Response<tonic::Streaming<Rep>>, Status> {
        grpc.streaming(req, path, ClientCodec::default()).await
    }
}

/// One operation of a [`GrpcClient`] with a single reply, at the end of its
/// middleware chain; `I` is what it sends (a message or a stream).
struct GrpcCall<'c, I> {
    client: &'c GrpcClient,
    path: &'static str,
    _input: PhantomData<fn(I)>,
}

impl<Req: Message> Call for GrpcCall<'_, Req> {
    type Input = Req;

    fn operation(&self) -> &'static str {
        self.path
    }

    fn kind(&self) -> Kind {
        Kind::Grpc
    }

    async fn send<Rep: Message>(&self, req: Req, ctx: &mut Context) -> Result<Rep, Error> {
        let res = self.client.send::<Unary, Req, Rep>(self.path, req, Some(&Outbound::of(ctx))).await?;
        let (headers, rep) = split(res);
        *ctx.reply_headers_mut() = headers;
        rep
    }
}

impl<Req: Message> Call for GrpcCall<'_, Streaming<Req>> {
    type Input = Streaming<Req>;

    fn operation(&self) -> &'static str {
        self.path
    }

    fn kind(&self) -> Kind {
        Kind::Grpc
    }

    async fn send<Rep: Message>(&self, req: Streaming<Req>, ctx: &mut Context) -> Result<Rep, Error> {
        let req = counted(req, Some(StreamStats::of_or_insert(ctx)), false);
        let out = Outbound::of(ctx);
        let (res, _) = self.client.send_stream::<ClientStreaming, Req, Rep>(self.path, req, Some(&out)).await?;
        let (headers, rep) = split(res);
        *ctx.reply_headers_mut() = headers;
        rep
    }
}
