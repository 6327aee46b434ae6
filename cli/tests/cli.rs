//! The `bia` command as a user runs it: mistakes refused with exit code 2
//! and nothing written; a new project that builds, passes its own tests,
//! grows a service, runs under `bia run` (called over HTTP with curl and
//! over gRPC with Python grpcio, stopped by a signal), and exports `.proto`
//! files protoc accepts and an OpenAPI document a validator accepts.
//!
//! The generated projects build in this workspace's target directory, with
//! this workspace's lockfile and without debug info (as this workspace builds
//! its dependencies), so they reuse what is built already and add little to
//! the disk: a generated project's own profile would otherwise rebuild every
//! dependency with full debug info.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIA: &str = env!("CARGO_BIN_EXE_bia");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_owned()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace().join("target"))
}

fn required() -> bool {
    std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() == Ok("1")
}

/// A directory of the test's, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("bia-cli-{name}-{}", std::process::id()));
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

fn bia(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIA)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_PROFILE_DEV_DEBUG", "false")
        .env("NO_COLOR", "1")
        .output()
        .expect("bia runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir` with its bytes, to see that nothing changed.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// `bia ARGS` in `dir` fails as a mistake of the user's: exit code 2, the
/// message naming `needle`, and nothing under `dir` changed.
fn refused(dir: &Path, args: &[&str], needle: &str) {
    let before = snapshot(dir);
    let out = bia(dir, args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "bia {args:?}: {stderr}");
    assert!(stderr.contains(needle), "bia {args:?} should say `{needle}`: {stderr}");
    assert_eq!(snapshot(dir), before, "bia {args:?} wrote something");
}

#[test]
fn mistakes_are_refused_with_exit_code_2_and_nothing_written() {
    let tmp = TempDir::new("mistakes");
    let dir = tmp.0.as_path();
    let ws = workspace();
    let ws = ws.to_str().unwrap();

    let out = bia(dir, &["--help"]);
    for word in ["new", "add", "proto", "openapi", "run"] {
        assert!(text(&out.stdout).contains(word), "{}", text(&out.stdout));
    }
    assert!(bia(dir, &["new", "--help"]).status.success());

    refused(dir, &["new", "User"], "not a project name");
    refused(dir, &["new", "my app"], "not a project name");
    refused(dir, &["new", "type"], "taken");
    refused(dir, &["new", "shop", "--package", "Shop.v1"], "not a proto package");
    refused(dir, &["new", "shop", "--db", "oracle"], "oracle");
    refused(dir, &["new", "shop", "--bia-path", dir.to_str().unwrap()], "not a Bia checkout");
    std::fs::create_dir(dir.join("full")).unwrap();
    std::fs::write(dir.join("full/keep.txt"), "mine").unwrap();
    refused(dir, &["new", "full"], "not empty");
    refused(dir, &["add", "service", "greeter"], "not inside a Bia project");
    refused(dir, &["proto"], "not inside a Bia project");
    refused(dir, &["run"], "not inside a Bia project");

    // A project (not built here): services that exist or cannot be, and
    // a file whose `bia:` lines were edited away.
    let out = bia(dir, &["new", "shop", "--bia-path", ws]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shop = dir.join("shop");
    refused(&shop, &["add", "service", "shop"], "exists already");
    refused(&shop.join("src"), &["add", "service", "9lives"], "not a service name");
    refused(&shop, &["add", "service", "loop"], "keyword");
    let server = shop.join("src/server.rs");
    let edited = std::fs::read_to_string(&server).unwrap().replacen("// bia: mounts above", "", 1);
    std::fs::write(&server, edited).unwrap();
    refused(&shop, &["add", "service", "greeter"], "bia: mounts above");
}

/// A started service: the process (`bia run`), killed if still running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `cargo ARGS` in `dir`, on the shared target directory; panics with the
/// output when it fails.
fn cargo(dir: &Path, args: &[&str]) {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_PROFILE_DEV_DEBUG", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo {args:?} in {}:\n{}\n{}", dir.display(), text(&out.stdout), text(&out.stderr));
}

/// curl's reply body, or `None` without curl (a failure when required).
fn curl(args: &[&str]) -> Option<String> {
    match Command::new("curl").args(["-sS", "--max-time", "10"]).args(args).output() {
        Ok(out) => {
            assert!(out.status.success(), "curl {args:?}: {}", text(&out.stderr));
            Some(text(&out.stdout))
        }
        Err(e) => {
            assert!(!required(), "curl: {e}");
            None
        }
    }
}

/// A Python program's output, or `None` without Python or `module` (a
/// failure when required).
fn python(module: &str, args: &[&str]) -> Option<Output> {
    let have = Command::new("python3").args(["-c", &format!("import {module}")]).output();
    if !have.is_ok_and(|o| o.status.success()) {
        assert!(!required(), "python3 with `{module}` is needed (pip install it)");
        eprintln!("skipping what needs python3 and {module}");
        return None;
    }
    Some(Command::new("python3").args(args).output().unwrap())
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn a_new_project_builds_passes_its_tests_grows_a_service_and_runs() {
    let tmp = TempDir::new("new");
    let ws = workspace();
    let out = bia(&tmp.0, &["new", "hello-service", "--bia-path", ws.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let next = text(&out.stdout);
    assert!(next.contains("cd hello-service") && next.contains("cargo run") && next.contains("cargo test"), "{next}");
    let project = tmp.0.join("hello-service");
    for file in ["src/api.rs", "src/service.rs", "src/biz.rs", "src/data.rs", "src/server.rs", "src/main.rs"] {
        assert!(project.join(file).is_file(), "{file}");
    }
    for file in ["configs/config.yaml", "migrations/0001_init.sql", "tests/process.rs", "README.md", "Dockerfile"] {
        assert!(project.join(file).is_file(), "{file}");
    }
    let dockerfile = std::fs::read_to_string(project.join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("cargo build --release --locked"), "{dockerfile}");
    std::fs::copy(ws.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();

    // Its own test starts it and calls both transports.
    cargo(&project, &["test"]);

    // A service added, built, and called under `bia run`.
    let out = bia(&project, &["add", "service", "greeter"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (http, grpc) = (free_port(), free_port());
    let mut run = Running(
        Command::new(BIA)
            .arg("run")
            .current_dir(&project)
            .env("CARGO_TARGET_DIR", target_dir())
            .env("CARGO_PROFILE_DEV_DEBUG", "false")
            .env("BIA_SERVER__HTTP__ADDR", format!("127.0.0.1:{http}"))
            .env("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{grpc}"))
            .env("HELLO_SERVICE_DB", format!("sqlite://{}?mode=rwc", tmp.0.join("run.db").display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The build comes first: up to a few minutes on a cold cache.
    let started = Instant::now();
    let base = format!("http://127.0.0.1:{http}");
    while std::net::TcpStream::connect(("127.0.0.1", http)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(600), "bia run never served");
        assert!(run.0.try_wait().unwrap().is_none(), "bia run ended before serving");
        std::thread::sleep(Duration::from_millis(200));
    }
    if let Some(reply) = curl(&["-X", "POST", &format!("{base}/v1/greeters"), "-d", r#"{"name":"ada"}"#]) {
        let created = json(&reply);
        let id = created["greeter"]["id"].as_str().unwrap().to_owned();
        let got = json(&curl(&[&format!("{base}/v1/greeters/{id}")]).unwrap());
        assert_eq!(got["greeter"]["name"], "ada", "{got}");
        let hello = json(&curl(&["-X", "POST", &format!("{base}/v1/hellos"), "-d", r#"{"name":"bob"}"#]).unwrap());
        assert_eq!(hello["hello"]["name"], "bob", "{hello}");
        let script = ws.join("tests/interop/grpc_call.py");
        let target = format!("127.0.0.1:{grpc}");
        let body = format!(r#"{{"id":"{id}"}}"#);
        if let Some(out) =
            python("grpc_reflection", &[script.to_str().unwrap(), &target, "hello.v1.Greeter", "GetGreeter", &body])
        {
            let reply = json(&text(&out.stdout));
            assert_eq!(reply["greeter"]["name"], "ada", "{reply} {}", text(&out.stderr));
            let out = python(
                "grpc_reflection",
                &[script.to_str().unwrap(), &target, "hello.v1.Hello", "ListHellos", r#"{"page":"1"}"#],
            )
            .unwrap();
            let reply = json(&text(&out.stdout));
            assert_eq!(reply["total"], "1", "{reply}");
        }
    }
    // SIGTERM to `bia` reaches the service, which drains and exits 0.
    let status = Command::new("kill").args(["-TERM", &run.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = run.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "bia run did not stop");
        std::thread::sleep(Duration::from_millis(100));
    };
    // The service logs to standard output; `bia` and cargo to standard error.
    let mut log = String::new();
    std::io::Read::read_to_string(run.0.stdout.as_mut().unwrap(), &mut log).unwrap();
    std::io::Read::read_to_string(run.0.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("draining"), "{log}");

    // The schemas, through the project's binary.
    let protos = tmp.0.join("proto");
    let out = bia(&project, &["proto", protos.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let proto = std::fs::read_to_string(protos.join("hello/v1.proto")).unwrap();
    assert!(proto.contains("service Hello") && proto.contains("service Greeter"), "{proto}");
    let files = ["hello/v1.proto", "google/api/http.proto", "google/api/annotations.proto"];
    let include = format!("-I{}", protos.display());
    let mut args = vec!["-m", "grpc_tools.protoc", include.as_str(), "-o/dev/null"];
    args.extend(files);
    if let Some(out) = python("grpc_tools", &args) {
        assert!(out.status.success(), "protoc: {}", text(&out.stderr));
    }
    let doc = tmp.0.join("openapi.json");
    let out = bia(&project, &["openapi", doc.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let document = json(&std::fs::read_to_string(&doc).unwrap());
    assert!(document["paths"]["/v1/greeters/{id}"]["get"].is_object(), "{document}");
    let check = "import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1])))";
    if let Some(out) = python("openapi_spec_validator", &["-c", check, doc.to_str().unwrap()]) {
        assert!(out.status.success(), "openapi-spec-validator: {}", text(&out.stderr));
    }
}

/// The PostgreSQL and MySQL projects build with their tests (which skip
/// without a database to use).
#[test]
fn postgres_and_mysql_projects_build() {
    let tmp = TempDir::new("dbs");
    let ws = workspace();
    for db in ["postgres", "mysql"] {
        let name = format!("{db}-shop");
        let out = bia(&tmp.0, &["new", &name, "--db", db, "--bia-path", ws.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let project = tmp.0.join(&name);
        let data = std::fs::read_to_string(project.join("src/data.rs")).unwrap();
        let placeholder = if db == "postgres" { "VALUES ($1, $2, $3)" } else { "VALUES (?, ?, ?)" };
        assert!(data.contains(placeholder), "{data}");
        std::fs::copy(ws.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
        cargo(&project, &["test", "--no-run"]);
    }
}
