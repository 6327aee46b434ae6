//! TLS for Bia's clients: [`ClientTls`] says whom a client trusts (the
//! system's CA certificates, or CAs of its own), which certificate it
//! presents for mutual TLS and which server name it checks. The HTTP and
//! gRPC clients (through [`Dial::tls`](crate::client::Dial::tls)), the etcd
//! registry and the JWKS fetcher all take it, and all make it into a rustls
//! config the same way: ring as the crypto provider (no OpenSSL), TLS 1.2
//! and 1.3.
//!
//! A server's own certificate is set with
//! [`ServerTls`](crate::transport::ServerTls).
//!
//! ```
//! use bia::tls::ClientTls;
//!
//! // The system's CA certificates (the default), or a CA of your own;
//! // a certificate for mutual TLS; the name the server's certificate is for.
//! let tls = ClientTls::new()
//!     .ca_file("/etc/bia/tls/ca.crt")
//!     .identity_files("/etc/bia/tls/client.crt", "/etc/bia/tls/client.key")
//!     .server_name("users.internal");
//! assert_eq!(tls.server_name.as_deref(), Some("users.internal"));
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde::Deserialize;

use crate::error::reason::TLS_CONFIG;
use crate::error::Error;

/// How long a client's TLS handshake may take once its TCP connection is
/// made (a server that never answers fails the call instead of holding it).
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// TLS for a client: trust, an optional client certificate, an optional
/// server name. The `tls` section of a client's config (the etcd registry's
/// `registry.etcd.tls`, a user's own client sections), or built in code.
///
/// * **Trust.** The system's CA certificates by default; `ca` (a PEM file)
///   or `ca_pem` (PEM text) trusts those CAs instead.
/// * **Mutual TLS.** `cert` and `key` (PEM files), or `cert_pem` and
///   `key_pem` (PEM text): the certificate chain (leaf first) and private key
///   (PKCS#8, PKCS#1 or SEC1) the client presents when a server asks.
/// * **Server name.** `server_name` is the name sent (SNI) and checked
///   against the server's certificate, instead of the host of the URL: for a
///   server reached by IP address or through a name its certificate does not
///   carry.
///
/// Files are read when a client is made (`Dial`, the registry, the JWKS
/// fetcher); what does not load fails there with reason `TLS_CONFIG`, naming
/// the file and never showing a key.
///
/// ```yaml
/// registry:
///   kind: etcd
///   etcd:
///     endpoints: [https://etcd-1:2379]
///     tls:
///       ca: /etc/bia/tls/etcd-ca.crt      # or ca_pem: "${ETCD_CA}"
///       cert: /etc/bia/tls/client.crt     # mutual TLS (optional)
///       key: /etc/bia/tls/client.key
///       server_name: etcd.internal        # optional
/// ```
///
/// ```
/// let tls: bia::tls::ClientTls = serde_json::from_value(serde_json::json!({
///     "ca": "ca.crt", "cert": "client.crt", "key": "client.key", "server_name": "users.internal"
/// })).unwrap();
/// assert_eq!(tls, bia::tls::ClientTls::new()
///     .ca_file("ca.crt")
///     .identity_files("client.crt", "client.key")
///     .server_name("users.internal"));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientTls {
    /// The CA certificates (a PEM file) to trust instead of the system's.
    pub ca: Option<PathBuf>,
    /// The CA certificates as PEM text, instead of a file.
    pub ca_pem: Option<String>,
    /// The client's certificate chain (a PEM file, leaf first), for mutual TLS.
    pub cert: Option<PathBuf>,
    /// The client's certificate chain as PEM text, instead of a file.
    pub cert_pem: Option<String>,
    /// The client's private key (a PEM file), with `cert`.
    pub key: Option<PathBuf>,
    /// The client's private key as PEM text, instead of a file (never shown
    /// by `Debug`).
    pub key_pem: Option<String>,
    /// The name sent (SNI) and checked against the server's certificate,
    /// instead of the URL's host.
    pub server_name: Option<String>,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field("ca", &self.ca)
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<pem>"))
            .field("cert", &self.cert)
            .field("cert_pem", &self.cert_pem.as_ref().map(|_| "<pem>"))
            .field("key", &self.key)
            .field("key_pem", &self.key_pem.as_ref().map(|_| "<redacted>"))
            .field("server_name", &self.server_name)
            .finish()
    }
}

impl ClientTls {
    /// TLS trusting the system's CA certificates, without a client
    /// certificate.
    ///
    /// ```
    /// let tls = bia::tls::ClientTls::new();
    /// assert!(tls.ca.is_none() && tls.ca_pem.is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts the CA certificates in this PEM file instead of the system's.
    ///
    /// ```
    /// let tls = bia::tls::ClientTls::new().ca_file("ca.crt");
    /// assert_eq!(tls.ca.as_deref(), Some(std::path::Path::new("ca.crt")));
    /// ```
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca = Some(path.into());
        self.ca_pem = None;
        self
    }

    /// Trusts the CA certificates in this PEM text instead of the system's.
    ///
    /// ```
    /// let pem = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n";
    /// let tls = bia::tls::ClientTls::new().ca_pem(pem);
    /// assert!(tls.ca_pem.is_some());
    /// ```
    #[must_use]
    pub fn ca_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.ca_pem = Some(String::from_utf8_lossy(pem.as_ref()).into_owned());
        self.ca = None;
        self
    }

    /// Presents this certificate chain and key (PEM files) to servers that
    /// ask for one (mutual TLS).
    ///
    /// ```
    /// let tls = bia::tls::ClientTls::new().identity_files("client.crt", "client.key");
    /// assert!(tls.cert.is_some() && tls.key.is_some());
    /// ```
    #[must_use]
    pub fn identity_files(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        (self.cert, self.key) = (Some(cert.into()), Some(key.into()));
        (self.cert_pem, self.key_pem) = (None, None);
        self
    }

    /// Presents this certificate chain and key (PEM text) to servers that
    /// ask for one (mutual TLS).
    ///
    /// ```
    /// # let (cert, key) = ("-----BEGIN CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\n");
    /// let tls = bia::tls::ClientTls::new().identity_pem(cert, key);
    /// assert!(!format!("{tls:?}").contains("BEGIN PRIVATE KEY"));
    /// ```
    #[must_use]
    pub fn identity_pem(mut self, cert: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Self {
        self.cert_pem = Some(String::from_utf8_lossy(cert.as_ref()).into_owned());
        self.key_pem = Some(String::from_utf8_lossy(key.as_ref()).into_owned());
        (self.cert, self.key) = (None, None);
        self
    }

    /// Sends `name` (SNI) and checks the server's certificate against it,
    /// instead of the URL's host: a DNS name or an IP address.
    ///
    /// ```
    /// let tls = bia::tls::ClientTls::new().server_name("users.internal");
    /// assert_eq!(tls.server_name.as_deref(), Some("users.internal"));
    /// ```
    #[must_use]
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Reads the files and checks everything now: the CA certificates parse,
    /// the key matches the certificate, the server name is a name. Clients
    /// do this when they are made; call it to fail a start early.
    ///
    /// ```
    /// let err = bia::tls::ClientTls::new().ca_file("/nonexistent/ca.crt").check().unwrap_err();
    /// assert_eq!(err.reason(), "TLS_CONFIG");
    /// assert!(err.message().contains("/nonexistent/ca.crt"));
    /// ```
    pub fn check(&self) -> Result<(), Error> {
        self.load().map(drop)
    }

    /// The settings loaded: files read, certificates parsed.
    pub(crate) fn load(&self) -> Result<Arc<LoadedTls>, Error> {
        let cert = match (&self.cert, &self.cert_pem) {
            (Some(_), Some(_)) => return Err(config_error("give `cert` (a file) or `cert_pem` (PEM text), not both")),
            (Some(path), None) => {
                Some((read(path, "certificate file")?, format!("certificate file `{}`", path.display())))
            }
            (None, Some(pem)) => Some((pem.as_bytes().to_vec(), "certificate PEM text".to_owned())),
            (None, None) => None,
        };
        let key = match (&self.key, &self.key_pem) {
            (Some(_), Some(_)) => return Err(config_error("give `key` (a file) or `key_pem` (PEM text), not both")),
            (Some(path), None) => Some((read(path, "key file")?, format!("key file `{}`", path.display()))),
            (None, Some(pem)) => Some((pem.as_bytes().to_vec(), "key PEM text".to_owned())),
            (None, None) => None,
        };
        let identity = match (cert, key) {
            (None, None) => None,
            (Some(_), None) => return Err(config_error("a client certificate needs its key (`key` or `key_pem`)")),
            (None, Some(_)) => return Err(config_error("a client key needs its certificate (`cert` or `cert_pem`)")),
            (Some((cert_pem, cert_what)), Some((key_pem, key_what))) => {
                Some(Identity::parse(cert_pem, &cert_what, key_pem, &key_what)?)
            }
        };
        let server_name = match &self.server_name {
            None => None,
            Some(name) => {
                Some(ServerName::try_from(name.trim_start_matches('[').trim_end_matches(']').to_owned()).map_err(
                    |_| config_error(format!("the server name `{name}` is not a DNS name or an IP address")),
                )?)
            }
        };
        // The trust last: a mistake in the rest is reported even where the
        // system has no CA certificates.
        let roots = match (&self.ca, &self.ca_pem) {
            (Some(_), Some(_)) => return Err(config_error("give `ca` (a file) or `ca_pem` (PEM text), not both")),
            (Some(path), None) => {
                Arc::new(roots_of(&read(path, "CA file")?, &format!("CA file `{}`", path.display()))?)
            }
            (None, Some(pem)) => Arc::new(roots_of(pem.as_bytes(), "CA PEM text")?),
            (None, None) => system_roots()?,
        };
        let loaded = LoadedTls { roots, identity, server_name };
        // What rustls would refuse (a key that does not match its
        // certificate) fails here rather than at the first connection.
        loaded.rustls(&[])?;
        Ok(Arc::new(loaded))
    }
}

fn config_error(why: impl std::fmt::Display) -> Error {
    Error::internal_server(TLS_CONFIG, format!("client TLS: {why}"))
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| config_error(format!("{what} `{}`: {e}", path.display())))
}

/// The certificates of a PEM text as a root store; fails when there are none.
fn roots_of(pem: &[u8], what: &str) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| config_error(format!("{what}: {e}")))?;
        roots.add(cert).map_err(|e| config_error(format!("{what}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(config_error(format!("{what}: no certificate in it")));
    }
    Ok(roots)
}

/// The system's CA certificates, read once per process (the files of the
/// OS's trust store, or `SSL_CERT_FILE` / `SSL_CERT_DIR`).
fn system_roots() -> Result<Arc<RootCertStore>, Error> {
    static ROOTS: OnceLock<Result<Arc<RootCertStore>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found.errors.first().map(|e| format!(" ({e})")).unwrap_or_default();
                return Err(format!(
                    "no CA certificates found on this system{why}: install them (the ca-certificates package) \
                     or give the CA with `ca` / `ca_pem`"
                ));
            }
            Ok(Arc::new(roots))
        })
        .clone()
        .map_err(config_error)
}

/// A client certificate chain and its key, parsed, and the PEM texts tonic
/// takes.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
}

impl Identity {
    fn parse(cert_pem: Vec<u8>, cert_what: &str, key_pem: Vec<u8>, key_what: &str) -> Result<Self, Error> {
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| config_error(format!("{cert_what}: {e}")))?;
        if chain.is_empty() {
            return Err(config_error(format!("{cert_what}: no certificate in it")));
        }
        // (The key's contents never go into an error.)
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
            config_error(format!("{key_what}: no private key read ({})", e.to_string().lines().next().unwrap_or("")))
        })?;
        Ok(Self { chain, key, cert_pem, key_pem })
    }
}

/// [`ClientTls`] with its files read and parsed: what each client makes its
/// connector from.
pub(crate) struct LoadedTls {
    roots: Arc<RootCertStore>,
    identity: Option<Identity>,
    server_name: Option<ServerName<'static>>,
}

impl std::fmt::Debug for LoadedTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedTls")
            .field("roots", &self.roots.len())
            .field("identity", &self.identity.is_some())
            .field("server_name", &self.server_name)
            .finish()
    }
}

impl LoadedTls {
    /// The server name to send and check instead of the URL's host.
    pub(crate) fn server_name(&self) -> Option<&ServerName<'static>> {
        self.server_name.as_ref()
    }

    /// A rustls client config offering `alpn` (none when empty).
    pub(crate) fn rustls(&self, alpn: &[&[u8]]) -> Result<ClientConfig, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(config_error)?
            .with_root_certificates(Arc::clone(&self.roots));
        let mut config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some(id) => builder
                .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                .map_err(|e| config_error(format!("the client certificate and key: {e}")))?,
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }

    /// The same settings for tonic's channel (which offers `h2` by ALPN).
    pub(crate) fn tonic(&self) -> tonic::transport::ClientTlsConfig {
        let mut config = tonic::transport::ClientTlsConfig::new()
            .trust_anchors(self.roots.roots.iter().cloned())
            .timeout(HANDSHAKE_TIMEOUT);
        if let Some(id) = &self.identity {
            config = config.identity(tonic::transport::Identity::from_pem(&id.cert_pem, &id.key_pem));
        }
        if let Some(name) = &self.server_name {
            config = config.domain_name(name.to_str());
        }
        config
    }
}

/// The TLS failure in an error's chain, if any. hyper, tonic and
/// tokio-rustls wrap rustls' error in `std::io::Error`s, whose `source`
/// skips what they wrap: those are looked into as well.
pub(crate) fn rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut stack: Vec<&'a (dyn std::error::Error + 'static)> = vec![err];
    while let Some(e) = stack.pop() {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            stack.push(inner);
        }
        if let Some(source) = e.source() {
            stack.push(source);
        }
    }
    None
}

/// Whether `err` failed a handshake: the client refused the server's
/// certificate, or the server refused the client's (or its lack of one) or
/// everything the client offered. Either way the server processed nothing
/// of a request: no application data is read before the handshake ends.
pub(crate) fn is_handshake_failure(err: &rustls::Error) -> bool {
    use rustls::AlertDescription as A;
    match err {
        rustls::Error::InvalidCertificate(_)
        | rustls::Error::NoCertificatesPresented
        | rustls::Error::UnsupportedNameType
        | rustls::Error::PeerIncompatible(_)
        | rustls::Error::NoApplicationProtocol => true,
        rustls::Error::AlertReceived(alert) => matches!(
            alert,
            A::HandshakeFailure
                | A::BadCertificate
                | A::UnsupportedCertificate
                | A::CertificateRevoked
                | A::CertificateExpired
                | A::CertificateUnknown
                | A::UnknownCA
                | A::AccessDenied
                | A::ProtocolVersion
                | A::InsufficientSecurity
                | A::CertificateRequired
                | A::NoApplicationProtocol
                | A::UnrecognisedName
        ),
        _ => false,
    }
}

/// What went wrong in a failed handshake in `err`'s chain, said for the one
/// who configures the client; `None` when `err` is no handshake failure.
pub(crate) fn handshake_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    rustls_error(err).filter(|e| is_handshake_failure(e)).map(describe)
}

/// A handshake failure said for the one who configures the client.
fn describe(tls: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C};
    match tls {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            "the server's certificate is not signed by a CA this client trusts (give its CA: ClientTls::ca_file)"
                .to_owned()
        }
        rustls::Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => format!(
            "the server's certificate is not for the name this client checks ({tls}): dial a name it carries \
             or set ClientTls::server_name"
        ),
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("the server's certificate has expired ({tls})")
        }
        rustls::Error::AlertReceived(
            alert @ (A::CertificateRequired | A::HandshakeFailure | A::BadCertificate | A::UnknownCA),
        ) => format!(
            "the server refused the handshake (alert: {alert:?}): it wants a client certificate that it \
             trusts (ClientTls::identity_files)"
        ),
        other => format!("{other}"),
    }
}

/// Whether `err` says only that a connection broke under a request, without
/// why: hyper's "canceled" (the request was waiting for the connection) or
/// "closed" (the connection's task ended), or an I/O error of an HTTP/2 connection (h2 keeps its kind and text, not the
/// error). That is what a client sees of a TLS 1.3 server that refused its
/// certificate after the client's side of the handshake had completed.
pub(crate) fn closed_early(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        use std::io::ErrorKind::*;
        if e.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_canceled() || h.is_closed() || h.is_incomplete_message())
            || e.downcast_ref::<h2::Error>().is_some_and(h2::Error::is_io)
            || e.downcast_ref::<std::io::Error>().is_some_and(|io| {
                matches!(io.kind(), InvalidData | BrokenPipe | ConnectionReset | ConnectionAborted | UnexpectedEof)
            })
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// Why a TLS server at `host:port` refuses this client, found by asking it:
/// a new connection whose handshake is completed and whose first record
/// from the server is read (within a few seconds).
///
/// A TLS 1.3 server checks the client's certificate after the client's side
/// of the handshake has ended, and refuses it with an alert on the
/// connection the client already uses; hyper then reports the request
/// waiting for that connection as canceled, without the alert. Clients call
/// this only then, on a failed call to a TLS endpoint, to say why.
pub(crate) async fn ask_why(tls: &LoadedTls, host: &str, port: u16, alpn: &[&[u8]]) -> Option<Refusal> {
    use tokio::io::AsyncReadExt as _;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = match tls.server_name() {
        Some(name) => name.clone(),
        None => ServerName::try_from(host.to_owned()).ok()?,
    };
    let config = Arc::new(tls.rustls(alpn).ok()?);
    let verdict = async {
        let tcp = tokio::net::TcpStream::connect((host, port)).await.ok()?;
        let mut stream = match tokio_rustls::TlsConnector::from(config).connect(name, tcp).await {
            Ok(stream) => stream,
            Err(e) => return Refusal::of(&e),
        };
        // The server's first record after the handshake: an alert if it
        // refused us, else a session ticket or its first bytes (an HTTP/2
        // server's settings); an HTTP/1.1 server without tickets sends
        // nothing, and the timeout ends the wait.
        let mut byte = [0u8; 1];
        match stream.read(&mut byte).await {
            Err(e) => Refusal::of(&e),
            Ok(_) => None,
        }
    };
    tokio::time::timeout(Duration::from_secs(3), verdict).await.ok().flatten()
}

/// Why a TLS server refused this client, learnt by [`ask_why`]: it says
/// why (`Display`), and carries the rustls error as its source, so the
/// error of the call it explains is seen as one that was never sent.
#[derive(Debug, Clone)]
pub(crate) struct Refusal(rustls::Error);

impl Refusal {
    fn of(err: &(dyn std::error::Error + 'static)) -> Option<Self> {
        rustls_error(err).filter(|e| is_handshake_failure(e)).cloned().map(Refusal)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&describe(&self.0))
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_failures_are_found_inside_io_errors() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        // As tokio-rustls, then hyper-rustls wrap it.
        let io = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, inner));
        let why = handshake_failure(&io).expect("a handshake failure");
        assert!(why.contains("not signed by a CA"), "{why}");
        let alert = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired),
        );
        assert!(handshake_failure(&alert).unwrap().contains("client certificate"));
        // Broken after the handshake: not one.
        let later = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert!(handshake_failure(&later).is_none());
        assert!(handshake_failure(&std::io::Error::other("certificate unknown issuer")).is_none());
    }

    #[test]
    fn settings_that_cannot_load_say_why_without_the_key() {
        let both = ClientTls::new().ca_file("a.pem").ca_pem("x");
        assert!(both.ca.is_none(), "the last given wins");
        let bad = ClientTls { ca: Some("a".into()), ca_pem: Some("b".into()), ..ClientTls::new() };
        assert!(bad.check().unwrap_err().message().contains("not both"));
        let err = ClientTls::new().ca_pem("not a certificate").check().unwrap_err();
        assert!(err.message().contains("no certificate"), "{err}");
        let err = ClientTls::new().ca_pem(GARBLED).check().unwrap_err();
        assert_eq!(err.reason(), "TLS_CONFIG");
        let lonely = ClientTls { cert_pem: Some("x".into()), ..ClientTls::new() };
        assert!(lonely.check().unwrap_err().message().contains("needs its key"));
        let secret = "-----BEGIN PRIVATE KEY-----\nSECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n";
        let tls = ClientTls { cert_pem: Some(GARBLED.into()), key_pem: Some(secret.into()), ..ClientTls::new() };
        let err = tls.check().unwrap_err().to_string();
        assert!(!err.contains("SECRET-KEY-MATERIAL"), "{err}");
        assert!(!format!("{tls:?}").contains("SECRET-KEY-MATERIAL"));
    }

    const GARBLED: &str = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
}
