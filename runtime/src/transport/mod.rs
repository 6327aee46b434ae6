//! The two transports: [`http`] (axum, JSON) and [`grpc`] (tonic, protobuf).
//!
//! Generated code serves a trait on both and builds a client for each; these
//! modules hold what they share: the request binding rules, the error mapping,
//! the codecs, and the server builders the [`App`](crate::App) runs.

pub mod grpc;
pub mod http;
mod serve;
mod timeout;

pub(crate) use serve::Stop;

pub use timeout::TIMEOUT_REASON;

/// Which transport a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// HTTP/JSON through axum.
    Http,
    /// gRPC through tonic.
    Grpc,
}

impl Kind {
    /// `"http"` or `"grpc"` (the `kind` label of metrics and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Grpc => "grpc",
        }
    }
}

/// Runs a router-building step that axum or tonic report by panicking (a
/// route conflict), turning the panic into an error kept for `bind`.
pub(crate) fn catch_conflict<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let text = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "unknown conflict".to_owned());
        format!("{what}: {text}")
    })
}
