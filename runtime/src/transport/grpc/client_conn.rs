//! The gRPC client's connections: the tonic endpoint of a URL (TLS for
//! `https://` and `grpcs://`), a channel that can say why a TLS server
//! refused it, a discovered node's channel, and the errors of a dial.

use std::sync::Arc;

use crate::client::{MakeNode, TlsSettings};
use crate::error::reason::{BAD_ENDPOINT, CONNECT_FAILED, TLS_CONFIG, TLS_HANDSHAKE};
use crate::error::Error;
use crate::tls::{ask_why, handshake_failure};

use super::client::Channel;

/// The tonic endpoint of `dst` (`http://`, `https://` or `grpcs://`), with
/// TLS from `tls` for the last two.
pub(super) fn endpoint(dst: &str, tls: &TlsSettings) -> Result<tonic::transport::Endpoint, Error> {
    let (url, secure) = match dst.strip_prefix("grpcs://") {
        Some(rest) => (format!("https://{rest}"), true),
        None => (dst.to_owned(), dst.starts_with("https://")),
    };
    let endpoint = tonic::transport::Endpoint::from_shared(url)
        .map_err(|e| Error::bad_request(BAD_ENDPOINT, format!("invalid endpoint `{dst}`: {e}")))?;
    if !secure {
        return Ok(endpoint);
    }
    endpoint
        .tls_config(tls.get()?.tonic())
        .map_err(|e| Error::internal_server(TLS_CONFIG, format!("client TLS for `{dst}`: {e}")))
}

/// A channel, and for a TLS server where to ask why it refuses this client
/// (see [`crate::tls::ask_why`]).
#[derive(Debug, Clone)]
pub(super) struct Conn {
    pub(super) channel: Channel,
    tls: Option<Arc<TlsPeer>>,
}

/// A TLS server and the settings a client reaches it with.
#[derive(Debug)]
struct TlsPeer {
    settings: TlsSettings,
    host: String,
    port: u16,
}

impl Conn {
    /// A channel made elsewhere (no TLS server to ask).
    pub(super) fn of(channel: Channel) -> Self {
        Conn { channel, tls: None }
    }

    /// The endpoint of `url`, and the TLS server it is.
    fn endpoint(url: &str, tls: &TlsSettings) -> Result<(tonic::transport::Endpoint, Option<Arc<TlsPeer>>), Error> {
        let endpoint = endpoint(url, tls)?;
        let uri = endpoint.uri();
        let peer = match (uri.scheme_str(), uri.host()) {
            (Some("https"), Some(host)) => Some(Arc::new(TlsPeer {
                settings: tls.clone(),
                host: host.to_owned(),
                port: uri.port_u16().unwrap_or(443),
            })),
            _ => None,
        };
        Ok((endpoint, peer))
    }

    /// The channel of `url`, connecting on first use.
    pub(super) fn lazy(url: &str, tls: &TlsSettings) -> Result<Self, Error> {
        let (endpoint, tls) = Self::endpoint(url, tls)?;
        Ok(Conn { channel: endpoint.tcp_nodelay(true).connect_lazy(), tls })
    }

    /// The channel of `url`, connected.
    pub(super) async fn connect(url: &str, tls: &TlsSettings) -> Result<Self, Error> {
        let (endpoint, tls) = Self::endpoint(url, tls)?;
        let channel = endpoint.connect().await.map_err(|e| {
            let what = format!("cannot connect to {url}");
            match handshake_error(&what, &e) {
                Some(err) => err.with_cause(e),
                None => Error::service_unavailable(CONNECT_FAILED, format!("{what}: {e}")).with_cause(e),
            }
        })?;
        Ok(Conn { channel, tls })
    }

    /// `what` failed with an error that says no more than that the
    /// connection closed (`closed`): the reason a TLS server gives, when it
    /// refuses this client.
    pub(super) async fn ask_why(&self, what: &str, closed: bool) -> Option<Error> {
        let peer = self.tls.as_ref().filter(|_| closed)?;
        let loaded = peer.settings.get().ok()?;
        let why = ask_why(&loaded, &peer.host, peer.port, &[b"h2"]).await?;
        // (The refusal as the cause: nothing was read of the request.)
        Some(Error::service_unavailable(TLS_HANDSHAKE, format!("{what}: TLS handshake failed: {why}")).with_cause(why))
    }
}

/// A node's channel (connects on first use).
pub(super) fn node_channel(tls: TlsSettings) -> MakeNode<Conn> {
    Arc::new(move |addr, secure| {
        let scheme = if secure { "https" } else { "http" };
        Conn::lazy(&format!("{scheme}://{addr}"), &tls)
    })
}

/// A failure to reach a server (`what` names the call or the server):
/// `TLS_HANDSHAKE` when the handshake failed, saying why; `None` otherwise.
pub(super) fn handshake_error(what: &str, err: &(dyn std::error::Error + 'static)) -> Option<Error> {
    let why = handshake_failure(err)?;
    Some(Error::service_unavailable(TLS_HANDSHAKE, format!("{what}: TLS handshake failed: {why}")))
}
