//! The request metrics as OpenTelemetry instruments, recorded beside the
//! Prometheus ones once [`Metrics::export`](super::Metrics::export) runs.

use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::{KeyValue, Value};

use super::labels::Label;
use crate::context::Kind;
use crate::error::Error;

/// The OpenTelemetry instruments of one side.
pub(super) struct Instruments {
    requests: Counter<u64>,
    seconds: Histogram<f64>,
    received: Counter<u64>,
    sent: Counter<u64>,
}

fn operation(op: &Label) -> KeyValue {
    KeyValue::new("operation", Value::String(op.0.clone().into()))
}

impl Instruments {
    pub(super) fn new(meter: &Meter, side: &str, buckets: &[f64]) -> Self {
        Self {
            requests: meter
                .u64_counter(format!("{side}_requests_code"))
                .with_description(format!("The total number of processed requests ({side} side)"))
                .build(),
            seconds: meter
                .f64_histogram(format!("{side}_requests_seconds"))
                .with_description(format!("{side} requests duration (sec)"))
                .with_boundaries(buckets.to_vec())
                .build(),
            received: meter
                .u64_counter(format!("{side}_stream_messages_received"))
                .with_description(format!("Messages received in streams ({side} side)"))
                .build(),
            sent: meter
                .u64_counter(format!("{side}_stream_messages_sent"))
                .with_description(format!("Messages sent in streams ({side} side)"))
                .build(),
        }
    }

    pub(super) fn record(&self, kind: Kind, op: &Label, err: Option<&Error>, seconds: f64) {
        let (code, reason) = err.map_or((200, ""), |e| (e.code(), e.reason()));
        let kind = KeyValue::new("kind", kind.as_str());
        self.requests.add(
            1,
            &[
                kind.clone(),
                operation(op),
                KeyValue::new("code", i64::from(code)),
                KeyValue::new("reason", reason.to_owned()),
            ],
        );
        self.seconds.record(seconds, &[kind, operation(op)]);
    }

    pub(super) fn messages(&self, kind: Kind, op: &Label, received: u64, sent: u64) {
        let attributes = [KeyValue::new("kind", kind.as_str()), operation(op)];
        self.received.add(received, &attributes);
        self.sent.add(sent, &attributes);
    }
}
