//! The gRPC form of a `bia::Error`: a `Status` whose code comes from the
//! Kratos table, with a `google.rpc.ErrorInfo{reason, domain, metadata}`
//! detail, and back.

use crate::error::reason::UNKNOWN;
use crate::error::{http_code_of, Error};

/// The trailer that carries an HTTP code the Kratos table cannot express
/// (for example 422), so both clients rebuild the very same code.
const HTTP_CODE_TRAILER: &str = "bia-http-code";

impl Error {
    /// Converts into a gRPC status carrying `google.rpc.ErrorInfo`.
    pub fn to_status(&self) -> tonic::Status {
        use tonic_types::{ErrorDetails, StatusExt};
        let code = self.grpc_code();
        let details = ErrorDetails::with_error_info(
            self.reason().to_owned(),
            self.domain().to_owned(),
            self.metadata().iter().map(|(k, v)| (k.clone(), v.clone())).collect::<std::collections::HashMap<_, _>>(),
        );
        let mut md = tonic::metadata::MetadataMap::new();
        if http_code_of(code) != self.code() {
            md.insert(HTTP_CODE_TRAILER, self.code().into());
        }
        tonic::Status::with_error_details_and_metadata(code, self.message().to_owned(), details, md)
    }

    /// Rebuilds an error from a gRPC status (the inverse of [`Error::to_status`]).
    /// A status without `ErrorInfo` keeps the mapped code with reason `UNKNOWN`.
    pub fn from_status(status: &tonic::Status) -> Self {
        use tonic_types::StatusExt;
        let code = status
            .metadata()
            .get(HTTP_CODE_TRAILER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| http_code_of(status.code()));
        let message = status.message().to_owned();
        let err = match status.get_error_details().error_info() {
            Some(info) => Error::new(code, info.reason.clone(), message)
                .with_domain(info.domain.clone())
                .with_metadata_map(info.metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            None => Error::new(code, UNKNOWN, message),
        };
        err.with_grpc_code(status.code())
    }
}

/// The response of an error: a trailers-only gRPC response with its status.
pub(crate) fn error_response(err: &Error) -> axum::response::Response {
    err.to_status().into_http()
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
        Error::from_status(&status)
    }
}

impl From<Error> for tonic::Status {
    fn from(err: Error) -> Self {
        err.to_status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trip_keeps_everything_even_unmapped_codes() {
        for code in [404u16, 422, 413, 418] {
            let err = Error::new(code, "SOME_REASON", "text").with_metadata("k", "v").with_domain("user.v1");
            let back = Error::from_status(&err.to_status());
            assert_eq!(back, err);
            assert_eq!(back.domain(), "user.v1");
        }
    }

    #[test]
    fn codes_outside_the_kratos_table_survive_a_round_trip() {
        for code in
            [tonic::Code::Unknown, tonic::Code::FailedPrecondition, tonic::Code::DataLoss, tonic::Code::OutOfRange]
        {
            let err = Error::grpc(code, "R", "m");
            let status = err.to_status();
            assert_eq!(status.code(), code);
            let back = Error::from_status(&status);
            assert_eq!(back.grpc_code(), code);
            assert_eq!(back, err);
        }
        // A plain status keeps its code too.
        let back = Error::from_status(&tonic::Status::new(tonic::Code::Unknown, "boom"));
        assert_eq!((back.code(), back.grpc_code(), back.reason()), (500, tonic::Code::Unknown, UNKNOWN));
    }
}
