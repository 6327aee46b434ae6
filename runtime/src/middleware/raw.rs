//! The request and response of a hand-written HTTP route, as middleware see
//! them inside an [`AnyMessage`](super::AnyMessage) (routes added with
//! [`HttpServer::routes_with_middleware`](crate::transport::http::HttpServer::routes_with_middleware)).

use std::sync::Mutex;

use axum::response::Response;

use super::RawPart;

/// A hand-written route's request as middleware see it: its method and path
/// (the body stays with the route's handler).
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// The method.
    pub method: http::Method,
    /// The URI.
    pub uri: http::Uri,
}

impl RawPart for RawRequest {
    const NAME: &'static str = "http.Request";
    fn describe(&self) -> String {
        format!("{} {}", self.method, self.uri)
    }
}

/// A hand-written route's response as middleware see it.
#[derive(Debug)]
pub struct RawResponse {
    status: http::StatusCode,
    /// In a `Mutex` only so that it is `Sync`, as every message must be.
    response: Mutex<Option<Response>>,
}

impl RawResponse {
    pub(crate) fn new(response: Response) -> Self {
        Self { status: response.status(), response: Mutex::new(Some(response)) }
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> http::StatusCode {
        self.status
    }

    /// The response; `None` if it was taken already.
    pub(crate) fn into_response(self) -> Option<Response> {
        self.response.into_inner().ok().flatten()
    }
}

impl RawPart for RawResponse {
    const NAME: &'static str = "http.Response";
    fn describe(&self) -> String {
        self.status.to_string()
    }
}
