//! An HTTP server's reply and error envelope (`HttpServer::envelope`), the
//! shape a team whose API must answer `{"code", "message", "data"}` sets
//! once: every generated JSON reply and every error the server answers with
//! (a handler's, a binding's, a route miss, a deadline) in that shape; the
//! generated client reading it back through the same envelope; protobuf
//! replies, health and gRPC untouched.

use std::net::SocketAddr;
use std::time::Duration;

use bia::prelude::*;
use bia::transport::http::{json_reply, Envelope};
use bia_tests::{raw, Book, CreateBookRequest, GetAuthorRequest, GetBookRequest, LibraryHttpClient, LibraryServer};
use bytes::Bytes;
use http::StatusCode;

/// `200 {"code": 0, "message": "ok", "data": <reply>}`; errors as `200
/// {"code": <HTTP code>, "reason", "message", "data": null}` (the HTTP
/// status always 200, as such APIs often have it).
struct CodeDataMessage;

impl Envelope for CodeDataMessage {
    fn reply(&self, message: Bytes) -> axum::response::Response {
        json_reply([&br#"{"code":0,"message":"ok","data":"#[..], &message, b"}"].concat())
    }

    fn error(&self, err: &bia::Error) -> axum::response::Response {
        let body = serde_json::json!({
            "code": err.code(), "reason": err.reason(), "message": err.message(), "data": null,
        });
        json_reply(body.to_string())
    }

    fn open(&self, _status: StatusCode, body: Bytes) -> Result<Bytes, bia::Error> {
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| bia::Error::internal_server("BAD_ENVELOPE", e.to_string()))?;
        if v["code"] == 0 {
            return Ok(Bytes::from(v["data"].to_string()));
        }
        let code = v["code"].as_u64().and_then(|c| u16::try_from(c).ok()).unwrap_or(500);
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Err(bia::Error::new(code, text("reason"), text("message")))
    }
}

/// The test library with the envelope set after its services, a hand-written
/// slow route and a 200 ms deadline.
async fn start() -> bia_tests::TestApp {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let library = LibraryServer::new(bia_tests::MemoryLibrary::default());
    let slow = axum::Router::new().route(
        "/slow",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let app = App::new("envelope").signals(false).http(
        HttpServer::new(any)
            .service(library.clone())
            .routes(slow)
            .timeout(Duration::from_millis(200))
            .envelope(CodeDataMessage),
    );
    let app = app.grpc(GrpcServer::new(any).service(library));
    bia_tests::start(app).await
}

#[tokio::test]
async fn replies_and_every_error_in_the_envelope_and_the_client_reads_them() {
    let app = start().await;
    let url = app.http_url();
    let book = Book { title: "Dune".into(), ..Default::default() };
    let r = raw::http("POST", &format!("{url}/v1/shelves/1/books"), serde_json::to_vec(&book).unwrap()).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!((&v["code"], &v["message"], &v["data"]["title"]), (&0.into(), &"ok".into(), &"Dune".into()), "{v}");

    // A `response_body` reply: the field's JSON under `data`.
    let r = raw::http("GET", &format!("{url}/v1/authors/7"), "").await;
    let v = r.json();
    assert_eq!(v["code"], 0, "{v}");
    assert!(v["data"].is_object() && v["data"].get("etag").is_none(), "the author alone: {v}");

    // Errors, all 200 with the code inside: a handler's, a bad id, bad JSON,
    // a route miss, a method miss, a deadline.
    let cases = [
        ("GET", "/v1/books/9", "", 404, "BOOK_NOT_FOUND"),
        ("GET", "/v1/authors/-1", "", 400, "BAD_ID"),
        ("POST", "/v1/shelves/1/books", "{nope", 400, "CODEC"),
        ("GET", "/v1/nowhere", "", 404, "NOT_FOUND"),
        ("PUT", "/v1/books/1", "", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/slow", "", 504, "TIMEOUT"),
    ];
    for (method, path, body, code, reason) in cases {
        let r = raw::http(method, &format!("{url}{path}"), body.to_owned()).await;
        let v = r.json();
        assert_eq!((r.status, &v["code"], &v["reason"]), (200, &code.into(), &reason.into()), "{method} {path}: {v}");
        assert!(v["data"].is_null(), "{v}");
    }

    // Untouched: a protobuf reply, health.
    let r = raw::http_with("GET", &format!("{url}/v1/books/1"), &[("accept", "application/x-protobuf")], "").await;
    assert_eq!((r.status, r.content_type.as_str()), (200, "application/x-protobuf"));
    assert_eq!(raw::http("GET", &format!("{url}/healthz"), "").await.text(), r#"{"status":"SERVING"}"#);

    // The generated client reads both back through the same envelope.
    let client = LibraryHttpClient::new(url).unwrap().envelope(CodeDataMessage);
    let got = client.get_book(GetBookRequest { name: "1".into() }).await.unwrap();
    assert_eq!(got.title, "Dune");
    let err = client.get_book(GetBookRequest { name: "9".into() }).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (404, "BOOK_NOT_FOUND"));
    let author = client.get_author(GetAuthorRequest { id: 3 }).await.unwrap();
    assert!(author.author.is_some());
    let created = client
        .create_book(CreateBookRequest {
            shelf: "2".into(),
            book: Some(Book { title: "Emma".into(), ..Default::default() }),
        })
        .await
        .unwrap();
    assert_eq!(created.name, "shelves/2/books/2");
    app.running.stop().await.unwrap();
}
