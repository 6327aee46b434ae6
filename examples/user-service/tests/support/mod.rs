//! What the process tests share: the user-service binary started on free
//! loopback ports with its own SQLite file, waited for, signalled and reaped.

#![allow(dead_code)] // each test file uses its own part

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

pub const BIN: &str = env!("CARGO_BIN_EXE_user-service");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bia-user-service-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Service {
    pub child: Child,
    pub http_port: u16,
    pub grpc_port: u16,
}

impl Service {
    pub fn spawn(dir: &Path, extra: &[(&str, String)], args: &[&str]) -> Child {
        Self::spawn_logging(dir, extra, args, Stdio::piped(), Stdio::piped())
    }

    /// As [`spawn`](Self::spawn), its output going to `stdout` and `stderr`.
    pub fn spawn_logging(dir: &Path, extra: &[(&str, String)], args: &[&str], stdout: Stdio, stderr: Stdio) -> Child {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir)
            .args(args)
            .env("USER_SERVICE_DB", format!("sqlite://{}/users.db?mode=rwc", dir.display()))
            .env("BIA_LOG__FORMAT", "json")
            .stdout(stdout)
            .stderr(stderr);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.spawn().expect("start user-service")
    }

    pub async fn start(dir: &Path) -> Service {
        Self::start_with(dir, &[]).await
    }

    pub async fn start_args(dir: &Path, extra: &[(&str, String)], args: &[&str]) -> Service {
        let (http_port, grpc_port) = (free_port(), free_port());
        let mut env = vec![
            ("BIA_SERVER__HTTP__ADDR", format!("127.0.0.1:{http_port}")),
            ("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{grpc_port}")),
        ];
        env.extend(extra.iter().cloned());
        let child = Self::spawn(dir, &env, args);
        let mut svc = Service { child, http_port, grpc_port };
        svc.wait_ready().await;
        svc
    }

    /// Started with its log lines going to `dir/service.log` (a test that
    /// sends thousands of requests would fill an unread pipe and stall it).
    pub async fn start_logging_to_file(dir: &Path) -> Service {
        let (http_port, grpc_port) = (free_port(), free_port());
        let env = [
            ("BIA_SERVER__HTTP__ADDR", format!("127.0.0.1:{http_port}")),
            ("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{grpc_port}")),
        ];
        let log = std::fs::File::create(dir.join("service.log")).unwrap();
        let child = Self::spawn_logging(dir, &env, &[], log.try_clone().unwrap().into(), log.into());
        let mut svc = Service { child, http_port, grpc_port };
        svc.wait_ready().await;
        svc
    }

    pub async fn start_with(dir: &Path, extra: &[(&str, String)]) -> Service {
        let (http_port, grpc_port) = (free_port(), free_port());
        let mut env = vec![
            ("BIA_SERVER__HTTP__ADDR", format!("127.0.0.1:{http_port}")),
            ("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{grpc_port}")),
        ];
        env.extend(extra.iter().cloned());
        let child = Self::spawn(dir, &env, &[]);
        let mut svc = Service { child, http_port, grpc_port };
        svc.wait_ready().await;
        svc
    }

    pub async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let out = self.child.wait_with_output_ref();
                panic!("user-service exited early ({status}):\n{out}");
            }
            if let Ok(Ok(mut s)) = tokio::time::timeout(
                Duration::from_millis(500),
                tokio::net::TcpStream::connect(("127.0.0.1", self.http_port)),
            )
            .await
            {
                let _ = s.write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
                let mut buf = Vec::new();
                let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut buf)).await;
                if buf.starts_with(b"HTTP/1.1 200") {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "user-service not ready within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    pub fn grpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc_port)
    }

    pub fn sigterm(&self) {
        let ok = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap().success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits (bounded) for the exit; returns the status and stdout.
    pub fn wait_exit(mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut out = String::new();
                if let Some(mut s) = self.child.stdout.take() {
                    let _ = std::io::Read::read_to_string(&mut s, &mut out);
                }
                return (status, out);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("user-service did not exit within 20 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

pub trait OutputRef {
    fn wait_with_output_ref(&mut self) -> String;
}

impl OutputRef for Child {
    fn wait_with_output_ref(&mut self) -> String {
        let mut out = String::new();
        if let Some(mut s) = self.stdout.take() {
            let _ = std::io::Read::read_to_string(&mut s, &mut out);
        }
        if let Some(mut s) = self.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut s, &mut out);
        }
        out
    }
}

/// A plain HTTP/1.1 GET on a fresh connection: the status and the body.
pub async fn get(url: &str) -> (u16, String) {
    request("GET", url, "").await
}

/// A raw request on a fresh HTTP/1.1 connection: the status and the body.
pub async fn request(method: &str, url: &str, body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".to_owned()));
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(format!("{head}{body}").as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf))
        .await
        .expect("a reply within 10 s")
        .expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// The Update method (AIP-134) on whatever database the service runs: a
/// mask from the query, the implicit mask, each refusal the same on both
/// transports, and a raw `PATCH` as curl would send it.
pub async fn check_update_user(
    http: &user_service::api::UserApiHttpClient,
    grpc: &user_service::api::UserApiGrpcClient,
    http_url: &str,
) {
    use bia::types::FieldMask;
    use user_service::api::*;

    let mask = |paths: &[&str]| Some(FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() });
    let new = |name: &str, email: &str| CreateUserRequest { name: name.into(), email: email.into() };
    let ann = grpc.create_user(new("ann", "ann.update@example.com")).await.unwrap().user.unwrap();
    let bob = http.create_user(new("bob", "bob.update@example.com")).await.unwrap().user.unwrap();

    // Only what the mask names changes: the email in the patch is not applied.
    let patch = UserInfo { id: ann.id.clone(), name: "Ann B".into(), email: "ignored@example.com".into() };
    let req = UpdateUserRequest { user: Some(patch), update_mask: mask(&["name"]) };
    let got = http.update_user(req.clone()).await.unwrap().user.unwrap();
    assert_eq!(got, UserInfo { name: "Ann B".into(), ..ann.clone() });
    assert_eq!(grpc.update_user(req).await.unwrap().user.unwrap(), got);
    assert_eq!(grpc.get_user(GetUserRequest { id: ann.id.clone() }).await.unwrap().user.unwrap(), got);

    // No mask: the fields the request sets.
    let patch = UserInfo { id: ann.id.clone(), name: String::new(), email: "ann.new@example.com".into() };
    let got = grpc.update_user(UpdateUserRequest { user: Some(patch), update_mask: None }).await.unwrap().user.unwrap();
    assert_eq!((got.name.as_str(), got.email.as_str()), ("Ann B", "ann.new@example.com"));

    // Refusals, identical on both transports.
    let bad = |paths: &[&str], email: &str, id: &str| UpdateUserRequest {
        user: Some(UserInfo { id: id.into(), name: "x".into(), email: email.into() }),
        update_mask: mask(paths),
    };
    for (req, code, reason) in [
        (bad(&["nickname"], "x@example.com", &ann.id), 400, "FIELD_MASK"),
        (bad(&["id"], "x@example.com", &ann.id), 400, "IMMUTABLE_FIELD"),
        (bad(&["email"], "bob.update@example.com", &ann.id), 409, "EMAIL_TAKEN"),
        (bad(&["email"], "not an email", &ann.id), 400, "INVALID_EMAIL"),
        (bad(&["name"], "x@example.com", &uuid::Uuid::new_v4().to_string()), 404, "USER_NOT_FOUND"),
    ] {
        let e = http.update_user(req.clone()).await.unwrap_err();
        assert_eq!((e.code(), e.reason()), (code, reason), "{e}");
        assert_eq!(grpc.update_user(req).await.unwrap_err(), e);
    }
    assert_eq!(grpc.get_user(GetUserRequest { id: bob.id.clone() }).await.unwrap().user.unwrap(), bob);

    // A raw PATCH: the id from the path wins over the body's, the mask from
    // the query in its JSON spelling.
    let url = format!("{http_url}/v1/user/{}?updateMask=name,email", bob.id);
    let (status, body) =
        request("PATCH", &url, r#"{"id":"elsewhere","name":"Robert","email":"rob@example.com"}"#).await;
    assert_eq!(status, 200, "{body}");
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["user"], serde_json::json!({"id": bob.id, "name": "Robert", "email": "rob@example.com"}));
    let (status, body) = request("PATCH", &format!("{http_url}/v1/user/{}?update_mask=nick_name", bob.id), "{}").await;
    assert_eq!(status, 400, "{body}");
    let err: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((err["reason"].as_str(), err["metadata"]["path"].as_str()), (Some("FIELD_MASK"), Some("nick_name")));
}

/// Whether the external program `name` runs (`name ARGS`); where
/// `BIA_REQUIRE_EXTERNAL=1`, a missing one fails the test instead.
pub fn external(name: &str, args: &[&str], why: &str) -> bool {
    let found =
        Command::new(name).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
            "BIA_REQUIRE_EXTERNAL=1: {name} is missing ({why})"
        );
        eprintln!("skipping: {name} is not installed ({why})");
    }
    found
}

/// The workspace's `target/` directory, where tests keep what a person may
/// want to look at afterwards (screenshots).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

/// Debian's `chromium` (or another name a Chromium goes by), if installed;
/// where `BIA_REQUIRE_EXTERNAL=1`, a missing one fails the test.
pub fn chromium(why: &str) -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok());
    if found.is_none() {
        external("chromium", &["--version"], why);
    }
    found
}

/// `tests/interop` of the workspace: clients that are not ours.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// A throwaway PostgreSQL server on a free loopback port (Debian's
/// `postgresql` package; run as the `postgres` user when we are root),
/// which a test may stop and start again on the same data and port.
pub struct Postgres {
    child: Option<Child>,
    dir: PathBuf,
    pub port: u16,
}

fn pg_bin(name: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop()
}

fn as_postgres_user(bin: &Path) -> Command {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

impl Postgres {
    /// A new cluster, started; `None` when PostgreSQL is not installed.
    pub fn start(name: &str) -> Option<Postgres> {
        let initdb = pg_bin("initdb")?;
        pg_bin("postgres")?;
        let dir = std::env::temp_dir().join(format!("bia-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
        let out = as_postgres_user(&initdb)
            .args(["--auth=trust", "--username=bia", "--encoding=UTF8", "-D"])
            .arg(dir.join("data"))
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let mut pg = Postgres { child: None, dir, port: free_port() };
        pg.restart();
        Some(pg)
    }

    /// Starts the server (again) on its data and port; waits until it listens.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = as_postgres_user(&pg_bin("postgres").unwrap())
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-p", &self.port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "postgres did not start within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A fast shutdown (connections closed, what was committed kept).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let pid = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).ok();
        if let Some(pid) = pid.as_deref().and_then(|s| s.lines().next()) {
            let _ = Command::new("kill").args(["-INT", pid]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    pub fn url(&self) -> String {
        format!("postgres://bia@127.0.0.1:{}/postgres", self.port)
    }

    /// What a test does without PostgreSQL: fail under
    /// `BIA_REQUIRE_EXTERNAL=1`, else say it skips.
    pub fn missing(test: &str) {
        let msg = "PostgreSQL server binaries (initdb, postgres) are not installed (apt-get install postgresql)";
        assert!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"), "BIA_REQUIRE_EXTERNAL=1: {msg}");
        eprintln!("skipping {test}: {msg}");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
