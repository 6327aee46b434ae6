//! [`HttpClient`]: what generated `FooHttpClient`s wrap. It builds the
//! path, query and body from the same rules the server binds with, and
//! rebuilds the server's `bia::Error`s.

use std::marker::PhantomData;

use axum::body::Body;
use http::header;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use super::binding::{BodyRule, Route};
use super::codec::{decode_reply, encode_request, JSON};
use crate::client::call::{through_chain, Call};
use crate::client::failover::{never_sent, Failover};
use crate::client::{chain_builder, Backend, Dial, Dialed};
use crate::codec::Message;
use crate::context::{Context, Kind};
use crate::error::reason::{BAD_ENDPOINT, BAD_REQUEST, UNAVAILABLE};
use crate::error::Error;
use crate::middleware::Chain;

type HyperClient = hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Body>;

/// The client half generated `FooHttpClient`s wrap: builds the URL, query and
/// body from the same rules the server binds with, and rebuilds `bia::Error`s.
///
/// A unary call asks for a reply compressed with gzip, br or zstd
/// (`Accept-Encoding`) and decompresses it, unless
/// [`decompress`](Self::decompress) is off; request bodies are sent
/// uncompressed.
#[derive(Debug, Clone)]
pub struct HttpClient {
    /// Base URLs (`http://host:port`).
    pub(super) backend: Backend<String>,
    pub(super) client: HyperClient,
    pub(super) chain: Chain,
    decompress: bool,
}

/// A node's base URL.
fn node_base(addr: &str) -> Result<String, Error> {
    Ok(format!("http://{addr}"))
}

chain_builder!(HttpClient);

impl HttpClient {
    /// A client for `base` (`http://127.0.0.1:8000`), or for a balanced
    /// `direct:///host:port,host:port` (see [`crate::client`]).
    pub fn new(base: impl Into<String>) -> Result<Self, Error> {
        let one = |url: String| {
            let url = url.trim_end_matches('/').to_owned();
            if url.starts_with("http://") {
                Ok(url)
            } else {
                Err(Error::bad_request(
                    BAD_ENDPOINT,
                    format!("invalid endpoint `{url}`: expected http://host:port, direct:///host:port,.. or discovery:///name"),
                ))
            }
        };
        Ok(Self::with(Backend::lazy(&base.into(), "http", "FooHttpClient", one, node_base)?))
    }

    /// Dials a target with its discovery, balancer and node filter (see
    /// [`crate::client`]).
    pub async fn dial(dial: Dial) -> Result<Self, Error> {
        match Backend::dial(&dial, "http", node_base).await? {
            Dialed::Pool(pool) => Ok(Self::with(pool)),
            Dialed::Url(url) => Self::new(url),
        }
    }

    fn with(backend: Backend<String>) -> Self {
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        Self { backend, client, chain: Chain::new(), decompress: true }
    }

    /// Whether unary calls ask for replies compressed with gzip, br or zstd
    /// (`Accept-Encoding`, unless a middleware set that header) and
    /// decompress them; default on. Asking costs one header until a server
    /// compresses, and a server compresses only what it was set to (a Bia
    /// server: see [`HttpServer::compression`](super::HttpServer::compression)).
    /// Streams (server-sent events, WebSockets) are never compressed.
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
        let body = encode_request(route.body, req)?;
        let mut request = http::Request::builder().method(route.method).uri(&url).header(header::ACCEPT, JSON);
        if route.body != BodyRule::None {
            request = request.header(header::CONTENT_TYPE, JSON);
        }
        let mut request = request
            .body(body)
            .map_err(|e| Error::bad_request(BAD_REQUEST, format!("cannot build request to {url}: {e}")))?;
        if let Some(ctx) = ctx.as_deref() {
            for (k, v) in ctx.request_headers() {
                request.headers_mut().append(k, v.clone());
            }
        }
        let failed = |e: hyper_util::client::legacy::Error| {
            Error::service_unavailable(UNAVAILABLE, format!("{} {url} failed: {e}", route.method)).with_cause(e)
        };
        let (status, bytes) = if self.decompress {
            let client = tower_http::decompression::Decompression::new(self.client.clone());
            read_reply(client.oneshot(request).await.map_err(failed)?, ctx, &url).await?
        } else {
            read_reply(self.client.request(request).await.map_err(failed)?, ctx, &url).await?
        };
        if !status.is_success() {
            return Err(Error::from_http(status.as_u16(), &bytes));
        }
        decode_reply(route.response_body, &bytes, &url)
    }
}

/// The status and whole body of a reply; its headers become the call's
/// reply headers.
async fn read_reply<B>(
    res: http::Response<B>,
    ctx: Option<&mut Context>,
    url: &str,
) -> Result<(http::StatusCode, bytes::Bytes), Error>
where
    B: http_body::Body,
    B::Error: std::fmt::Display,
{
    let status = res.status();
    let (head, body) = res.into_parts();
    if let Some(ctx) = ctx {
        *ctx.reply_headers_mut() = head.headers;
    }
    let bytes = body
        .collect()
        .await
        .map_err(|e| Error::service_unavailable(UNAVAILABLE, format!("reading reply of {url}: {e}")))?
        .to_bytes();
    Ok((status, bytes))
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
