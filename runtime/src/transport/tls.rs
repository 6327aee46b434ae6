//! TLS for both servers: rustls (ring as the crypto provider, no OpenSSL),
//! TLS 1.2 and 1.3, ALPN as fits the listener, the certificate and key from
//! PEM files (reloaded when the files change, without a restart and without
//! dropping a connection), and mutual TLS with the verified client
//! certificate in each call's [`Context`](crate::context::Context).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use serde::Deserialize;

use crate::context::PeerCertificate;
use crate::error::reason::TLS_CONFIG;
use crate::error::Error;

/// TLS for a server, from PEM files: the `tls` section of a server's config
/// (`server.http.tls`, `server.grpc.tls`).
///
/// ```yaml
/// server:
///   http:
///     addr: 0.0.0.0:8443
///     tls:
///       cert: /etc/bia/tls/server.crt    # the chain, leaf first
///       key: /etc/bia/tls/server.key     # PKCS#8, PKCS#1 or SEC1
///       client_ca: /etc/bia/tls/ca.crt   # mutual TLS: clients need a certificate this CA signed
///       client_auth: require             # or `optional`
/// ```
///
/// ```
/// let tls: bia::transport::ServerTls = serde_json::from_value(serde_json::json!({
///     "cert": "server.crt", "key": "server.key", "client_ca": "ca.crt", "client_auth": "optional"
/// })).unwrap();
/// assert_eq!(tls.client_auth, bia::transport::ClientAuth::Optional);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerTls {
    /// The certificate chain (PEM), the server's own certificate first.
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
    /// The CA certificates (PEM) client certificates must chain to; set, the
    /// server asks clients for a certificate (mutual TLS).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`: whether a client must present a certificate
    /// (`require`, the default) or may (`optional`).
    #[serde(default)]
    pub client_auth: ClientAuth,
}

/// Whether a mutual-TLS server requires a client certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// A client without a certificate is refused in the handshake.
    #[default]
    Require,
    /// A client may come without one; one it presents must verify.
    Optional,
}

impl ServerTls {
    /// TLS with this certificate chain and key.
    ///
    /// ```
    /// let tls = bia::transport::ServerTls::new("server.crt", "server.key").client_ca("ca.crt");
    /// assert!(tls.client_ca.is_some());
    /// ```
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        Self { cert: cert.into(), key: key.into(), client_ca: None, client_auth: ClientAuth::Require }
    }

    /// Requires client certificates signed by the CAs in `ca` (mutual TLS).
    pub fn client_ca(mut self, ca: impl Into<PathBuf>) -> Self {
        self.client_ca = Some(ca.into());
        self
    }

    /// Lets clients come without a certificate (one they present must verify).
    pub fn client_auth_optional(mut self) -> Self {
        self.client_auth = ClientAuth::Optional;
        self
    }

    /// The rustls config these files make, with `alpn`.
    fn load(&self, alpn: &[&[u8]]) -> Result<ServerConfig, Error> {
        let bad = |what: &str, path: &Path, why: String| {
            Error::internal_server(TLS_CONFIG, format!("TLS {what} `{}`: {why}", path.display()))
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.cert)
            .map_err(|e| bad("certificate file", &self.cert, e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| bad("certificate file", &self.cert, e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("certificate file", &self.cert, "no certificate in it".to_owned()));
        }
        // (The key file's contents never go into an error.)
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(|e| {
            bad("key file", &self.key, format!("no private key read ({})", e.to_string().lines().next().unwrap_or("")))
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| Error::internal_server(TLS_CONFIG, e.to_string()))?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                let cas = CertificateDer::pem_file_iter(ca)
                    .map_err(|e| bad("client CA file", ca, e.to_string()))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| bad("client CA file", ca, e.to_string()))?;
                for c in cas {
                    roots.add(c).map_err(|e| bad("client CA file", ca, e.to_string()))?;
                }
                if roots.is_empty() {
                    return Err(bad("client CA file", ca, "no certificate in it".to_owned()));
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = match self.client_auth {
                    ClientAuth::Require => verifier,
                    ClientAuth::Optional => verifier.allow_unauthenticated(),
                };
                let verifier = verifier.build().map_err(|e| bad("client CA file", ca, e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config =
            builder.with_single_cert(certs, key).map_err(|e| bad("certificate and key", &self.cert, e.to_string()))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }
}

/// What a server was given: files (reloaded when they change) or a rustls
/// config made in code.
#[derive(Debug, Clone)]
pub(crate) enum TlsSetting {
    Files(ServerTls),
    Config(Arc<ServerConfig>),
}

/// The TLS config new connections get: the current one, swapped when the
/// files change (connections already open keep theirs).
pub(crate) struct TlsSource {
    current: Arc<RwLock<Arc<ServerConfig>>>,
    /// Watches the files; dropped with the server.
    _watcher: Option<notify::RecommendedWatcher>,
}

impl TlsSource {
    /// Loads the setting (failing with what is wrong with the files) and,
    /// for files, starts watching them.
    pub(crate) fn new(setting: TlsSetting, alpn: &'static [&'static [u8]]) -> Result<Self, Error> {
        match setting {
            TlsSetting::Config(config) => Ok(Self { current: Arc::new(RwLock::new(config)), _watcher: None }),
            TlsSetting::Files(files) => {
                let current = Arc::new(RwLock::new(Arc::new(files.load(alpn)?)));
                let watcher = watch(files, alpn, Arc::clone(&current));
                Ok(Self { current, _watcher: watcher })
            }
        }
    }

    /// The acceptor for a new connection.
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        let config = self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        tokio_rustls::TlsAcceptor::from(config)
    }
}

/// Watches the folders of the files (a certificate is usually replaced by a
/// rename, which a watch on the file itself misses) and reloads on a change;
/// a set of files that does not load is logged and the old config kept.
fn watch(
    files: ServerTls,
    alpn: &'static [&'static [u8]],
    current: Arc<RwLock<Arc<ServerConfig>>>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher as _;
    let paths: Vec<PathBuf> = [Some(&files.cert), Some(&files.key), files.client_ca.as_ref()]
        .into_iter()
        .flatten()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let names: Vec<std::ffi::OsString> = paths.iter().filter_map(|p| p.file_name().map(ToOwned::to_owned)).collect();
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        // Only a change of contents or names: reading the files (our own
        // reload) is an access event too, and reacting to it would loop.
        use notify::event::{EventKind, ModifyKind};
        if !matches!(
            event.kind,
            EventKind::Create(_)
                | EventKind::Remove(_)
                | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Name(_) | ModifyKind::Any)
        ) {
            return;
        }
        if !event.paths.iter().any(|p| p.file_name().is_some_and(|n| names.iter().any(|m| m == n))) {
            return;
        }
        match files.load(alpn) {
            Ok(config) => {
                *current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(config);
                tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
            }
            Err(e) => tracing::warn!(error = %e, "TLS files changed but do not load; keeping the previous ones"),
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the TLS files; they will not be reloaded");
            return None;
        }
    };
    let mut dirs: Vec<PathBuf> = paths.iter().filter_map(|p| p.parent().map(Path::to_path_buf)).collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        if let Err(e) = watcher.watch(&dir, notify::RecursiveMode::NonRecursive) {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot watch a TLS folder; its files will not be reloaded");
        }
    }
    Some(watcher)
}

/// The verified client certificate of a TLS connection, if it sent one.
pub(crate) fn peer_certificate(conn: &rustls::ServerConnection) -> Option<Arc<PeerCertificate>> {
    let der = conn.peer_certificates()?.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    // RFC 4514: the most specific part first.
    let subject = cert
        .subject()
        .iter_rdn()
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .flat_map(|rdn| rdn.iter().map(attribute_text).collect::<Vec<_>>())
        .collect::<Vec<_>>()
        .join(",");
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        use x509_parser::extensions::GeneralName;
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(d) => sans.push(format!("DNS:{d}")),
                GeneralName::URI(u) => sans.push(format!("URI:{u}")),
                GeneralName::RFC822Name(e) => sans.push(format!("EMAIL:{e}")),
                GeneralName::IPAddress(ip) => {
                    let ip = match ip.len() {
                        4 => <[u8; 4]>::try_from(*ip).ok().map(std::net::IpAddr::from),
                        16 => <[u8; 16]>::try_from(*ip).ok().map(std::net::IpAddr::from),
                        _ => None,
                    };
                    if let Some(ip) = ip {
                        sans.push(format!("IP:{ip}"));
                    }
                }
                _ => {}
            }
        }
    }
    Some(Arc::new(PeerCertificate { subject, sans, der: der.to_vec() }))
}

fn attribute_text(attr: &x509_parser::x509::AttributeTypeAndValue<'_>) -> String {
    let oid = attr.attr_type();
    let key = x509_parser::objects::oid2abbrev(oid, x509_parser::objects::oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string());
    let value = attr.as_str().map(str::to_owned).unwrap_or_else(|_| "#".to_owned());
    format!("{key}={value}")
}
