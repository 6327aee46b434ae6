//! [`HttpClient`]: what generated `FooHttpClient`s wrap. It builds the
//! path, query and body from the same rules the server binds with, and
//! rebuilds the server's `bia::Error`s.

use std::marker::PhantomData;
use std::sync::Arc;

use http::{header, HeaderValue};
use http_body_util::BodyExt as _;
#[cfg(feature = "compression")]
use tower::ServiceExt as _;

use super::binding::{BodyRule, Route};
use super::client_conn::{plain_client, request_failed, Hyper, PlainClient, Tls};
use super::codec::{decode_reply, encode_request, JSON};
use super::http_body::{content_type, is_http_body};
use super::negotiate::PROTOBUF;
use super::raw;
use crate::client::call::{through_chain, Call};
use crate::client::failover::{never_sent, Failover};
use crate::client::{chain_builder, Backend, ClientTls, Dial, Dialed, MakeNode, TlsSettings};
use crate::codec::Message;
use crate::context::{Context, Kind};
use crate::error::reason::{BAD_ENDPOINT, BAD_REQUEST, CODEC, UNAVAILABLE};
use crate::error::Error;
use crate::middleware::Chain;

/// What a client of an `HttpBody` reply accepts.
pub(super) const ANY: HeaderValue = HeaderValue::from_static("*/*");

/// The client half generated `FooHttpClient`s wrap: builds the URL, query and
/// body from the same rules the server binds with, and rebuilds `bia::Error`s.
///
/// With the `compression` feature, a unary call asks for a reply
/// compressed with gzip, br or zstd (`Accept-Encoding`) and decompresses
/// it, unless [`decompress`](Self::decompress) is off; request bodies are
/// sent uncompressed.
///
/// **TLS.** `https://` servers are called over TLS (rustls; `h2` or
/// `http/1.1` by ALPN), trusting the system's CA certificates unless
/// [`with_tls`](Self::with_tls) or [`Dial::tls`] says otherwise; a failed
/// handshake is 503, reason `TLS_HANDSHAKE`.
#[derive(Debug, Clone)]
pub struct HttpClient {
    /// Base URLs (`http://host:port`, `https://host:port`).
    pub(super) backend: Backend<String>,
    /// For `http://`.
    pub(super) client: PlainClient,
    /// For `https://` and `wss://`.
    pub(super) tls: Arc<Tls>,
    pub(super) chain: Chain,
    decompress: bool,
    /// Protobuf on the wire (bodies of whole messages, replies).
    protobuf: bool,
    /// How the server shapes its replies; `None`: Bia's own.
    envelope: Option<Arc<dyn super::Envelope>>,
}

/// A node's base URL.
fn node_base() -> MakeNode<String> {
    Arc::new(|addr, tls| Ok(format!("{}://{addr}", if tls { "https" } else { "http" })))
}

/// One server's base URL, checked.
fn one_base(url: String) -> Result<String, Error> {
    let url = url.trim_end_matches('/').to_owned();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(Error::bad_request(
            BAD_ENDPOINT,
            format!(
                "invalid endpoint `{url}`: expected http://host:port, https://host:port, direct:///host:port,.. \
                 or discovery:///name"
            ),
        ))
    }
}

chain_builder!(HttpClient);

impl HttpClient {
    /// A client for `base` (`http://127.0.0.1:8000`, or `https://..` over
    /// TLS trusting the system's CA certificates), or for a balanced
    /// `direct:///host:port,host:port` (see [`crate::client`]).
    ///
    /// ```
    /// # fn demo() -> Result<(), bia::Error> {
    /// let client = bia::transport::http::HttpClient::new("http://127.0.0.1:8000")?;
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub fn new(base: impl Into<String>) -> Result<Self, Error> {
        Self::lazy(Dial::new(base))
    }

    /// A client for `base` (`https://users.internal:8443`, or a
    /// `direct:///` list, dialed over TLS) with these TLS settings: a CA of
    /// your own, a client certificate for mutual TLS, a server name. Fails
    /// with reason `TLS_CONFIG` when they do not load.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), bia::Error> {
    /// use bia::client::ClientTls;
    ///
    /// let tls = ClientTls::new().ca_file("ca.crt").identity_files("client.crt", "client.key");
    /// let client = bia::transport::http::HttpClient::with_tls("https://users.internal:8443", tls)?;
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub fn with_tls(base: impl Into<String>, tls: ClientTls) -> Result<Self, Error> {
        Self::lazy(Dial::new(base).tls(tls))
    }

    fn lazy(dial: Dial) -> Result<Self, Error> {
        let tls = TlsSettings::new(dial.tls.clone())?;
        let backend = Backend::lazy(&dial, "http", "FooHttpClient", one_base, node_base())?;
        if matches!(&backend, Backend::One(url) if url.starts_with("https://")) {
            // A server that is only reached over TLS: settings that do not
            // load fail now rather than at the first call.
            tls.get()?;
        }
        Ok(Self::with(backend, tls))
    }

    /// Dials a target with its discovery, balancer, node filter and TLS
    /// settings (see [`crate::client`]).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), bia::Error> {
    /// let dial = bia::client::Dial::new("https://127.0.0.1:8443");
    /// let client = bia::transport::http::HttpClient::dial(dial).await?;
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub async fn dial(dial: Dial) -> Result<Self, Error> {
        let tls = TlsSettings::new(dial.tls.clone())?;
        match Backend::dial(&dial, "http", node_base()).await? {
            Dialed::Pool(pool) => Ok(Self::with(pool, tls)),
            Dialed::Url(url) => {
                let url = one_base(url)?;
                if url.starts_with("https://") {
                    tls.get()?;
                }
                Ok(Self::with(Backend::One(url), tls))
            }
        }
    }

    fn with(backend: Backend<String>, tls: TlsSettings) -> Self {
        Self {
            backend,
            client: plain_client(),
            tls: Arc::new(Tls::new(tls)),
            chain: Chain::new(),
            decompress: true,
            protobuf: false,
            envelope: None,
        }
    }

    /// The hyper client for `url`.
    pub(super) fn hyper(&self, url: &str) -> Result<Hyper<'_>, Error> {
        Hyper::for_url(&self.client, &self.tls, url)
    }

    /// Whether unary calls ask for replies compressed with gzip, br or zstd
    /// (`Accept-Encoding`, unless a middleware set that header) and
    /// decompress them; default on. Asking costs one header until a server
    /// compresses, and a server compresses only what it was set to (a Bia
    /// server: see [`HttpServer::compression`](super::HttpServer::compression)).
    /// Streams (server-sent events, WebSockets) are never compressed.
    /// Without the `compression` feature replies are never asked for
    /// compressed, and this setting changes nothing.
    ///
    /// ```
    /// # fn demo() -> Result<(), bia::Error> {
    /// let client = bia::transport::http::HttpClient::new("http://127.0.0.1:8000")?.decompress(false);
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub fn decompress(mut self, on: bool) -> Self {
        self.decompress = on;
        self
    }

    /// Sends and receives protobuf instead of JSON: a request whose body is
    /// the whole message (`body = "*"`) goes as `application/x-protobuf`,
    /// and replies of the whole message are asked for in it (`Accept`);
    /// a body or reply of one field stays JSON, as do errors. Smaller and
    /// cheaper to encode than JSON, for services calling services over the
    /// HTTP API. Off by default.
    ///
    /// ```
    /// # fn demo() -> Result<(), bia::Error> {
    /// let client = bia::transport::http::HttpClient::new("http://127.0.0.1:8000")?.protobuf(true);
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub fn protobuf(mut self, on: bool) -> Self {
        self.protobuf = on;
        self
    }

    /// Reads the server's replies and errors through `envelope` (the one the
    /// server writes them with, [`HttpServer::envelope`](super::HttpServer::envelope)):
    /// its [`open`](super::Envelope::open) takes each unary reply back to the
    /// message's JSON or to the error. Streams open as without.
    ///
    /// ```
    /// use bia::transport::http::{Envelope, HttpClient};
    ///
    /// struct Data;
    /// impl Envelope for Data {
    ///     fn open(&self, status: http::StatusCode, body: bytes::Bytes) -> Result<bytes::Bytes, bia::Error> {
    ///         let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    ///         if status.is_success() {
    ///             Ok(bytes::Bytes::from(v["data"].to_string()))
    ///         } else {
    ///             Err(bia::Error::from_http(status.as_u16(), &body))
    ///         }
    ///     }
    /// }
    ///
    /// # fn demo() -> Result<(), bia::Error> {
    /// let client = HttpClient::new("http://127.0.0.1:8000")?.envelope(Data);
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub fn envelope(mut self, envelope: impl super::Envelope) -> Self {
        self.envelope = Some(Arc::new(envelope));
        self
    }

    /// One unary call over the first of `routes` whose path patterns the
    /// request's values fit (generated clients call this).
    #[doc(hidden)]
    pub async fn unary<Req: Message, Rep: Message>(&self, routes: &[&'static Route], req: &Req) -> Result<Rep, Error> {
        if self.chain.is_empty() {
            return self.send(routes, req, None).await;
        }
        through_chain(&self.chain, HttpCall { client: self, routes, _input: PhantomData::<fn(Req)> }, req.clone()).await
    }

    /// Sends to the one server, or to a node of the pool, going on to
    /// another node when one refuses the call before anything was sent.
    async fn send<Req: Message, Rep: Message>(
        &self,
        routes: &[&'static Route],
        req: &Req,
        mut ctx: Option<&mut Context>,
    ) -> Result<Rep, Error> {
        let pool = match &self.backend {
            Backend::One(base) => return self.send_to(base, routes, req, ctx).await,
            Backend::Pool(pool) => pool,
        };
        let mut failover = Failover::new(pool);
        loop {
            let attempt = failover.next()?;
            let res = self.send_to(attempt.handle(), routes, req, ctx.as_deref_mut()).await;
            let refused = matches!(&res, Err(e) if e.cause().is_some_and(|c| never_sent(c)));
            if !failover.again(attempt, refused, routes[0].operation) {
                return res;
            }
        }
    }

    async fn send_to<Req: Message, Rep: Message>(
        &self,
        base: &str,
        routes: &[&'static Route],
        req: &Req,
        ctx: Option<&mut Context>,
    ) -> Result<Rep, Error> {
        let route = Route::pick(routes, req)?;
        let url = route.url(base, req)?;
        // An `HttpBody` goes as its bytes with its content type.
        let (body, content_type) = match raw::sent_body(route, req)? {
            Some(raw) => (axum::body::Body::from(raw.data), Some(content_type(&raw.content_type)?)),
            None if self.protobuf && route.body == BodyRule::All => {
                (axum::body::Body::from(req.encode_to_vec()), Some(PROTOBUF))
            }
            None => (encode_request(route.body, req)?, (route.body != BodyRule::None).then_some(JSON)),
        };
        let accept = if is_http_body::<Rep>() {
            ANY
        } else if self.protobuf && route.response_body.is_none() {
            PROTOBUF
        } else {
            JSON
        };
        let mut request = http::Request::builder().method(route.method).uri(&url).header(header::ACCEPT, accept);
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let mut request = request
            .body(body)
            .map_err(|e| Error::bad_request(BAD_REQUEST, format!("cannot build request to {url}: {e}")))?;
        if let Some(ctx) = ctx.as_deref() {
            for (k, v) in ctx.request_headers() {
                request.headers_mut().append(k, v.clone());
            }
        }
        let hyper = self.hyper(&url)?;
        #[cfg(feature = "compression")]
        let (status, bytes, reply_type) = if self.decompress {
            let client = tower_http::decompression::Decompression::new(tower::service_fn(|r| hyper.request(r)));
            match client.oneshot(request).await {
                Ok(res) => read_reply(res, ctx, &url).await?,
                Err(e) => return Err(request_failed(&self.tls, route.method, &url, e).await),
            }
        } else {
            match hyper.request(request).await {
                Ok(res) => read_reply(res, ctx, &url).await?,
                Err(e) => return Err(request_failed(&self.tls, route.method, &url, e).await),
            }
        };
        #[cfg(not(feature = "compression"))]
        let (status, bytes, reply_type) = match hyper.request(request).await {
            Ok(res) => read_reply(res, ctx, &url).await?,
            Err(e) => return Err(request_failed(&self.tls, route.method, &url, e).await),
        };
        if is_http_body::<Rep>() && status.is_success() {
            let content_type = reply_type.as_ref().and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            return raw::received(content_type, bytes);
        }
        let protobuf_reply = reply_type.is_some_and(|v| v.as_bytes().ends_with(b"protobuf"));
        if protobuf_reply && status.is_success() {
            return Rep::decode(bytes)
                .map_err(|e| Error::internal_server(CODEC, format!("invalid protobuf reply from {url}: {e}")));
        }
        let bytes = match &self.envelope {
            None if status.is_success() => bytes,
            None => return Err(Error::from_http(status.as_u16(), &bytes)),
            Some(envelope) => envelope.open(status, bytes)?,
        };
        decode_reply(route.response_body, &bytes, &url)
    }
}

/// The status, whole body and content type of a reply; its headers become
/// the call's reply headers.
async fn read_reply<B>(
    res: http::Response<B>,
    ctx: Option<&mut Context>,
    url: &str,
) -> Result<(http::StatusCode, bytes::Bytes, Option<HeaderValue>), Error>
where
    B: http_body::Body,
    B::Error: std::fmt::Display,
{
    let status = res.status();
    let (head, body) = res.into_parts();
    let content_type = head.headers.get(header::CONTENT_TYPE).cloned();
    if let Some(ctx) = ctx {
        *ctx.reply_headers_mut() = head.headers;
    }
    let bytes = body
        .collect()
        .await
        .map_err(|e| Error::service_unavailable(UNAVAILABLE, format!("reading reply of {url}: {e}")))?
        .to_bytes();
    Ok((status, bytes, content_type))
}

/// One operation of an [`HttpClient`], at the end of its middleware chain.
struct HttpCall<'c, Req> {
    client: &'c HttpClient,
    routes: &'c [&'static Route],
    _input: PhantomData<fn(Req)>,
}

impl<Req: Message> Call for HttpCall<'_, Req> {
    type Input = Req;

    fn operation(&self) -> &'static str {
        self.routes[0].operation
    }

    fn kind(&self) -> Kind {
        Kind::Http
    }

    async fn send<Rep: Message>(&self, req: Req, ctx: &mut Context) -> Result<Rep, Error> {
        self.client.send(self.routes, &req, Some(ctx)).await
    }
}
