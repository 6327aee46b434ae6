//! Metadata propagation: `x-md-global-*` across every hop, `x-md-local-*` one hop.
