//! The peer of a call as TLS verified it.

/// The client certificate a server verified (mutual TLS): who is calling.
/// A middleware can authorise on it; it is in the call's
/// [`Context`](super::Context) on both transports
/// ([`Context::peer_certificate`](super::Context::peer_certificate)).
///
/// ```
/// # let ctx = bia::context::Context::new("/demo.v1.Admin/Wipe", bia::context::Kind::Grpc, bia::context::Side::Server);
/// // In a middleware or handler:
/// let allowed = ctx.peer_certificate().is_some_and(|p| p.dns_names().any(|n| n == "ops.internal"));
/// assert!(!allowed);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate {
    /// The subject's distinguished name, as `CN=client,O=Example` (RFC 4514
    /// order, most specific first).
    pub subject: String,
    /// The subject alternative names: `DNS:host`, `IP:127.0.0.1`,
    /// `URI:spiffe://...`, `EMAIL:a@b`.
    pub sans: Vec<String>,
    /// The certificate itself (DER).
    pub der: Vec<u8>,
}

impl PeerCertificate {
    /// The subject's common name (`CN`), if it has one.
    pub fn common_name(&self) -> Option<&str> {
        self.subject.split(',').find_map(|part| part.trim().strip_prefix("CN="))
    }

    /// The DNS names among the subject alternative names.
    pub fn dns_names(&self) -> impl Iterator<Item = &str> {
        self.sans.iter().filter_map(|s| s.strip_prefix("DNS:"))
    }
}
