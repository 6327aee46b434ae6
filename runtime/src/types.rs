//! Well-known protobuf types usable as message fields.

pub use prost_types::{Duration, Timestamp};
