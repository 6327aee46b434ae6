//! The two transports: [`http`] (axum, JSON) and [`grpc`] (tonic, protobuf).
//!
//! Each is split by role: `server.rs` (the builder the [`App`](crate::App)
//! runs), `client.rs` (what generated clients wrap), `handler.rs` (one call,
//! what generated servers call), and the wire form (`binding.rs` and
//! `codec.rs` for HTTP, `codec.rs` and `status.rs` for gRPC). What both
//! servers share lives here: the builder core and the served router
//! (`server.rs`), the accept loop with its drain (`accept.rs`), TLS
//! (`tls.rs`), the connection limits (`limits.rs`) and the per-request
//! deadline (`deadline.rs`).

pub(crate) mod accept;
mod coarse_timer;
mod connect;
mod connect_get;
mod connect_wire;
pub(crate) mod deadline;
pub(crate) mod dispatch;
mod envelope;
pub mod grpc;
pub mod http;
mod limits;
mod parse_errors;
pub(crate) mod server;
mod stacks;
mod tls;

pub use crate::context::Kind;
/// Reason of a request that ran past its deadline.
pub use crate::error::reason::TIMEOUT as TIMEOUT_REASON;
pub(crate) use accept::Stop;
pub use limits::ConnectionLimits;
pub use server::ServerLayer;
pub use tls::{ClientAuth, ServerTls};
