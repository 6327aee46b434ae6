//! Failover: a call that a node refused before anything was sent goes to
//! another node of the pool. Both clients go through [`Failover`], and both
//! decide "never sent" with [`never_sent`], from the types of the errors
//! hyper, h2, tonic and the OS report (never from their text, which a
//! dependency may reword).

use std::sync::Arc;

use super::pool::{Node, Picked, Pool};
use crate::error::Error;

/// The nodes one call has tried; see [`Failover::next`] and
/// [`Failover::again`].
pub(crate) struct Failover<'p, H> {
    pool: &'p Pool<H>,
    tried: Vec<Arc<Node<H>>>,
}

/// One attempt of a call, on one node.
pub(crate) struct Attempt<H> {
    picked: Picked<H>,
    /// Whether another node could take the call if this one refuses it (a
    /// gRPC client keeps a copy of the request only then).
    pub(crate) more: bool,
}

impl<H> Attempt<H> {
    /// What the call goes through (a channel, a base URL).
    pub(crate) fn handle(&self) -> &H {
        &self.picked.node.handle
    }
}

impl<'p, H: Clone + Send + Sync + 'static> Failover<'p, H> {
    pub(crate) fn new(pool: &'p Pool<H>) -> Self {
        Self { pool, tried: Vec::new() }
    }

    /// The node for the next attempt: the balancer's pick among the nodes
    /// this call has not tried yet.
    pub(crate) fn next(&mut self) -> Result<Attempt<H>, Error> {
        let picked = self.pool.pick(&self.tried)?;
        let more = self.pool.len() > self.tried.len() + 1;
        Ok(Attempt { picked, more })
    }

    /// Records how an attempt went (its latency, or the node out of rotation
    /// when it `refused`); `true` when the call should go to another node:
    /// it was refused before anything was sent and a node is left.
    pub(crate) fn again(&mut self, attempt: Attempt<H>, refused: bool, call: &str) -> bool {
        let node = Arc::clone(&attempt.picked.node);
        attempt.picked.done(refused);
        if refused && attempt.more {
            tracing::debug!("{} refused {call}; trying another node", node.addr);
            self.tried.push(node);
            return true;
        }
        false
    }
}

/// Whether a failed call never reached the server, so another node may take
/// it (whatever the call: nothing was processed). Walks the error's sources:
///
/// * the connection could not be made: a refused, unreachable or
///   unavailable address (`std::io::ErrorKind`), hyper-util's connect
///   errors ([`hyper_util::client::legacy::Error::is_connect`]), tonic's
///   [`tonic::ConnectError`];
/// * the TLS handshake failed: the client refused the server's certificate
///   (untrusted, expired, for another name), or the server refused the
///   client's (or its lack of one) with a handshake alert, found as
///   [`rustls::Error`] inside the `std::io::Error`s that wrap it. A TLS 1.3
///   server says so only after the client sent its request, but it never
///   reads application data of a handshake it refused;
/// * the request was still queued when its connection closed
///   ([`hyper::Error::is_canceled`]);
/// * an HTTP/2 server refused the stream (`REFUSED_STREAM`), or left it out
///   of its GOAWAY: HTTP/2 guarantees neither was processed.
pub(crate) fn never_sent(err: &(dyn std::error::Error + 'static)) -> bool {
    if crate::tls::rustls_error(err).is_some_and(crate::tls::is_handshake_failure) {
        return true;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionRefused | NotConnected | AddrNotAvailable | HostUnreachable | NetworkUnreachable
            ) {
                return true;
            }
        }
        if e.downcast_ref::<hyper_util::client::legacy::Error>().is_some_and(|h| h.is_connect())
            || e.is::<tonic::ConnectError>()
            || e.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_canceled)
        {
            return true;
        }
        if let Some(h2) = e.downcast_ref::<h2::Error>() {
            if h2.reason() == Some(h2::Reason::REFUSED_STREAM) || (h2.is_go_away() && h2.is_remote()) {
                return true;
            }
        }
        cur = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::never_sent;

    /// An error whose source is `inner`, as hyper and tonic wrap theirs.
    #[derive(Debug)]
    struct Wrapped(Box<dyn std::error::Error + Send + Sync>);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("transport error")
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&*self.0)
        }
    }

    fn wrapped(inner: impl std::error::Error + Send + Sync + 'static) -> Wrapped {
        Wrapped(Box::new(inner))
    }

    #[test]
    fn connect_failures_by_io_kind() {
        use std::io::{Error, ErrorKind};
        for kind in [ErrorKind::ConnectionRefused, ErrorKind::HostUnreachable, ErrorKind::AddrNotAvailable] {
            assert!(never_sent(&wrapped(Error::from(kind))), "{kind:?}");
        }
        // Sent, then broken: the server may have processed it.
        for kind in [ErrorKind::ConnectionReset, ErrorKind::BrokenPipe, ErrorKind::UnexpectedEof] {
            assert!(!never_sent(&wrapped(Error::from(kind))), "{kind:?}");
        }
    }

    #[test]
    fn tonic_connect_errors() {
        let connect = tonic::ConnectError(Box::new(std::io::Error::other("handshake failed")));
        assert!(never_sent(&wrapped(connect)));
    }

    #[test]
    fn failed_tls_handshakes() {
        use rustls::{AlertDescription, CertificateError, Error as Tls};
        let io = |e: Tls| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        // Our refusal of the server's certificate, wrapped as hyper-rustls does.
        let untrusted = std::io::Error::other(io(Tls::InvalidCertificate(CertificateError::UnknownIssuer)));
        assert!(never_sent(&wrapped(untrusted)));
        // The server's refusal of ours (TLS 1.3: after the request went out).
        assert!(never_sent(&wrapped(io(Tls::AlertReceived(AlertDescription::CertificateRequired)))));
        // A record that breaks after the handshake: the request may have been read.
        assert!(!never_sent(&wrapped(io(Tls::DecryptError))));
        assert!(!never_sent(&wrapped(io(Tls::AlertReceived(AlertDescription::CloseNotify)))));
    }

    #[test]
    fn refused_streams_and_goaway() {
        assert!(never_sent(&wrapped(h2::Error::from(h2::Reason::REFUSED_STREAM))));
        // A stream reset for another reason may have been processed.
        assert!(!never_sent(&wrapped(h2::Error::from(h2::Reason::CANCEL))));
        assert!(!never_sent(&wrapped(h2::Error::from(h2::Reason::INTERNAL_ERROR))));
    }

    #[test]
    fn other_errors_and_texts_that_look_alike_are_not_refusals() {
        // What the text matching of old would have taken for a refusal.
        for text in ["tcp connect error", "REFUSED_STREAM", "refused stream"] {
            assert!(!never_sent(&wrapped(std::io::Error::other(text))), "{text}");
        }
    }

    /// What an HTTP/2 client sees of one `GET /` to a server on loopback
    /// that treats its connection with `serve`.
    async fn h2_request_error<F, Fut>(serve: F) -> h2::Error
    where
        F: FnOnce(h2::server::Connection<tokio::net::TcpStream, bytes::Bytes>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            serve(h2::server::handshake(stream).await.unwrap()).await;
        });
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (client, conn) = h2::client::handshake(stream).await.unwrap();
        tokio::spawn(conn);
        let err = async {
            let mut client = client.ready().await?;
            let (response, _) = client.send_request(http::Request::get("http://x/").body(()).unwrap(), true)?;
            response.await.map(drop)
        }
        .await
        .unwrap_err();
        server.abort();
        err
    }

    /// A stream the server's GOAWAY leaves out (an HTTP/2 server going away
    /// before it accepted any stream): the client's error says so, typed.
    #[tokio::test]
    async fn stream_left_out_of_a_goaway() {
        let err = h2_request_error(|mut conn| async move {
            conn.abrupt_shutdown(h2::Reason::NO_ERROR);
            while conn.accept().await.is_some() {}
        })
        .await;
        assert!(err.is_go_away() && err.is_remote(), "{err:?}");
        assert!(never_sent(&wrapped(err)));
    }

    /// A stream an HTTP/2 server resets with `REFUSED_STREAM`.
    #[tokio::test]
    async fn stream_refused_by_the_server() {
        let err = h2_request_error(|mut conn| async move {
            while let Some(Ok((_, mut respond))) = conn.accept().await {
                respond.send_reset(h2::Reason::REFUSED_STREAM);
            }
        })
        .await;
        assert_eq!(err.reason(), Some(h2::Reason::REFUSED_STREAM), "{err:?}");
        assert!(never_sent(&wrapped(err)));
    }

    /// A real connect failure through hyper-util's client: a port nothing
    /// listens on.
    #[tokio::test]
    async fn hyper_util_connect_error_from_a_closed_port() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http::<http_body_util::Empty<bytes::Bytes>>();
        let uri: http::Uri = format!("http://127.0.0.1:{port}/").parse().unwrap();
        let err = client.get(uri).await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        assert!(never_sent(&err));
    }

    /// A request that hyper had queued on a connection the server closed
    /// before reading anything is canceled, never sent.
    #[tokio::test]
    async fn hyper_canceled_request() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accept and close at once, before any request is read.
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                drop(stream);
            }
        });
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
        let driver = tokio::spawn(conn);
        // Let the connection see the close, then send on it.
        let _ = driver.await;
        let req = http::Request::get("/").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
        let err = sender.send_request(req).await.unwrap_err();
        server.abort();
        assert!(err.is_canceled(), "{err:?}");
        assert!(never_sent(&err));
    }
}
