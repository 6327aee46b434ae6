//! Validation of `#[validate(...)]` rules before the handler: 400 / `InvalidArgument`, reason `VALIDATOR`.
//!
//! The rules live on the fields of a [`#[bia::message]`](macro@crate::message)
//! (see its docs for the list); [`Validate`] checks them on every request,
//! like Kratos' `validate.Validator()`.

use crate::error::Error;
use crate::middleware::{AnyMessage, Context};

/// The reason of every validation error (the one of Kratos' validate
/// middleware).
pub use crate::error::reason::VALIDATOR as REASON;

/// Checks the request's `#[validate(...)]` rules before the handler runs.
///
/// A request that breaks a rule never reaches the handler: the call fails
/// with a 400 / gRPC `InvalidArgument` error, reason [`REASON`]
/// (`VALIDATOR`), a message naming the message, the field path and what the
/// value must be (`invalid CreateUserRequest.user.email: must be a valid
/// email address`), and metadata `field` (the dotted path with proto field
/// names: `user.email`, `tags[2]`, `labels["a"]`) and `rule` (`length`,
/// `range`, `pattern`, `email`, `required`). Only the first violation, in
/// field declaration order, is reported. Replies are not checked; messages
/// without rules and hand-written routes always pass.
///
/// On a server ([`App::middleware`](crate::App::middleware), a transport's or
/// a service's `middleware`) it guards the handlers; on a generated client it
/// refuses an invalid request before anything is sent.
///
/// ```
/// use bia::middleware::validate::Validate;
///
/// #[bia::message(package = "user.v1")]
/// pub struct CreateUserRequest {
///     #[validate(length(min = 1, max = 64))]
///     pub name: String,
///     #[validate(email)]
///     pub email: String,
/// }
///
/// let app = bia::App::new("users").middleware(Validate::new());
/// # let _ = app;
///
/// // What the middleware does to each request:
/// let req = CreateUserRequest { name: "Ann".into(), email: "ann@".into() };
/// let err = bia::Message::validate(&req).unwrap_err();
/// assert_eq!((err.code(), err.reason()), (400, "VALIDATOR"));
/// assert_eq!(err.message(), "invalid CreateUserRequest.email: must be a valid email address");
/// assert_eq!(err.metadata()["field"], "email");
/// assert_eq!(err.metadata()["rule"], "email");
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Validate;

impl Validate {
    /// The validate middleware.
    pub fn new() -> Self {
        Self
    }
}

impl Validate {
    fn check(&self, _ctx: &mut Context, req: &mut AnyMessage) -> Result<(), Error> {
        // A stream's messages come later: each is checked as it arrives, and
        // the first that breaks a rule ends the stream with the error.
        if req.inspect_messages(|m| m.validate()) {
            return Ok(());
        }
        req.validate()
    }
}

guard!(Validate);
