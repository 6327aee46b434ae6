//! OpenTelemetry tracing: spans named by operation, W3C `traceparent` and baggage.
