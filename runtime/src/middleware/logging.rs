//! Logging (server and client): kind, operation, args, code, reason, latency.
