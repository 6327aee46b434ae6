//! One implementation served on both transports; every RPC of helloworld and of
//! the `Library` test service called through both generated clients and through
//! raw requests, with identical results and identical errors.

use std::collections::{BTreeMap, HashMap};

use bia::types::{Duration, Timestamp};
use bia_tests::raw::{self, RawBytes};
use bia_tests::*;
use helloworld::{DynGreeter, GreeterGrpcClient, GreeterHttpClient, HelloReply, HelloRequest};

fn book(title: &str) -> Book {
    Book {
        name: String::new(),
        title: title.into(),
        author: Some(Author { id: 7, name: "Ursula".into() }),
        genre: Genre::Fiction,
        pages: 320,
        tags: vec!["classic".into(), "space".into()],
        published: Some(Timestamp { seconds: 1_600_000_000, nanos: 0 }),
    }
}

#[tokio::test]
async fn helloworld_both_clients_and_raw_requests_agree() {
    let app = start_library().await;
    let grpc = GreeterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = GreeterHttpClient::new(app.http_url()).unwrap();
    let req = HelloRequest { name: "kratos".into() };
    let a = grpc.say_hello(req.clone()).await.unwrap();
    let b = http.say_hello(req.clone()).await.unwrap();
    assert_eq!(a, HelloReply { message: "Hello kratos".into() });
    assert_eq!(a, b);

    // The trait is implemented by both clients: they stand where the service does.
    async fn through_trait(g: &impl helloworld::Greeter) -> HelloReply {
        g.say_hello(HelloRequest { name: "trait".into() }).await.unwrap()
    }
    assert_eq!(through_trait(&grpc).await, through_trait(&http).await);
    // A remote client, a local implementation: both behind Arc<dyn DynGreeter>.
    let remote: std::sync::Arc<dyn DynGreeter> = std::sync::Arc::new(http.clone());
    let local: std::sync::Arc<dyn DynGreeter> = std::sync::Arc::new(helloworld::GreeterService);
    for svc in [remote, local] {
        assert_eq!(through_trait(&svc).await.message, "Hello trait");
    }

    let r = raw::http("GET", &format!("{}/helloworld/curl", app.http_url()), "").await;
    assert_eq!((r.status, r.content_type.as_str()), (200, "application/json"));
    assert_eq!(r.text(), r#"{"message":"Hello curl"}"#);
    // A WebSocket asked of a unary route is refused, never answered as a call.
    let upgrade = [("connection", "upgrade"), ("upgrade", "websocket"), ("sec-websocket-version", "13")];
    let r = raw::http_with("GET", &format!("{}/helloworld/curl", app.http_url()), &upgrade, "").await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (400, Some("NOT_A_WEBSOCKET")));
    let t: HelloReply =
        raw::grpc_unary(&app.grpc_url(), "/helloworld.v1.Greeter/SayHello", HelloRequest { name: "tonic".into() })
            .await
            .unwrap();
    assert_eq!(t.message, "Hello tonic");

    // Errors: identical bia::Error from both clients, Kratos body on raw HTTP.
    let e1 = grpc.say_hello(HelloRequest { name: "error".into() }).await.unwrap_err();
    let e2 = http.say_hello(HelloRequest { name: "error".into() }).await.unwrap_err();
    assert_eq!(e1, e2);
    assert_eq!((e1.code(), e1.reason(), e1.message()), (404, "USER_NOT_FOUND", "user not found: error"));
    assert!(helloworld::GreeterError::is_user_not_found(&e1));
    assert_eq!(e1.domain(), "helloworld.v1");
    let r = raw::http("GET", &format!("{}/helloworld/error", app.http_url()), "").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), r#"{"code":404,"reason":"USER_NOT_FOUND","message":"user not found: error","metadata":{}}"#);
    let s = raw::grpc_unary::<_, HelloReply>(
        &app.grpc_url(),
        "/helloworld.v1.Greeter/SayHello",
        HelloRequest { name: "error".into() },
    )
    .await
    .unwrap_err();
    assert_eq!(s.code(), tonic::Code::NotFound);
    assert_eq!(bia::Error::from_status(&s), e1);
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn library_crud_through_both_clients() {
    let app = start_library().await;
    let grpc = LibraryGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = LibraryHttpClient::new(app.http_url()).unwrap();

    // body = "book" with a path param; a custom error type (422, not in the Kratos table).
    let created =
        http.create_book(CreateBookRequest { shelf: "1".into(), book: Some(book("Dispossessed")) }).await.unwrap();
    assert_eq!(created.name, "shelves/1/books/1");
    assert_eq!(created.tags, vec!["classic", "space"]);
    let created2 =
        grpc.create_book(CreateBookRequest { shelf: "1".into(), book: Some(book("Left Hand")) }).await.unwrap();
    assert_eq!(created2.name, "shelves/1/books/2");
    let e1 = grpc.create_book(CreateBookRequest { shelf: "1".into(), book: Some(book("")) }).await.unwrap_err();
    let e2 = http.create_book(CreateBookRequest { shelf: "1".into(), book: Some(book("")) }).await.unwrap_err();
    assert_eq!(e1, e2);
    assert_eq!((e1.code(), e1.reason(), e1.message()), (422, "EMPTY_TITLE", "the title is empty"));

    // Pattern variable over several segments, and its additional binding.
    for name in ["shelves/1/books/1", "1"] {
        let g = grpc.get_book(GetBookRequest { name: name.into() }).await.unwrap();
        let h = http.get_book(GetBookRequest { name: name.into() }).await.unwrap();
        assert_eq!(g, h);
        assert_eq!(g, created);
    }
    let r = raw::http("GET", &format!("{}/v1/shelves/1/books/1", app.http_url()), "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["title"], "Dispossessed");
    let r2 = raw::http("GET", &format!("{}/v1/books/1", app.http_url()), "").await;
    assert_eq!(r.body, r2.body);

    // Query binding: repeated, nested, enums by name, int64 as text.
    let list = ListBooksRequest {
        shelf: "1".into(),
        page: 1,
        page_size: 10,
        tags: vec!["classic".into(), "space".into()],
        filter: Some(Filter {
            genre: Genre::Fiction,
            author: Some(Author { id: 0, name: "Ursula".into() }),
            min_pages: 100,
        }),
    };
    let g = grpc.list_books(list.clone()).await.unwrap();
    let h = http.list_books(list).await.unwrap();
    assert_eq!(g, h);
    assert_eq!(g.total, 2);
    let r = raw::http(
        "GET",
        &format!(
            "{}/v1/shelves/1/books?page=2&page_size=1&tags=classic&tags=space&filter.genre=GENRE_FICTION&filter.author.name=Ursula&filter.minPages=300",
            app.http_url()
        ),
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["total"], "2");
    assert_eq!(v["books"][0]["name"], "shelves/1/books/2");
    let none = raw::http("GET", &format!("{}/v1/shelves/1/books?filter.genre=GENRE_SCIENCE", app.http_url()), "").await;
    assert_eq!(none.json()["total"], "0");

    // Nested path param with body "*": the path wins over the body.
    let mut changed = created.clone();
    changed.title = "The Dispossessed".into();
    let g = grpc.update_book(UpdateBookRequest { book: Some(changed.clone()) }).await.unwrap();
    assert_eq!(g.title, "The Dispossessed");
    changed.title = "An Ambiguous Utopia".into();
    let h = http.update_book(UpdateBookRequest { book: Some(changed.clone()) }).await.unwrap();
    assert_eq!(h, changed);
    let r = raw::http(
        "PATCH",
        &format!("{}/v1/shelves/1/books/2", app.http_url()),
        r#"{"book":{"name":"shelves/9/books/9","title":"From raw"}}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["name"], "shelves/1/books/2");
    assert_eq!(r.json()["title"], "From raw");

    // response_body: the HTTP reply is the field; both clients rebuild the message.
    let g = grpc.get_author(GetAuthorRequest { id: 5 }).await.unwrap();
    let h = http.get_author(GetAuthorRequest { id: 5 }).await.unwrap();
    assert_eq!(g.author, h.author);
    assert_eq!(g.etag, "v1");
    assert_eq!(h.etag, "", "response_body sends only the author over HTTP");
    let r = raw::http("GET", &format!("{}/v1/authors/5", app.http_url()), "").await;
    assert_eq!(r.text(), r#"{"id":"5","name":"author-5"}"#);
    let e1 = grpc.get_author(GetAuthorRequest { id: -1 }).await.unwrap_err();
    let e2 = http.get_author(GetAuthorRequest { id: -1 }).await.unwrap_err();
    assert_eq!(e1, e2);
    assert_eq!(e1.metadata().get("id").map(String::as_str), Some("-1"));

    // ** pattern, custom method and its additional GET binding.
    let f = FilesRequest { path: "a/b/c.txt".into(), genre: Genre::Science };
    assert_eq!(grpc.files(f.clone()).await.unwrap(), f);
    assert_eq!(http.files(f.clone()).await.unwrap(), f);
    let r = raw::http("GET", &format!("{}/v1/files/x/y.txt?genre=2", app.http_url()), "").await;
    assert_eq!(r.text(), r#"{"path":"x/y.txt","genre":"GENRE_SCIENCE"}"#);

    // Delete, then not found on both transports, with identical errors.
    grpc.delete_book(DeleteBookRequest { name: "shelves/1/books/2".into() }).await.unwrap();
    let e1 = grpc.get_book(GetBookRequest { name: "shelves/1/books/2".into() }).await.unwrap_err();
    let e2 = http.get_book(GetBookRequest { name: "shelves/1/books/2".into() }).await.unwrap_err();
    assert_eq!(e1, e2);
    assert!(LibraryError::is_book_not_found(&e1));
    assert_eq!(e1.metadata().get("name").map(String::as_str), Some("shelves/1/books/2"));
    let e3 = http.delete_book(DeleteBookRequest { name: "shelves/1/books/2".into() }).await.unwrap_err();
    assert_eq!(e3.code(), 404);
    app.running.stop().await.unwrap();
}

fn full_kinds() -> Kinds {
    Kinds {
        maybe_count: Some(0),
        maybe_text: Some("present".into()),
        author: Some(Author { id: i64::MAX, name: "Ünïcødé ✓".into() }),
        tags: vec!["a".into(), "".into(), "c".into()],
        numbers: vec![-1, 0, i64::MIN, i64::MAX],
        authors: vec![Author { id: 1, name: "x".into() }, Author::default()],
        counts: HashMap::from([("one".into(), 1), ("minus".into(), -1)]),
        by_id: BTreeMap::from([(-5, Author { id: -5, name: "neg".into() })]),
        genre: Genre::Science,
        genres: vec![Genre::Fiction, Genre::Unspecified, Genre::Science],
        created: Timestamp { seconds: 1_700_000_000, nanos: 123_000_000 },
        ttl: Some(Duration { seconds: 90, nanos: 500_000_000 }),
        original_name: "renamed field".into(),
        scalars: Some(Scalars {
            i32_value: i32::MIN,
            i64_value: i64::MIN,
            u32_value: u32::MAX,
            u64_value: u64::MAX,
            s32: -7,
            s64: -9_000_000_000,
            f32_fixed: 42,
            f64_fixed: u64::MAX - 1,
            sf32: -42,
            sf64: i64::MIN + 1,
            float_value: 1.5,
            double_value: -2.25e100,
            bool_value: true,
            string_value: "s".into(),
            bytes_value: vec![0, 1, 2, 255],
            bytes_shared: bytes::Bytes::from_static(b"\x00shared\xff"),
        }),
        flags: HashMap::from([(true, false), (false, true)]),
        blobs: vec![vec![], vec![9, 9]],
        choice: Some(Choice::Person(Author { id: 3, name: "chosen".into() })),
    }
}

#[tokio::test]
async fn every_field_kind_round_trips_on_both_transports() {
    let app = start_library().await;
    let grpc = LibraryGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = LibraryHttpClient::new(app.http_url()).unwrap();
    let oneofs = [Choice::Text(String::new()), Choice::Number(-3), Choice::Color(Genre::Unspecified)]
        .into_iter()
        .map(|c| Kinds { choice: Some(c), ..Default::default() });
    for kinds in [full_kinds(), Kinds::default()].into_iter().chain(oneofs) {
        let g = grpc.echo(kinds.clone()).await.unwrap();
        let h = http.echo(kinds.clone()).await.unwrap();
        assert_eq!(g, kinds);
        assert_eq!(h, kinds);
    }
    // Behind one pointer: a local implementation, served again from the pointer.
    let local: std::sync::Arc<dyn DynLibrary> = std::sync::Arc::new(MemoryLibrary::default());
    assert_eq!(Library::echo(&local, full_kinds()).await.unwrap(), full_kinds());
    // The default route: POST /<pkg>.<Svc>/<Method> with the whole message.
    let r = raw::http(
        "POST",
        &format!("{}/test.v1.Library/Echo", app.http_url()),
        r#"{"maybe_count": 3, "numbers": ["1", 2], "renamed": "x", "unknownField": {"deep": [1]}}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["maybeCount"], 3);
    assert_eq!(v["numbers"], serde_json::json!(["1", "2"]));
    assert_eq!(v["renamed"], "x");
    assert!(v.get("unknownField").is_none());
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn bad_input_is_a_400_with_the_field_named_and_the_server_keeps_serving() {
    let app = start_library_with(|s| s.max_body_size(64 * 1024)).await;
    let base = app.http_url();
    let cases: Vec<(&str, String, &str, u16, Option<&str>)> = vec![
        ("POST", format!("{base}/test.v1.Library/Echo"), "{not json", 400, None),
        ("POST", format!("{base}/test.v1.Library/Echo"), r#"{"tags": "not a list"}"#, 400, Some("tags")),
        ("POST", format!("{base}/test.v1.Library/Echo"), r#"{"maybeCount": "twelve"}"#, 400, Some("maybeCount")),
        ("POST", format!("{base}/test.v1.Library/Echo"), r#"{"author": {"id": 1.5}}"#, 400, Some("author.id")),
        ("POST", format!("{base}/test.v1.Library/Echo"), r#"{"genre": "GENRE_NOPE"}"#, 400, Some("genre")),
        (
            "POST",
            format!("{base}/test.v1.Library/Echo"),
            r#"{"scalars": {"u32Value": -1}}"#,
            400,
            Some("scalars.u32Value"),
        ),
        (
            "POST",
            format!("{base}/test.v1.Library/Echo"),
            r#"{"scalars": {"bytesValue": "***"}}"#,
            400,
            Some("scalars.bytesValue"),
        ),
        ("POST", format!("{base}/test.v1.Library/Echo"), r#"{} trailing"#, 400, None),
        ("POST", format!("{base}/test.v1.Library/Echo"), r#"[1, 2]"#, 400, None),
        ("GET", format!("{base}/v1/authors/abc"), "", 400, Some("id")),
        ("GET", format!("{base}/v1/authors/99999999999999999999"), "", 400, Some("id")),
        ("GET", format!("{base}/v1/shelves/1/books?page=abc"), "", 400, Some("page")),
        ("GET", format!("{base}/v1/shelves/1/books?filter.genre=NOPE"), "", 400, Some("filter.genre")),
        ("POST", format!("{base}/v1/shelves/1/books"), r#"{"pages": {}}"#, 400, Some("book.pages")),
    ];
    for (method, url, body, status, field) in cases {
        let r = raw::http(method, &url, body.to_owned()).await;
        assert_eq!(r.status, status, "{method} {url} {body}: {}", r.text());
        let v = r.json();
        assert_eq!(v["code"], status, "{}", r.text());
        assert_eq!(v["reason"], "CODEC", "{}", r.text());
        assert_eq!(v["metadata"]["field"].as_str(), field, "{method} {url} {body}: {}", r.text());
    }
    // Oversized body: 413, reason PAYLOAD_TOO_LARGE.
    let big = format!(r#"{{"maybeText": "{}"}}"#, "x".repeat(100 * 1024));
    let r = raw::http("POST", &format!("{base}/test.v1.Library/Echo"), big).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["reason"], "PAYLOAD_TOO_LARGE");
    // Unknown route and method: 404 / 405 with the error body.
    let r = raw::http("GET", &format!("{base}/no/such/route"), "").await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (404, Some("NOT_FOUND")));
    let r = raw::http("PUT", &format!("{base}/v1/authors/1"), "").await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (405, Some("METHOD_NOT_ALLOWED")));

    // gRPC: bad protobuf bytes -> InvalidArgument, reason CODEC, field named.
    let grpc = app.grpc_url();
    // field 2 (maybe_text) declared as varint instead of length-delimited.
    let bad_wire = RawBytes(vec![0x10, 0x01]);
    let s = raw::grpc_unary::<_, RawBytes>(&grpc, "/test.v1.Library/Echo", bad_wire).await.unwrap_err();
    assert_eq!(s.code(), tonic::Code::InvalidArgument, "{s:?}");
    let e = bia::Error::from_status(&s);
    assert_eq!(e.reason(), "CODEC");
    assert_eq!(e.metadata().get("field").map(String::as_str), Some("maybe_text"), "{e:?}");
    // The same past 16 KiB, where the server reads the message through tonic's buffer
    // rather than from a slice: maybe_text of 20,000 bytes, then field 2 as a varint.
    let mut big_bad = vec![0x12, 0xa0, 0x9c, 0x01];
    big_bad.extend(std::iter::repeat_n(b'a', 20_000));
    big_bad.extend([0x10, 0x01]);
    let s = raw::grpc_unary::<_, RawBytes>(&grpc, "/test.v1.Library/Echo", RawBytes(big_bad)).await.unwrap_err();
    assert_eq!(s.code(), tonic::Code::InvalidArgument, "{s:?}");
    assert_eq!(bia::Error::from_status(&s).metadata().get("field").map(String::as_str), Some("maybe_text"));
    // Truncated nested message.
    let s = raw::grpc_unary::<_, RawBytes>(&grpc, "/test.v1.Library/Echo", RawBytes(vec![0x1a, 0x05, 0x08]))
        .await
        .unwrap_err();
    assert_eq!(s.code(), tonic::Code::InvalidArgument);
    // An enum number that is no value.
    let s = raw::grpc_unary::<_, RawBytes>(&grpc, "/test.v1.Library/Echo", RawBytes(vec![0xa0, 0x01, 0x07]))
        .await
        .unwrap_err();
    assert_eq!(s.code(), tonic::Code::InvalidArgument);
    assert_eq!(bia::Error::from_status(&s).metadata().get("field").map(String::as_str), Some("genre"));
    // Invalid UTF-8 in a string.
    let s = raw::grpc_unary::<_, RawBytes>(&grpc, "/test.v1.Library/Echo", RawBytes(vec![0x12, 0x01, 0xff]))
        .await
        .unwrap_err();
    assert_eq!(s.code(), tonic::Code::InvalidArgument);
    // Unknown method: Unimplemented.
    let s = raw::grpc_unary::<_, RawBytes>(&grpc, "/test.v1.Library/Nope", RawBytes(vec![])).await.unwrap_err();
    assert_eq!(s.code(), tonic::Code::Unimplemented);
    // Oversized gRPC message (default limit 4 MiB): ResourceExhausted.
    let s = raw::grpc_unary::<_, RawBytes>(
        &grpc,
        "/test.v1.Library/Echo",
        RawBytes(vec![0x12, 0x80, 0x80, 0x80, 0x03].into_iter().chain(std::iter::repeat_n(b'a', 6 << 20)).collect()),
    )
    .await
    .unwrap_err();
    assert_eq!(s.code(), tonic::Code::ResourceExhausted, "{s:?}");

    // Still serving on both transports.
    let grpc_client = LibraryGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http_client = LibraryHttpClient::new(app.http_url()).unwrap();
    assert_eq!(grpc_client.echo(full_kinds()).await.unwrap(), full_kinds());
    // Messages on both sides of the 16 KiB the server reads from a slice, shared bytes included.
    for len in [7_000, 40 * 1024] {
        let mut big = full_kinds();
        big.maybe_text = Some("t".repeat(len));
        if let Some(scalars) = big.scalars.as_mut() {
            scalars.bytes_shared = bytes::Bytes::from(vec![7u8; len]);
        }
        assert_eq!(grpc_client.echo(big.clone()).await.unwrap(), big, "{len}");
    }
    assert_eq!(http_client.echo(full_kinds()).await.unwrap(), full_kinds());
    app.running.stop().await.unwrap();
}

/// Every Library RPC through a plain tonic client and through hand-written
/// HTTP requests gives what the generated clients give.
#[tokio::test]
async fn every_library_rpc_through_raw_requests_matches_the_generated_clients() {
    let app = start_library().await;
    let (g, h) = (app.grpc_url(), app.http_url());
    let grpc = LibraryGrpcClient::connect(g.clone()).await.unwrap();

    // CreateBook: raw tonic, then raw HTTP with hand-written JSON.
    let raw_created: Book = raw::grpc_unary(
        &g,
        "/test.v1.Library/CreateBook",
        CreateBookRequest { shelf: "7".into(), book: Some(book("Raw gRPC")) },
    )
    .await
    .unwrap();
    assert_eq!(raw_created.name, "shelves/7/books/1");
    let r = raw::http(
        "POST",
        &format!("{h}/v1/shelves/7/books"),
        r#"{"title": "Raw HTTP", "pages": "12", "genre": "GENRE_SCIENCE", "author": {"id": 9, "name": "N"}}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["name"].as_str(), v["pages"].as_str(), v["genre"].as_str()),
        (Some("shelves/7/books/2"), Some("12"), Some("GENRE_SCIENCE"))
    );

    // GetBook both ways equals the generated client.
    let via_client = grpc.get_book(GetBookRequest { name: "shelves/7/books/2".into() }).await.unwrap();
    let via_tonic: Book =
        raw::grpc_unary(&g, "/test.v1.Library/GetBook", GetBookRequest { name: "shelves/7/books/2".into() })
            .await
            .unwrap();
    assert_eq!(via_client, via_tonic);
    let r = raw::http("GET", &format!("{h}/v1/shelves/7/books/2"), "").await;
    assert_eq!(serde_json::from_slice::<Book>(&r.body).unwrap(), via_client);

    // ListBooks.
    let list = ListBooksRequest { shelf: "7".into(), page_size: 1, page: 2, ..Default::default() };
    let via_tonic: ListBooksReply = raw::grpc_unary(&g, "/test.v1.Library/ListBooks", list.clone()).await.unwrap();
    assert_eq!(via_tonic, grpc.list_books(list).await.unwrap());
    let r = raw::http("GET", &format!("{h}/v1/shelves/7/books?page=2&pageSize=1"), "").await;
    assert_eq!(serde_json::from_slice::<ListBooksReply>(&r.body).unwrap(), via_tonic);

    // UpdateBook.
    let mut b = via_client.clone();
    b.title = "Updated".into();
    let via_tonic: Book =
        raw::grpc_unary(&g, "/test.v1.Library/UpdateBook", UpdateBookRequest { book: Some(b.clone()) }).await.unwrap();
    assert_eq!(via_tonic, b);
    let r = raw::http("PATCH", &format!("{h}/v1/shelves/7/books/2"), r#"{"book": {"title": "Again"}}"#).await;
    assert_eq!(r.json()["title"], "Again");

    // GetAuthor: the whole reply on gRPC, the `author` field on HTTP.
    let via_tonic: AuthorReply =
        raw::grpc_unary(&g, "/test.v1.Library/GetAuthor", GetAuthorRequest { id: 4 }).await.unwrap();
    let r = raw::http("GET", &format!("{h}/v1/authors/4"), "").await;
    assert_eq!(serde_json::from_slice::<Author>(&r.body).unwrap(), via_tonic.author.unwrap());

    // Files over the custom OPTIONS method.
    let via_tonic: FilesRequest =
        raw::grpc_unary(&g, "/test.v1.Library/Files", FilesRequest { path: "a/b".into(), genre: Genre::Fiction })
            .await
            .unwrap();
    let r = raw::http("OPTIONS", &format!("{h}/v1/files/a/b?genre=GENRE_FICTION"), "").await;
    assert_eq!(serde_json::from_slice::<FilesRequest>(&r.body).unwrap(), via_tonic);

    // Echo.
    let via_tonic: Kinds = raw::grpc_unary(&g, "/test.v1.Library/Echo", full_kinds()).await.unwrap();
    assert_eq!(via_tonic, full_kinds());
    let body = serde_json::to_vec(&full_kinds()).unwrap();
    let r = raw::http("POST", &format!("{h}/test.v1.Library/Echo"), body).await;
    assert_eq!(serde_json::from_slice::<Kinds>(&r.body).unwrap(), full_kinds());

    // DeleteBook, then the same error three ways.
    let _: Empty =
        raw::grpc_unary(&g, "/test.v1.Library/DeleteBook", DeleteBookRequest { name: "shelves/7/books/2".into() })
            .await
            .unwrap();
    let r = raw::http("DELETE", &format!("{h}/v1/shelves/7/books/2"), "").await;
    assert_eq!(r.status, 404);
    let from_http = bia::Error::from_http(r.status, &r.body);
    let status = raw::grpc_unary::<_, Empty>(
        &g,
        "/test.v1.Library/DeleteBook",
        DeleteBookRequest { name: "shelves/7/books/2".into() },
    )
    .await
    .unwrap_err();
    assert_eq!(bia::Error::from_status(&status), from_http);
    assert_eq!(grpc.delete_book(DeleteBookRequest { name: "shelves/7/books/2".into() }).await.unwrap_err(), from_http);
    app.running.stop().await.unwrap();
}
