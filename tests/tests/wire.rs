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
