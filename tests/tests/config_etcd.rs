//! Configuration kept in a real etcd (`bia::config::EtcdSource`): one key
//! or a prefix merged in key order, in YAML, TOML and JSON, merged after the
//! files and before the environment, with placeholders and errors naming the
//! key; watched: a change reloads and calls the observer, a bad value keeps
//! the old one, and with etcd killed and started again the watch comes back.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use bia::config::{EtcdConfig, EtcdSource, Format, Loader};
use bia_tests::etcd::Etcd;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Conf {
    name: String,
    port: u16,
    #[serde(default)]
    level: String,
    #[serde(default)]
    tags: Vec<String>,
}

fn etcd_config(etcd: &Etcd) -> EtcdConfig {
    let mut config = EtcdConfig::new([etcd.url()]);
    config.timeout = Duration::from_secs(2);
    config
}

/// A loader with no environment overrides (tests run in one process).
fn loader() -> Loader {
    Loader::new().env_prefix(None)
}

#[test]
fn one_key_and_a_prefix_merged_in_key_order() {
    let Some(etcd) = Etcd::start("config-keys") else { return };
    etcd.put("/configs/app/config.yaml", "name: from-etcd\nport: ${BIA_TEST_ETCD_UNSET_PORT:8080}\n");
    let conf: Conf = loader()
        .embedded("defaults.yaml", "name: default\nport: 1\nlevel: info\n")
        .etcd(EtcdSource::key(etcd_config(&etcd), "/configs/app/config.yaml"))
        .load()
        .unwrap();
    assert_eq!(conf, Conf { name: "from-etcd".into(), port: 8080, level: "info".into(), tags: vec![] });

    // Every key under a prefix, each in its own format, later keys winning;
    // keys outside the prefix are not read.
    etcd.put("/configs/svc/10-base.yaml", "name: base\nport: 1\nlevel: debug\ntags: [a]\n");
    etcd.put("/configs/svc/20-port.toml", "port = 2\n");
    etcd.put("/configs/svc/30-name.json", "{\"name\": \"json\", \"tags\": [\"b\", \"c\"]}");
    etcd.put("/configs/svc0/other.yaml", "name: not-mine\n");
    let conf: Conf = loader().etcd(EtcdSource::prefix(etcd_config(&etcd), "/configs/svc/")).load().unwrap();
    assert_eq!(conf, Conf { name: "json".into(), port: 2, level: "debug".into(), tags: vec!["b".into(), "c".into()] });

    // A key without an extension, with the format given.
    etcd.put("/configs/plain", "name = \"toml\"\nport = 3\n");
    let conf: Conf =
        loader().etcd(EtcdSource::key(etcd_config(&etcd), "/configs/plain").format(Format::Toml)).load().unwrap();
    assert_eq!((conf.name.as_str(), conf.port), ("toml", 3));
}

#[test]
fn files_then_etcd_then_the_environment() {
    let Some(etcd) = Etcd::start("config-order") else { return };
    let dir = std::env::temp_dir().join(format!("bia-config-etcd-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.yaml");
    std::fs::write(&file, "name: file\nport: 1\nlevel: file\n").unwrap();
    etcd.put("/configs/order/config.yaml", "name: etcd\nport: 2\n");
    std::env::set_var("BIA_CFG_ETCD_ORDER_PORT", "3");
    // The etcd source is added before the file, and still merged after it.
    let conf: Conf = Loader::new()
        .env_prefix(Some("BIA_CFG_ETCD_ORDER_"))
        .etcd(EtcdSource::key(etcd_config(&etcd), "/configs/order/config.yaml"))
        .path(&file)
        .load()
        .unwrap();
    assert_eq!((conf.name.as_str(), conf.port, conf.level.as_str()), ("etcd", 3, "file"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_name_the_key_and_never_the_value() {
    let Some(mut etcd) = Etcd::start("config-errors") else { return };
    let config = etcd_config(&etcd);
    let source = |key: &str| EtcdSource::key(config.clone(), key);

    etcd.put("/configs/bad-type.yaml", "name: x\nport: s3cret-not-a-port\n");
    let err = loader().etcd(source("/configs/bad-type.yaml")).load::<Conf>().unwrap_err();
    assert_eq!(err.reason(), bia::config::CONFIG_REASON);
    assert!(err.message().contains("port in etcd:/configs/bad-type.yaml"), "{err}");
    assert!(!err.message().contains("s3cret"), "{err}");

    etcd.put("/configs/broken.yaml", "name: [unclosed\n");
    let err = loader().etcd(source("/configs/broken.yaml")).load::<Conf>().unwrap_err();
    assert!(err.message().starts_with("etcd:/configs/broken.yaml: not valid YAML"), "{err}");

    etcd.put("/configs/no-extension", "name: x\n");
    let err = loader().etcd(source("/configs/no-extension")).load::<Conf>().unwrap_err();
    assert!(err.message().contains("etcd:/configs/no-extension: unknown config format"), "{err}");

    etcd.put("/configs/unset.yaml", "name: x\nport: ${BIA_TEST_ETCD_NEVER_SET}\n");
    let err = loader().etcd(source("/configs/unset.yaml")).load::<Conf>().unwrap_err();
    assert!(err.message().contains("etcd:/configs/unset.yaml, key `port`"), "{err}");

    let err = loader().etcd(source("/configs/missing.yaml")).load::<Conf>().unwrap_err();
    assert!(err.message().contains("etcd:/configs/missing.yaml is not set"), "{err}");
    let err = loader().etcd(EtcdSource::prefix(etcd_config(&etcd), "/configs/empty/")).load::<Conf>().unwrap_err();
    assert!(err.message().contains("etcd:/configs/empty/* holds no key"), "{err}");

    // etcd unreachable: an error within the timeout, naming where.
    etcd.kill();
    let started = Instant::now();
    let err = loader().etcd(source("/configs/bad-type.yaml")).load::<Conf>().unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(err.reason(), bia::config::CONFIG_REASON);
    assert!(err.message().contains(&format!("etcd:/configs/bad-type.yaml at {}", etcd.url())), "{err}");
}

/// `load` works from inside a Tokio runtime (it reads etcd on a thread of
/// its own, not with a `block_on` on the caller's runtime).
#[tokio::test]
async fn loads_inside_a_runtime() {
    let Some(etcd) = Etcd::start("config-runtime") else { return };
    etcd.put("/configs/rt.yaml", "name: rt\nport: 7\n");
    let conf: Conf = loader().etcd(EtcdSource::key(etcd_config(&etcd), "/configs/rt.yaml")).load().unwrap();
    assert_eq!(conf.port, 7);
}

/// Waits (bounded) for the observer's next value.
fn next(rx: &mpsc::Receiver<Conf>) -> Conf {
    rx.recv_timeout(Duration::from_secs(15)).expect("the observer was called within 15 s")
}

#[test]
fn watched_changes_reload_bad_values_keep_the_old_and_the_watch_survives_etcd_restarts() {
    let Some(mut etcd) = Etcd::start("config-watch") else { return };
    const KEY: &str = "/configs/watched/config.yaml";
    etcd.put(KEY, "name: one\nport: 1\n");
    let (tx, rx) = mpsc::channel();
    let watched = loader()
        .embedded("defaults.yaml", "level: info\n")
        .etcd(EtcdSource::prefix(etcd_config(&etcd), "/configs/watched/"))
        .watch(move |c: &Conf| tx.send(c.clone()).unwrap())
        .unwrap();
    assert_eq!(watched.get().name, "one");

    // A change is loaded and observed.
    etcd.put(KEY, "name: two\nport: 2\n");
    assert_eq!(next(&rx).name, "two");
    assert_eq!(watched.get().port, 2);

    // A value that no longer parses: the old one stays, no call.
    etcd.put(KEY, "name: [broken\n");
    std::thread::sleep(Duration::from_millis(800));
    assert!(rx.try_recv().is_err());
    assert_eq!(watched.get().name, "two");
    // Fixed again: loaded.
    etcd.put(KEY, "name: three\nport: 3\n");
    assert_eq!(next(&rx).name, "three");

    // A second key under the prefix is merged over the first.
    etcd.put("/configs/watched/override.yaml", "port: 33\n");
    let c = next(&rx);
    assert_eq!((c.name.as_str(), c.port), ("three", 33));

    // etcd killed: the last good value stays.
    etcd.kill();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(watched.get().port, 33);
    assert!(rx.try_recv().is_err());
    // Started again (same data): the watch reconnects and follows changes.
    etcd.restart();
    etcd.put(KEY, "name: four\nport: 4\n");
    let c = next(&rx);
    assert_eq!((c.name.as_str(), c.port), ("four", 33));

    // A new, empty store with a different config (a cluster rebuilt): the
    // watch notices the values differ from what it saw, and loads them.
    etcd.restart_empty();
    etcd.put(KEY, "name: five\nport: 5\n");
    let c = next(&rx);
    assert_eq!((c.name.as_str(), c.port), ("five", 5));
    assert_eq!(watched.get().name, "five");

    // Dropped: no more calls.
    drop(watched);
    std::thread::sleep(Duration::from_millis(300));
    etcd.put(KEY, "name: six\nport: 6\n");
    std::thread::sleep(Duration::from_millis(800));
    assert!(rx.try_recv().is_err());
}
