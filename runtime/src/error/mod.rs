//! The one error model of Bia, shared by both transports.
//!
//! An [`Error`] carries an HTTP status `code`, a machine-readable `reason`
//! (UPPER_SNAKE_CASE, unique in its domain), a human `message`, string
//! `metadata` and an optional `cause`. On HTTP it is the response status and the
//! Kratos JSON body; on gRPC it is a `Status` whose code comes from the Kratos
//! table and whose details hold a `google.rpc.ErrorInfo`. Both generated clients
//! rebuild the same `Error` from what they receive.
//!
//! This module is the model and the Kratos code table; each transport adds
//! its own wire form: [`Error::to_status`] and [`Error::from_status`] live
//! with the gRPC transport, [`Error::from_http`] and the error response with
//! the HTTP one. The reasons Bia itself uses are the constants of
//! [`reason`].
//!
//! ```
//! let err = bia::Error::not_found("USER_NOT_FOUND", "user 42 not found")
//!     .with_metadata("id", "42");
//! assert_eq!(err.code(), 404);
//! assert_eq!(err.grpc_code(), tonic::Code::NotFound);
//! assert_eq!(
//!     String::from_utf8(err.to_json()).unwrap(),
//!     r#"{"code":404,"reason":"USER_NOT_FOUND","message":"user 42 not found","metadata":{"id":"42"}}"#
//! );
//! ```

pub mod reason;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use tonic::Code;

/// A gRPC status code (tonic's), for [`Error::grpc`] and
/// [`Error::with_grpc_code`] without a dependency on tonic.
pub use tonic::Code as GrpcCode;

/// The result type of every Bia operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Reason of every request-binding failure (bad JSON, bad path or query value,
/// bad protobuf bytes), as in Kratos.
pub use reason::CODEC as CODEC_REASON;
/// Reason used when no reason was given (the Kratos default).
pub use reason::UNKNOWN as UNKNOWN_REASON;

/// A Bia error: HTTP code, reason, message, metadata and an optional cause.
///
/// Two errors are equal when code, reason, message, metadata and gRPC code are equal; the
/// domain and the cause are not compared (neither travels over HTTP).
pub struct Error {
    code: u16,
    reason: Cow<'static, str>,
    message: Cow<'static, str>,
    metadata: BTreeMap<String, String>,
    domain: Cow<'static, str>,
    cause: Option<Cause>,
    /// The gRPC code when it is not the one the Kratos table gives `code`.
    grpc: Option<Code>,
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $name:ident => $code:literal;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(
                reason: impl Into<Cow<'static, str>>,
                message: impl Into<Cow<'static, str>>,
            ) -> Self {
                Self::new($code, reason, message)
            }
        )*
    };
}

impl Error {
    /// A new error with an HTTP status code, a reason and a message.
    ///
    /// ```
    /// let err = bia::Error::new(409, "EMAIL_TAKEN", "email already registered");
    /// assert_eq!(err.reason(), "EMAIL_TAKEN");
    /// ```
    pub fn new(code: u16, reason: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            reason: reason.into(),
            message: message.into(),
            metadata: BTreeMap::new(),
            domain: Cow::Borrowed(""),
            cause: None,
            grpc: None,
        }
    }

    /// An error with a gRPC status code, for the codes the Kratos table
    /// (HTTP status -> gRPC code) cannot give: `UNKNOWN`, `FAILED_PRECONDITION`,
    /// `OUT_OF_RANGE`, `DATA_LOSS`, `ALREADY_EXISTS`. Its HTTP status is the
    /// table's for that code (`UNKNOWN` is 500, `FAILED_PRECONDITION` 400).
    ///
    /// ```
    /// use bia::error::GrpcCode;
    ///
    /// let err = bia::Error::grpc(GrpcCode::FailedPrecondition, "NOT_EMPTY", "the folder is not empty");
    /// assert_eq!(err.grpc_code(), GrpcCode::FailedPrecondition);
    /// assert_eq!(err.code(), 400);
    /// ```
    pub fn grpc(code: Code, reason: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(http_code_of(code), reason, message).with_grpc_code(code)
    }

    /// Sets the gRPC status code this error travels with on gRPC, where the
    /// Kratos table's code for its HTTP status is not the one meant.
    ///
    /// ```
    /// use bia::error::GrpcCode;
    ///
    /// let err = bia::Error::internal_server("LOST", "the page was lost").with_grpc_code(GrpcCode::DataLoss);
    /// assert_eq!(err.code(), 500);
    /// assert_eq!(err.grpc_code(), GrpcCode::DataLoss);
    /// ```
    pub fn with_grpc_code(mut self, code: Code) -> Self {
        self.grpc = (grpc_code_of(self.code) != code).then_some(code);
        self
    }

    constructors! {
        /// 400 Bad Request (gRPC `InvalidArgument`).
        bad_request => 400;
        /// 401 Unauthorized (gRPC `Unauthenticated`).
        unauthorized => 401;
        /// 403 Forbidden (gRPC `PermissionDenied`).
        forbidden => 403;
        /// 404 Not Found (gRPC `NotFound`).
        not_found => 404;
        /// 409 Conflict (gRPC `Aborted`).
        conflict => 409;
        /// 413 Payload Too Large (gRPC `ResourceExhausted`).
        payload_too_large => 413;
        /// 429 Too Many Requests (gRPC `ResourceExhausted`).
        too_many_requests => 429;
        /// 499 Client Closed Request (gRPC `Cancelled`).
        client_closed => 499;
        /// 500 Internal Server Error (gRPC `Internal`).
        internal_server => 500;
        /// 501 Not Implemented (gRPC `Unimplemented`).
        not_implemented => 501;
        /// 503 Service Unavailable (gRPC `Unavailable`).
        service_unavailable => 503;
        /// 504 Gateway Timeout (gRPC `DeadlineExceeded`).
        gateway_timeout => 504;
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        self.code
    }
    /// The machine-readable reason, e.g. `USER_NOT_FOUND`.
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// String metadata attached to the error.
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }
    /// The error domain sent in `google.rpc.ErrorInfo` (empty when unset).
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The underlying cause, if one was attached. It is never sent to clients.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// Adds one metadata entry.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
    /// Replaces the metadata.
    #[must_use]
    pub fn with_metadata_map(mut self, metadata: BTreeMap<String, String>) -> Self {
        self.metadata = metadata;
        self
    }
    /// Sets the domain reported in `google.rpc.ErrorInfo`.
    #[must_use]
    pub fn with_domain(mut self, domain: impl Into<Cow<'static, str>>) -> Self {
        self.domain = domain.into();
        self
    }
    /// Attaches the underlying cause (logged, never sent).
    #[must_use]
    pub fn with_cause(mut self, cause: impl Into<Cause>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// `true` when code and reason match.
    ///
    /// ```
    /// let err = bia::Error::not_found("USER_NOT_FOUND", "no such user");
    /// assert!(err.is(404, "USER_NOT_FOUND"));
    /// ```
    pub fn is(&self, code: u16, reason: &str) -> bool {
        self.code == code && self.reason == reason
    }

    /// The gRPC status code of this error: the one [`Error::with_grpc_code`]
    /// set, else the Kratos table's for its HTTP status.
    pub fn grpc_code(&self) -> Code {
        self.grpc.unwrap_or_else(|| grpc_code_of(self.code))
    }

    /// The Kratos JSON body: `{"code":..,"reason":..,"message":..,"metadata":{..}}`.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("serializing strings to JSON cannot fail")
    }
}

/// The Kratos table: HTTP status -> gRPC code.
pub fn grpc_code_of(http: u16) -> Code {
    match http {
        200 => Code::Ok,
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 => Code::Aborted,
        413 | 429 => Code::ResourceExhausted,
        499 => Code::Cancelled,
        500 => Code::Internal,
        501 => Code::Unimplemented,
        503 => Code::Unavailable,
        504 => Code::DeadlineExceeded,
        _ => Code::Unknown,
    }
}

/// The Kratos table: gRPC code -> HTTP status.
pub fn http_code_of(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::Cancelled => 499,
        Code::Unknown => 500,
        Code::InvalidArgument => 400,
        Code::DeadlineExceeded => 504,
        Code::NotFound => 404,
        Code::AlreadyExists => 409,
        Code::PermissionDenied => 403,
        Code::ResourceExhausted => 429,
        Code::FailedPrecondition => 400,
        Code::Aborted => 409,
        Code::OutOfRange => 400,
        Code::Unimplemented => 501,
        Code::Internal => 500,
        Code::Unavailable => 503,
        Code::DataLoss => 500,
        Code::Unauthenticated => 401,
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("code", &self.code)?;
        m.serialize_entry("reason", &*self.reason)?;
        m.serialize_entry("message", &*self.message)?;
        m.serialize_entry("metadata", &self.metadata)?;
        m.end()
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.reason == other.reason
            && self.message == other.message
            && self.metadata == other.metadata
            && self.grpc_code() == other.grpc_code()
    }
}
impl Eq for Error {}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("code", &self.code)
            .field("reason", &self.reason)
            .field("message", &self.message)
            .field("metadata", &self.metadata);
        if !self.domain.is_empty() {
            d.field("domain", &self.domain);
        }
        if let Some(c) = &self.cause {
            d.field("cause", c);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: code = {} reason = {} message = {}", self.code, self.reason, self.message)?;
        if !self.metadata.is_empty() {
            write!(f, " metadata = {:?}", self.metadata)?;
        }
        if let Some(c) = &self.cause {
            write!(f, " cause = {c}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl Clone for Error {
    /// Clones everything but the cause, which is not `Clone`; the clone keeps
    /// the cause's text as its own cause.
    fn clone(&self) -> Self {
        Self {
            code: self.code,
            reason: self.reason.clone(),
            message: self.message.clone(),
            metadata: self.metadata.clone(),
            domain: self.domain.clone(),
            cause: self.cause.as_ref().map(|c| c.to_string().into()),
            grpc: self.grpc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kratos_table_round_trips_every_listed_code() {
        for http in [400u16, 401, 403, 404, 409, 429, 499, 500, 501, 503, 504] {
            assert_eq!(http_code_of(grpc_code_of(http)), http, "{http}");
        }
        assert_eq!(grpc_code_of(422), Code::Unknown);
        assert_eq!(http_code_of(Code::AlreadyExists), 409);
        assert_eq!(http_code_of(Code::FailedPrecondition), 400);
    }
}
