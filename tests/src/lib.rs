//! Shared pieces of Bia's cross-crate tests: a test service covering every
//! field kind and HTTP mapping rule, and helpers to start servers on free
//! loopback ports.
