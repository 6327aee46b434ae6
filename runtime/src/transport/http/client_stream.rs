//! The streaming calls of [`HttpClient`]: server streams read as
//! server-sent events (parsed by `eventsource-stream`), client and
//! bidirectional streams over a WebSocket (`tokio-tungstenite`), in the wire
//! format the server side documents (see `stream.rs`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use eventsource_stream::Eventsource as _;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::SinkExt as _;
use http::{header, HeaderValue};
use http_body_util::BodyExt as _;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::WebSocketStream;

use super::binding::{BodyRule, Route};
use super::client::{HttpClient, ANY};
use super::client_conn::{request_failed, ws_stream, Tls, WsStream};
use super::codec::{decode_reply, encode_request, JSON};
use super::http_body::{content_type, is_http_body};
use super::raw;
use super::DEFAULT_MAX_BODY;
use crate::client::call::{open_stream, through_chain, Call};
use crate::client::failover::{never_sent, Failover};
use crate::client::Backend;
use crate::codec::Message;
use crate::context::{Context, Kind, StreamStats};
use crate::error::reason::{BAD_REQUEST, CODEC, STREAM_CLOSED, TLS_HANDSHAKE, UNAVAILABLE};
use crate::error::Error;
use crate::middleware::stream::{counted, Sink};
use crate::stream::{Stream, StreamExt as _, Streaming};

/// What an SSE client accepts.
const EVENT_STREAM: &str = "text/event-stream";

type Socket = WebSocketStream<WsStream>;

impl HttpClient {
    /// One server-streaming call, read as server-sent events (generated
    /// clients call this).
    #[doc(hidden)]
    pub async fn server_streaming<Req: Message, Rep: Message>(
        &self,
        routes: &[&'static Route],
        req: &Req,
    ) -> Result<Streaming<Rep>, Error> {
        let routes = routes.to_vec();
        let client = self.clone();
        open_stream(&self.chain, routes[0].operation, Kind::Http, req.clone(), move |req: Req, sink: Sink<Rep>| {
            let (client, routes) = (client.clone(), routes.clone());
            async move {
                let headers = crate::context::with(|ctx| ctx.request_headers().clone()).unwrap_or_default();
                let (url, res) = client
                    .on_node(routes[0].operation, |base| client.open_events::<Req, Rep>(base, &routes, &req, &headers))
                    .await?;
                sink.send_all(streamed_replies(res, url)).await
            }
        })
        .await
    }

    /// Sends the request of a server stream to `base`: its URL, and the
    /// response once it is a stream of events.
    async fn open_events<Req: Message, Rep: Message>(
        &self,
        base: String,
        routes: &[&'static Route],
        req: &Req,
        headers: &http::HeaderMap,
    ) -> Result<(String, http::Response<hyper::body::Incoming>), Error> {
        let route = Route::pick(routes, req)?;
        let url = route.url(&base, req)?;
        let request = http::Request::builder().method(route.method).uri(&url).header(header::ACCEPT, accept::<Rep>());
        let (request, body) = match raw::sent_body(route, req)? {
            Some(raw) => (request.header(header::CONTENT_TYPE, content_type(&raw.content_type)?), raw.data.into()),
            None if route.body != BodyRule::None => {
                (request.header(header::CONTENT_TYPE, JSON), encode_request(route.body, req)?)
            }
            None => (request, encode_request(route.body, req)?),
        };
        let request = request
            .body(body)
            .map_err(|e| Error::bad_request(BAD_REQUEST, format!("cannot build request to {url}: {e}")))?;
        self.open_streamed(url, route.method, request, headers).await
    }

    /// Sends an upload to `base`: to the URL of its first message, the
    /// bytes of all its messages as the body. An upload's body goes once:
    /// `None` is a node after one that refused it.
    async fn open_upload<Req: Message>(
        &self,
        base: String,
        route: &'static Route,
        first: &Req,
        upload: Option<raw::Upload>,
        accept: HeaderValue,
        headers: &http::HeaderMap,
    ) -> Result<(String, http::Response<hyper::body::Incoming>), Error> {
        let url = route.url(&base, first)?;
        let Some(upload) = upload else {
            let why = format!("{} refused the upload, and an upload's body cannot be sent twice", route.operation);
            return Err(Error::service_unavailable(UNAVAILABLE, why));
        };
        let request = http::Request::builder()
            .method(route.method)
            .uri(&url)
            .header(header::ACCEPT, accept)
            .header(header::CONTENT_TYPE, upload.content_type)
            .body(upload.body)
            .map_err(|e| Error::bad_request(BAD_REQUEST, format!("cannot build request to {url}: {e}")))?;
        self.open_streamed(url, route.method, request, headers).await
    }

    /// Sends the request of a stream with the call's request metadata: the
    /// response once it is a success, else its error.
    async fn open_streamed(
        &self,
        url: String,
        method: &str,
        mut request: http::Request<axum::body::Body>,
        headers: &http::HeaderMap,
    ) -> Result<(String, http::Response<hyper::body::Incoming>), Error> {
        for (k, v) in headers {
            request.headers_mut().append(k, v.clone());
        }
        let res = match self.hyper(&url)?.request(request).await {
            Ok(res) => res,
            // An upload that its own stream's error broke off fails with it.
            Err(e) => match raw::sent_error(&e) {
                Some(e) => return Err(e),
                None => return Err(request_failed(&self.tls, method, &url, e).await),
            },
        };
        if !res.status().is_success() {
            let status = res.status().as_u16();
            let bytes = res.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
            return Err(Error::from_http(status, &bytes));
        }
        Ok((url, res))
    }

    /// Runs `open` on the one server, or on a node of the pool, going on to
    /// another node when one refuses before anything was sent.
    async fn on_node<T, F, Fut>(&self, operation: &'static str, mut open: F) -> Result<T, Error>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let pool = match &self.backend {
            Backend::One(base) => return open(base.clone()).await,
            Backend::Pool(pool) => pool,
        };
        let mut failover = Failover::new(pool);
        loop {
            let attempt = failover.next()?;
            let res = open(attempt.handle().clone()).await;
            let refused = matches!(&res, Err(e) if e.cause().is_some_and(|c| never_sent(c)));
            if !failover.again(attempt, refused, operation) {
                return res;
            }
        }
    }

    /// One client-streaming call over a WebSocket (generated clients call
    /// this).
    #[doc(hidden)]
    pub async fn client_streaming<Req: Message, Rep: Message>(
        &self,
        routes: &[&'static Route],
        req: Streaming<Req>,
    ) -> Result<Rep, Error> {
        let call = WsCall { client: self, route: routes[0], _req: std::marker::PhantomData };
        if self.chain.is_empty() {
            return call.client_stream(req, None).await;
        }
        through_chain(&self.chain, call, req).await
    }

    /// One bidirectional call over a WebSocket (generated clients call this).
    #[doc(hidden)]
    pub async fn streaming<Req: Message, Rep: Message>(
        &self,
        routes: &[&'static Route],
        req: Streaming<Req>,
    ) -> Result<Streaming<Rep>, Error> {
        let route = routes[0];
        let client = self.clone();
        open_stream(&self.chain, route.operation, Kind::Http, req, move |req: Streaming<Req>, sink: Sink<Rep>| {
            let client = client.clone();
            async move {
                let stats = crate::context::with(|ctx| ctx.extensions().get::<Arc<StreamStats>>().cloned()).flatten();
                let req = counted(req, stats, false);
                let headers = crate::context::with(|ctx| ctx.request_headers().clone()).unwrap_or_default();
                if raw::is_upload(route) {
                    let (url, res) = client.upload(route, req, accept::<Rep>(), &headers).await?;
                    return sink.send_all(streamed_replies(res, url)).await;
                }
                let socket =
                    client.on_node(route.operation, |base| connect(base, route, &headers, &client.tls)).await?;
                let (tx, rx) = socket.split();
                let replies = Replies { rx, done: false, _rep: std::marker::PhantomData };
                sink.send_all(Duplex::new(tx, req, replies)).await
            }
        })
        .await
    }
}

impl HttpClient {
    /// Sends the messages of `req` as an upload on `route` (to one node:
    /// the body of an upload goes once).
    async fn upload<Req: Message>(
        &self,
        route: &'static Route,
        req: Streaming<Req>,
        accept: HeaderValue,
        headers: &http::HeaderMap,
    ) -> Result<(String, http::Response<hyper::body::Incoming>), Error> {
        let (first, upload) = raw::upload(route, req).await?;
        let upload = std::sync::Mutex::new(Some(upload));
        let take = || upload.lock().ok().and_then(|mut u| u.take());
        self.on_node(route.operation, |base| self.open_upload(base, route, &first, take(), accept.clone(), headers))
            .await
    }
}

/// What the client of a stream of replies accepts: the bytes of an
/// `HttpBody` download, else events.
fn accept<Rep: Message>() -> HeaderValue {
    if is_http_body::<Rep>() {
        ANY
    } else {
        HeaderValue::from_static(EVENT_STREAM)
    }
}

/// The replies of a stream's response: the chunks of a download of
/// `HttpBody` replies, else its server-sent events. Its headers become the
/// call's reply headers.
fn streamed_replies<Rep: Message>(res: http::Response<hyper::body::Incoming>, url: String) -> Streaming<Rep> {
    let (head, body) = res.into_parts();
    let replies = if is_http_body::<Rep>() {
        Streaming::new(raw::chunks::<Rep, _>(&head.headers, body, url))
    } else {
        Streaming::new(body.into_data_stream().eventsource().map(move |event| match event {
            Ok(event) if event.event == "error" => Err(Error::from_http(500, event.data.as_bytes())),
            Ok(event) => decode_reply::<Rep>(None, event.data.as_bytes(), &url),
            Err(e) => Err(Error::service_unavailable(UNAVAILABLE, format!("reading events of {url}: {e}"))),
        }))
    };
    crate::context::with_mut(|ctx| *ctx.reply_headers_mut() = head.headers);
    replies
}

/// A client-streaming call of an [`HttpClient`], at the end of its chain.
struct WsCall<'c, Req> {
    client: &'c HttpClient,
    route: &'static Route,
    _req: std::marker::PhantomData<fn(Req)>,
}

impl<Req: Message> WsCall<'_, Req> {
    async fn client_stream<Rep: Message>(&self, req: Streaming<Req>, ctx: Option<&mut Context>) -> Result<Rep, Error> {
        let headers = ctx.as_deref().map(|c| c.request_headers().clone()).unwrap_or_default();
        let route = self.route;
        if raw::is_upload(route) {
            let accept = if is_http_body::<Rep>() { ANY } else { JSON };
            let (url, res) = self.client.upload(route, req, accept, &headers).await?;
            let (head, body) = res.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|e| Error::service_unavailable(UNAVAILABLE, format!("reading reply of {url}: {e}")))?
                .to_bytes();
            let content_type =
                head.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            if let Some(ctx) = ctx {
                *ctx.reply_headers_mut() = head.headers;
            }
            if is_http_body::<Rep>() {
                return raw::received(content_type, bytes);
            }
            return decode_reply(route.response_body, &bytes, &url);
        }
        let socket =
            self.client.on_node(route.operation, |base| connect(base, route, &headers, &self.client.tls)).await?;
        let (tx, rx) = socket.split();
        let replies = Replies::<Rep> { rx, done: false, _rep: std::marker::PhantomData };
        let mut duplex = Duplex::new(tx, req, replies);
        match duplex.next().await {
            Some(rep) => rep,
            None => Err(Error::client_closed(STREAM_CLOSED, format!("{} ended without a reply", route.operation))),
        }
    }
}

impl<Req: Message> Call for WsCall<'_, Req> {
    type Input = Streaming<Req>;

    fn operation(&self) -> &'static str {
        self.route.operation
    }

    fn kind(&self) -> Kind {
        Kind::Http
    }

    async fn send<Rep: Message>(&self, req: Streaming<Req>, ctx: &mut Context) -> Result<Rep, Error> {
        let req = counted(req, Some(StreamStats::of_or_insert(ctx)), false);
        self.client_stream(req, Some(ctx)).await
    }
}

/// Opens the WebSocket of `route` on `base` (over TLS for `https://`), with
/// the call's request metadata.
async fn connect(base: String, route: &'static Route, headers: &http::HeaderMap, tls: &Tls) -> Result<Socket, Error> {
    let mut url = String::with_capacity(base.len() + 32);
    url.push_str("ws");
    url.push_str(base.strip_prefix("http").unwrap_or(&base));
    for seg in route.template {
        if let super::binding::PathSeg::Lit(l) = seg {
            url.push_str(l);
        }
    }
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| Error::bad_request(BAD_REQUEST, format!("cannot build request to {url}: {e}")))?;
    for (k, v) in headers {
        request.headers_mut().append(k, v.clone());
    }
    let config =
        WebSocketConfig::default().max_message_size(Some(DEFAULT_MAX_BODY)).max_frame_size(Some(DEFAULT_MAX_BODY));
    let stream = ws_stream(&url, tls).await?;
    match tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await {
        Ok((socket, res)) => {
            crate::context::with_mut(|ctx| *ctx.reply_headers_mut() = res.headers().clone());
            Ok(socket)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            let status = res.status().as_u16();
            Err(Error::from_http(status, res.body().as_deref().unwrap_or_default()))
        }
        Err(e) => Err(match crate::tls::handshake_failure(&e) {
            Some(why) => {
                Error::service_unavailable(TLS_HANDSHAKE, format!("WebSocket {url}: TLS handshake failed: {why}"))
            }
            None => Error::service_unavailable(UNAVAILABLE, format!("WebSocket {url} failed: {e}")),
        }
        .with_cause(e)),
    }
}

/// Sends every message of `req` as a text frame, then the empty frame that
/// ends it. An error of the stream ends the call with it: the socket is
/// closed (so the server sees a cancelled call, never a whole stream).
async fn send_all<Req: Message>(mut tx: SplitSink<Socket, Frame>, mut req: Streaming<Req>) -> Result<(), Error> {
    let broke = |e: tokio_tungstenite::tungstenite::Error| {
        Error::client_closed(STREAM_CLOSED, format!("the WebSocket broke: {e}")).with_cause(e)
    };
    while let Some(item) = req.next().await {
        let msg = match item {
            Ok(msg) => msg,
            Err(e) => {
                let _ = tx.close().await;
                return Err(e);
            }
        };
        let json = serde_json::to_string(&msg)
            .map_err(|e| Error::bad_request(CODEC, format!("cannot encode request: {e}")))?;
        tx.send(Frame::text(json)).await.map_err(broke)?;
    }
    tx.send(Frame::text("")).await.map_err(broke)
}

/// The server's frames as replies: `{"result":..}` per reply, a last
/// `{"error":..}`, then the close.
struct Replies<Rep> {
    rx: SplitStream<Socket>,
    done: bool,
    _rep: std::marker::PhantomData<fn() -> Rep>,
}

/// One frame of the server's.
#[derive(Deserialize)]
#[serde(bound = "Rep: Message")]
struct Envelope<Rep> {
    #[serde(default = "Option::default")]
    result: Option<Rep>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

impl<Rep: Message> Stream for Replies<Rep> {
    type Item = Result<Rep, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            let frame = match std::task::ready!(self.rx.poll_next_unpin(cx)) {
                Some(Ok(frame)) => frame,
                Some(Err(e)) => {
                    self.done = true;
                    let err = Error::service_unavailable(UNAVAILABLE, format!("the WebSocket broke: {e}"));
                    return Poll::Ready(Some(Err(err.with_cause(e))));
                }
                None => {
                    self.done = true;
                    let err =
                        Error::service_unavailable(UNAVAILABLE, "the server dropped the WebSocket before its end");
                    return Poll::Ready(Some(Err(err)));
                }
            };
            let text = match frame {
                Frame::Text(text) => text,
                Frame::Close(close) => {
                    self.done = true;
                    return Poll::Ready(match close {
                        Some(c) if u16::from(c.code) >= 4000 => {
                            Some(Err(Error::new(u16::from(c.code) - 4000, c.reason.to_string(), "")))
                        }
                        _ => None,
                    });
                }
                _ => continue,
            };
            let env: Envelope<Rep> = match serde_json::from_str(text.as_str()) {
                Ok(env) => env,
                Err(e) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::internal_server(CODEC, format!("invalid reply frame: {e}")))));
                }
            };
            return Poll::Ready(Some(match (env.result, env.error) {
                (_, Some(error)) => {
                    self.done = true;
                    Err(Error::from_http(500, error.to_string().as_bytes()))
                }
                (Some(rep), None) => Ok(rep),
                (None, None) => {
                    self.done = true;
                    Err(Error::internal_server(CODEC, "a reply frame holds neither `result` nor `error`"))
                }
            }));
        }
    }
}

/// The replies of a call, with its request stream sent alongside by a task
/// of its own (so the caller's messages go out whether or not it reads the
/// replies, as a gRPC request body does); an error of the sending ends the
/// replies with it, and dropping the replies stops the sending.
struct Duplex<R> {
    send: Option<tokio::task::JoinHandle<Result<(), Error>>>,
    replies: R,
}

impl<R> Duplex<R> {
    fn new<Req: Message>(tx: SplitSink<Socket, Frame>, req: Streaming<Req>, replies: R) -> Self {
        Self { send: Some(tokio::spawn(send_all(tx, req))), replies }
    }
}

impl<R> Drop for Duplex<R> {
    fn drop(&mut self) {
        if let Some(send) = &self.send {
            send.abort();
        }
    }
}

impl<R, Rep> Stream for Duplex<R>
where
    R: Stream<Item = Result<Rep, Error>> + Unpin,
{
    type Item = Result<Rep, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        if let Some(send) = &mut self.send {
            if let Poll::Ready(res) = Pin::new(send).poll(cx) {
                self.send = None;
                let failed = match res {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e),
                    Err(e) => Some(Error::client_closed(STREAM_CLOSED, format!("sending the stream stopped: {e}"))),
                };
                if let Some(e) = failed {
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
        self.replies.poll_next_unpin(cx)
    }
}
