//! Recovery: a panic in a handler becomes 500 / `Internal`, reason `UNKNOWN`.
