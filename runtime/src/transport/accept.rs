//! The accept loop both transports share: HTTP/1.1 and HTTP/2 (gRPC is h2c,
//! or h2 over TLS) on one hyper server, TLS when the server has it, the
//! connection limits, graceful drain on stop, and connections that outlive
//! the stop timeout closed by force.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use super::limits::ConnectionLimits;
use super::parse_errors;
use super::tls::{peer_certificate, TlsSource};

/// How long the loop waits after a failed `accept` before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// Failed accepts are logged at most once per this interval.
pub(crate) const ACCEPT_ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Failed accepts (out of file descriptors, mostly: `EMFILE`, `ENFILE`,
/// `ENOBUFS`), logged at most once per [`ACCEPT_ERROR_LOG_INTERVAL`] with
/// how many failed since the last line, and the recovery once after a
/// logged failure: a process out of descriptors retries every 50 ms, and a
/// line each time would flood the log it may need descriptors to write.
struct AcceptErrors {
    addr: Option<std::net::SocketAddr>,
    /// When the last failure line was written.
    last_line: Option<std::time::Instant>,
    /// Failures since that line.
    unlogged: u64,
    /// The last accept failed.
    failing: bool,
    /// A failure line was written since the last recovery.
    said_failing: bool,
}

impl AcceptErrors {
    fn new(addr: Option<std::net::SocketAddr>) -> Self {
        Self { addr, last_line: None, unlogged: 0, failing: false, said_failing: false }
    }

    #[cold]
    fn failed(&mut self, e: &std::io::Error) {
        self.failing = true;
        self.unlogged += 1;
        let now = std::time::Instant::now();
        if self.last_line.is_none_or(|t| now.duration_since(t) >= ACCEPT_ERROR_LOG_INTERVAL) {
            tracing::warn!(
                target: "bia::transport",
                address = ?self.addr,
                error = %e,
                failures = self.unlogged,
                "accepting connections fails; new connections wait in the listen backlog, open ones are served \
                 (logged at most once every {} s)",
                ACCEPT_ERROR_LOG_INTERVAL.as_secs()
            );
            self.last_line = Some(now);
            self.unlogged = 0;
            self.said_failing = true;
        }
    }

    #[cold]
    fn recovered(&mut self) {
        self.failing = false;
        if std::mem::take(&mut self.said_failing) {
            tracing::info!(
                target: "bia::transport",
                address = ?self.addr,
                failures_not_logged = self.unlogged,
                "accepting connections again"
            );
            self.unlogged = 0;
        }
    }
}

/// The stop signals of a server: `drain` stops accepting and lets
/// connections finish; `force` closes whatever is left.
#[derive(Clone, Debug)]
pub(crate) struct Stop {
    pub(crate) drain: watch::Receiver<bool>,
    pub(crate) force: watch::Receiver<bool>,
    /// Raised with `force`, before connections close: the streams in
    /// flight end with their `Unavailable` first.
    pub(crate) streams_end: Vec<super::server::StreamsEnd>,
}

/// How long streams that were told to end get to send that end before
/// their connections close.
const STREAMS_END_GRACE: Duration = Duration::from_secs(1);

async fn raised(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// How a listener serves its connections.
pub(crate) struct Options {
    pub(crate) limits: ConnectionLimits,
    pub(crate) tls: Option<TlsSource>,
}

/// hyper's own limit on a request's header count.
const HYPER_MAX_HEADERS: usize = 100;

/// hyper's connection settings from the limits.
fn builder(limits: &ConnectionLimits) -> Builder<TokioExecutor> {
    let mut b = Builder::new(TokioExecutor::new());
    // Off unless asked for: with a header timeout hyper re-arms a timer and
    // polls more on every request (measured: about 1,600 instructions per
    // HTTP/1 request, 9% of a GET), whichever timer drives it.
    if let Some(timeout) = limits.header_read_timeout {
        b.http1().timer(super::coarse_timer::CoarseTimer::start()).header_read_timeout(timeout);
    }
    // hyper's buffer bound is also its write buffer's: a smaller one than
    // its default flushes replies in more writes (measured), so only a
    // limit asked for is set.
    if let Some(max) = limits.max_header_size {
        b.http1().max_buf_size(max.max(8 * 1024));
    }
    // hyper parses a head into a stack array of its default size (100); a
    // size given, even that one, makes it fill a vector of that many slots
    // for every request (measured: +2,000 instructions per request).
    if limits.max_headers != HYPER_MAX_HEADERS {
        b.http1().max_headers(limits.max_headers);
    }
    b.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_concurrent_streams)
        .max_header_list_size(limits.max_header_list_size)
        .initial_stream_window_size(limits.initial_stream_window_size)
        .initial_connection_window_size(limits.initial_connection_window_size)
        .keep_alive_interval(limits.keepalive_interval)
        .keep_alive_timeout(limits.keepalive_timeout)
        .max_pending_accept_reset_streams(limits.max_pending_accept_reset_streams)
        .max_local_error_reset_streams(limits.max_local_error_reset_streams);
    b
}

/// Serves `service` (a router, possibly wrapped once in a deadline) on
/// `listener` until `stop`.
pub(crate) async fn serve<S>(listener: TcpListener, service: S, stop: Stop, options: Options)
where
    S: tower::Service<http::Request<Body>, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let service = service.map_request(|req: http::Request<Incoming>| req.map(Body::new));
    let Options { limits, tls } = options;
    let builder = builder(&limits);
    let graceful = GracefulShutdown::new();
    let mut conns = JoinSet::new();
    // A permit per open connection: at the limit, the loop stops accepting
    // and new connections wait in the listen backlog.
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut accept_errors = AcceptErrors::new(listener.local_addr().ok());
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = raised(stop.drain.clone()) => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => {
                        if accept_errors.failing {
                            accept_errors.recovered();
                        }
                        stream
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off (new
                        // connections wait in the listen backlog), keep serving
                        // the open ones, and say so once per interval.
                        accept_errors.failed(&e);
                        tokio::time::sleep(ACCEPT_RETRY).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // One connection type and one service type whether TLS is on
                // or not: hyper's and h2's connection code is then compiled
                // once, as it was before TLS (two copies changed the
                // compiler's inlining: measured +250 instructions per gRPC
                // request on plaintext).
                let (builder, service, watcher) = (builder.clone(), service.clone(), graceful.watcher());
                let acceptor = tls.as_ref().map(TlsSource::acceptor);
                let timeout = limits.tls_handshake_timeout;
                conns.spawn(async move {
                    let (io, peer) = match acceptor {
                        None => (Io::Plain(stream), None),
                        // A client that fails the handshake (plaintext, an
                        // unknown CA, no certificate where one is required)
                        // is closed here; the server goes on.
                        Some(acceptor) => match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => {
                                let peer = peer_certificate(stream.get_ref().1);
                                (Io::Tls(Box::new(stream)), peer)
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!("TLS handshake timed out");
                                return;
                            }
                        },
                    };
                    let svc = TowerToHyperService::new(WithPeer { inner: service, peer });
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), svc).into_owned();
                    let _ = watcher.watch(conn).await;
                    drop(permit);
                });
                // Reap finished connections so the set does not grow.
                while conns.try_join_next().is_some() {}
            }
            _ = raised(stop.drain.clone()) => break,
        }
    }
    // New connections are refused from here on.
    drop(listener);
    let shutdown = graceful.shutdown();
    tokio::pin!(shutdown);
    tokio::select! {
        _ = &mut shutdown => {}
        _ = raised(stop.force.clone()) => {
            for end in &stop.streams_end {
                end.raise();
            }
            if tokio::time::timeout(STREAMS_END_GRACE, &mut shutdown).await.is_err() {
                tracing::warn!(connections = conns.len(), "closing connections that outlived the stop timeout");
                conns.abort_all();
            }
        }
    }
    while conns.join_next().await.is_some() {}
}

/// A connection, plain or TLS (boxed: a TLS stream is large, and a plain
/// connection should not carry its size). Its methods are inlined so that
/// on plaintext hyper reads and writes the socket as it would without it.
enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl AsyncRead for Io {
    #[inline]
    fn poll_read(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl Io {
    /// Writes `instead` in place of the `len` bytes hyper asked to write (one
    /// of its own error responses, see [`parse_errors`]), and says those were
    /// written. Nothing written yet: `Pending` as the socket says, and hyper
    /// asks again. A socket that takes only part of it (a client that sent a
    /// bad request and reads nothing) gets the part: the connection closes
    /// right after this response either way.
    #[cold]
    fn poll_write_instead(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        len: usize,
        instead: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let mut written = 0;
        while written < instead.len() {
            let rest = &instead[written..];
            let poll = match this {
                Io::Plain(s) => Pin::new(s).poll_write(cx, rest),
                Io::Tls(s) => Pin::new(s).poll_write(cx, rest),
            };
            match poll {
                Poll::Ready(Ok(0)) => break,
                Poll::Ready(Ok(n)) => written += n,
                Poll::Ready(Err(e)) if written == 0 => return Poll::Ready(Err(e)),
                Poll::Pending if written == 0 => return Poll::Pending,
                Poll::Ready(Err(_)) | Poll::Pending => break,
            }
        }
        Poll::Ready(Ok(len))
    }
}

impl AsyncWrite for Io {
    #[inline]
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        if parse_errors::maybe(buf) {
            if let Some(rewritten) = parse_errors::rewrite(buf) {
                return self.poll_write_instead(cx, buf.len(), &rewritten);
            }
        }
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    #[inline]
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if let [one] = bufs {
            if parse_errors::maybe(one) {
                if let Some(rewritten) = parse_errors::rewrite(one) {
                    return self.poll_write_instead(cx, one.len(), &rewritten);
                }
            }
        }
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    #[inline]
    fn is_write_vectored(&self) -> bool {
        match self {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }

    #[inline]
    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    #[inline]
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Puts a TLS connection's verified client certificate into each of its
/// requests (where [`Context::peer_certificate`](crate::context::Context::peer_certificate)
/// finds it).
#[derive(Clone)]
struct WithPeer<S> {
    inner: S,
    peer: Option<Arc<crate::context::PeerCertificate>>,
}

impl<S, B> tower::Service<http::Request<B>> for WithPeer<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        if let Some(peer) = &self.peer {
            req.extensions_mut().insert(Arc::clone(peer));
        }
        self.inner.call(req)
    }
}
