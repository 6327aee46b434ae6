//! How an [`HttpClient`](super::HttpClient) reaches a server: hyper-util's
//! client over plain TCP for `http://`, the same over rustls (hyper-rustls:
//! `h2` and `http/1.1` by ALPN) for `https://`, and the stream a WebSocket
//! runs on (`ws://` or `wss://`). The TLS client is made on the first
//! `https://` call, so a client that never speaks TLS never loads TLS
//! settings.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context as TaskContext, Poll};

use axum::body::Body;
use hyper_rustls::{FixedServerNameResolver, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::client::TlsSettings;
use crate::error::reason::{BAD_ENDPOINT, TLS_HANDSHAKE, UNAVAILABLE};
use crate::error::Error;
use crate::tls::{ask_why, closed_early, handshake_failure, Refusal, HANDSHAKE_TIMEOUT};

/// The plaintext client.
pub(super) type PlainClient = Client<HttpConnector, Body>;
type TlsClient = Client<Timed<HttpsConnector<HttpConnector>>, Body>;

/// The plaintext client, made at once (it reads nothing).
pub(super) fn plain_client() -> PlainClient {
    Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// The TLS half of an HTTP client (shared by its clones): its settings, and
/// what is made of them on first use.
#[derive(Debug)]
pub(super) struct Tls {
    settings: TlsSettings,
    client: OnceLock<TlsClient>,
    /// The config of `wss://` connections (`http/1.1` only: a WebSocket
    /// upgrade is an HTTP/1.1 request).
    websocket: OnceLock<Arc<rustls::ClientConfig>>,
}

impl Tls {
    pub(super) fn new(settings: TlsSettings) -> Self {
        Self { settings, client: OnceLock::new(), websocket: OnceLock::new() }
    }

    fn client(&self) -> Result<&TlsClient, Error> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let loaded = self.settings.get()?;
        // hyper-rustls sets the ALPN (h2, http/1.1) itself; the roots are
        // the settings' (the system's or a given CA), never its own.
        let builder = HttpsConnectorBuilder::new().with_tls_config(loaded.rustls(&[])?).https_only();
        let builder = match loaded.server_name() {
            Some(name) => builder.with_server_name_resolver(FixedServerNameResolver::new(name.clone())),
            None => builder,
        };
        let connector = Timed(builder.enable_all_versions().build());
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        Ok(self.client.get_or_init(|| client))
    }

    /// Why the TLS server of `url` refuses this client, if it does.
    async fn ask_why(&self, url: &str) -> Option<Refusal> {
        let uri: http::Uri = url.parse().ok()?;
        let loaded = self.settings.get().ok()?;
        let port = uri.port_u16().unwrap_or(443);
        ask_why(&loaded, uri.host()?, port, &[b"h2", b"http/1.1"]).await
    }

    fn websocket(&self) -> Result<(Arc<rustls::ClientConfig>, Option<ServerName<'static>>), Error> {
        let loaded = self.settings.get()?;
        let config = match self.websocket.get() {
            Some(config) => Arc::clone(config),
            None => {
                let config = Arc::new(loaded.rustls(&[b"http/1.1"])?);
                Arc::clone(self.websocket.get_or_init(|| config))
            }
        };
        Ok((config, loaded.server_name().cloned()))
    }
}

/// A connector whose connections must be made (TCP and the TLS handshake)
/// within [`HANDSHAKE_TIMEOUT`], as the gRPC and WebSocket clients' are:
/// without it a server that accepts and never answers the handshake would
/// hold a call forever. Hand-written because tower's `Timeout` future is not
/// `Unpin`, which hyper-util wants of a connector's; the box is per
/// connection, not per request.
#[derive(Clone, Debug)]
pub(super) struct Timed<C>(C);

impl<C> tower::Service<http::Uri> for Timed<C>
where
    C: tower::Service<http::Uri>,
    C::Future: Send + 'static,
    C::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = C::Response;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<C::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.0.call(uri);
        Box::pin(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, connecting).await {
                Ok(done) => done.map_err(Into::into),
                Err(_) => Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("the TLS connection was not made within {HANDSHAKE_TIMEOUT:?}"),
                )) as Self::Error),
            }
        })
    }
}

/// The hyper client for one URL.
pub(super) enum Hyper<'a> {
    Plain(&'a PlainClient),
    Tls(&'a TlsClient),
}

impl Hyper<'_> {
    /// The client for `url`: TLS for `https://`.
    pub(super) fn for_url<'a>(plain: &'a PlainClient, tls: &'a Tls, url: &str) -> Result<Hyper<'a>, Error> {
        Ok(if url.starts_with("https://") { Hyper::Tls(tls.client()?) } else { Hyper::Plain(plain) })
    }

    pub(super) fn request(&self, request: http::Request<Body>) -> ResponseFuture {
        match self {
            Hyper::Plain(client) => client.request(request),
            Hyper::Tls(client) => client.request(request),
        }
    }
}

/// A request that failed in transport: 503, reason `TLS_HANDSHAKE` when the
/// TLS handshake failed (saying why), `UNAVAILABLE` otherwise. When hyper
/// says only that an `https://` connection closed under the request, the
/// server is asked why (see [`ask_why`]): a TLS 1.3 server refuses a client
/// certificate that way.
pub(super) async fn request_failed(tls: &Tls, method: &str, url: &str, e: hyper_util::client::legacy::Error) -> Error {
    if url.starts_with("https://") && handshake_failure(&e).is_none() && closed_early(&e) {
        if let Some(why) = tls.ask_why(url).await {
            // (The refusal as the cause: nothing was read of the request.)
            return Error::service_unavailable(TLS_HANDSHAKE, format!("{method} {url}: TLS handshake failed: {why}"))
                .with_cause(why);
        }
    }
    transport_error(method, url, e)
}

/// [`request_failed`] without asking the server.
fn transport_error(method: &str, url: &str, e: hyper_util::client::legacy::Error) -> Error {
    match handshake_failure(&e) {
        Some(why) => Error::service_unavailable(TLS_HANDSHAKE, format!("{method} {url}: TLS handshake failed: {why}"))
            .with_cause(e),
        None => Error::service_unavailable(UNAVAILABLE, format!("{method} {url} failed: {e}")).with_cause(e),
    }
}

/// The connection a WebSocket runs on: TCP, or TLS over it.
pub(super) enum WsStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// Connects to the host of `url` (`ws://` or `wss://`), with the TLS
/// handshake for `wss://`.
pub(super) async fn ws_stream(url: &str, tls: &Tls) -> Result<WsStream, Error> {
    let bad = || Error::bad_request(BAD_ENDPOINT, format!("invalid WebSocket URL `{url}`"));
    let uri: http::Uri = url.parse().map_err(|_| bad())?;
    let secure = uri.scheme_str() == Some("wss");
    let host = uri.host().ok_or_else(bad)?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let failed = |e: std::io::Error| {
        match handshake_failure(&e) {
            Some(why) => {
                Error::service_unavailable(TLS_HANDSHAKE, format!("WebSocket {url}: TLS handshake failed: {why}"))
            }
            None => Error::service_unavailable(UNAVAILABLE, format!("WebSocket {url} failed: {e}")),
        }
        .with_cause(e)
    };
    let tcp = TcpStream::connect((host.as_str(), port)).await.map_err(failed)?;
    if !secure {
        return Ok(WsStream::Plain(tcp));
    }
    let (config, name) = tls.websocket()?;
    let name = match name {
        Some(name) => name,
        None => ServerName::try_from(host.clone()).map_err(|_| bad())?,
    };
    let handshake = tokio_rustls::TlsConnector::from(config).connect(name, tcp);
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
        .await
        .map_err(|_| {
            Error::service_unavailable(
                TLS_HANDSHAKE,
                format!("WebSocket {url}: the TLS handshake took over {HANDSHAKE_TIMEOUT:?}"),
            )
        })?
        .map_err(failed)?;
    Ok(WsStream::Tls(Box::new(stream)))
}

impl AsyncRead for WsStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            WsStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            WsStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WsStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            WsStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            WsStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            WsStream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            WsStream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            WsStream::Plain(s) => s.is_write_vectored(),
            WsStream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            WsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            WsStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            WsStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            WsStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
