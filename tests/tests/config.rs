//! Configuration: files merged in order, environment overrides, placeholders,
//! one clear error for a bad config, and hot reload through a watched file.

use std::time::{Duration, Instant};

use bia::config::Loader;
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq, Clone)]
struct Conf {
    server: Server,
    #[serde(default)]
    data: Data,
}

#[derive(Debug, Deserialize, PartialEq, Clone)]
struct Server {
    http: Endpoint,
    grpc: Endpoint,
}

#[derive(Debug, Deserialize, PartialEq, Clone)]
struct Endpoint {
    addr: String,
    timeout: String,
    #[serde(default)]
    port: u16,
}

#[derive(Debug, Deserialize, PartialEq, Clone, Default)]
struct Data {
    source: String,
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bia-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const BASE: &str = "server:\n  http:\n    addr: 0.0.0.0:8000\n    timeout: 1s\n  grpc:\n    addr: 0.0.0.0:9000\n    timeout: 1s\ndata:\n  source: ${CFGTEST_DB:file:data.db}\n";

#[test]
fn directory_files_merge_in_name_order_then_env_overrides() {
    let dir = temp_dir("merge");
    std::fs::write(dir.join("10-base.yaml"), BASE).unwrap();
    std::fs::write(dir.join("20-local.toml"), "[server.grpc]\ntimeout = \"3s\"\n").unwrap();
    std::fs::write(dir.join("README.md"), "ignored").unwrap();
    std::env::set_var("CFGTESTA_SERVER__HTTP__ADDR", "127.0.0.1:18000");
    let conf: Conf = Loader::new().path(&dir).env_prefix(Some("CFGTESTA_")).load().unwrap();
    assert_eq!(conf.server.http.addr, "127.0.0.1:18000");
    assert_eq!(conf.server.grpc.timeout, "3s");
    assert_eq!(conf.server.grpc.addr, "0.0.0.0:9000");
    assert_eq!(conf.data.source, "file:data.db", "placeholder default");
}

#[test]
fn placeholders_read_the_environment() {
    std::env::set_var("CFGTEST_PLACEHOLDER_DB", "postgres://db/users");
    let text = BASE.replace("CFGTEST_DB", "CFGTEST_PLACEHOLDER_DB");
    let conf: Conf = Loader::new().embedded("defaults.yaml", text).env_prefix(None).load().unwrap();
    assert_eq!(conf.data.source, "postgres://db/users");
}

#[test]
fn a_bad_config_is_one_clear_error() {
    let dir = temp_dir("bad");
    // Missing file.
    let e = Loader::new().path(dir.join("nope.yaml")).load::<Conf>().unwrap_err();
    assert!(e.message().contains("nope.yaml"), "{e}");
    // Wrong type: names the key, what was expected and the file.
    let wrong = dir.join("wrong.yaml");
    std::fs::write(&wrong, BASE.replace("timeout: 1s\n  grpc", "timeout: 1s\n    port: eighty\n  grpc")).unwrap();
    let e = Loader::new().path(&wrong).env_prefix(None).load::<Conf>().unwrap_err();
    let m = e.message();
    assert!(m.contains("server.http.port") && m.contains("u16") && m.contains("wrong.yaml"), "{m}");
    // Parse error: names the file.
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "server: [unclosed\n").unwrap();
    let e = Loader::new().path(&broken).load::<Conf>().unwrap_err();
    assert!(e.message().contains("broken.yaml"), "{e}");
    // Missing key.
    let partial = dir.join("partial.toml");
    std::fs::write(&partial, "[server.http]\naddr = \"x\"\ntimeout = \"1s\"\n").unwrap();
    let e = Loader::new().path(&partial).env_prefix(None).load::<Conf>().unwrap_err();
    assert!(e.message().contains("grpc"), "{e}");
}

#[test]
fn a_watched_file_reloads_and_a_broken_edit_keeps_the_old_value() {
    let dir = temp_dir("watch");
    let file = dir.join("config.yaml");
    std::fs::write(&file, BASE).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let watched = Loader::new()
        .path(&file)
        .env_prefix(None)
        .watch(move |c: &Conf| {
            let _ = tx.send(c.clone());
        })
        .unwrap();
    assert_eq!(watched.get().server.http.timeout, "1s");

    std::fs::write(&file, BASE.replace("timeout: 1s\n  grpc", "timeout: 2s\n  grpc")).unwrap();
    let seen = rx.recv_timeout(Duration::from_secs(10)).expect("no reload observed within 10 s");
    assert_eq!(seen.server.http.timeout, "2s");
    assert_eq!(watched.get().server.http.timeout, "2s");

    std::fs::write(&file, "server: [broken\n").unwrap();
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        assert!(rx.try_recv().is_err(), "a broken file must not reach observers");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(watched.get().server.http.timeout, "2s", "the old value is kept");
}

#[test]
fn a_watched_file_deleted_emptied_or_made_unreadable_keeps_the_old_value() {
    let dir = temp_dir("vanish");
    let file = dir.join("config.yaml");
    // Defaults embedded, the file overrides one value: without it the
    // config would still be valid, with the default back.
    std::fs::write(&file, "server:\n  http:\n    timeout: 2s\n").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let watched = Loader::new()
        .embedded("defaults.yaml", BASE)
        .path(&dir)
        .env_prefix(None)
        .watch(move |c: &Conf| {
            let _ = tx.send(c.clone());
        })
        .unwrap();
    let quiet = |what: &str| {
        let deadline = Instant::now() + Duration::from_millis(600);
        while Instant::now() < deadline {
            assert!(rx.try_recv().is_err(), "{what}: must not reach observers");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(watched.get().server.http.timeout, "2s", "{what}: the old value is kept");
    };

    // Emptied (an editor's truncate before its write), deleted (a deploy's
    // delete before its copy), replaced by something that cannot be read.
    std::fs::write(&file, "").unwrap();
    quiet("emptied");
    std::fs::remove_file(&file).unwrap();
    quiet("deleted");
    std::fs::create_dir(&file).unwrap();
    quiet("made a folder");
    std::fs::remove_dir(&file).unwrap();

    // A good file again is loaded.
    std::fs::write(&file, "server:\n  http:\n    timeout: 3s\n").unwrap();
    let seen = rx.recv_timeout(Duration::from_secs(10)).expect("no reload observed within 10 s");
    assert_eq!(seen.server.http.timeout, "3s");
}
