//! The user-service on a real MariaDB server (Debian's `mariadb-server`), the
//! way the Kratos tutorial runs it on MySQL: `driver: mysql` with the Go
//! driver's DSN, then a `mysql://` URL on the same database. The calls of the
//! Postgres test on both transports, the data surviving the restart, and
//! starts that fail on a bad DSN or a wrong password.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use user_service::api::*;

mod support;

use support::*;

const USER: &str = "bia";
/// What a DSN and a URL both read specially: `@`, `:` and `/`.
const PASSWORD: &str = "p@ss:w/rd";
const PASSWORD_IN_URL: &str = "p%40ss%3Aw%2Frd";
const DATABASE: &str = "bia";

/// A throwaway MariaDB server on a free loopback port, in its own data
/// directory, with a database `bia` that the user `bia` (password
/// [`PASSWORD`]) may use from 127.0.0.1.
struct MariaDb {
    child: Child,
    dir: PathBuf,
    port: u16,
}

/// The first of `names` on the PATH or in the system directories (`mariadbd`
/// is in /usr/sbin, which a user's PATH often lacks).
fn mariadb_bin(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"].map(PathBuf::from))
        .collect();
    names.iter().flat_map(|name| dirs.iter().map(move |d| d.join(name))).find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}

impl MariaDb {
    fn start() -> Option<MariaDb> {
        let install = mariadb_bin(&["mariadb-install-db", "mysql_install_db"])?;
        let server = mariadb_bin(&["mariadbd", "mysqld"])?;
        let dir = std::env::temp_dir().join(format!("bia-mariadb-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("data");
        // mariadbd refuses to run as root unless told to; as anyone else the
        // files are simply theirs.
        let user: &[&str] = if is_root() { &["--user=root"] } else { &[] };
        // `--no-defaults` first, everywhere: the host's my.cnf (its port,
        // socket, data directory) must not get in.
        let out = Command::new(&install)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"])
            .args(user)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{} failed ({}):\n{}{}",
            install.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Run by the server at start, before it takes connections.
        let init = dir.join("init.sql");
        std::fs::write(
            &init,
            format!(
                "CREATE DATABASE IF NOT EXISTS {DATABASE};\n\
                 CREATE USER IF NOT EXISTS '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';\n\
                 GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{USER}'@'127.0.0.1';\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new(&server)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", dir.join("mariadb.sock").display()))
            .arg(format!("--pid-file={}", dir.join("mariadb.pid").display()))
            .arg(format!("--log-error={}", dir.join("server.log").display()))
            .arg(format!("--init-file={}", init.display()))
            .arg("--skip-name-resolve")
            .args(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // From here on the guard stops the server, whatever fails.
        let mut db = MariaDb { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = db.child.try_wait().unwrap() {
                panic!("{} exited ({status}) before accepting connections", server.display());
            }
            if db.log().contains("ready for connections") && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(db);
            }
            assert!(Instant::now() < deadline, "MariaDB did not accept connections on 127.0.0.1:{port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// The Kratos tutorial's form, with its `parseTime` and friends.
    fn go_dsn(&self) -> String {
        format!("{USER}:{PASSWORD}@tcp(127.0.0.1:{})/{DATABASE}?parseTime=true&loc=Local&charset=utf8mb4", self.port)
    }

    fn url(&self) -> String {
        format!("mysql://{USER}:{PASSWORD_IN_URL}@127.0.0.1:{}/{DATABASE}", self.port)
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- the MariaDB server's log ---\n{}--- end of the log ---", self.log());
        }
        // A clean shutdown (SIGTERM), bounded, then SIGKILL; then the files.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits (bounded) for a start that must fail: its status and stderr.
fn failed_start(mut child: Child) -> (ExitStatus, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut s) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut s, &mut err);
            }
            return (status, err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("user-service still running 30 s into a start that must fail:\n{}", child.wait_with_output_ref());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn loopback_ports() -> [(&'static str, String); 2] {
    [
        ("BIA_SERVER__HTTP__ADDR", format!("127.0.0.1:{}", free_port())),
        ("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{}", free_port())),
    ]
}

#[tokio::test]
async fn mariadb_with_the_tutorials_go_dsn_and_a_mysql_url() {
    let Some(db) = MariaDb::start() else {
        let msg =
            "MariaDB server binaries (mariadb-install-db, mariadbd) are not installed (apt-get install mariadb-server)";
        assert!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"), "BIA_REQUIRE_EXTERNAL=1: {msg}");
        eprintln!("skipping the MariaDB test: {msg}");
        return;
    };
    let dir = temp_dir("mariadb");

    // `driver: mysql` and the Go DSN, as the tutorial's config has them.
    let tutorial = [("USER_SERVICE_DB", db.go_dsn()), ("BIA_DATA__DATABASE__DRIVER", "mysql".to_owned())];
    let svc = Service::start_with(&dir, &tutorial).await;
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
    let mut users = Vec::new();
    for i in 0..3 {
        let req = CreateUserRequest { name: format!("my{i}"), email: format!("my{i}@example.com") };
        let reply = if i % 2 == 0 { http.create_user(req).await } else { grpc.create_user(req).await };
        users.push(reply.unwrap().user.unwrap());
    }
    for u in &users {
        assert_eq!(http.get_user(GetUserRequest { id: u.id.clone() }).await.unwrap().user.unwrap(), *u);
        assert_eq!(grpc.get_user(GetUserRequest { id: u.id.clone() }).await.unwrap().user.unwrap(), *u);
    }

    // Pages oldest first, on both transports; past the end: empty, the true total.
    for page in [
        http.list_users(ListUsersRequest { page: 2, page_size: 2 }).await.unwrap(),
        grpc.list_users(ListUsersRequest { page: 2, page_size: 2 }).await.unwrap(),
    ] {
        assert_eq!((page.users, page.total), (vec![users[2].clone()], 3));
    }
    let first = grpc.list_users(ListUsersRequest { page: 1, page_size: 2 }).await.unwrap();
    assert_eq!(first.users, users[..2]);
    let past = http.list_users(ListUsersRequest { page: 9, page_size: 10 }).await.unwrap();
    assert_eq!((past.users.len(), past.total), (0, 3));

    // Errors, identical on both transports: an unknown id, an email taken
    // (MariaDB's 1062 mapped as SQLite's and Postgres' unique violations are).
    let unknown = GetUserRequest { id: uuid::Uuid::new_v4().to_string() };
    let e = http.get_user(unknown.clone()).await.unwrap_err();
    assert!(UserError::is_user_not_found(&e), "{e}");
    assert_eq!(grpc.get_user(unknown).await.unwrap_err(), e);
    let dup = CreateUserRequest { name: "dup".into(), email: "my0@example.com".into() };
    let e = grpc.create_user(dup.clone()).await.unwrap_err();
    assert!(UserError::is_email_taken(&e), "{e}");
    assert_eq!(http.create_user(dup).await.unwrap_err(), e);
    // Emails compare byte for byte, as on SQLite and Postgres (not MySQL's
    // default case-insensitive collation).
    let upper = CreateUserRequest { name: "upper".into(), email: "MY0@example.com".into() };
    users.push(http.create_user(upper).await.unwrap().user.unwrap());

    svc.sigterm();
    let (status, out) = svc.wait_exit();
    assert!(status.success(), "{status}\n{out}");

    // A `mysql://` URL on the same database, no `driver`: the migrations are
    // already applied, the data is there, writes work.
    let svc = Service::start_with(&dir, &[("USER_SERVICE_DB", db.url())]).await;
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
    assert_eq!(grpc.get_user(GetUserRequest { id: users[1].id.clone() }).await.unwrap().user.unwrap(), users[1]);
    assert_eq!(http.get_user(GetUserRequest { id: users[3].id.clone() }).await.unwrap().user.unwrap(), users[3]);
    let all = http.list_users(ListUsersRequest { page: 1, page_size: 10 }).await.unwrap();
    assert_eq!((all.users, all.total), (users.clone(), 4));
    let late = CreateUserRequest { name: "late".into(), email: "late@example.com".into() };
    grpc.create_user(late.clone()).await.unwrap();
    assert!(UserError::is_email_taken(&http.create_user(late).await.unwrap_err()));
    assert_eq!(grpc.list_users(ListUsersRequest::default()).await.unwrap().total, 5);
    check_update_user(&http, &grpc, &svc.http_url()).await;
    svc.sigterm();
    assert!(svc.wait_exit().0.success());

    // A DSN the Go driver rejects too: the start fails naming what is wrong,
    // never the password.
    let broken = format!("{USER}:{PASSWORD}@tcp(127.0.0.1:{}/{DATABASE}", db.port);
    let mut env = loopback_ports().to_vec();
    env.extend([("USER_SERVICE_DB", broken), ("BIA_DATA__DATABASE__DRIVER", "mysql".to_owned())]);
    let (status, err) = failed_start(Service::spawn(&dir, &env, &[]));
    assert_eq!(status.code(), Some(1), "{err}");
    let named = format!("bad database source `***@tcp(127.0.0.1:{}/{DATABASE}`", db.port);
    assert!(err.contains(&named) && err.contains("missing its closing `)`"), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");

    // A wrong password: the server's refusal, with the source redacted.
    let wrong = format!("{USER}:not-the-password@tcp(127.0.0.1:{})/{DATABASE}", db.port);
    let mut env = loopback_ports().to_vec();
    env.push(("USER_SERVICE_DB", wrong));
    let (status, err) = failed_start(Service::spawn(&dir, &env, &[]));
    assert_eq!(status.code(), Some(1), "{err}");
    let named = format!("cannot open the database `***@tcp(127.0.0.1:{})/{DATABASE}`", db.port);
    assert!(err.contains(&named) && err.contains("Access denied"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
}
