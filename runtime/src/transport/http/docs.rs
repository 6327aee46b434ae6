//! `/docs`: an interactive page of the server's OpenAPI document (Swagger
//! UI), with the `docs` feature.
//!
//! Swagger UI's script and style come from the `swagger-ui-dist` crate,
//! which packages them into the binary: the page works offline, with no
//! CDN. The page itself is ours (a few lines of HTML) so that it reads the
//! document this server serves, takes the server's title, turns off Swagger
//! UI's online validator badge (a request to a host on the internet) and
//! opens every operation ready to try. The crate's assets are mounted under
//! `/docs/assets/`.

use axum::response::{Html, IntoResponse as _, Response};
use http::header::CACHE_CONTROL;
use http::HeaderValue;

use super::openapi::OPENAPI_JSON;

/// Where the page is served (also at `/docs/`).
pub const DOCS: &str = "/docs";
/// Where Swagger UI's script and style are served.
const ASSETS: &str = "/docs/assets";

/// Every path [`routes`] serves (the page's and swagger-ui-dist's, which
/// names its assets under [`ASSETS`]), for the server's dispatch table
/// (`dispatch.rs`); a test holds the list to the router.
pub(super) const PATHS: &[&str] = &[
    DOCS,
    "/docs/",
    ASSETS,
    "/docs/assets/",
    "/docs/assets/swagger-ui.css",
    "/docs/assets/swagger-ui-bundle.js",
    "/docs/assets/swagger-ui.css.map",
    "/docs/assets/swagger-ui-bundle.js.map",
    "/docs/assets/oauth2-redirect.html",
    "/docs/assets/oauth2-redirect.js",
];

/// The routes of the page titled `title` and of its assets.
pub(super) fn routes(title: &str) -> axum::Router {
    let page = page(title);
    let index = move || {
        let page = page.clone();
        async move { no_store(Html(page).into_response()) }
    };
    let assets = swagger_ui_dist::generate_routes(swagger_ui_dist::ApiDefinition {
        uri_prefix: ASSETS,
        api_definition: swagger_ui_dist::OpenApiSource::Uri(OPENAPI_JSON),
        title: Some("Swagger UI"),
    });
    axum::Router::new()
        .route(DOCS, axum::routing::get(index.clone()))
        .route("/docs/", axum::routing::get(index))
        .merge(assets)
}

/// The page reflects the document, which changes with the binary: a browser
/// asks again each time rather than showing a page of an older build.
fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The HTML of the page. The title is escaped; the rest is fixed.
fn page(title: &str) -> String {
    let title = escape(title);
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>{title} · API</title>
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css" />
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script>
  window.onload = () => {{
    window.ui = SwaggerUIBundle({{
      url: "{OPENAPI_JSON}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      displayOperationId: true,
      tryItOutEnabled: true,
      validatorUrl: null,
    }});
  }};
</script>
</body>
</html>
"##
    )
}

/// HTML-escapes `text` for an element's content (hand-written: one title,
/// five characters; an HTML crate would bring a template engine for it).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_escaped() {
        let html = page("<script>alert(1)</script> & co");
        assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co · API</title>"), "{html}");
        assert!(!html.contains("<script>alert"));
    }

    /// The dispatch table's list of the page's paths: each one served.
    #[tokio::test]
    async fn every_listed_path_is_served() {
        use tower::ServiceExt as _;
        for path in PATHS {
            let req = http::Request::get(*path).body(axum::body::Body::empty()).unwrap();
            let res = routes("t").oneshot(req).await.unwrap();
            assert_eq!(res.status(), http::StatusCode::OK, "{path}");
        }
    }

    #[test]
    fn the_page_reads_the_served_document_and_the_embedded_assets() {
        let html = page("Users");
        assert!(html.contains(r#"url: "/openapi.json""#));
        assert!(html.contains(r#"src="/docs/assets/swagger-ui-bundle.js""#));
        assert!(html.contains("validatorUrl: null"));
    }
}
