//! Hygiene of the expansions: every macro used with no implicit prelude and
//! with the runtime crate reachable only as `renamed_bia` (through
//! `crate = "::renamed_bia"`). `::bia` itself is shadowed by a decoy, so a
//! path the macros hard-code to `::bia` fails to resolve instead of silently
//! working, and a bare `Ok`, `Some`, `Vec`, `String`, `Box` or `vec!` in the
//! generated code fails because nothing is in scope.

#![no_implicit_prelude]

extern crate bia as renamed_bia;
// A decoy: `::bia::...` now names `core`, so generated code that ignores
// `crate = ".."` does not compile.
extern crate core;
extern crate core as bia;
extern crate prost;
extern crate serde_json;
extern crate std;
extern crate tokio;

/// A shelf (enumeration: JSON by name, one value renamed).
#[::renamed_bia::enumeration(package = "hy.v1", crate = "::renamed_bia")]
pub enum Shelf {
    Unspecified = 0,
    Fiction = 1,
    #[value(name = "SHELF_SCI")]
    Science = 2,
}

/// An author (a nested message).
#[::renamed_bia::message(package = "hy.v1", crate = "::renamed_bia")]
pub struct Author {
    pub id: i64,
    pub name: ::std::string::String,
}

/// A book: every field kind once.
#[::renamed_bia::message(package = "hy.v1", crate = "::renamed_bia", reserved = [12])]
pub struct Book {
    /// `books/<id>`.
    pub name: ::std::string::String,
    pub title: ::std::string::String,
    pub author: ::std::option::Option<Author>,
    pub shelf: Shelf,
    #[field(sint64)]
    pub pages: i64,
    #[field(fixed32)]
    pub copies: u32,
    pub rating: f64,
    pub available: bool,
    pub tags: ::std::vec::Vec<::std::string::String>,
    pub scores: ::std::vec::Vec<i32>,
    pub ratings: ::std::collections::HashMap<::std::string::String, u32>,
    pub by_year: ::std::collections::BTreeMap<i32, Author>,
    pub published: ::std::option::Option<::renamed_bia::types::Timestamp>,
    pub loan: ::std::option::Option<::renamed_bia::types::Duration>,
    pub cover: ::std::vec::Vec<u8>,
    #[field(tag = 20, json_name = "isbnCode")]
    pub isbn: ::std::option::Option<::std::string::String>,
    pub shelves: ::std::vec::Vec<Shelf>,
    pub r#type: ::std::string::String,
}

#[::renamed_bia::message(package = "hy.v1", crate = "::renamed_bia")]
pub struct GetBookRequest {
    pub name: ::std::string::String,
}

#[::renamed_bia::message(package = "hy.v1", crate = "::renamed_bia")]
pub struct UpdateBookRequest {
    pub book: ::std::option::Option<Book>,
}

#[::renamed_bia::message(package = "hy.v1", crate = "::renamed_bia")]
pub struct ListBooksRequest {
    pub shelf: Shelf,
    pub page_size: i32,
    pub page_token: ::std::string::String,
}

#[::renamed_bia::message(package = "hy.v1", crate = "::renamed_bia")]
pub struct ListBooksReply {
    pub books: ::std::vec::Vec<Book>,
    pub next_page_token: ::std::string::String,
}

#[::renamed_bia::message(package = "hy.v1", crate = "::renamed_bia")]
pub struct Empty {}

/// Who holds a book (a oneof).
#[::renamed_bia::oneof(crate = "::renamed_bia")]
pub enum Holder {
    #[field(tag = 2)]
    UserId(i64),
    #[field(tag = 3, json_name = "mail")]
    Email(::std::string::String),
    #[field(tag = 4)]
    Author(Author),
    #[field(tag = 5)]
    Shelf(Shelf),
}

#[::renamed_bia::message(package = "hy.v1", crate = "::renamed_bia")]
pub struct Hold {
    pub book: ::std::string::String,
    #[field(oneof)]
    pub holder: ::std::option::Option<Holder>,
    #[field(tag = 6)]
    pub note: ::std::string::String,
}

/// Errors of the library.
#[::renamed_bia::errors(domain = "hy.v1", crate = "::renamed_bia")]
pub enum LibraryError {
    /// No such book.
    #[error(code = 404)]
    BookNotFound,
    #[error(code = 409, message = "the book is on loan")]
    OnLoan,
}

/// The library: every kind of HTTP rule once.
#[::renamed_bia::service(package = "hy.v1", crate = "::renamed_bia")]
pub trait Library: ::core::marker::Send + ::core::marker::Sync + 'static {
    /// A pattern variable.
    #[rpc(get = "/v1/<name=books/*>")]
    async fn get_book(&self, req: GetBookRequest) -> ::renamed_bia::Result<Book>;

    /// A nested path variable and the whole message as the body.
    #[rpc(patch = "/v1/books/<book.name>", body = "*")]
    async fn update_book(&self, req: UpdateBookRequest) -> ::renamed_bia::Result<Book>;

    /// An enum in the path and an additional binding.
    #[rpc(get = "/v1/shelves/<shelf>/books", additional_bindings(get = "/v1/books"))]
    async fn list_books(&self, req: ListBooksRequest) -> ::renamed_bia::Result<ListBooksReply>;

    /// A field as the body and a field as the response body.
    #[rpc(post = "/v1/books", body = "book", response_body = "title")]
    async fn create_book(&self, req: UpdateBookRequest) -> ::renamed_bia::Result<Book>;

    /// A custom method.
    #[rpc(custom(method = "HEAD", path = "/v1/heads/<name>"))]
    async fn head_book(&self, req: GetBookRequest) -> ::renamed_bia::Result<Empty>;

    /// A `**` pattern, a custom rpc name and a default body.
    #[rpc(delete = "/v1/files/<name=**>", name = "RemoveBook")]
    async fn delete_book(&self, req: GetBookRequest) -> ::renamed_bia::Result<Empty> {
        let _ = req;
        ::core::result::Result::Err(LibraryError::OnLoan.with_message("on loan"))
    }

    /// No `#[rpc]` arguments: the default `POST /hy.v1.Library/Ping` route.
    #[rpc]
    async fn ping(&self, req: Empty) -> ::renamed_bia::Result<Empty>;
}

/// A service whose error is a custom type (no client trait impl).
#[::renamed_bia::service(package = "hy.v1", name = "Admin", crate = "::renamed_bia", json = "snake_case")]
pub trait AdminService: ::core::marker::Send + ::core::marker::Sync + 'static {
    async fn reset(&self, req: Empty) -> ::core::result::Result<Empty, LibraryError>;
}

/// The implementation, its tests and every import live in a child module:
/// the expansions above are resolved in the crate root, where nothing but
/// `::`-paths is in scope.
mod checks {
    use ::core::clone::Clone;
    use ::std::collections::{BTreeMap, HashMap};
    use ::std::option::Option::{self, None, Some};
    use ::std::result::Result::{Err, Ok};
    use ::std::string::{String, ToString};
    use ::std::vec::Vec;

    use super::*;

    /// The implementation: a plain impl block.
    pub struct LibraryImpl;

    fn sample() -> Book {
        let mut ratings = HashMap::new();
        ratings.insert("goodreads".to_string(), 4u32);
        let mut by_year = BTreeMap::new();
        by_year.insert(1969, Author { id: 1, name: "Ursula".to_string() });
        Book {
            name: "books/1".to_string(),
            title: "The Left Hand of Darkness".to_string(),
            author: Some(Author { id: 1, name: "Ursula".to_string() }),
            shelf: Shelf::Science,
            pages: -3,
            copies: 7,
            rating: 4.5,
            available: true,
            tags: ::std::vec!["classic".to_string()],
            scores: ::std::vec![1, -2, 3],
            ratings,
            by_year,
            published: Some(::renamed_bia::types::Timestamp { seconds: 1_600_000_000, nanos: 0 }),
            loan: Some(::renamed_bia::types::Duration { seconds: 60, nanos: 5 }),
            cover: ::std::vec![1u8, 2, 3],
            isbn: Some("978-0441478125".to_string()),
            shelves: ::std::vec![Shelf::Fiction, Shelf::Science],
            r#type: "novel".to_string(),
        }
    }

    impl Library for LibraryImpl {
        async fn get_book(&self, req: GetBookRequest) -> ::renamed_bia::Result<Book> {
            if req.name == "books/1" {
                Ok(sample())
            } else {
                Err(LibraryError::book_not_found(::std::format_args!("no book {}", req.name)))
            }
        }

        async fn update_book(&self, req: UpdateBookRequest) -> ::renamed_bia::Result<Book> {
            Ok(req.book.unwrap_or_default())
        }

        async fn list_books(&self, req: ListBooksRequest) -> ::renamed_bia::Result<ListBooksReply> {
            let books: Vec<Book> = ::core::iter::Iterator::collect(::core::iter::Iterator::filter(
                ::core::iter::IntoIterator::into_iter(::std::vec![sample()]),
                |b| b.shelf == req.shelf,
            ));
            Ok(ListBooksReply { books, next_page_token: String::new() })
        }

        async fn create_book(&self, req: UpdateBookRequest) -> ::renamed_bia::Result<Book> {
            req.book.ok_or_else(|| ::core::convert::Into::into(LibraryError::OnLoan))
        }

        async fn head_book(&self, _req: GetBookRequest) -> ::renamed_bia::Result<Empty> {
            Ok(Empty {})
        }

        async fn ping(&self, req: Empty) -> ::renamed_bia::Result<Empty> {
            Ok(req)
        }
    }

    impl AdminService for LibraryImpl {
        async fn reset(&self, _req: Empty) -> ::core::result::Result<Empty, LibraryError> {
            Err(LibraryError::OnLoan)
        }
    }

    fn runtime() -> ::tokio::runtime::Runtime {
        ::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn message_round_trips_through_protobuf_and_json() {
        let book = sample();

        let bytes = ::prost::Message::encode_to_vec(&book);
        let back = <Book as ::prost::Message>::decode(&bytes[..]).unwrap();
        ::std::assert_eq!(back, book);

        let json = ::serde_json::to_string(&book).unwrap();
        ::std::assert!(json.contains("\"isbnCode\":\"978-0441478125\""), "{}", json);
        ::std::assert!(json.contains("\"shelf\":\"SHELF_SCI\""), "{}", json);
        ::std::assert!(json.contains("\"byYear\""), "{}", json);
        let back: Book = ::serde_json::from_str(&json).unwrap();
        ::std::assert_eq!(back, book);

        for holder in [
            Holder::UserId(7),
            Holder::Email("a@b.c".to_string()),
            Holder::Author(Author { id: 1, name: "Ursula".to_string() }),
            Holder::Shelf(Shelf::Fiction),
        ] {
            let hold = Hold { book: "books/1".to_string(), holder: Some(holder), note: "n".to_string() };
            let bytes = ::prost::Message::encode_to_vec(&hold);
            ::std::assert_eq!(<Hold as ::prost::Message>::decode(&bytes[..]).unwrap(), hold);
            let json = ::serde_json::to_string(&hold).unwrap();
            let back: Hold = ::serde_json::from_str(&json).unwrap();
            ::std::assert_eq!(back, hold, "{}", json);
        }
        let json = ::serde_json::to_string(&Hold {
            holder: Some(Holder::Email("x".to_string())),
            ..::core::default::Default::default()
        })
        .unwrap();
        ::std::assert!(json.contains("\"mail\":\"x\""), "{}", json);

        ::std::assert_eq!(<Book as ::renamed_bia::Message>::FULL_NAME, "hy.v1.Book");
        ::std::assert_eq!(<Shelf as ::renamed_bia::Enumeration>::FULL_NAME, "hy.v1.Shelf");
        ::std::assert_eq!(<Shelf as ::renamed_bia::Enumeration>::from_str_name("SHELF_SCI"), Some(Shelf::Science));
        ::std::assert_eq!(<Shelf as ::core::default::Default>::default(), Shelf::Unspecified);
        let none: Option<Shelf> = None;
        ::std::assert_eq!(<Shelf as ::renamed_bia::Enumeration>::from_i32(9), none);
    }

    #[test]
    fn errors_and_operations() {
        let e: ::renamed_bia::Error = ::core::convert::Into::into(LibraryError::BookNotFound);
        ::std::assert!(LibraryError::is_book_not_found(&e));
        ::std::assert!(!LibraryError::is_on_loan(&e));
        ::std::assert_eq!(LibraryError::OnLoan.code(), 409);
        ::std::assert_eq!(LibraryError::OnLoan.reason(), "ON_LOAN");
        ::std::assert_eq!(LibraryError::OnLoan.message(), "the book is on loan");
        ::std::assert_eq!(LibraryError::DOMAIN, "hy.v1");

        ::std::assert_eq!(LibraryOperation::SERVICE, "hy.v1.Library");
        ::std::assert_eq!(LibraryOperation::GET_BOOK, "/hy.v1.Library/GetBook");
        ::std::assert_eq!(LibraryOperation::DELETE_BOOK, "/hy.v1.Library/RemoveBook");
        ::std::assert_eq!(LibraryOperation::ALL.len(), 7);
        ::std::assert_eq!(AdminServiceOperation::RESET, "/hy.v1.Admin/Reset");
    }

    #[test]
    fn generated_servers_clients_and_schema() {
        let rt = runtime();
        let book =
            rt.block_on(Library::get_book(&LibraryImpl, GetBookRequest { name: "books/1".to_string() })).unwrap();
        ::std::assert_eq!(book, sample());
        let err =
            rt.block_on(Library::get_book(&LibraryImpl, GetBookRequest { name: "books/2".to_string() })).unwrap_err();
        ::std::assert!(LibraryError::is_book_not_found(&err));
        let err = rt
            .block_on(Library::delete_book(&LibraryImpl, <GetBookRequest as ::core::default::Default>::default()))
            .unwrap_err();
        ::std::assert!(LibraryError::is_on_loan(&err));
        ::std::assert!(rt.block_on(AdminService::reset(&LibraryImpl, Empty {})).is_err());

        // The object-safe twin.
        let shared: ::std::sync::Arc<dyn DynLibrary> = ::std::sync::Arc::new(LibraryImpl);
        let listed = rt
            .block_on(Library::list_books(
                &shared,
                ListBooksRequest { shelf: Shelf::Science, ..::core::default::Default::default() },
            ))
            .unwrap();
        ::std::assert_eq!(listed.books.len(), 1);

        // The servers build their routers (route conflicts panic here).
        let server = LibraryServer::new(LibraryImpl);
        let _router = server.clone().into_router();
        let _admin_router = AdminServiceServer::new(LibraryImpl).into_router();

        // The clients exist and implement the trait (the Admin ones do not need to).
        fn is_library<T: Library>(_: &T) {}
        let _guard = rt.enter();
        let http = LibraryHttpClient::new("http://127.0.0.1:1").unwrap();
        is_library(&http);
        let grpc = LibraryGrpcClient::connect_lazy("http://127.0.0.1:1").unwrap();
        is_library(&grpc);
        let _admin = AdminServiceHttpClient::new("http://127.0.0.1:1").unwrap();

        // The schema.
        let schema = LibraryServer::<LibraryImpl>::schema();
        let names: Vec<&str> = ::core::iter::Iterator::collect(schema.service_names());
        ::std::assert_eq!(names, ::std::vec!["hy.v1.Library"]);
        let files = schema.proto_files();
        let text: Vec<String> = ::core::iter::Iterator::collect(::core::iter::Iterator::map(
            ::core::iter::IntoIterator::into_iter(files),
            |(_, t)| t,
        ));
        let text = text.concat();
        ::std::assert!(text.contains("rpc RemoveBook"), "{}", text);
        ::std::assert!(text.contains("reserved 12;"), "{}", text);
    }
}

/// Providers of every shape, in the same hygiene.
pub struct HyDb(::std::string::String);
pub trait HyRepo: ::std::marker::Send + ::std::marker::Sync {
    fn name(&self) -> ::std::string::String;
}
impl HyRepo for HyDb {
    fn name(&self) -> ::std::string::String {
        ::std::clone::Clone::clone(&self.0)
    }
}
pub struct HyUseCase(::std::sync::Arc<dyn HyRepo>);

#[::renamed_bia::provider(crate = "::renamed_bia", bind = dyn HyRepo)]
async fn new_hy_db() -> ::std::result::Result<(HyDb, ::renamed_bia::wire::Cleanup), ::std::io::Error> {
    ::std::result::Result::Ok((HyDb(::std::convert::From::from("hy")), ::renamed_bia::wire::Cleanup::sync(|| {})))
}

#[::renamed_bia::provider(crate = "::renamed_bia")]
fn new_hy_use_case(repo: ::std::sync::Arc<dyn HyRepo>) -> HyUseCase {
    HyUseCase(repo)
}

#[::tokio::test]
async fn providers_expand_without_the_prelude_or_a_bia_path() {
    let wired = ::renamed_bia::wire::Injector::new().build::<HyUseCase>().await.unwrap();
    ::std::assert_eq!(wired.0.name(), "hy");
}
