//! TLS for the benchmark's servers and load client, switched on by the
//! environment (`run.sh tls` sets it): `BENCH_TLS_CERT` and `BENCH_TLS_KEY`
//! (PEM files) make every server serve TLS; `BENCH_TLS_CA` makes the load
//! client trust that CA for `https://` bases. The certificate names
//! `localhost` and `127.0.0.1`.
//!
//! Each server does TLS the way its community does: axum as its own
//! `low-level-rustls` example (tokio-rustls in front of hyper-util), tonic
//! through `ServerTlsConfig`, Bia through its `tls` option. All three use
//! rustls with ring.

use std::sync::Arc;

/// The server's certificate and key (PEM), when `BENCH_TLS_CERT` and
/// `BENCH_TLS_KEY` are set.
pub fn server_pem() -> Option<(Vec<u8>, Vec<u8>)> {
    let cert = std::env::var_os("BENCH_TLS_CERT")?;
    let key = std::env::var_os("BENCH_TLS_KEY")?;
    Some((std::fs::read(cert).expect("read BENCH_TLS_CERT"), std::fs::read(key).expect("read BENCH_TLS_KEY")))
}

/// The paths of the server's certificate and key, as Bia's config names them.
pub fn server_paths() -> Option<(String, String)> {
    Some((std::env::var("BENCH_TLS_CERT").ok()?, std::env::var("BENCH_TLS_KEY").ok()?))
}

/// A rustls server config of `cert` and `key` with ALPN `alpn` (axum's
/// example, with ring as the provider).
pub fn rustls_server(cert: &[u8], key: &[u8], alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(cert).collect::<Result<Vec<_>, _>>().expect("certificate");
    let key = PrivateKeyDer::from_pem_slice(key).expect("key");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// The CA the load client trusts, when `BENCH_TLS_CA` is set.
pub fn client_ca() -> Option<Vec<u8>> {
    std::env::var_os("BENCH_TLS_CA").map(|p| std::fs::read(p).expect("read BENCH_TLS_CA"))
}

/// A rustls client config trusting `ca`, with ALPN `alpn` (none for
/// hyper-rustls, which sets its own from the HTTP versions it enables).
pub fn rustls_client(ca: &[u8], alpn: &[&[u8]]) -> rustls::ClientConfig {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca) {
        roots.add(cert.expect("CA certificate")).expect("CA certificate");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}
