//! How long a connection may take and how much it may hold: the settings
//! of the accept loop both servers share, with defaults chosen as hyper,
//! tonic and nginx choose theirs.

use std::time::Duration;

use serde::Deserialize;

/// Connection limits and timeouts of a server (`server.http.limits`,
/// `server.grpc.limits`); every field has a default, so a config names only
/// what it changes.
///
/// ```yaml
/// server:
///   http:
///     limits:
///       header_read_timeout: 10s
///       max_connections: 2048
/// ```
///
/// ```
/// let limits: bia::transport::ConnectionLimits =
///     serde_json::from_value(serde_json::json!({"header_read_timeout": "10s", "max_connections": 2048})).unwrap();
/// assert_eq!(limits.header_read_timeout, Some(std::time::Duration::from_secs(10)));
/// assert_eq!(limits.max_headers, bia::transport::ConnectionLimits::default().max_headers);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionLimits {
    /// HTTP/1: how long a request's head (request line and headers) may take
    /// to arrive, counted from when the connection waits for it; a
    /// keep-alive connection idle that long is closed too. Default none
    /// (hyper's default without a timer): set it (nginx uses 60 s) where
    /// clients reach the server without a proxy in front, which is what
    /// stops a slowloris client. It costs about 1,600 instructions per
    /// HTTP/1 request (hyper re-arms a timer for every request).
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Option<Duration>,
    /// HTTP/1: the largest request head, in bytes (at least 8 KiB; it also
    /// bounds the connection's write buffer). Default none: hyper's own
    /// bound, about 408 KiB (nginx allows 4 x 8 KiB per header line; set
    /// `32768` for nginx's).
    pub max_header_size: Option<usize>,
    /// HTTP/1: the most header fields a request may have. Default 100
    /// (hyper's).
    pub max_headers: usize,
    /// HTTP/2: streams a client may have open at once on one connection.
    /// Default 200 (hyper's; nginx 128, Go 250).
    pub max_concurrent_streams: u32,
    /// HTTP/2: the largest header list, in bytes. Default 16 KiB (hyper's).
    pub max_header_list_size: u32,
    /// HTTP/2: the flow-control window of each stream, in bytes. Default
    /// 1 MiB.
    pub initial_stream_window_size: u32,
    /// HTTP/2: the flow-control window of a connection, in bytes. Default
    /// 2 MiB.
    pub initial_connection_window_size: u32,
    /// HTTP/2: how often to ping a connection to learn that its peer is
    /// still there (none: never). Default none, as tonic's: hyper then
    /// watches every frame's arrival time, a cost per request.
    #[serde(with = "humantime_serde")]
    pub keepalive_interval: Option<Duration>,
    /// HTTP/2: how long a ping may go unanswered before the connection is
    /// closed. Default 20 s (tonic's).
    #[serde(with = "humantime_serde")]
    pub keepalive_timeout: Duration,
    /// HTTP/2: streams a client may reset before the server has accepted
    /// them (a reset flood closes the connection). Default 20 (hyper's).
    pub max_pending_accept_reset_streams: usize,
    /// HTTP/2: streams the server may reset because of the client's errors
    /// before it closes the connection. Default 1024 (hyper's).
    pub max_local_error_reset_streams: usize,
    /// Open connections this listener serves at once; more wait in the
    /// listen backlog until one closes. Default 4096.
    pub max_connections: usize,
    /// How long a TLS handshake may take. Default 10 s.
    #[serde(with = "humantime_serde")]
    pub tls_handshake_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: None,
            max_header_size: None,
            max_headers: 100,
            max_concurrent_streams: 200,
            max_header_list_size: 16 * 1024,
            initial_stream_window_size: 1024 * 1024,
            initial_connection_window_size: 2 * 1024 * 1024,
            keepalive_interval: None,
            keepalive_timeout: Duration::from_secs(20),
            max_pending_accept_reset_streams: 20,
            max_local_error_reset_streams: 1024,
            max_connections: 4096,
            tls_handshake_timeout: Duration::from_secs(10),
        }
    }
}
