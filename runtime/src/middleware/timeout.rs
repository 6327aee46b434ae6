//! Client timeout.
