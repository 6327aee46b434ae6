//! Validation of `#[validate(...)]` rules before the handler: 400 / `InvalidArgument`, reason `VALIDATOR`.
