//! The Kratos tutorial's user service, written with Bia: this library is its
//! API ([`api`]: the contract, messages, errors and generated clients), which
//! other services depend on to call it.
//!
//! The layers live in the binary, as the tutorial has them: `service`
//! (implements the API), `biz` (domain and use cases), `data` (the repository
//! on SQLite, Postgres or MySQL/MariaDB), `server` (HTTP and gRPC), `app` and `main`
//! (config, logging, run), wired by their `#[bia::provider]`s. Keeping the
//! providers out of the library matters: a crate that depends on this one
//! for its API would otherwise link them (and its own `App` provider would
//! clash with ours).

pub mod api;
