//! # Bia
//!
//! Kratos-style services in Rust. A plain trait, annotated with
//! [`#[bia::service]`](macro@service), becomes a gRPC service (tonic + prost)
//! and an HTTP/JSON API (axum) at once, with a typed client for each transport,
//! one error model ([`Error`]) and a schema ([`schema`]) for reflection,
//! `.proto` export and other languages.
//!
//! ```
//! use bia::prelude::*;
//!
//! #[bia::message(package = "helloworld.v1")]
//! pub struct HelloRequest { pub name: String }
//!
//! #[bia::message(package = "helloworld.v1")]
//! pub struct HelloReply { pub message: String }
//!
//! #[bia::service(package = "helloworld.v1")]
//! pub trait Greeter: Send + Sync + 'static {
//!     #[rpc(get = "/helloworld/<name>")]
//!     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! }
//!
//! struct MyGreeter;
//!
//! impl Greeter for MyGreeter {
//!     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply> {
//!         Ok(HelloReply { message: format!("Hello {}", req.name) })
//!     }
//! }
//!
//! assert_eq!(GreeterOperation::SAY_HELLO, "/helloworld.v1.Greeter/SayHello");
//! let _grpc_and_http = GreeterServer::new(MyGreeter);
//! ```
#![warn(missing_docs)]
// docs.rs builds with every feature and marks what each item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod app;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod cli;
pub mod client;
pub mod codec;
pub mod config;
pub mod context;
pub mod error;
pub(crate) mod etcd;
pub mod log;
pub mod middleware;
pub mod registry;
pub mod schema;
pub mod stream;
pub mod tls;
pub mod transport;
pub mod types;
pub mod wire;

#[doc(hidden)]
pub mod __private;

pub use app::{App, AppInfo, Running};
pub use codec::{Enumeration, Message, Oneof};
pub use error::{Error, Result};
pub use stream::Streaming;

/// Marks a struct as a protobuf message with proto3 JSON.
///
/// Fields get tags in declaration order unless `#[field(tag = N)]` says
/// otherwise; `#[field(json_name = "x")]` renames the JSON name;
/// `#[field(sint64)]` (and the other proto scalar names) picks an encoding;
/// `#[bia::message(package = "a.v1", reserved = [4, 5])]` reserves tags.
///
/// ```
/// #[bia::message(package = "user.v1")]
/// pub struct UserInfo {
///     pub id: String,
///     pub display_name: String,
///     #[field(tag = 5)]
///     pub age: i64,
/// }
///
/// let u = UserInfo { id: "1".into(), display_name: "Ann".into(), age: 30 };
/// assert_eq!(
///     serde_json::to_string(&u).unwrap(),
///     r#"{"id":"1","displayName":"Ann","age":"30"}"#
/// );
/// ```
///
/// # Validation rules
///
/// `#[validate(...)]` on a field adds rules that [`Message::validate`]
/// checks; the [`Validate`](middleware::validate::Validate) middleware runs it
/// on every request before the handler. A message without rules is always
/// valid, and a nested message is checked only when its field says `nested`.
///
/// | rule | applies to | passes when |
/// |---|---|---|
/// | `length(min = N, max = N)` | `String` (characters), bytes (bytes), `Vec<T>` (items), maps (entries) | `min <= length <= max` |
/// | `range(min = X, max = X)`, `gt = X`, `lt = X` | `i32`, `i64`, `u32`, `u64`, `f32`, `f64` | `min`/`max` inclusive, `gt`/`lt` exclusive; NaN never passes |
/// | `pattern = "regex"` | `String` | the regex matches somewhere in the value (anchor it with `^...$`) |
/// | `email` | `String` | a valid address as HTML's `<input type=email>` defines it, at most 254 characters |
/// | `required` | `Option<T>` and `#[field(oneof)]` fields | the value is set |
/// | | `String`, bytes, `Vec<T>`, maps | not empty |
/// | | a `#[bia::enumeration]` | not the zero value |
/// | `nested` | a message field (`M`, `Option<M>`, `Vec<M>`, map of `M`) | the message's own rules pass |
/// | `each(rule, ..)` | `Vec<T>` and maps | every element (map value) passes the rules |
///
/// On an `Option<T>`, rules other than `required` check the value when it is
/// set and pass when it is `None`. `required` is checked first; the other
/// rules run in the order written, fields in declaration order, and the first
/// violation is the error: 400 / gRPC `InvalidArgument`, reason `VALIDATOR`,
/// message `invalid <Message>.<field path>: <what it must be>`, metadata
/// `field` (the path with proto field names: `user.email`, `tags[2]`,
/// `labels["home"].city`) and `rule` (`length`, `range`, `pattern`, `email`,
/// `required`). Patterns use [regex-lite](https://docs.rs/regex-lite) syntax
/// (no Unicode classes), are checked when the macro runs and compiled once,
/// on first use. A rule that does not fit its field (`range` on a `String`,
/// `length(min = 5, max = 1)`, a bad regex, a rule given twice, `nested` on a
/// field that is not a message) is a compile error at the rule.
///
/// ```
/// use bia::Message as _;
///
/// #[bia::message(package = "user.v1")]
/// pub struct Address {
///     #[validate(required, length(max = 64))]
///     pub city: String,
/// }
///
/// #[bia::message(package = "user.v1")]
/// pub struct CreateUserRequest {
///     #[validate(length(min = 1, max = 32), pattern = "^[a-z][a-z0-9_]*$")]
///     pub login: String,
///     #[validate(email)]
///     pub email: String,
///     #[validate(range(min = 13, max = 150))]
///     pub age: u32,
///     #[validate(length(max = 5), each(length(min = 1, max = 16)))]
///     pub tags: Vec<String>,
///     #[validate(required, nested)]
///     pub address: Option<Address>,
/// }
///
/// let mut req = CreateUserRequest {
///     login: "ann".into(),
///     email: "ann@example.com".into(),
///     age: 30,
///     tags: vec!["admin".into()],
///     address: Some(Address { city: "Paris".into() }),
/// };
/// assert!(req.validate().is_ok());
///
/// req.address = Some(Address { city: String::new() });
/// let err = req.validate().unwrap_err();
/// assert_eq!((err.code(), err.reason()), (400, "VALIDATOR"));
/// assert_eq!(err.message(), "invalid CreateUserRequest.address.city: must not be empty");
/// assert_eq!(err.metadata()["field"], "address.city");
/// assert_eq!(err.metadata()["rule"], "required");
///
/// req.address = None;
/// assert_eq!(req.validate().unwrap_err().message(), "invalid CreateUserRequest.address: is required");
/// ```
pub use bia_macros::message;

/// Turns an `async fn(&mut Context, AnyMessage, Next<'_>) -> bia::Result<AnyMessage>`
/// (or an `impl` block whose `async fn handle(&self, ...)` has that shape) into a
/// [`Middleware`](middleware::Middleware).
///
/// On a free function, the function becomes one without arguments that
/// returns the middleware (`server.middleware(audit())`, as Kratos'
/// `logging.Server()`); on an `impl` block, the type gets `impl Middleware`,
/// so its fields carry configuration. Misuse (not `async`, wrong arguments,
/// no return type, a trait impl, `&mut self`) is a compile error at the
/// offending token; argument and return types are checked where you wrote
/// them.
///
/// ```
/// use bia::middleware::{AnyMessage, Context, Next};
///
/// /// Counts calls per transport in a log line.
/// #[bia::middleware]
/// async fn trace_calls(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
///     tracing::debug!(kind = ctx.kind().as_str(), op = ctx.operation(), "call");
///     next.run(ctx, req).await
/// }
///
/// let _app = bia::App::new("demo").middleware(trace_calls());
/// ```
///
/// ```
/// use bia::middleware::{AnyMessage, Context, Next};
///
/// /// Refuses calls without an `x-tenant` header.
/// struct RequireHeader { name: &'static str }
///
/// #[bia::middleware]
/// impl RequireHeader {
///     async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
///         if ctx.request_header(self.name).is_none() {
///             return Err(bia::Error::bad_request("MISSING_HEADER", format!("{} is required", self.name)));
///         }
///         next.run(ctx, req).await
///     }
/// }
///
/// let _chain = bia::middleware::Chain::new().with(RequireHeader { name: "x-tenant" });
/// ```
pub use bia_macros::middleware;

/// Marks a fieldless enum as a proto enum (JSON by value name).
///
/// Value names are the enum name and variant in SCREAMING_SNAKE_CASE
/// (`Role::Admin` is `ROLE_ADMIN`), as the protobuf style guide asks; rename
/// one with `#[value(name = "...")]`. The first value must be 0.
///
/// ```
/// #[bia::enumeration(package = "user.v1")]
/// pub enum Role { Unspecified = 0, Admin = 1 }
///
/// assert_eq!(Role::default(), Role::Unspecified);
/// ```
pub use bia_macros::enumeration;

/// Marks an enum of one-value variants as a proto `oneof`; a message holds it
/// as `#[field(oneof)] pub choice: Option<Choice>`. Each variant needs
/// `#[field(tag = N)]` (the tags share the message's tag space).
///
/// ```
/// #[bia::oneof]
/// pub enum Target {
///     #[field(tag = 2)]
///     UserId(i64),
///     #[field(tag = 3)]
///     Email(String),
/// }
/// ```
pub use bia_macros::oneof;

/// Turns a trait into a gRPC service and an HTTP/JSON API.
///
/// See the crate README for the full tour; in short, every method is
/// `async fn name(&self, req: Req) -> Result<Rep, E>` with `E: Into<bia::Error>`,
/// and `#[rpc(get = "/v1/user/<id>")]` (or `post`, `put`, `patch`, `delete`,
/// `custom(method = "...", path = "...")`, with `body`, `response_body` and
/// `additional_bindings`) maps it to HTTP. Without `#[rpc]` a method is served
/// at `POST /<package>.<Service>/<Method>`. `#[rpc(idempotent)]` marks a
/// method safe to call again: it is listed in `FooOperation::IDEMPOTENT`,
/// which the client [`Retry`](middleware::retry::Retry) middleware takes.
///
/// Generated next to the trait `Foo`: `FooServer<T>` (tonic service and axum
/// router), `FooGrpcClient`, `FooHttpClient` (both implement `Foo`),
/// `FooOperation` (operation-name constants) and `DynFoo` (an object-safe
/// twin for `Arc<dyn DynFoo>`). `FooServer::middleware`, `FooGrpcClient::middleware`
/// and `FooHttpClient::middleware` add [middleware](mod@middleware) to one
/// service or client.
pub use bia_macros::service;

/// Generates constructors and predicates for an error enum.
///
/// ```
/// #[bia::errors(domain = "user.v1")]
/// pub enum UserError {
///     #[error(code = 404)]
///     UserNotFound,
///     #[error(code = 409)]
///     EmailTaken,
/// }
///
/// let err = UserError::user_not_found(format_args!("user {} not found", 42));
/// assert_eq!(err.code(), 404);
/// assert_eq!(err.reason(), "USER_NOT_FOUND");
/// assert!(UserError::is_user_not_found(&err));
/// ```
pub use bia_macros::errors;

/// Registers a constructor with the injector (see [`wire`] for the whole
/// story).
///
/// `[async] fn new_x(a: &A, b: Arc<B>, c: C) -> R` where `R` is `X`,
/// `Arc<X>`, `Result<X, E>`, `(X, Cleanup)` or `Result<(X, Cleanup), E>`.
/// `#[bia::provider(bind = dyn Trait)]` provides the value as
/// `Arc<dyn Trait>` instead. An input nothing provides is a compile error at
/// the parameter:
///
/// ```compile_fail
/// pub struct Db;
/// pub struct Repo(std::sync::Arc<Db>);
///
/// #[bia::provider]
/// fn new_repo(db: std::sync::Arc<Db>) -> Repo { // error: no provider found for `Db`
///     Repo(db)
/// }
/// ```
///
/// ```
/// use std::sync::Arc;
///
/// pub struct Db;
/// pub trait Repo: Send + Sync { fn ping(&self) -> bool; }
/// impl Repo for Db { fn ping(&self) -> bool { true } }
///
/// #[bia::provider(bind = dyn Repo)]
/// async fn new_db() -> Result<Db, std::io::Error> {
///     Ok(Db)
/// }
///
/// pub struct Health { repo: Arc<dyn Repo> }
///
/// #[bia::provider]
/// fn new_health(repo: Arc<dyn Repo>) -> Health {
///     Health { repo }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> bia::Result<()> {
/// let health = bia::wire::Injector::new().build::<Health>().await?;
/// assert!(health.repo.ping());
/// # Ok(()) }
/// ```
pub use bia_macros::provider;

/// Maps a method of a `#[bia::service]` trait to HTTP (see [`service`]).
/// Anywhere else it is a compile error that says so.
pub use bia_macros::rpc;

/// The usual imports: `use bia::prelude::*;`.
pub mod prelude {
    pub use crate::codec::{Enumeration as _, Message as _};
    pub use crate::transport::grpc::{GrpcClient, GrpcServer};
    pub use crate::transport::http::{HttpClient, HttpServer, IntoRouter as _};
    pub use crate::{App, Error, Result};
}
