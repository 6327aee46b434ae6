//! A throwaway etcd server for the registry tests (Debian's `etcd-server`):
//! free 127.0.0.1 ports, a temporary data dir, stopped and removed on drop.
//! Shared with the user-service's tests (included there by path).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running etcd.
pub struct Etcd {
    child: Option<Child>,
    dir: PathBuf,
    /// The client port (`http://127.0.0.1:<port>`, or `https://` when
    /// started with [`Etcd::start_secure`]).
    pub port: u16,
    peer_port: u16,
    generation: u32,
    secure: Option<Secure>,
    /// A plaintext client port beside the TLS one (health and set-up).
    plain_port: u16,
}

/// TLS for etcd's client port: its certificate and key, and the CA client
/// certificates must chain to (`--client-cert-auth`); and how long its auth
/// tokens live (`--auth-token-ttl`, seconds).
pub struct Secure {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
    pub token_ttl_secs: u32,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn binary() -> Option<PathBuf> {
    ["/usr/bin/etcd", "/usr/local/bin/etcd"].iter().map(PathBuf::from).find(|p| p.exists()).or_else(|| {
        let out = Command::new("sh").args(["-c", "command -v etcd"]).output().ok()?;
        let path = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (!path.is_empty()).then(|| PathBuf::from(path))
    })
}

impl Etcd {
    /// Starts etcd, or returns `None` (after saying why) when it is not
    /// installed; with `BIA_REQUIRE_EXTERNAL=1` a missing etcd is a failure.
    pub fn start(test: &str) -> Option<Etcd> {
        Self::start_with(test, None)
    }

    /// Starts etcd with TLS on its client port (client certificates
    /// required), plus a plaintext port on loopback for set-up
    /// ([`Etcd::plain_url`]).
    pub fn start_secure(test: &str, secure: Secure) -> Option<Etcd> {
        Self::start_with(test, Some(secure))
    }

    fn start_with(test: &str, secure: Option<Secure>) -> Option<Etcd> {
        let Some(_) = binary() else {
            let msg = "etcd is not installed (apt-get install etcd-server)";
            assert!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"), "BIA_REQUIRE_EXTERNAL=1: {msg}");
            eprintln!("skipping {test}: {msg}");
            return None;
        };
        let dir = std::env::temp_dir().join(format!("bia-etcd-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let mut etcd = Etcd {
            child: None,
            dir,
            port: free_port(),
            peer_port: free_port(),
            generation: 0,
            secure,
            plain_port: free_port(),
        };
        etcd.spawn();
        Some(etcd)
    }

    /// `http://127.0.0.1:<port>` (`https://` when secure).
    pub fn url(&self) -> String {
        let scheme = if self.secure.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// A plaintext client URL: [`Etcd::url`], or for a secure etcd the
    /// extra loopback port (for set-up through etcd's JSON gateway).
    pub fn plain_url(&self) -> String {
        match self.secure {
            Some(_) => format!("http://127.0.0.1:{}", self.plain_port),
            None => self.url(),
        }
    }

    fn spawn(&mut self) {
        let data = self.dir.join(format!("data-{}", self.generation));
        let client = self.url();
        let listen = match self.secure {
            Some(_) => format!("{client},{}", self.plain_url()),
            None => client.clone(),
        };
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let log = std::fs::File::create(self.dir.join(format!("etcd-{}.log", self.generation))).expect("a log file");
        let mut command = Command::new(binary().expect("etcd"));
        if let Some(secure) = &self.secure {
            command
                .arg(format!("--cert-file={}", secure.cert.display()))
                .arg(format!("--key-file={}", secure.key.display()))
                .arg(format!("--trusted-ca-file={}", secure.client_ca.display()))
                .arg("--client-cert-auth")
                .arg(format!("--auth-token-ttl={}", secure.token_ttl_secs));
        }
        let child = command
            .arg("--name=bia-test")
            .arg(format!("--data-dir={}", data.display()))
            .arg(format!("--listen-client-urls={listen}"))
            .arg(format!("--advertise-client-urls={client}"))
            .arg(format!("--listen-peer-urls={peer}"))
            .arg(format!("--initial-advertise-peer-urls={peer}"))
            .arg(format!("--initial-cluster=bia-test={peer}"))
            .arg("--listen-metrics-urls=")
            .env("ETCD_UNSUPPORTED_ARCH", std::env::consts::ARCH)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("etcd starts");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let port = if self.secure.is_some() { self.plain_port } else { self.port };
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::{Read as _, Write as _};
                let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
                let _ = s.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                if out.contains("\"health\":\"true\"") {
                    return;
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("etcd exited with {status}; see {}", self.dir.display());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("etcd did not become healthy within 20 s; see {}", self.dir.display());
    }

    /// Kills etcd (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts etcd again on the same ports and data (after [`Etcd::kill`]
    /// or as a restart): what it held is still there.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Puts `value` at `key`, through etcd's JSON gateway (`/v3/kv/put`).
    pub fn put(&self, key: &str, value: &str) {
        let body = format!("{{\"key\":\"{}\",\"value\":\"{}\"}}", base64(key.as_bytes()), base64(value.as_bytes()));
        self.gateway("/v3/kv/put", &body);
    }

    /// Deletes `key`, through etcd's JSON gateway (`/v3/kv/deleterange`).
    pub fn delete(&self, key: &str) {
        self.gateway("/v3/kv/deleterange", &format!("{{\"key\":\"{}\"}}", base64(key.as_bytes())));
    }

    /// One POST to the JSON gateway on the plaintext port; panics unless 200.
    fn gateway(&self, path: &str, body: &str) {
        use std::io::{Read as _, Write as _};
        let port = if self.secure.is_some() { self.plain_port } else { self.port };
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("etcd is up");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 200"), "etcd {path}: {out}");
    }

    /// Starts a new, empty etcd on the same ports (everything registered is
    /// gone, as after losing the cluster).
    pub fn restart_empty(&mut self) {
        self.kill();
        self.generation += 1;
        self.spawn();
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Standard base64 with padding, for the JSON gateway's keys and values.
/// Written here because this file is shared by crates whose dev-dependencies
/// differ, and it is a dozen lines.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
