//! The two transports: [`http`] (axum, JSON) and [`grpc`] (tonic, protobuf).
//!
//! Generated code serves a trait on both and builds a client for each; these
//! modules hold what they share: the request binding rules, the error mapping,
//! the codecs, and the server builders the [`App`](crate::App) runs.

pub mod grpc;
pub mod http;

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
