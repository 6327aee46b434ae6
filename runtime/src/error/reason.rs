//! Every reason the framework itself gives an [`Error`](super::Error), in one
//! place.
//!
//! A reason is the machine-readable half of an error (`USER_NOT_FOUND`):
//! clients and middleware match on it, so it never changes once released.
//! Your own reasons come from [`#[bia::errors]`](macro@crate::errors); these
//! are the ones Bia's transports, clients, middleware and App use. The
//! modules that raise them re-export the ones a caller is expected to match
//! on (`bia::middleware::validate::REASON` is [`VALIDATOR`], ...).
//!
//! ```
//! use bia::error::reason;
//!
//! let err = bia::Error::bad_request(reason::CODEC, "invalid JSON body");
//! assert!(err.is(400, reason::CODEC));
//! ```

// The request and its binding.

/// No reason was given (the Kratos default).
pub const UNKNOWN: &str = "UNKNOWN";
/// A request that cannot be bound: bad JSON, a bad path or query value, bad
/// protobuf bytes (as in Kratos); also a reply that cannot be encoded or
/// decoded.
pub const CODEC: &str = "CODEC";
/// A request that breaks a `#[validate]` rule (Kratos' validate middleware).
pub const VALIDATOR: &str = "VALIDATOR";
/// A field mask naming a field its message does not have (400; see
/// [`crate::codec::field_mask`]).
pub const FIELD_MASK: &str = "FIELD_MASK";
/// A request body or message over the server's limit (413), as sent or
/// once decompressed.
pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
/// 415: a request body in a content type the HTTP API does not read.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
/// A request compressed with an encoding the server does not accept: 415 on
/// HTTP (`Content-Encoding`; the reply's `Accept-Encoding` lists the
/// accepted ones), `Unimplemented` on gRPC (`grpc-encoding`; the reply's
/// `grpc-accept-encoding` lists them).
pub const UNSUPPORTED_ENCODING: &str = "UNSUPPORTED_ENCODING";
/// A call that ran past its deadline (504 / `DeadlineExceeded`), on the
/// server or in a client `Timeout`.
pub const TIMEOUT: &str = "TIMEOUT";
/// The other side of a stream went away before its end (499 /
/// `Cancelled`): a WebSocket closed or dropped mid-stream.
pub const STREAM_CLOSED: &str = "STREAM_CLOSED";
/// A stream still open when its server's stop timeout passed (503 /
/// `Unavailable`): the server is going away; open it again elsewhere.
pub const STOPPING: &str = "STOPPING";
/// A streaming route asked for without its transport (400): a client or
/// bidirectional stream opened without a WebSocket upgrade, or a WebSocket
/// upgrade on a route that is not a client or bidirectional stream.
pub const NOT_A_WEBSOCKET: &str = "NOT_A_WEBSOCKET";

// What the HTTP server answers by itself.

/// No route for the request's path (404).
pub const NOT_FOUND: &str = "NOT_FOUND";
/// A route exists for the path, but not for the method (405).
pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
/// `/readyz` while the server starts or drains (503).
pub const NOT_READY: &str = "NOT_READY";
/// An HTTP/1 request whose request line or headers are not HTTP (400).
pub const MALFORMED_REQUEST: &str = "MALFORMED_REQUEST";
/// An HTTP/1 request URI over 65,534 bytes, hyper's (and `http::Uri`'s) limit (414).
pub const URI_TOO_LONG: &str = "URI_TOO_LONG";
/// An HTTP/1 request head over the server's buffer or header-count limit (431).
pub const HEADERS_TOO_LARGE: &str = "HEADERS_TOO_LARGE";

// Clients.

/// A call that failed in transport: the connection could not be made, or
/// broke before the reply (503).
pub const UNAVAILABLE: &str = "UNAVAILABLE";
/// A gRPC client could not connect to its one server (503).
pub const CONNECT_FAILED: &str = "CONNECT_FAILED";
/// A target that is not a valid endpoint (`http://host:port`,
/// `direct:///..`, `discovery:///name`).
pub const BAD_ENDPOINT: &str = "BAD_ENDPOINT";
/// A client's TLS handshake failed (503 / `Unavailable`): the server's
/// certificate is not signed by a CA the client trusts, has expired or is
/// for another name, or the server refused the client's certificate (or the
/// lack of one). The message says which; nothing was sent, so a balanced
/// client tries another node.
pub const TLS_HANDSHAKE: &str = "TLS_HANDSHAKE";
/// A balanced target with no node to call (503).
pub const NO_AVAILABLE_NODE: &str = "NO_AVAILABLE_NODE";
/// An HTTP client request whose path fields fit none of the method's HTTP
/// bindings.
pub const NO_MATCHING_ROUTE: &str = "NO_MATCHING_ROUTE";
/// An HTTP client request whose path field is empty.
pub const MISSING_PATH_PARAM: &str = "MISSING_PATH_PARAM";
/// An HTTP client request that `http` cannot build.
pub const BAD_REQUEST: &str = "BAD_REQUEST";

// Middleware.

/// A middleware broke the chain's contract: replaced the request or reply
/// with another type, or called the handler twice (500).
pub const MIDDLEWARE: &str = "MIDDLEWARE";
/// A call the client circuit breaker refused (503).
pub const CIRCUITBREAKER: &str = "CIRCUITBREAKER";
/// A call the rate limiter refused (429).
pub const RATELIMIT: &str = "RATELIMIT";
/// A call the JWT middleware refused (401).
pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
/// A circuit-breaker setting out of range.
pub const BAD_CIRCUITBREAKER: &str = "BAD_CIRCUITBREAKER";
/// A retry setting out of range.
pub const BAD_RETRY: &str = "BAD_RETRY";
/// A rate-limiter setting out of range.
pub const BAD_RATELIMIT: &str = "BAD_RATELIMIT";
/// A JWT key that cannot be used for its algorithm.
pub const BAD_JWT_KEY: &str = "BAD_JWT_KEY";
/// A metadata constant that cannot be sent as a header.
pub const BAD_METADATA: &str = "BAD_METADATA";
/// A selector regular expression that does not compile.
pub const BAD_SELECTOR: &str = "BAD_SELECTOR";

// The App, its config and its registry.

/// A configuration that cannot be loaded or used.
pub const CONFIG: &str = "CONFIG";
/// Logging could not be set up.
pub const LOG_INIT: &str = "LOG_INIT";
/// A listener could not be bound (the address is named in the message).
pub const BIND_FAILED: &str = "BIND_FAILED";
/// TLS settings that do not load: a server's or a client's missing or
/// malformed certificate, key or CA, a key that does not match its
/// certificate (the key's contents are never in the message).
pub const TLS_CONFIG: &str = "TLS_CONFIG";
/// A start or stop hook returned an error.
pub const HOOK_FAILED: &str = "HOOK_FAILED";
/// A server task ended abnormally.
pub const SERVER_TASK: &str = "SERVER_TASK";
/// A registry call failed (etcd unreachable, an instance that cannot be
/// encoded).
pub const REGISTRY: &str = "REGISTRY";
/// The discovery behind a watcher is gone.
pub const DISCOVERY_CLOSED: &str = "DISCOVERY_CLOSED";

// Dependency wiring.

/// The provider graph is incomplete or inconsistent (found at startup).
pub const WIRING: &str = "WIRING";
/// A provider returned an error.
pub const PROVIDER_FAILED: &str = "PROVIDER_FAILED";
/// A provider panicked.
pub const PROVIDER_PANICKED: &str = "PROVIDER_PANICKED";
