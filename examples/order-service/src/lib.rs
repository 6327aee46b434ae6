//! The tutorial's second service: orders of the users of the user-service.
//! This library is its API ([`api`]); the layers (`data`, `biz`, `service`,
//! `server`, `app`) live in the binary and are wired by `#[bia::provider]`s.
//! `GetOrderDetailsWithUser` calls the user-service through its generated
//! gRPC client, dialed as `discovery:///user-service`.

pub mod api;
