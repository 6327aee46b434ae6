//! `/openapi.json` and `/openapi.yaml`: the OpenAPI document of an HTTP
//! server's services, built on the first request for it (once: a server
//! that nobody asks pays nothing) and then served from memory.

use std::sync::{Arc, OnceLock};

use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::HeaderValue;

use crate::schema::{OpenApi, Schema};

/// Where the JSON document is served.
pub const OPENAPI_JSON: &str = "/openapi.json";
/// Where the YAML document is served.
pub const OPENAPI_YAML: &str = "/openapi.yaml";

/// The document, built once.
struct Document {
    api: OpenApi,
    schema: Schema,
    built: OnceLock<(Bytes, Bytes)>,
}

impl Document {
    fn texts(&self) -> &(Bytes, Bytes) {
        self.built.get_or_init(|| {
            let doc = self.api.document_of(&self.schema);
            let json = crate::schema::openapi_pretty(&doc);
            let yaml = crate::schema::openapi_yaml(&doc);
            (Bytes::from(json), Bytes::from(yaml))
        })
    }
}

fn reply(body: Bytes, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// The two routes serving `api`'s document of `schema`.
pub(super) fn routes(api: OpenApi, schema: Schema) -> axum::Router {
    let doc = Arc::new(Document { api, schema, built: OnceLock::new() });
    let yaml = Arc::clone(&doc);
    axum::Router::new()
        .route(
            OPENAPI_JSON,
            axum::routing::get(move || {
                let body = doc.texts().0.clone();
                async move { reply(body, "application/json") }
            }),
        )
        .route(
            OPENAPI_YAML,
            axum::routing::get(move || {
                let body = yaml.texts().1.clone();
                async move { reply(body, "application/yaml") }
            }),
        )
}
