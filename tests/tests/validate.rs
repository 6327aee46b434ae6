//! `#[validate(...)]` rules and the validate middleware: every rule through
//! `Message::validate`, then a real App with `Validate` on both transports
//! (generated clients, raw HTTP JSON, a plain tonic client), the handler never
//! reached by an invalid request, replies not checked, and the middleware on a
//! client refusing before anything is sent.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bia::middleware::validate::{Validate, REASON};
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use bia::Message as _;

#[bia::enumeration(package = "val.v1")]
pub enum Role {
    Unspecified = 0,
    Admin = 1,
    Member = 2,
}

#[bia::message(package = "val.v1")]
pub struct Address {
    #[validate(required, length(max = 12))]
    pub city: String,
    #[validate(pattern = "^[0-9]{5}$")]
    pub zip: String,
}

#[bia::oneof]
pub enum Contact {
    #[field(tag = 20)]
    Phone(String),
    #[field(tag = 21)]
    Pager(i64),
}

#[bia::message(package = "val.v1")]
pub struct User {
    #[validate(length(min = 1, max = 8))]
    pub name: String,
    #[validate(email)]
    pub email: String,
    #[validate(range(min = 0, max = 150))]
    pub age: u32,
    #[validate(range(gt = 0, lt = 10))]
    pub score: f64,
    #[validate(required)]
    pub role: Role,
    #[validate(nested)]
    pub address: Option<Address>,
    #[validate(length(max = 3), each(length(min = 1, max = 5), pattern = "^[a-z]+$"))]
    pub tags: Vec<String>,
    #[validate(each(range(min = -10, max = 10)))]
    pub deltas: Vec<i32>,
    #[validate(length(max = 2), each(nested))]
    pub places: BTreeMap<String, Address>,
    #[validate(nested)]
    pub previous: Vec<Address>,
    #[validate(length(max = 4))]
    pub avatar: Vec<u8>,
    #[validate(required, email)]
    pub backup_email: Option<String>,
    #[field(oneof)]
    #[validate(required)]
    pub contact: Option<Contact>,
    /// No rule: anything goes.
    pub note: String,
}

impl User {
    fn valid() -> Self {
        User {
            name: "ann".into(),
            email: "ann@example.com".into(),
            age: 30,
            score: 5.5,
            role: Role::Member,
            address: Some(Address { city: "Paris".into(), zip: "75001".into() }),
            tags: vec!["a".into(), "bc".into()],
            deltas: vec![-10, 0, 10],
            places: BTreeMap::from([("home".into(), Address { city: "Lyon".into(), zip: "69001".into() })]),
            previous: vec![Address { city: "Nice".into(), zip: "06000".into() }],
            avatar: vec![1, 2, 3, 4],
            backup_email: Some("a@b.c".into()),
            contact: Some(Contact::Pager(7)),
            note: String::new(),
        }
    }
}

#[bia::message(package = "val.v1")]
pub struct CreateUserRequest {
    #[validate(required, nested)]
    pub user: Option<User>,
    #[validate(length(max = 16))]
    pub request_id: String,
}

/// The reply breaks its own rule on purpose: replies are not checked.
#[bia::message(package = "val.v1")]
pub struct UserReply {
    #[validate(length(min = 100))]
    pub name: String,
}

#[bia::message(package = "val.v1")]
pub struct GetUserRequest {
    #[validate(pattern = "^[a-z]+$")]
    pub name: String,
}

/// A message without rules: always valid.
#[bia::message(package = "val.v1")]
pub struct Plain {
    pub name: String,
    pub user: Option<User>,
}

#[bia::service(package = "val.v1")]
pub trait Users: Send + Sync + 'static {
    #[rpc(post = "/v1/users", body = "*")]
    async fn create_user(&self, req: CreateUserRequest) -> bia::Result<UserReply>;
    #[rpc(get = "/v1/users/<name>")]
    async fn get_user(&self, req: GetUserRequest) -> bia::Result<UserReply>;
}

#[derive(Default)]
struct Impl {
    calls: Arc<AtomicUsize>,
}

impl Users for Impl {
    async fn create_user(&self, req: CreateUserRequest) -> bia::Result<UserReply> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(UserReply { name: req.user.map(|u| u.name).unwrap_or_default() })
    }
    async fn get_user(&self, req: GetUserRequest) -> bia::Result<UserReply> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(UserReply { name: req.name })
    }
}

/// Code, reason, message and metadata of a validation error.
#[track_caller]
fn assert_violation(err: &bia::Error, message: &str, field: &str, rule: &str) {
    assert_eq!((err.code(), err.reason(), err.message()), (400, REASON, message), "{err:?}");
    assert_eq!(err.grpc_code(), tonic::Code::InvalidArgument);
    let md = err.metadata();
    assert_eq!(md.get("field").map(String::as_str), Some(field), "{err:?}");
    assert_eq!(md.get("rule").map(String::as_str), Some(rule), "{err:?}");
    assert_eq!(md.len(), 2, "{err:?}");
}

#[track_caller]
fn user_violation(change: impl FnOnce(&mut User), field: &str, rule: &str, what: &str) {
    let mut u = User::valid();
    change(&mut u);
    let err = u.validate().expect_err(field);
    assert_violation(&err, &format!("invalid User.{field}: {what}"), field, rule);
}

#[test]
fn a_valid_message_passes() {
    User::valid().validate().unwrap();
    // Bounds are inclusive for `min`/`max`.
    let mut u = User::valid();
    u.name = "12345678".into();
    u.age = 150;
    u.tags = vec!["abcde".into(); 3];
    u.validate().unwrap();
    // Unset optional values skip their rules (only `required` looks at them).
    u.address = None;
    u.validate().unwrap();
    Plain { name: String::new(), user: Some(User::default()) }.validate().unwrap();
    assert!(User::default().validate().is_err());
}

#[test]
fn length_counts_characters_bytes_items_and_entries() {
    user_violation(|u| u.name.clear(), "name", "length", "must be between 1 and 8 characters long");
    user_violation(|u| u.name = "ééééééééé".into(), "name", "length", "must be between 1 and 8 characters long");
    // 8 characters of 2 bytes each: counted as 8.
    let mut u = User::valid();
    u.name = "éééééééé".into();
    u.validate().unwrap();
    user_violation(|u| u.avatar = vec![0; 5], "avatar", "length", "must be at most 4 bytes long");
    user_violation(|u| u.tags = vec!["a".into(); 4], "tags", "length", "must have at most 3 items");
    user_violation(
        |u| {
            for k in ["a", "b", "c"] {
                u.places.insert(k.into(), Address { city: "X".into(), zip: "00000".into() });
            }
        },
        "places",
        "length",
        "must have at most 2 entries",
    );
}

#[test]
fn range_bounds_integers_and_floats() {
    user_violation(|u| u.age = 151, "age", "range", "must be between 0 and 150");
    user_violation(|u| u.score = 0.0, "score", "range", "must be greater than 0 and less than 10");
    user_violation(|u| u.score = 10.0, "score", "range", "must be greater than 0 and less than 10");
    user_violation(|u| u.score = f64::NAN, "score", "range", "must be greater than 0 and less than 10");
    user_violation(|u| u.deltas = vec![0, -11], "deltas[1]", "range", "must be between -10 and 10");
}

#[test]
fn pattern_and_email() {
    user_violation(|u| u.tags[1] = "B".into(), "tags[1]", "pattern", "must match the pattern `^[a-z]+$`");
    user_violation(|u| u.tags[0] = "abcdef".into(), "tags[0]", "length", "must be between 1 and 5 characters long");
    user_violation(|u| u.email = "ann@".into(), "email", "email", "must be a valid email address");
    user_violation(|u| u.email = "Ann <ann@x.org>".into(), "email", "email", "must be a valid email address");
    user_violation(|u| u.backup_email = Some("nope".into()), "backup_email", "email", "must be a valid email address");
}

#[test]
fn required_means_set_non_empty_or_not_the_zero_value() {
    user_violation(|u| u.backup_email = None, "backup_email", "required", "is required");
    user_violation(|u| u.role = Role::Unspecified, "role", "required", "is required (not ROLE_UNSPECIFIED)");
    user_violation(|u| u.contact = None, "contact", "required", "is required");
    let err = CreateUserRequest { user: None, request_id: String::new() }.validate().unwrap_err();
    assert_violation(&err, "invalid CreateUserRequest.user: is required", "user", "required");
    // `required` comes first, whatever the order written.
    let err = Address { city: String::new(), zip: "12345".into() }.validate().unwrap_err();
    assert_violation(&err, "invalid Address.city: must not be empty", "city", "required");
}

#[test]
fn nested_prefixes_the_path_of_the_inner_message() {
    user_violation(
        |u| u.address.as_mut().unwrap().zip = "7500".into(),
        "address.zip",
        "pattern",
        "must match the pattern `^[0-9]{5}$`",
    );
    user_violation(
        |u| u.previous.push(Address { city: "much too long a name".into(), zip: "12345".into() }),
        "previous[1].city",
        "length",
        "must be at most 12 characters long",
    );
    user_violation(
        |u| {
            u.places.insert("wo\"rk".into(), Address { city: String::new(), zip: "12345".into() });
        },
        r#"places["wo\"rk"].city"#,
        "required",
        "must not be empty",
    );
    let req = CreateUserRequest { user: Some(User { email: "x".into(), ..User::valid() }), request_id: "r1".into() };
    assert_violation(
        &req.validate().unwrap_err(),
        "invalid CreateUserRequest.user.email: must be a valid email address",
        "user.email",
        "email",
    );
}

#[test]
fn the_first_violation_in_declaration_order_is_reported() {
    let mut u = User::valid();
    u.note = "anything".into();
    u.age = 999;
    u.name.clear();
    u.tags.push("UPPER".into());
    let err = u.validate().unwrap_err();
    assert_eq!(err.metadata()["field"], "name");
    u.name = "ok".into();
    assert_eq!(u.validate().unwrap_err().metadata()["field"], "age");
}

/// Generated code names everything by full path: rules work in a module
/// without the prelude.
#[no_implicit_prelude]
mod no_prelude {
    #[::bia::message(package = "val.hy")]
    pub struct Inner {
        #[validate(required, length(max = 3), pattern = "^x", email)]
        pub a: ::std::string::String,
        #[validate(range(min = 1.5))]
        pub b: ::std::option::Option<f32>,
    }

    #[::bia::message(package = "val.hy")]
    pub struct Outer {
        #[validate(required, nested)]
        pub inner: ::std::option::Option<Inner>,
        #[validate(required, length(min = 1), each(nested))]
        pub list: ::std::vec::Vec<Inner>,
        #[validate(nested)]
        pub map: ::std::collections::HashMap<i32, Inner>,
    }
}

#[test]
fn rules_expand_without_the_prelude() {
    use no_prelude::{Inner, Outer};
    let err = Outer::default().validate().unwrap_err();
    assert_violation(&err, "invalid Outer.inner: is required", "inner", "required");
    let inner = Inner { a: "x@y".into(), b: Some(2.0) };
    inner.validate().unwrap();
    let err = Inner { b: Some(1.0), ..inner.clone() }.validate().unwrap_err();
    assert_violation(&err, "invalid Inner.b: must be at least 1.5", "b", "range");
    let err = Outer { inner: Some(inner.clone()), list: vec![], map: Default::default() }.validate().unwrap_err();
    assert_violation(&err, "invalid Outer.list: must not be empty", "list", "required");
    let map = [(7, Inner { a: "xyz@".into(), b: None })].into_iter().collect();
    let err = Outer { inner: Some(inner.clone()), list: vec![inner], map }.validate().unwrap_err();
    assert_violation(&err, "invalid Outer.map[7].a: must be at most 3 characters long", "map[7].a", "length");
}

struct Running {
    app: bia::Running,
    calls: Arc<AtomicUsize>,
}

impl Running {
    fn http(&self) -> String {
        format!("http://{}", self.app.http_addrs()[0])
    }
    fn grpc(&self) -> String {
        format!("http://{}", self.app.grpc_addrs()[0])
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

async fn start(validate: bool) -> Running {
    let calls = Arc::new(AtomicUsize::new(0));
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let svc = UsersServer::new(Impl { calls: calls.clone() });
    let mut app = bia::App::new("val");
    if validate {
        app = app.middleware(Validate::new());
    }
    let app = app
        .http(HttpServer::new(any).service(svc.clone()))
        .grpc(GrpcServer::new(any).service(svc))
        .start()
        .await
        .unwrap();
    Running { app, calls }
}

fn request(user: User) -> CreateUserRequest {
    CreateUserRequest { user: Some(user), request_id: "req-1".into() }
}

#[tokio::test]
async fn the_middleware_guards_handlers_on_both_transports() {
    let r = start(true).await;
    let http = UsersHttpClient::new(r.http()).unwrap();
    let grpc = UsersGrpcClient::connect(r.grpc()).await.unwrap();

    // Valid: the handler runs, and the reply is not checked (it breaks its rule).
    assert_eq!(http.create_user(request(User::valid())).await.unwrap().name, "ann");
    assert_eq!(grpc.create_user(request(User::valid())).await.unwrap().name, "ann");
    assert_eq!(http.get_user(GetUserRequest { name: "bob".into() }).await.unwrap().name, "bob");
    assert_eq!(r.calls(), 3);

    let cases: Vec<(CreateUserRequest, &str, &str, &str)> = vec![
        (
            request(User { email: "ann@".into(), ..User::valid() }),
            "invalid CreateUserRequest.user.email: must be a valid email address",
            "user.email",
            "email",
        ),
        (
            request(User { tags: vec!["ok".into(), "NO".into()], ..User::valid() }),
            "invalid CreateUserRequest.user.tags[1]: must match the pattern `^[a-z]+$`",
            "user.tags[1]",
            "pattern",
        ),
        (
            CreateUserRequest { user: None, request_id: String::new() },
            "invalid CreateUserRequest.user: is required",
            "user",
            "required",
        ),
        (
            CreateUserRequest { user: Some(User::valid()), request_id: "x".repeat(17) },
            "invalid CreateUserRequest.request_id: must be at most 16 characters long",
            "request_id",
            "length",
        ),
    ];
    for (req, message, field, rule) in cases {
        let e1 = http.create_user(req.clone()).await.unwrap_err();
        assert_violation(&e1, message, field, rule);
        let e2 = grpc.create_user(req.clone()).await.unwrap_err();
        assert_eq!(e1, e2, "both transports give the same error");

        // The gRPC status itself: InvalidArgument with the ErrorInfo.
        let status =
            bia_tests::raw::grpc_unary::<_, UserReply>(&r.grpc(), "/val.v1.Users/CreateUser", req).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(status.message(), message);
        assert_eq!(bia::Error::from_status(&status), e1);
    }

    // Path parameters are checked like any field.
    let e = http.get_user(GetUserRequest { name: "Bob".into() }).await.unwrap_err();
    assert_violation(&e, "invalid GetUserRequest.name: must match the pattern `^[a-z]+$`", "name", "pattern");
    assert_eq!(grpc.get_user(GetUserRequest { name: "Bob".into() }).await.unwrap_err(), e);
    assert_eq!(r.calls(), 3, "an invalid request reached the handler");
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn raw_http_json_gets_the_error_body() {
    let r = start(true).await;
    let body = serde_json::json!({
        "user": {
            "name": "ann", "email": "ann@example.com", "age": 30, "score": 1.5, "role": "ROLE_ADMIN",
            "backupEmail": "a@b.c", "pager": "7", "deltas": [3, 42]
        },
        "requestId": "r"
    });
    let raw = bia_tests::raw::http("POST", &format!("{}/v1/users", r.http()), body.to_string()).await;
    assert_eq!(raw.status, 400, "{}", raw.text());
    assert_eq!(
        raw.json(),
        serde_json::json!({
            "code": 400,
            "reason": "VALIDATOR",
            "message": "invalid CreateUserRequest.user.deltas[1]: must be between -10 and 10",
            "metadata": {"field": "user.deltas[1]", "rule": "range"}
        })
    );
    let raw = bia_tests::raw::http("GET", &format!("{}/v1/users/a1", r.http()), "").await;
    assert_eq!(raw.status, 400);
    assert_eq!(raw.json()["metadata"]["field"], "name");
    assert_eq!(r.calls(), 0, "an invalid request reached the handler");

    let ok = serde_json::json!({"user": {
        "name": "ann", "email": "ann@example.com", "score": 1.5, "role": "ROLE_ADMIN", "backupEmail": "a@b.c", "phone": "1"
    }});
    let raw = bia_tests::raw::http("POST", &format!("{}/v1/users", r.http()), ok.to_string()).await;
    assert_eq!((raw.status, raw.json()["name"].as_str()), (200, Some("ann")), "{}", raw.text());
    assert_eq!(r.calls(), 1);
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn without_the_middleware_nothing_is_checked_and_a_client_can_check_itself() {
    let r = start(false).await;
    let bad = request(User { age: 200, ..User::valid() });
    let http = UsersHttpClient::new(r.http()).unwrap();
    let grpc = UsersGrpcClient::connect(r.grpc()).await.unwrap();
    http.create_user(bad.clone()).await.unwrap();
    grpc.create_user(bad.clone()).await.unwrap();
    assert_eq!(r.calls(), 2, "no server validation without the middleware");

    // On a client, the middleware refuses before sending.
    let http = http.middleware(Validate::new());
    let grpc = grpc.middleware(Validate::new());
    for e in [http.create_user(bad.clone()).await.unwrap_err(), grpc.create_user(bad.clone()).await.unwrap_err()] {
        assert_violation(&e, "invalid CreateUserRequest.user.age: must be between 0 and 150", "user.age", "range");
    }
    assert_eq!(r.calls(), 2, "the invalid request was sent");
    assert_eq!(http.create_user(request(User::valid())).await.unwrap().name, "ann");
    assert_eq!(r.calls(), 3);
    r.app.stop().await.unwrap();
}
