//! Path variables bound from the request path: the direct walk of simple
//! templates (`/v1/authors/{id}`, `/v1/shelves/{shelf}/books`) and the
//! general route through axum's parameters (patterns, bad encodings) give
//! the same values and the same errors.

use bia_tests::raw::http;

#[tokio::test]
async fn path_variables_are_decoded_checked_and_reported() {
    let app = bia_tests::start_library().await;
    let base = app.http_url();
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move { http("GET", &url, "").await }
    };

    // Simple templates: plain and percent-encoded values.
    let r = get("/v1/authors/12").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r2 = get("/v1/authors/%31%32").await;
    assert_eq!((r2.status, r2.text()), (200, r.text()));
    let r = get("/v1/shelves/a%20b/books").await;
    assert_eq!(r.status, 200, "{}", r.text());

    // A value that does not fit the field: 400 naming it.
    let r = get("/v1/authors/abc").await;
    assert_eq!(r.status, 400, "{}", r.text());
    let body = r.json();
    assert_eq!(body["reason"], "CODEC");
    assert!(body["message"].as_str().unwrap().contains("invalid path parameter `id`"), "{body}");

    // Not UTF-8 once decoded: the general route reports it, no panic.
    let r = get("/v1/authors/%ff").await;
    assert_eq!(r.status, 400, "{}", r.text());

    // Patterns spanning segments still bind through the general route.
    let r = get("/v1/shelves/1/books/none").await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["metadata"]["name"], "shelves/1/books/none");
}
