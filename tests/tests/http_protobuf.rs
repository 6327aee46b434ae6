//! The HTTP client with protobuf on the wire (`protobuf(true)`): whole-message
//! bodies and replies in protobuf, one-field bodies and replies and errors
//! in JSON, as the server's content negotiation reads and writes them; the
//! content types seen by a server middleware.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use bia::middleware::{AnyMessage, Context, Next};
use bia::prelude::*;
use bia_tests::*;

/// The content type and `Accept` of each call, by operation.
#[derive(Clone, Default)]
struct Wire(Arc<Mutex<Vec<(String, String, String)>>>);

#[bia::middleware]
impl Wire {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        let header = |name: &str| ctx.request_header(name).unwrap_or_default().to_owned();
        let seen = (ctx.operation().to_owned(), header("content-type"), header("accept"));
        self.0.lock().unwrap().push(seen);
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn whole_messages_go_as_protobuf_and_the_rest_as_json() {
    let wire = Wire::default();
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let library = LibraryServer::new(MemoryLibrary::default());
    let app = App::new("proto")
        .signals(false)
        .http(HttpServer::new(any).middleware(wire.clone()).service(library.clone()))
        .grpc(GrpcServer::new(any).service(library));
    let app = bia_tests::start(app).await;
    let client = LibraryHttpClient::new(app.http_url()).unwrap().protobuf(true);

    // `body = "*"` both ways: every field kind survives the protobuf trip.
    let kinds = Kinds {
        maybe_count: Some(0),
        tags: vec!["a".into(), "b/c".into()],
        numbers: vec![i64::MIN, 0, i64::MAX],
        counts: HashMap::from([("x".into(), 1)]),
        by_id: BTreeMap::from([(7, Author { name: "Ann".into(), ..Default::default() })]),
        genre: Genre::Fiction,
        blobs: vec![vec![0, 255]],
        original_name: "kept".into(),
        ..Default::default()
    };
    assert_eq!(client.echo(kinds.clone()).await.unwrap(), kinds);

    // A one-field body (`body = "book"`) goes as JSON; the whole reply comes as protobuf.
    let book = Book { title: "Dune".into(), pages: 412, ..Default::default() };
    let created = client.create_book(CreateBookRequest { shelf: "1".into(), book: Some(book) }).await.unwrap();
    assert_eq!((created.title.as_str(), created.pages), ("Dune", 412));
    let got = client.get_book(GetBookRequest { name: created.name.clone() }).await.unwrap();
    assert_eq!(got, created);
    // A one-field reply (`response_body`) stays JSON; errors are JSON.
    assert!(client.get_author(GetAuthorRequest { id: 3 }).await.unwrap().author.is_some());
    let err = client.get_book(GetBookRequest { name: "shelves/1/books/9".into() }).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (404, "BOOK_NOT_FOUND"));

    let seen = wire.0.lock().unwrap().clone();
    let of = |op: &str| seen.iter().find(|(o, ..)| o.ends_with(op)).cloned().unwrap();
    assert_eq!(
        of("/Echo"),
        ("/test.v1.Library/Echo".into(), "application/x-protobuf".into(), "application/x-protobuf".into())
    );
    assert_eq!(
        (of("/CreateBook").1, of("/CreateBook").2),
        ("application/json".into(), "application/x-protobuf".into())
    );
    assert_eq!(of("/GetAuthor").2, "application/json");
    app.running.stop().await.unwrap();
}
