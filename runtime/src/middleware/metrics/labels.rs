//! The label sets of the Prometheus series and the histogram constructor
//! with the registry's buckets.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabel as _, EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::family::MetricConstructor;
use prometheus_client::metrics::histogram::Histogram;

/// A shared label value (an operation or a reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Label(pub(super) Arc<str>);

impl From<&str> for Label {
    fn from(s: &str) -> Self {
        Self(Arc::from(s))
    }
}

impl Hash for Label {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Same as `str`, as `Borrow<str>` requires.
        self.0.hash(state)
    }
}

impl Borrow<str> for Label {
    fn borrow(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct CodeLabels {
    pub(super) kind: &'static str,
    pub(super) operation: Label,
    pub(super) code: u16,
    pub(super) reason: Label,
}

impl EncodeLabelSet for CodeLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        ("kind", self.kind).encode(encoder.encode_label())?;
        ("operation", &*self.operation.0).encode(encoder.encode_label())?;
        ("code", self.code).encode(encoder.encode_label())?;
        ("reason", &*self.reason.0).encode(encoder.encode_label())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct OpLabels {
    pub(super) kind: &'static str,
    pub(super) operation: Label,
}

impl EncodeLabelSet for OpLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        ("kind", self.kind).encode(encoder.encode_label())?;
        ("operation", &*self.operation.0).encode(encoder.encode_label())
    }
}

/// Builds the histograms of a family with the configured buckets.
#[derive(Clone, Debug)]
pub(super) struct Buckets(pub(super) Arc<[f64]>);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}
