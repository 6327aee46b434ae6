#[derive(
    ::core::clone::Clone,
    ::core::marker::Copy,
    ::core::fmt::Debug,
    ::core::cmp::PartialEq,
    ::core::cmp::Eq,
    ::core::hash::Hash
)]
pub enum UserError {
    UserNotFound,
    EmailTaken,
}
impl UserError {
    /// The domain sent in `google.rpc.ErrorInfo`.
    pub const DOMAIN: &'static str = "user.v1";
    /// The reason of this error (`UPPER_SNAKE_CASE`).
    pub fn reason(self) -> &'static str {
        match self {
            Self::UserNotFound => "USER_NOT_FOUND",
            Self::EmailTaken => "EMAIL_TAKEN",
        }
    }
    /// The HTTP status code of this error.
    pub fn code(self) -> u16 {
        match self {
            Self::UserNotFound => 404u16,
            Self::EmailTaken => 409u16,
        }
    }
    /// The default message of this error.
    pub fn message(self) -> &'static str {
        match self {
            Self::UserNotFound => "user not found",
            Self::EmailTaken => "email is taken",
        }
    }
    /// This error with another message.
    pub fn with_message(self, message: impl ::core::fmt::Display) -> ::bia::Error {
        ::bia::Error::new(
                self.code(),
                self.reason(),
                ::std::string::ToString::to_string(&message),
            )
            .with_domain("user.v1")
    }
    ///A `USER_NOT_FOUND` error (404) with `message`, e.g. `format_args!("user {} not found", id)`.
    pub fn user_not_found(message: impl ::core::fmt::Display) -> ::bia::Error {
        ::bia::Error::new(
                404u16,
                "USER_NOT_FOUND",
                ::std::string::ToString::to_string(&message),
            )
            .with_domain("user.v1")
    }
    ///Whether `err` is a `USER_NOT_FOUND` error (404).
    pub fn is_user_not_found(err: &::bia::Error) -> bool {
        let _ = Self::UserNotFound;
        err.is(404u16, "USER_NOT_FOUND")
    }
    ///A `EMAIL_TAKEN` error (409) with `message`, e.g. `format_args!("user {} not found", id)`.
    pub fn email_taken(message: impl ::core::fmt::Display) -> ::bia::Error {
        ::bia::Error::new(
                409u16,
                "EMAIL_TAKEN",
                ::std::string::ToString::to_string(&message),
            )
            .with_domain("user.v1")
    }
    ///Whether `err` is a `EMAIL_TAKEN` error (409).
    pub fn is_email_taken(err: &::bia::Error) -> bool {
        let _ = Self::EmailTaken;
        err.is(409u16, "EMAIL_TAKEN")
    }
}
impl ::core::convert::From<UserError> for ::bia::Error {
    fn from(e: UserError) -> ::bia::Error {
        ::bia::Error::new(e.code(), e.reason(), e.message()).with_domain("user.v1")
    }
}
impl ::core::fmt::Display for UserError {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        ::core::write!(f, "{} ({}): {}", self.reason(), self.code(), self.message())
    }
}
impl ::std::error::Error for UserError {}
impl ::bia::schema::DescribeErrors for UserError {
    const DOMAIN: &'static str = "user.v1";
    const REASONS: &'static [::bia::schema::ReasonDef] = &[
        ::bia::schema::ReasonDef {
            reason: "USER_NOT_FOUND",
            code: 404u16,
            doc: "",
        },
        ::bia::schema::ReasonDef {
            reason: "EMAIL_TAKEN",
            code: 409u16,
            doc: "",
        },
    ];
}
