//! The etcd registry (the `etcd` cargo feature): instances under `<namespace>/<name>/<id>` on a lease
//! kept alive in the background, watched with etcd's watch stream.
//!
//! The calls go through Bia's small etcd client (tonic, etcd's messages
//! declared with prost's derive: no `protoc` at build time), the one the
//! config source in etcd uses too ([`bia::config::EtcdSource`](crate::config)).
//!
//! ```ignore
//! // needs the `etcd` feature; tests/tests/registry_etcd.rs runs the same calls
//! use std::sync::Arc;
//! use bia::registry::etcd::{EtcdConfig, EtcdRegistry};
//!
//! # async fn run() -> bia::Result<()> {
//! let registry = Arc::new(EtcdRegistry::new(EtcdConfig::new(["http://127.0.0.1:2379"]))?);
//! let app = bia::App::new("user-service").registrar(registry.clone());
//! // ... and clients: bia::client::Dial::new("discovery:///user-service").discovery(registry)
//! # drop(app); Ok(()) }
//! ```
//!
//! **A secured etcd.** `https://` endpoints are reached over TLS with the
//! config's [`ClientTls`] (the CA that signed etcd's certificate, and a
//! client certificate when etcd runs with `--client-cert-auth`); with auth
//! enabled in etcd, `username` and `password` are sent to etcd's
//! `Authenticate` and the token it gives goes with every call, fetched
//! again when etcd refuses it (expired, or the users and roles changed).
//! Tests: `tests/tests/client_tls.rs` runs the registry against such an
//! etcd.
//!
//! ```
//! use bia::registry::etcd::EtcdConfig;
//! use bia::tls::ClientTls;
//!
//! let config = EtcdConfig::new(["https://etcd-1:2379", "https://etcd-2:2379"])
//!     .tls(ClientTls::new().ca_file("etcd-ca.crt").identity_files("client.crt", "client.key"))
//!     .credentials("registry", "s3cret");
//! assert!(!format!("{config:?}").contains("s3cret"));
//! ```

#[cfg(feature = "etcd")]
mod registry;
#[cfg(feature = "etcd")]
mod sessions;

pub use crate::etcd::EtcdConfig;
#[cfg(feature = "etcd")]
#[cfg_attr(docsrs, doc(cfg(feature = "etcd")))]
pub use registry::EtcdRegistry;
