//! What the order-service's process tests share: the two services as real
//! processes on free loopback ports, and the tutorial's calls.

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use order_service::api::*;
use user_service::api::{CreateUserRequest, UserApiHttpClient};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bia-order-service-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The user-service binary, built next to this package's binary (`cargo
/// test --workspace` builds it; alone, this builds it first).
pub fn user_service_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_order-service")).with_file_name("user-service");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let ok = Command::new(cargo).args(["build", "-p", "user-service", "--bin", "user-service"]).status().unwrap();
        assert!(ok.success(), "building the user-service failed");
    }
    bin
}

/// A running service process; killed on drop.
pub struct Proc {
    pub child: Child,
    pub http: u16,
    pub grpc: u16,
}

impl Proc {
    pub fn spawn(bin: &Path, dir: &Path, env: &[(&str, String)], conf: Option<&Path>) -> Proc {
        Self::spawn_logging(bin, dir, env, conf, Stdio::null())
    }

    /// [`Proc::spawn`] with its log (standard output) to `log`.
    pub fn spawn_logging(bin: &Path, dir: &Path, env: &[(&str, String)], conf: Option<&Path>, log: Stdio) -> Proc {
        let (http, grpc) = (free_port(), free_port());
        let mut cmd = Command::new(bin);
        cmd.current_dir(dir)
            .env("BIA_SERVER__HTTP__ADDR", format!("127.0.0.1:{http}"))
            .env("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{grpc}"))
            .env("BIA_LOG__LEVEL", "warn")
            .stdout(log)
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        if let Some(c) = conf {
            cmd.args(["-c", c.to_str().unwrap()]);
        }
        let mut p = Proc { child: cmd.spawn().expect("the service starts"), http, grpc };
        p.wait_ready();
        p
    }

    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the service exited early: {status}");
            }
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.http)) {
                use std::io::{Read as _, Write as _};
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
                let mut out = Vec::new();
                let _ = s.read_to_end(&mut out);
                if out.starts_with(b"HTTP/1.1 200") {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the service was not ready within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then waits (bounded) for a clean exit.
    pub fn stop(mut self) {
        let ok = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "no exit within 20 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn user_service(dir: &Path, env: &[(&str, String)], conf: Option<&Path>) -> Proc {
    let mut env = env.to_vec();
    env.push(("USER_SERVICE_DB", format!("sqlite://{}/users.db?mode=rwc", dir.display())));
    Proc::spawn(&user_service_bin(), dir, &env, conf)
}

pub fn order_service(dir: &Path, conf: &Path) -> Proc {
    Proc::spawn(Path::new(env!("CARGO_BIN_EXE_order-service")), dir, &[], Some(conf))
}

/// The calls of the tutorial, over both of the order-service's transports.
pub async fn tutorial(users: &Proc, orders: &Proc) -> String {
    let users = UserApiHttpClient::new(format!("http://127.0.0.1:{}", users.http)).unwrap();
    let ann = users
        .create_user(CreateUserRequest { name: "Ann".into(), email: format!("ann-{}@example.com", orders.http) })
        .await
        .unwrap()
        .user
        .unwrap();
    let http = OrderApiHttpClient::new(format!("http://127.0.0.1:{}", orders.http)).unwrap();
    let grpc = OrderApiGrpcClient::connect(format!("http://127.0.0.1:{}", orders.grpc)).await.unwrap();
    let order = http
        .create_order(CreateOrderRequest { user_id: ann.id.clone(), item: "book".into(), quantity: 2 })
        .await
        .unwrap()
        .order
        .unwrap();
    assert_eq!((order.user_id.as_str(), order.item.as_str(), order.quantity), (ann.id.as_str(), "book", 2));
    for details in [
        http.get_order_details_with_user(GetOrderDetailsWithUserRequest { id: order.id.clone() }).await.unwrap(),
        grpc.get_order_details_with_user(GetOrderDetailsWithUserRequest { id: order.id.clone() }).await.unwrap(),
    ] {
        assert_eq!(details.order.as_ref(), Some(&order));
        let buyer = details.user.unwrap();
        assert_eq!((buyer.id.as_str(), buyer.name.as_str()), (ann.id.as_str(), "Ann"));
    }
    // The user-service's "not found" is the order-service's "unknown user".
    let err = http
        .create_order(CreateOrderRequest { user_id: uuid_like(), item: "book".into(), quantity: 1 })
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.reason()), (400, "UNKNOWN_USER"), "{err}");
    let err = grpc.get_order(GetOrderRequest { id: "nope".into() }).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (404, "ORDER_NOT_FOUND"), "{err}");
    order.id
}

pub fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".to_owned()
}
