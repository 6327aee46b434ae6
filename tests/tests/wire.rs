//! Dependency wiring end to end: providers of every shape, supply, the
//! startup check's messages, concurrency, cleanup order and rollback, and an
//! App wired by providers serving real requests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bia::wire::{Cleanup, Injector};

/// What happened, in order (constructions and cleanups), per test root.
static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn event(s: impl Into<String>) {
    EVENTS.lock().unwrap().push(s.into());
}

fn events_of(prefix: &str) -> Vec<String> {
    EVENTS.lock().unwrap().iter().filter(|e| e.starts_with(prefix)).cloned().collect()
}

// ---- every provider shape ----

pub struct Conf {
    pub dsn: String,
}
bia::wire::input!(Conf);

pub struct Db {
    pub dsn: String,
}

#[bia::provider]
async fn new_db(conf: &Conf) -> Result<(Db, Cleanup), std::io::Error> {
    tokio::task::yield_now().await;
    event("shape: db built");
    Ok((Db { dsn: conf.dsn.clone() }, Cleanup::new(|| async { event("shape: db closed") })))
}

pub trait UserRepo: Send + Sync {
    fn source(&self) -> String;
}

pub struct SqlRepo {
    db: Arc<Db>,
}

impl UserRepo for SqlRepo {
    fn source(&self) -> String {
        format!("sql:{}", self.db.dsn)
    }
}

#[bia::provider(bind = dyn UserRepo)]
fn new_repo(db: Arc<Db>) -> (SqlRepo, Cleanup) {
    event("shape: repo built");
    (SqlRepo { db }, Cleanup::sync(|| event("shape: repo closed")))
}

pub struct Counter(AtomicUsize);

#[bia::provider]
fn new_counter() -> Arc<Counter> {
    Arc::new(Counter(AtomicUsize::new(7)))
}

pub struct UseCase {
    pub repo: Arc<dyn UserRepo>,
    pub counter: Arc<Counter>,
    pub label: String,
}

pub struct Label(String);

#[bia::provider]
fn new_label() -> bia::Result<Label> {
    Ok(Label("users".into()))
}

#[bia::provider]
fn new_use_case(repo: Arc<dyn UserRepo>, counter: Arc<Counter>, label: Label, _db: &Db) -> UseCase {
    event("shape: use case built");
    UseCase { repo, counter, label: label.0 }
}

#[tokio::test]
async fn every_shape_builds_and_cleans_up_in_reverse() {
    let wired = Injector::new().supply(Conf { dsn: "mem".into() }).build::<UseCase>().await.unwrap();
    assert_eq!(wired.repo.source(), "sql:mem");
    assert_eq!(wired.counter.0.load(Ordering::Relaxed), 7);
    assert_eq!(wired.label, "users");
    let uc = wired.cleanup().await;
    assert_eq!(uc.label, "users");
    assert_eq!(
        events_of("shape:"),
        ["shape: db built", "shape: repo built", "shape: use case built", "shape: repo closed", "shape: db closed"]
    );
}

#[tokio::test]
async fn supply_replaces_a_provider_and_skips_its_inputs() {
    struct Fake;
    impl UserRepo for Fake {
        fn source(&self) -> String {
            "fake".into()
        }
    }
    // No `Conf` supplied: `new_db` (which needs it) is not reached because
    // `Db` is supplied too, and `dyn UserRepo` replaces `new_repo`.
    let wired = Injector::new()
        .supply_shared::<dyn UserRepo>(Arc::new(Fake))
        .supply(Db { dsn: "given".into() })
        .build::<UseCase>()
        .await
        .unwrap();
    assert_eq!(wired.repo.source(), "fake");
}

// ---- the startup check ----

pub struct CycleA;
pub struct CycleB;

const CYCLE_A_LINE: u32 = line!() + 2;
#[bia::provider]
fn new_cycle_a(_b: &CycleB) -> CycleA {
    CycleA
}

const CYCLE_B_LINE: u32 = line!() + 2;
#[bia::provider]
fn new_cycle_b(_a: &CycleA) -> CycleB {
    CycleB
}

pub struct NeedsCycle;

#[bia::provider]
fn new_needs_cycle(_a: &CycleA) -> NeedsCycle {
    NeedsCycle
}

fn wiring_error<T: Send + 'static>(injector: Injector) -> String {
    let check = injector.check::<T>().unwrap_err();
    assert_eq!(check.reason(), "WIRING");
    check.message().to_owned()
}

#[test]
fn a_cycle_is_reported_with_its_path_before_anything_is_built() {
    let msg = wiring_error::<NeedsCycle>(Injector::new());
    let file = file!();
    assert_eq!(
        msg,
        format!(
            "cannot wire `wire::NeedsCycle`:\ncycle for `wire::CycleA`: `wire::CycleA` (provider `new_cycle_a` ({file}:{CYCLE_A_LINE})) -> `wire::CycleB` (provider `new_cycle_b` ({file}:{CYCLE_B_LINE})) -> `wire::CycleA`"
        )
    );
}

pub struct Secret(String);
bia::wire::input!(Secret);
const SECRET_LINE: u32 = line!() - 1;

pub struct Signer(String);

const SIGNER_LINE: u32 = line!() + 2;
#[bia::provider]
fn new_signer(secret: &Secret) -> Signer {
    Signer(secret.0.clone())
}

pub struct Api(String);

const API_LINE: u32 = line!() + 2;
#[bia::provider]
fn new_api(signer: &Signer) -> Api {
    Api(signer.0.clone())
}

#[tokio::test]
async fn a_runtime_input_not_supplied_names_the_chain_and_the_fix() {
    let file = file!();
    let msg = wiring_error::<Api>(Injector::new());
    assert_eq!(
        msg,
        format!(
            "cannot wire `wire::Api`:\nruntime input `wire::Secret` (declared at {file}:{SECRET_LINE}) was not supplied\n    needed by `wire::Signer` in provider `new_signer` ({file}:{SIGNER_LINE})\n    needed by `wire::Api` in provider `new_api` ({file}:{API_LINE})\n  supply it at startup: `.supply(value)`"
        )
    );
    // Building runs the same check first: nothing is built.
    let err = Injector::new().build::<Api>().await.unwrap_err();
    assert_eq!(err.message(), msg);
    let api = Injector::new().supply(Secret("s3".into())).build::<Api>().await.unwrap();
    assert_eq!(api.0, "s3");
}

pub struct Server(u16);

#[bia::provider]
fn new_server() -> Server {
    Server(80)
}

pub struct Runner(Server);

const RUNNER_LINE: u32 = line!() + 2;
#[bia::provider]
fn new_runner(server: Server) -> Runner {
    Runner(server)
}

pub struct Watcher(pub u16);

const WATCHER_LINE: u32 = line!() + 2;
#[bia::provider]
fn new_watcher(server: &Server) -> Watcher {
    Watcher(server.0)
}

#[allow(dead_code)] // only checked, never built
pub struct Both(Runner, Watcher);

#[bia::provider]
fn new_both(r: Runner, w: Watcher) -> Both {
    Both(r, w)
}

#[tokio::test]
async fn a_value_moved_into_one_consumer_cannot_reach_another() {
    let file = file!();
    let msg = wiring_error::<Both>(Injector::new());
    assert_eq!(
        msg,
        format!(
            "cannot wire `wire::Both`:\n`wire::Server` is moved into provider `new_runner` ({file}:{RUNNER_LINE}) (a by-value parameter)\n    also needed by provider `new_watcher` ({file}:{WATCHER_LINE})\n  a value moved into one consumer cannot be given to another: take `&wire::Server` or `Arc<wire::Server>` instead"
        )
    );
    // Alone, the by-value input is fine: the server is moved into the runner.
    let runner = Injector::new().build::<Runner>().await.unwrap();
    assert_eq!((runner.0).0, 80);
}

// ---- failure, rollback, panics ----

pub struct Pool;

#[bia::provider]
fn new_pool() -> (Pool, Cleanup) {
    event("rollback: pool opened");
    (Pool, Cleanup::sync(|| event("rollback: pool closed")))
}

pub struct Cache;

#[bia::provider]
async fn new_cache(_pool: &Pool) -> (Cache, Cleanup) {
    event("rollback: cache opened");
    (Cache, Cleanup::new(|| async { event("rollback: cache closed") }))
}

pub struct Broken;

const BROKEN_LINE: u32 = line!() + 2;
#[bia::provider]
async fn new_broken(_cache: &Cache) -> Result<Broken, std::io::Error> {
    Err(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "broker refused the connection"))
}

#[tokio::test]
async fn a_failed_provider_rolls_back_what_was_built_and_names_itself() {
    let err = Injector::new().build::<Broken>().await.unwrap_err();
    assert_eq!(
        err.message(),
        format!("provider `new_broken` ({}:{BROKEN_LINE}) failed: broker refused the connection", file!())
    );
    assert_eq!(err.reason(), "PROVIDER_FAILED");
    assert!(err.cause().is_some());
    assert_eq!(
        events_of("rollback:"),
        ["rollback: pool opened", "rollback: cache opened", "rollback: cache closed", "rollback: pool closed"]
    );
}

pub struct Unavailable;

#[bia::provider]
async fn new_unavailable() -> bia::Result<Unavailable> {
    Err(bia::Error::service_unavailable("DATABASE", "cannot open the database"))
}

#[tokio::test]
async fn a_bia_error_keeps_its_code_and_reason() {
    let err = Injector::new().build::<Unavailable>().await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (503, "DATABASE"));
    assert!(err.message().starts_with("provider `new_unavailable` ("), "{}", err.message());
    assert!(err.message().ends_with(" failed: cannot open the database"), "{}", err.message());
}

pub struct Lock;

#[bia::provider]
fn new_lock() -> (Lock, Cleanup) {
    (Lock, Cleanup::sync(|| event("panic: lock released")))
}

pub struct Panicky;

#[bia::provider]
fn new_panicky(_lock: &Lock) -> Panicky {
    panic!("the config is inconsistent")
}

#[tokio::test]
async fn a_panicking_provider_is_an_error_and_rolls_back() {
    let err = Injector::new().build::<Panicky>().await.unwrap_err();
    assert_eq!(err.reason(), "PROVIDER_PANICKED");
    assert!(err.message().contains("provider `new_panicky` ("), "{}", err.message());
    assert!(err.message().ends_with("panicked: the config is inconsistent"), "{}", err.message());
    assert_eq!(events_of("panic:"), ["panic: lock released"]);
}

// ---- concurrency ----

pub struct Gate(tokio::sync::Barrier);

#[bia::provider]
fn new_gate() -> Gate {
    Gate(tokio::sync::Barrier::new(2))
}

pub struct Left;
pub struct Right;

// Each waits for the other at the barrier: built one after the other, they
// would wait forever; built together, both pass.
#[bia::provider]
async fn new_left(gate: Arc<Gate>) -> Left {
    gate.0.wait().await;
    Left
}

#[bia::provider]
async fn new_right(gate: Arc<Gate>) -> Right {
    gate.0.wait().await;
    Right
}

pub struct Pair;

#[bia::provider]
fn new_pair(_l: &Left, _r: &Right) -> Pair {
    Pair
}

#[tokio::test]
async fn independent_async_providers_run_together() {
    let built = tokio::time::timeout(Duration::from_secs(10), Injector::new().build::<Pair>()).await;
    assert!(built.expect("the two providers were not run concurrently").is_ok());
}

// ---- an App wired by providers ----

pub struct Listen(std::net::SocketAddr);
bia::wire::input!(Listen);

pub struct Tracker;

#[bia::provider]
fn new_tracker() -> (Tracker, Cleanup) {
    (Tracker, Cleanup::sync(|| event("app: tracker closed")))
}

#[bia::provider]
fn new_http(listen: &Listen, _tracker: &Tracker) -> bia::transport::http::HttpServer {
    let routes = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
    bia::transport::http::HttpServer::new(listen.0).routes(routes)
}

#[bia::provider]
fn new_app(http: bia::transport::http::HttpServer) -> bia::App {
    bia::App::new("wired").signals(false).http(http)
}

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn an_autowired_app_serves_and_runs_the_cleanups_when_it_stops() {
    let app = bia::App::autowire().supply(Listen(([127, 0, 0, 1], 0).into())).build().await.unwrap();
    let running = app.start().await.unwrap();
    let reply = get(running.http_addrs()[0], "/ping").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("pong"), "{reply}");
    assert!(events_of("app:").is_empty(), "cleaned up while serving");
    running.stop().await.unwrap();
    assert_eq!(events_of("app:"), ["app: tracker closed"]);

    // An App that cannot start (its port is taken) after everything was
    // built still runs the cleanups.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = bia::App::autowire().supply(Listen(taken.local_addr().unwrap())).run().await.unwrap_err();
    assert_eq!(err.reason(), "BIND_FAILED");
    assert_eq!(events_of("app:"), ["app: tracker closed", "app: tracker closed"]);
}
