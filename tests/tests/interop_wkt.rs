//! Every well-known type and a recursive message, from clients that are not
//! ours: `tests/interop/wkt_client.py` reads `wkt.v1.Things` through
//! reflection (its `google/protobuf/*.proto` must be the files Python's
//! protobuf ships), compiles the exported `.proto` files with `protoc`
//! (`grpcio-tools`), calls every method with the generated stubs, and
//! compares Bia's HTTP JSON with Python's `json_format` (the reference
//! proto3 JSON implementation), both ways.
//!
//! Needs `python3` with `grpcio`, `grpcio-reflection`, `grpcio-tools` and
//! `protobuf` (`.ci/run` installs them). Without them the test says so and
//! passes, unless `BIA_REQUIRE_EXTERNAL=1` is set (CI), where their absence
//! fails it.

use std::process::Stdio;
use std::time::Duration;

use bia_tests::wkt::ThingsServer;

const IMPORTS: &str = "grpc, grpc_reflection, grpc_tools.protoc, google.protobuf.json_format";
const PIP: &str = "grpcio grpcio-reflection grpcio-tools protobuf";

/// `python3` with every module of [`IMPORTS`], or `None` (a skip) when one is
/// missing and not required.
fn python_or_skip() -> Option<&'static str> {
    let ok = std::process::Command::new("python3")
        .args(["-c", &format!("import {IMPORTS}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let msg = format!("python3 with {PIP} is not installed (python3 -m pip install {PIP})");
        if std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
            panic!("BIA_REQUIRE_EXTERNAL=1: {msg}");
        }
        eprintln!("skipping the Python well-known-types interop test: {msg}");
    }
    ok.then_some("python3")
}

/// A fresh directory under the system's temporary one, removed on drop
/// (a failed test's too).
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("bia-interop-wkt-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn python_protobuf_agrees_on_every_well_known_type() {
    let Some(python) = python_or_skip() else { return };
    // The `.proto` files a user of the service would compile.
    let protos = TempDir::new("proto");
    ThingsServer::<()>::schema().write_proto_files(&protos.0).unwrap();
    let generated = TempDir::new("gen");

    let app = bia_tests::wkt::start_things().await;
    let script = format!("{}/interop/wkt_client.py", env!("CARGO_MANIFEST_DIR"));
    let child = tokio::process::Command::new(python)
        .arg(script)
        .arg(app.grpc.to_string())
        .arg(app.http_url())
        .arg(&protos.0)
        .arg(&generated.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn python3");
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the Python client did not finish in 120 s")
        .expect("python3 failed to run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the Python client failed ({}):\n{stdout}\n{stderr}", out.status);
    // Each check prints one line; the last says they all passed.
    assert!(stdout.lines().any(|l| l.starts_with("ok ")), "no check ran:\n{stdout}\n{stderr}");
    assert_eq!(stdout.lines().last(), Some("all checks passed"), "{stdout}\n{stderr}");
    println!("{stdout}");

    app.running.stop().await.unwrap();
}
