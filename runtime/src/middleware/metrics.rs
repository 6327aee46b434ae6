//! Prometheus metrics of server and client calls.
