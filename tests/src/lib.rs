//! Shared pieces of Bia's cross-crate tests: a `Library` test service covering
//! every field kind and HTTP mapping rule, and helpers that start servers on
//! free loopback ports.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Mutex;

use bia::prelude::*;
use bia::types::{Duration, Timestamp};

pub mod catalog;
pub mod etcd;
pub mod interop;
pub mod raw;
pub mod streams;
pub mod wkt;

/// A genre (an enum field: JSON by name).
#[bia::enumeration(package = "test.v1")]
pub enum Genre {
    Unspecified = 0,
    /// Made up.
    Fiction = 1,
    /// About the world
    /// as it is.
    Science = 2,
}

/// Every proto scalar once.
#[bia::message(package = "test.v1")]
pub struct Scalars {
    pub i32_value: i32,
    pub i64_value: i64,
    pub u32_value: u32,
    pub u64_value: u64,
    #[field(sint32)]
    pub s32: i32,
    #[field(sint64)]
    pub s64: i64,
    #[field(fixed32)]
    pub f32_fixed: u32,
    #[field(fixed64)]
    pub f64_fixed: u64,
    #[field(sfixed32)]
    pub sf32: i32,
    #[field(sfixed64)]
    pub sf64: i64,
    pub float_value: f32,
    pub double_value: f64,
    pub bool_value: bool,
    pub string_value: String,
    pub bytes_value: Vec<u8>,
    pub bytes_shared: bytes::Bytes,
}

/// An author (a nested message).
#[bia::message(package = "test.v1")]
pub struct Author {
    pub id: i64,
    pub name: String,
}

/// A oneof: exactly one of these, or none.
#[bia::oneof]
pub enum Choice {
    #[field(tag = 30)]
    Text(String),
    #[field(tag = 31, sint64)]
    Number(i64),
    #[field(tag = 32)]
    Person(Author),
    #[field(tag = 33)]
    Color(Genre),
}

/// Every container kind, explicit tags, a renamed JSON name, reserved tags.
#[bia::message(package = "test.v1", reserved = [9, 10])]
pub struct Kinds {
    pub maybe_count: Option<i32>,
    pub maybe_text: Option<String>,
    pub author: Option<Author>,
    pub tags: Vec<String>,
    pub numbers: Vec<i64>,
    pub authors: Vec<Author>,
    pub counts: HashMap<String, i32>,
    pub by_id: BTreeMap<i64, Author>,
    #[field(tag = 20)]
    pub genre: Genre,
    pub genres: Vec<Genre>,
    pub created: Timestamp,
    pub ttl: Option<Duration>,
    #[field(json_name = "renamed")]
    pub original_name: String,
    pub scalars: Option<Scalars>,
    pub flags: HashMap<bool, bool>,
    pub blobs: Vec<Vec<u8>>,
    #[field(oneof)]
    pub choice: Option<Choice>,
}

/// A book.
#[bia::message(package = "test.v1")]
pub struct Book {
    /// `shelves/{shelf}/books/{id}`.
    pub name: String,
    pub title: String,
    pub author: Option<Author>,
    pub genre: Genre,
    pub pages: i64,
    pub tags: Vec<String>,
    pub published: Option<Timestamp>,
}

#[bia::message(package = "test.v1")]
pub struct GetBookRequest {
    pub name: String,
}

#[bia::message(package = "test.v1")]
pub struct Filter {
    pub genre: Genre,
    pub author: Option<Author>,
    pub min_pages: i64,
}

#[bia::message(package = "test.v1")]
pub struct ListBooksRequest {
    pub shelf: String,
    pub page: i64,
    pub page_size: i64,
    pub tags: Vec<String>,
    pub filter: Option<Filter>,
}

#[bia::message(package = "test.v1")]
pub struct ListBooksReply {
    pub books: Vec<Book>,
    pub total: i64,
}

#[bia::message(package = "test.v1")]
pub struct CreateBookRequest {
    pub shelf: String,
    pub book: Option<Book>,
}

#[bia::message(package = "test.v1")]
pub struct UpdateBookRequest {
    pub book: Option<Book>,
}

#[bia::message(package = "test.v1")]
pub struct DeleteBookRequest {
    pub name: String,
}

#[bia::message(package = "test.v1")]
pub struct Empty {}

#[bia::message(package = "test.v1")]
pub struct GetAuthorRequest {
    pub id: i64,
}

#[bia::message(package = "test.v1")]
pub struct AuthorReply {
    pub author: Option<Author>,
    pub etag: String,
}

#[bia::message(package = "test.v1")]
pub struct FilesRequest {
    pub path: String,
    pub genre: Genre,
}

/// Errors of the library.
#[bia::errors(domain = "test.v1")]
pub enum LibraryError {
    #[error(code = 404)]
    BookNotFound,
    #[error(code = 409)]
    BookExists,
    #[error(code = 422, message = "the title is empty")]
    EmptyTitle,
}

/// The test service: every mapping rule of google.api.http.
#[bia::service(package = "test.v1")]
pub trait Library: Send + Sync + 'static {
    /// Pattern variable spanning segments, plus a second binding.
    #[rpc(get = "/v1/<name=shelves/*/books/*>", additional_bindings(get = "/v1/books/{name}"))]
    async fn get_book(&self, req: GetBookRequest) -> bia::Result<Book>;

    /// Path param plus query for the rest (repeated, nested, enums).
    #[rpc(get = "/v1/shelves/<shelf>/books")]
    async fn list_books(&self, req: ListBooksRequest) -> bia::Result<ListBooksReply>;

    /// `body = "field"`.
    #[rpc(post = "/v1/shelves/<shelf>/books", body = "book")]
    async fn create_book(&self, req: CreateBookRequest) -> Result<Book, LibraryError>;

    /// Nested path param with `body = "*"`.
    #[rpc(patch = "/v1/<book.name=shelves/*/books/*>", body = "*")]
    async fn update_book(&self, req: UpdateBookRequest) -> bia::Result<Book>;

    #[rpc(delete = "/v1/<name=shelves/*/books/*>")]
    async fn delete_book(&self, req: DeleteBookRequest) -> bia::Result<Empty>;

    /// `response_body`, an int64 path param.
    #[rpc(get = "/v1/authors/<id>", response_body = "author")]
    async fn get_author(&self, req: GetAuthorRequest) -> bia::Result<AuthorReply>;

    /// `**` pattern and a custom method.
    #[rpc(custom(method = "OPTIONS", path = "/v1/files/<path=**>"), additional_bindings(get = "/v1/files/<path=**>"))]
    async fn files(&self, req: FilesRequest) -> bia::Result<FilesRequest>;

    /// No `#[rpc]`: `POST /test.v1.Library/Echo` with the whole message.
    async fn echo(&self, req: Kinds) -> bia::Result<Kinds>;
}

/// An in-memory library.
#[derive(Debug, Default)]
pub struct MemoryLibrary {
    books: Mutex<BTreeMap<String, Book>>,
}

impl Library for MemoryLibrary {
    async fn get_book(&self, req: GetBookRequest) -> bia::Result<Book> {
        let books = self.books.lock().expect("lock");
        let full =
            if req.name.starts_with("shelves/") { req.name.clone() } else { format!("shelves/1/books/{}", req.name) };
        books.get(&full).cloned().ok_or_else(|| {
            LibraryError::book_not_found(format_args!("book {} not found", req.name)).with_metadata("name", req.name)
        })
    }

    async fn list_books(&self, req: ListBooksRequest) -> bia::Result<ListBooksReply> {
        let books = self.books.lock().expect("lock");
        let prefix = format!("shelves/{}/books/", req.shelf);
        let all: Vec<Book> = books
            .values()
            .filter(|b| b.name.starts_with(&prefix))
            .filter(|b| req.tags.iter().all(|t| b.tags.contains(t)))
            .filter(|b| match &req.filter {
                Some(f) => {
                    (f.genre == Genre::Unspecified || f.genre == b.genre)
                        && b.pages >= f.min_pages
                        && f.author.as_ref().is_none_or(|a| b.author.as_ref().is_some_and(|x| x.name == a.name))
                }
                None => true,
            })
            .cloned()
            .collect();
        let size = if req.page_size <= 0 { 10 } else { req.page_size.min(100) } as usize;
        let page = req.page.max(1) as usize;
        let books = all.iter().skip((page - 1).saturating_mul(size)).take(size).cloned().collect();
        Ok(ListBooksReply { books, total: all.len() as i64 })
    }

    async fn create_book(&self, req: CreateBookRequest) -> Result<Book, LibraryError> {
        let mut book = req.book.unwrap_or_default();
        if book.title.is_empty() {
            return Err(LibraryError::EmptyTitle);
        }
        let mut books = self.books.lock().expect("lock");
        let id = if book.name.is_empty() { (books.len() + 1).to_string() } else { book.name.clone() };
        book.name = format!("shelves/{}/books/{id}", req.shelf);
        if books.contains_key(&book.name) {
            return Err(LibraryError::BookExists);
        }
        books.insert(book.name.clone(), book.clone());
        Ok(book)
    }

    async fn update_book(&self, req: UpdateBookRequest) -> bia::Result<Book> {
        let book = req.book.unwrap_or_default();
        let mut books = self.books.lock().expect("lock");
        match books.get_mut(&book.name) {
            Some(b) => {
                *b = book.clone();
                Ok(book)
            }
            None => Err(LibraryError::book_not_found(format_args!("book {} not found", book.name))),
        }
    }

    async fn delete_book(&self, req: DeleteBookRequest) -> bia::Result<Empty> {
        let mut books = self.books.lock().expect("lock");
        books
            .remove(&req.name)
            .map(|_| Empty {})
            .ok_or_else(|| LibraryError::book_not_found(format_args!("book {} not found", req.name)))
    }

    async fn get_author(&self, req: GetAuthorRequest) -> bia::Result<AuthorReply> {
        if req.id <= 0 {
            return Err(
                bia::Error::bad_request("BAD_ID", "author ids are positive").with_metadata("id", req.id.to_string())
            );
        }
        Ok(AuthorReply { author: Some(Author { id: req.id, name: format!("author-{}", req.id) }), etag: "v1".into() })
    }

    async fn files(&self, req: FilesRequest) -> bia::Result<FilesRequest> {
        Ok(req)
    }

    async fn echo(&self, req: Kinds) -> bia::Result<Kinds> {
        Ok(req)
    }
}

/// A running test app and its addresses.
pub struct TestApp {
    pub running: bia::Running,
    pub http: SocketAddr,
    pub grpc: SocketAddr,
}

impl TestApp {
    /// `http://127.0.0.1:port` of the HTTP server.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http)
    }
    /// `http://127.0.0.1:port` of the gRPC server.
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }
}

/// Serves a `MemoryLibrary` (HTTP and gRPC) and the helloworld greeter on free
/// loopback ports.
pub async fn start_library() -> TestApp {
    start_library_with(|s| s).await
}

/// Like [`start_library`], with the library server adjusted by `f`.
pub async fn start_library_with(
    f: impl FnOnce(LibraryServer<MemoryLibrary>) -> LibraryServer<MemoryLibrary>,
) -> TestApp {
    let library = f(LibraryServer::new(MemoryLibrary::default()));
    let greeter = helloworld::GreeterServer::new(helloworld::GreeterService);
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let app = App::new("library")
        .http(HttpServer::new(any).service(library.clone()).service(greeter.clone()))
        .grpc(GrpcServer::new(any).service(library).service(greeter));
    start(app).await
}

/// Starts `app` (an HTTP and a gRPC server on free loopback ports).
pub async fn start(app: App) -> TestApp {
    let running = app.start().await.expect("start");
    let (http, grpc) = (running.http_addrs()[0], running.grpc_addrs()[0]);
    TestApp { running, http, grpc }
}

/// Runs curl (`-sS --max-time 10` and `args`) and returns its output, or
/// `None` when curl is not installed, which `BIA_REQUIRE_EXTERNAL=1` (CI)
/// makes a failure. A curl that fails fails the test.
pub fn curl(args: &[&str]) -> Option<std::process::Output> {
    let out = match std::process::Command::new("curl").args(["-sS", "--max-time", "10"]).args(args).output() {
        Ok(out) => out,
        Err(e) => {
            assert_ne!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref(), Ok("1"), "curl: {e}");
            eprintln!("skipping: curl is not installed");
            return None;
        }
    };
    assert!(out.status.success(), "curl failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(out)
}
