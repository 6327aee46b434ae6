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
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir)
            .args(args)
            .env("USER_SERVICE_DB", format!("sqlite://{}/users.db?mode=rwc", dir.display()))
            .env("BIA_LOG__FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
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
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".to_owned()));
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
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
