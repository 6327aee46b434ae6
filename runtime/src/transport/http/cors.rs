//! Cross-origin requests from browsers: [`Cors`], a server's CORS settings
//! as configuration, made into tower-http's `CorsLayer` around the whole
//! router. A preflight (`OPTIONS` with `Access-Control-Request-Method`) is
//! answered by the layer itself: no handler and no middleware runs for it.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use serde::Deserialize;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::reason::CONFIG;
use crate::error::Error;

/// CORS for an [`HttpServer`](super::HttpServer) (the `cors` section of a
/// server's config): which origins a browser may call it from, with which
/// methods and headers, which reply headers the page may read, whether
/// cookies and credentials go along, and how long a preflight is cached.
///
/// * `allowed_origins`: exact origins (`https://app.example.com`), a
///   subdomain pattern (`https://*.example.com`), or `"*"` for any origin.
///   Empty (the default): no origin is allowed, no CORS header is sent.
/// * `allowed_methods`: default `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
/// * `allowed_headers`: default `content-type`, `authorization` and the
///   headers gRPC-Web and Connect clients send (`x-grpc-web`,
///   `x-user-agent`, `grpc-timeout`, `connect-protocol-version`,
///   `connect-timeout-ms`).
/// * `exposed_headers`: default the gRPC status headers (`grpc-status`,
///   `grpc-message`, `grpc-status-details-bin`), so a browser client can read
///   an error.
/// * `allow_credentials`: default off; on, `"*"` is refused for origins
///   and headers (the CORS rules forbid it), with an error at start.
/// * `max_age`: how long a browser may cache a preflight (default 1 hour).
///
/// ```yaml
/// server:
///   http:
///     cors:
///       allowed_origins: [https://app.example.com, "https://*.example.dev"]
///       allow_credentials: true
///       max_age: 10m
/// ```
///
/// ```
/// use bia::transport::http::{Cors, HttpServer};
///
/// let server = HttpServer::new("127.0.0.1:0".parse().unwrap())
///     .cors(Cors::new().allowed_origins(["https://app.example.com"]));
/// # drop(server);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[must_use]
pub struct Cors {
    /// Exact origins, `scheme://*.domain` patterns, or `"*"`.
    pub allowed_origins: Vec<String>,
    /// The methods a cross-origin request may use.
    pub allowed_methods: Vec<String>,
    /// The request headers a cross-origin request may send (`"*"`: any).
    pub allowed_headers: Vec<String>,
    /// The reply headers a page may read.
    pub exposed_headers: Vec<String>,
    /// Whether credentials (cookies, `Authorization`) go along.
    pub allow_credentials: bool,
    /// How long a preflight may be cached.
    #[serde(with = "humantime_serde")]
    pub max_age: Option<Duration>,
}

impl Default for Cors {
    fn default() -> Self {
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        Self {
            allowed_origins: Vec::new(),
            allowed_methods: strings(&["GET", "POST", "PUT", "PATCH", "DELETE"]),
            allowed_headers: strings(&[
                "content-type",
                "authorization",
                "x-grpc-web",
                "x-user-agent",
                "grpc-timeout",
                "connect-protocol-version",
                "connect-timeout-ms",
            ]),
            exposed_headers: strings(&["grpc-status", "grpc-message", "grpc-status-details-bin"]),
            allow_credentials: false,
            max_age: Some(Duration::from_secs(3600)),
        }
    }
}

impl Cors {
    /// The defaults above, with no origin allowed yet.
    ///
    /// ```
    /// let cors = bia::transport::http::Cors::new();
    /// assert!(cors.allowed_origins.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The origins allowed (exact, `scheme://*.domain`, or `"*"`).
    ///
    /// ```
    /// let cors = bia::transport::http::Cors::new().allowed_origins(["https://app.example.com"]);
    /// assert_eq!(cors.allowed_origins, ["https://app.example.com"]);
    /// ```
    pub fn allowed_origins<I: IntoIterator<Item = S>, S: Into<String>>(mut self, origins: I) -> Self {
        self.allowed_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Whether credentials go along (cookies, `Authorization`).
    ///
    /// ```
    /// let cors = bia::transport::http::Cors::new().allow_credentials(true);
    /// assert!(cors.allow_credentials);
    /// ```
    pub fn allow_credentials(mut self, on: bool) -> Self {
        self.allow_credentials = on;
        self
    }

    /// `router` behind these settings, outermost, so that a preflight is
    /// answered before anything else runs; settings that cannot be are an
    /// error of the server's start (`InvalidInput`, naming the setting).
    pub(crate) fn wrap(&self, router: axum::Router) -> std::io::Result<axum::Router> {
        let layer =
            self.layer().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.message().to_owned()))?;
        Ok(router.layer(layer))
    }

    /// tower-http's layer of these settings; a setting that cannot be
    /// (a header name that is not one, `"*"` with credentials) is an error
    /// naming it, where tower-http would panic.
    pub(crate) fn layer(&self) -> Result<CorsLayer, Error> {
        let bad = |what: String| Error::internal_server(CONFIG, format!("invalid CORS settings: {what}"));
        let any = |list: &[String]| list.iter().any(|s| s == "*");
        if self.allow_credentials && any(&self.allowed_origins) {
            return Err(bad("allow_credentials cannot be combined with the origin \"*\"".into()));
        }
        if self.allow_credentials && any(&self.allowed_headers) {
            return Err(bad("allow_credentials cannot be combined with the header \"*\"".into()));
        }
        let names = |list: &[String], what: &str| -> Result<Vec<HeaderName>, Error> {
            list.iter()
                .map(|h| {
                    HeaderName::try_from(h.as_str()).map_err(|_| bad(format!("`{h}` is not a header name ({what})")))
                })
                .collect()
        };
        let methods = self
            .allowed_methods
            .iter()
            .map(|m| Method::from_bytes(m.as_bytes()).map_err(|_| bad(format!("`{m}` is not a method"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut layer = CorsLayer::new()
            .allow_origin(origins(&self.allowed_origins).map_err(bad)?)
            .allow_methods(methods)
            .expose_headers(names(&self.exposed_headers, "exposed_headers")?)
            .allow_credentials(self.allow_credentials);
        layer = if any(&self.allowed_headers) {
            layer.allow_headers(tower_http::cors::Any)
        } else {
            layer.allow_headers(names(&self.allowed_headers, "allowed_headers")?)
        };
        if let Some(age) = self.max_age {
            layer = layer.max_age(age);
        }
        Ok(layer)
    }
}

/// The origins of `list`: `"*"`, or exact ones and `scheme://*.domain`
/// patterns (matched on the origin's host ending in `.domain`).
fn origins(list: &[String]) -> Result<AllowOrigin, String> {
    if list.iter().any(|s| s == "*") {
        return Ok(AllowOrigin::any());
    }
    let mut exact = Vec::new();
    let mut patterns = Vec::new();
    for origin in list {
        match origin.split_once("://*.") {
            Some((scheme, domain)) if !domain.is_empty() && !domain.contains(['*', '/']) => {
                patterns.push((format!("{scheme}://"), format!(".{domain}")));
            }
            _ if origin.contains('*') => {
                return Err(format!("`{origin}` is not an origin or a scheme://*.domain pattern"))
            }
            _ => exact.push(HeaderValue::from_str(origin).map_err(|_| format!("`{origin}` is not an origin"))?),
        }
    }
    if patterns.is_empty() {
        return Ok(AllowOrigin::list(exact));
    }
    Ok(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        exact.contains(origin)
            || origin.to_str().is_ok_and(|o| {
                patterns.iter().any(|(scheme, suffix)| {
                    o.strip_prefix(scheme.as_str()).is_some_and(|host| {
                        // The host part only (a port may follow), and a label before the domain.
                        let host = host.split(':').next().unwrap_or(host);
                        host.len() > suffix.len() && host.ends_with(suffix.as_str())
                    })
                })
            })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_errors_not_panics() {
        let wild = Cors::new().allowed_origins(["*"]).allow_credentials(true);
        assert!(wild.layer().unwrap_err().message().contains("\"*\""));
        let header = Cors { allowed_headers: vec!["bad header".into()], ..Cors::new() };
        assert!(header.layer().unwrap_err().message().contains("bad header"));
        let pattern = Cors::new().allowed_origins(["https://a*b.example.com"]);
        assert!(pattern.layer().is_err());
        assert!(Cors::new().allowed_origins(["https://*.example.com", "http://localhost:3000"]).layer().is_ok());
    }
}
