//! The user-service binary started as a real process on free loopback ports,
//! with a real SQLite file: the tutorial's calls over HTTP and gRPC, its
//! errors, data surviving a restart, JSON logs, a graceful SIGTERM with
//! requests in flight on both transports, and start failures.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use user_service::api::*;

mod support;

use support::*;

#[tokio::test]
async fn tutorial_calls_errors_and_data_surviving_a_restart() {
    let dir = temp_dir("tutorial");
    let svc = Service::start(&dir).await;
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();

    let created = http
        .create_user(CreateUserRequest { name: "kratos".into(), email: "kratos@example.com".into() })
        .await
        .unwrap()
        .user
        .unwrap();
    let second = grpc
        .create_user(CreateUserRequest { name: "bia".into(), email: "bia@example.com".into() })
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(uuid::Uuid::parse_str(&created.id).unwrap().get_version_num(), 4);
    let got = grpc.get_user(GetUserRequest { id: created.id.clone() }).await.unwrap().user.unwrap();
    assert_eq!(got, created);
    assert_eq!(http.get_user(GetUserRequest { id: second.id.clone() }).await.unwrap().user.unwrap(), second);

    // Pages are 1-based and ordered; a page past the end is empty with the true total.
    let page = http.list_users(ListUsersRequest { page: 1, page_size: 1 }).await.unwrap();
    assert_eq!((page.users.len(), page.total), (1, 2));
    assert_eq!(page.users[0], created);
    let page2 = grpc.list_users(ListUsersRequest { page: 2, page_size: 1 }).await.unwrap();
    assert_eq!(page2.users, vec![second.clone()]);
    let past = http.list_users(ListUsersRequest { page: 9, page_size: 10 }).await.unwrap();
    assert_eq!((past.users.len(), past.total), (0, 2));

    // Errors, identical on both transports.
    let unknown = GetUserRequest { id: uuid::Uuid::new_v4().to_string() };
    let (e1, e2) = (http.get_user(unknown.clone()).await.unwrap_err(), grpc.get_user(unknown).await.unwrap_err());
    assert_eq!(e1, e2);
    assert!(UserError::is_user_not_found(&e1), "{e1}");
    // The shape rules the API documents are the validation middleware's:
    // `VALIDATOR`, naming the field (the use case checks them again for
    // callers that come another way, with its own reasons).
    let bad = CreateUserRequest { name: "x".into(), email: "not-an-email".into() };
    let e = grpc.create_user(bad.clone()).await.unwrap_err();
    assert_eq!(
        (e.code(), e.reason(), e.metadata().get("field").map(String::as_str)),
        (400, "VALIDATOR", Some("email"))
    );
    assert_eq!(http.create_user(bad).await.unwrap_err(), e);
    let dup = CreateUserRequest { name: "again".into(), email: "kratos@example.com".into() };
    let e = http.create_user(dup.clone()).await.unwrap_err();
    assert!(UserError::is_email_taken(&e), "{e}");
    assert_eq!(grpc.create_user(dup).await.unwrap_err(), e);
    let e = http.create_user(CreateUserRequest { name: "  ".into(), email: "a@b.co".into() }).await.unwrap_err();
    assert_eq!((e.code(), e.reason(), e.metadata().get("field").map(String::as_str)), (400, "VALIDATOR", Some("name")));
    let e = grpc.get_user(GetUserRequest { id: "42".into() }).await.unwrap_err();
    assert_eq!((e.code(), e.reason(), e.metadata().get("field").map(String::as_str)), (400, "VALIDATOR", Some("id")));
    check_update_user(&http, &grpc, &svc.http_url()).await;

    // Graceful stop, JSON logs carry the service's identity.
    svc.sigterm();
    let (status, out) = svc.wait_exit();
    assert!(status.success(), "{status}");
    let first: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("a log line")).expect("JSON log line");
    assert_eq!(first["service.name"], "user-service");
    assert!(first["service.id"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(out.contains("HTTP server listening on 127.0.0.1:"), "{out}");

    // The data survives a restart on the same SQLite file.
    let svc = Service::start(&dir).await;
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
    assert_eq!(grpc.get_user(GetUserRequest { id: created.id.clone() }).await.unwrap().user.unwrap(), created);
    assert_eq!(grpc.list_users(ListUsersRequest::default()).await.unwrap().total, 4);
}

#[tokio::test]
async fn watch_users_streams_each_user_created_on_grpc_sse_and_curl() {
    use bia::stream::StreamExt as _;
    let dir = temp_dir("watch");
    let svc = Service::start(&dir).await;
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
    let mut over_grpc = grpc.watch_users(WatchUsersRequest {}).await.unwrap();
    let mut over_sse = http.watch_users(WatchUsersRequest {}).await.unwrap();
    // `curl -N`, as the README shows it: a reader that is not ours.
    let curl = Command::new("curl")
        .args(["-sN", "--max-time", "20", &format!("{}/v1/users/watch", svc.http_url())])
        .stdout(Stdio::piped())
        .spawn();
    let curl = match curl {
        Ok(c) => Some(c),
        Err(e) if std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() == Ok("1") => panic!("curl is required: {e}"),
        Err(_) => None,
    };
    // The watchers subscribe when their call opens; curl's opens on its own time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut names = Vec::new();
    for name in ["ada", "grace"] {
        let email = format!("{name}@example.com");
        http.create_user(CreateUserRequest { name: name.into(), email }).await.unwrap();
        names.push(name);
    }
    for stream in [&mut over_grpc, &mut over_sse] {
        for name in &names {
            let event = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap().unwrap();
            assert_eq!(event.kind, UserEventKind::Created);
            assert_eq!(event.user.unwrap().name, *name);
        }
    }
    if let Some(mut curl) = curl {
        let mut out = curl.stdout.take().unwrap();
        let mut text = String::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while text.matches("data: ").count() < 2 && Instant::now() < deadline {
            let mut buf = [0u8; 1024];
            let n = std::io::Read::read(&mut out, &mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        let _ = curl.kill();
        let _ = curl.wait();
        assert!(text.contains(r#"data: {"kind":"USER_EVENT_KIND_CREATED","user":{"id":"#), "{text}");
        assert!(text.contains(r#""name":"grace","email":"grace@example.com"}}"#), "{text}");
    }
    drop((over_grpc, over_sse));
    svc.sigterm();
    let (status, _) = svc.wait_exit();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_on_both_transports_and_exits_zero() {
    let dir = temp_dir("drain");
    let svc = Service::start(&dir).await;

    // HTTP: headers and half the body sent, so the request is in flight.
    let body = br#"{"name":"inflight","email":"inflight@example.com"}"#;
    let mut http = tokio::net::TcpStream::connect(("127.0.0.1", svc.http_port)).await.unwrap();
    let head = format!(
        "POST /v1/user HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    http.write_all(head.as_bytes()).await.unwrap();
    http.write_all(&body[..10]).await.unwrap();

    // gRPC: an HTTP/2 call whose message has not been sent yet.
    let client =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).http2_only(true).build_http();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<hyper::body::Frame<Bytes>, std::convert::Infallible>>(1);
    let req = http::Request::post(format!("{}/user.v1.User/CreateUser", svc.grpc_url()))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(http_body_util::StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(rx)))
        .unwrap();
    let grpc_call = tokio::spawn(async move { client.request(req).await });
    tokio::time::sleep(Duration::from_millis(300)).await;

    svc.sigterm();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // New connections are refused while the old ones drain.
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", svc.http_port)).await;
    assert!(refused.is_err(), "a new HTTP connection was accepted while draining");

    // Finish both requests: they complete with success.
    http.write_all(&body[10..]).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), http.read_to_end(&mut reply)).await.unwrap().unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("inflight@example.com"), "{reply}");

    let msg =
        prost::Message::encode_to_vec(&CreateUserRequest { name: "grpc".into(), email: "grpc@example.com".into() });
    let mut frame = vec![0u8];
    frame.extend((msg.len() as u32).to_be_bytes());
    frame.extend(msg);
    tx.send(Ok(hyper::body::Frame::data(Bytes::from(frame)))).await.unwrap();
    drop(tx);
    let res = tokio::time::timeout(Duration::from_secs(10), grpc_call).await.unwrap().unwrap().unwrap();
    let headers = res.headers().clone();
    let collected = res.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let status = headers.get("grpc-status").or_else(|| trailers.get("grpc-status")).expect("grpc-status");
    assert_eq!(status, "0", "{headers:?} {trailers:?}");
    let bytes = collected.to_bytes();
    let rep = <CreateUserReply as prost::Message>::decode(&bytes[5..]).unwrap();
    assert_eq!(rep.user.unwrap().email, "grpc@example.com");

    let (status, _) = svc.wait_exit();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn a_bad_config_is_rejected_with_a_message_naming_it() {
    let dir = temp_dir("badconf");
    let file = dir.join("config.yaml");
    std::fs::write(&file, "server:\n  http:\n    timeout: soon\n").unwrap();
    let out = Service::spawn(&dir, &[], &["-c", file.to_str().unwrap()]).wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.http.timeout") && err.contains("config.yaml"), "{err}");

    let out = Service::spawn(&dir, &[], &["-c", dir.join("missing").to_str().unwrap()]).wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));

    let out =
        Service::spawn(&dir, &[("BIA_SERVER__GRPC__ADDR", "not an address".into())], &[]).wait_with_output().unwrap();
    assert!(!out.status.success());
    // Keys from the environment are named as the variable spells them.
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(err.contains("server.grpc.addr") && err.contains("bia_"), "{err}");
}

/// The command line is `bia::cli`'s: `--help` lists every subcommand,
/// `--version` the package's, a mistake exits 2 with clap's message, and
/// `proto DIR` writes files protoc accepts.
#[test]
fn the_command_line_helps_refuses_mistakes_and_exports_protos() {
    let dir = temp_dir("cli");
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{help}");
    for word in ["serve", "proto", "openapi", "token", "--conf"] {
        assert!(help.contains(word), "`{word}` missing from:\n{help}");
    }
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("user-service {}", env!("CARGO_PKG_VERSION")));
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bogus"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(BIN).args(["token", "--ttl", "soon"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    let protos = dir.join("proto");
    let out = Command::new(BIN).args(["proto", protos.to_str().unwrap()]).current_dir(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = protos.join("user/v1.proto");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(text.contains("service User"), "{text}");
    assert!(!dir.join("user-service.db").exists(), "exporting must not open the database");
    let names: Vec<String> =
        walk(&protos).iter().map(|p| p.strip_prefix(&protos).unwrap().display().to_string()).collect();
    match Command::new("python3")
        .args(["-m", "grpc_tools.protoc", &format!("-I{}", protos.display()), "-o/dev/null"])
        .args(&names)
        .output()
    {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let missing = stderr.contains("No module named");
            assert!(missing && std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"), "protoc: {stderr}");
        }
        Err(e) => assert_ne!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref(), Ok("1"), "python3: {e}"),
    }
}

/// The files under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn openapi_is_served_and_exported_alike_and_the_config_turns_it_off() {
    let dir = temp_dir("openapi");
    let jwt = [("BIA_AUTH__JWT__ENABLED", "true".to_owned())];
    let svc = Service::start_with(&dir, &jwt).await;
    let (status, headers, served) = raw_http("GET", &format!("{}/openapi.json", svc.http_url()), &[], "").await;
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, "application/json"));
    let served: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert_eq!(served["paths"]["/v1/user"]["post"]["security"], serde_json::json!([{"bearer": []}]));
    let (status, _, yaml) = raw_http("GET", &format!("{}/openapi.yaml", svc.http_url()), &[], "").await;
    assert!(status == 200 && yaml.contains("openapi: 3.1.0"), "{status} {yaml}");
    drop(svc);

    // `user-service openapi FILE` writes what the server serves, under the same config.
    let file = dir.join("openapi.json");
    let out = Service::spawn(&dir, &jwt, &["openapi", file.to_str().unwrap()]).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, served);
    let out = Service::spawn(&dir, &[], &["openapi"]).wait_with_output().unwrap();
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(printed["paths"]["/v1/user"]["post"].get("security").is_none(), "no JWT, no bearer");

    let svc = Service::start_with(&dir, &[("BIA_SERVER__HTTP__OPENAPI", "false".to_owned())]).await;
    let (status, _, body) = raw_http("GET", &format!("{}/openapi.json", svc.http_url()), &[], "").await;
    assert_eq!(status, 404);
    assert!(body.contains(r#""reason":"NOT_FOUND""#), "{body}");
}

#[tokio::test]
async fn an_address_in_use_fails_the_start_naming_it() {
    let dir = temp_dir("inuse");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Service::spawn(
        &dir,
        &[("BIA_SERVER__HTTP__ADDR", addr.clone()), ("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{}", free_port()))],
        &[],
    )
    .wait_with_output()
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&addr), "{err}");
}

#[tokio::test]
async fn a_database_that_cannot_open_fails_the_start_naming_the_provider() {
    let dir = temp_dir("nodb");
    let source = format!("sqlite://{}?mode=rwc", dir.join("no-such-dir").join("users.db").display());
    let out = Service::spawn(&dir, &[("BIA_DATA__DATABASE__SOURCE", source)], &[]).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    // The provider that failed, where it is, and why.
    assert!(err.starts_with("user-service: provider `new_user_repo` (examples/user-service/src/data.rs:"), "{err}");
    assert!(err.contains(") failed: cannot open the database `sqlite://"), "{err}");
}

#[tokio::test]
async fn postgres_when_the_source_is_a_postgres_url() {
    let Some(pg) = Postgres::start("process") else {
        return Postgres::missing("the Postgres test");
    };
    let dir = temp_dir("postgres");
    let (http_port, grpc_port) = (free_port(), free_port());
    let child = Service::spawn(
        &dir,
        &[
            ("USER_SERVICE_DB", pg.url()),
            ("BIA_SERVER__HTTP__ADDR", format!("127.0.0.1:{http_port}")),
            ("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{grpc_port}")),
        ],
        &[],
    );
    let mut svc = Service { child, http_port, grpc_port };
    svc.wait_ready().await;
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let u = http
            .create_user(CreateUserRequest { name: format!("pg{i}"), email: format!("pg{i}@example.com") })
            .await
            .unwrap()
            .user
            .unwrap();
        ids.push(u.id);
    }
    assert_eq!(grpc.get_user(GetUserRequest { id: ids[1].clone() }).await.unwrap().user.unwrap().name, "pg1");
    let page = grpc.list_users(ListUsersRequest { page: 2, page_size: 2 }).await.unwrap();
    assert_eq!((page.users.len(), page.total), (1, 3));
    assert_eq!(page.users[0].id, ids[2]);
    let e =
        grpc.create_user(CreateUserRequest { name: "dup".into(), email: "pg0@example.com".into() }).await.unwrap_err();
    assert!(UserError::is_email_taken(&e), "{e}");
    check_update_user(&http, &grpc, &svc.http_url()).await;
    svc.sigterm();
    assert!(svc.wait_exit().0.success());
}

/// One raw HTTP/1.1 request; the status, headers and body text.
async fn raw_http(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> (u16, http::HeaderMap, String) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let mut req = http::Request::builder().method(method).uri(url);
    if !body.is_empty() {
        req = req.header("content-type", "application/json");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(http_body_util::Full::new(Bytes::from(body.to_owned()))).unwrap();
    let res = tokio::time::timeout(Duration::from_secs(10), client.request(req)).await.unwrap().unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// Keeps the reply metadata of the last call (a client middleware).
struct ReplyHeaders(std::sync::Arc<std::sync::Mutex<http::HeaderMap>>);

#[bia::middleware]
impl ReplyHeaders {
    async fn handle(
        &self,
        ctx: &mut bia::middleware::Context,
        req: bia::middleware::AnyMessage,
        next: bia::middleware::Next<'_>,
    ) -> bia::Result<bia::middleware::AnyMessage> {
        let reply = next.run(ctx, req).await;
        *self.0.lock().unwrap() = ctx.reply_headers().clone();
        reply
    }
}

#[tokio::test]
async fn the_default_middleware_run_on_both_transports() {
    let dir = temp_dir("middleware");
    let svc = Service::start(&dir).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(http::HeaderMap::new()));
    let http = UserApiHttpClient::new(svc.http_url()).unwrap().middleware(ReplyHeaders(seen.clone()));
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap().middleware(ReplyHeaders(seen.clone()));

    // Request ids: a new one per call, or the caller's, on both transports.
    http.create_user(CreateUserRequest { name: "kratos".into(), email: "kratos@example.com".into() }).await.unwrap();
    let id = seen.lock().unwrap().get("x-request-id").expect("x-request-id on HTTP").to_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    grpc.list_users(ListUsersRequest::default()).await.unwrap();
    assert!(seen.lock().unwrap().contains_key("x-request-id"), "x-request-id on gRPC");
    let (_, headers, _) =
        raw_http("GET", &format!("{}/v1/users", svc.http_url()), &[("x-request-id", "r-42")], "").await;
    assert_eq!(headers.get("x-request-id").unwrap(), "r-42");

    // Validation before the handler: the same 400 / VALIDATOR on both.
    let long = CreateUserRequest { name: "n".repeat(65), email: "long@example.com".into() };
    let e = http.create_user(long.clone()).await.unwrap_err();
    assert_eq!((e.code(), e.reason()), (400, "VALIDATOR"));
    assert_eq!(e.metadata().get("field").map(String::as_str), Some("name"));
    assert_eq!(grpc.create_user(long).await.unwrap_err(), e);
    let e = grpc.list_users(ListUsersRequest { page: -1, page_size: 10 }).await.unwrap_err();
    assert_eq!((e.code(), e.reason(), e.metadata().get("rule").map(String::as_str)), (400, "VALIDATOR", Some("range")));

    // Metrics: a Prometheus scrape counts the calls per transport and outcome.
    let (status, headers, text) = raw_http("GET", &format!("{}/metrics", svc.http_url()), &[], "").await;
    assert_eq!(status, 200);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().contains("text"), "{headers:?}");
    let count = |kind: &str, op: &str, code: &str| -> u64 {
        text.lines()
            .filter(|l| l.starts_with("server_requests_code_total{"))
            .filter(|l| {
                l.contains(&format!("kind=\"{kind}\""))
                    && l.contains(&format!("operation=\"{op}\""))
                    && l.contains(&format!("code=\"{code}\""))
            })
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(count("http", UserApiOperation::CREATE_USER, "200"), 1, "{text}");
    assert_eq!(count("http", UserApiOperation::CREATE_USER, "400"), 1, "{text}");
    assert_eq!(count("grpc", UserApiOperation::CREATE_USER, "400"), 1, "{text}");
    assert_eq!(count("grpc", UserApiOperation::LIST_USERS, "200"), 1, "{text}");
    assert!(text.contains("server_requests_seconds_count{"), "{text}");

    // Logging: one JSON line per call with the operation, the code, masked emails
    // and the request id of the call.
    svc.sigterm();
    let (status, out) = svc.wait_exit();
    assert!(status.success(), "{status}");
    let lines: Vec<serde_json::Value> = out.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let create = lines
        .iter()
        .find(|l| l["fields"]["operation"] == UserApiOperation::CREATE_USER && l["fields"]["code"] == 200)
        .unwrap_or_else(|| panic!("no log line of the create call:\n{out}"));
    let text = create.to_string();
    assert!(!text.contains("kratos@example.com"), "the email was not masked: {text}");
    assert!(text.contains("kratos"), "{text}");
    assert!(text.contains(&id), "the request id is on the call's log line: {text}");
    let trace_id = create["span"]["trace.id"]
        .as_str()
        .or_else(|| create["spans"].as_array()?.iter().find_map(|s| s["trace.id"].as_str()));
    assert!(trace_id.is_some_and(|t| t.len() == 32 && t != "0".repeat(32)), "a trace id on the line: {text}");
}

#[tokio::test]
async fn jwt_guards_the_write_operations_when_switched_on() {
    let dir = temp_dir("jwt");
    let secret = ("USER_SERVICE_JWT_SECRET", "s3cret-for-tests".to_owned());
    let svc = Service::start_with(&dir, &[("BIA_AUTH__JWT__ENABLED", "true".into()), secret.clone()]).await;
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
    let req = CreateUserRequest { name: "kratos".into(), email: "kratos@example.com".into() };

    // No token: 401 on both transports; reads stay open.
    let e = http.create_user(req.clone()).await.unwrap_err();
    assert_eq!((e.code(), e.reason()), (401, "UNAUTHORIZED"));
    assert_eq!(grpc.create_user(req.clone()).await.unwrap_err(), e);
    assert_eq!(grpc.list_users(ListUsersRequest::default()).await.unwrap().total, 0);

    // A token from `user-service token` (the README's way) opens them.
    let out =
        Command::new(BIN).args(["token", "--sub", "alice", "--ttl", "5m"]).env(secret.0, &secret.1).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let bearer = format!("Bearer {token}");
    let (status, _, body) = raw_http(
        "POST",
        &format!("{}/v1/user", svc.http_url()),
        &[("authorization", &bearer)],
        r#"{"name":"kratos","email":"kratos@example.com"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let authed = UserApiGrpcClient::connect(svc.grpc_url())
        .await
        .unwrap()
        .middleware(bia::middleware::jwt::Client::bearer(&token).unwrap());
    authed.create_user(CreateUserRequest { name: "bia".into(), email: "bia@example.com".into() }).await.unwrap();

    // A token signed with another secret is refused.
    let forged = bia::middleware::jwt::Signer::new(bia::middleware::jwt::SigningKey::hs256("other").unwrap())
        .subject("mallory")
        .sign()
        .unwrap();
    let (status, _, body) = raw_http(
        "POST",
        &format!("{}/v1/user", svc.http_url()),
        &[("authorization", &format!("Bearer {forged}"))],
        r#"{"name":"m","email":"m@example.com"}"#,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("UNAUTHORIZED"), "{body}");
    assert_eq!(http.list_users(ListUsersRequest::default()).await.unwrap().total, 2);
}

/// The user-service on TLS by its config alone: `server.http.tls` and
/// `server.grpc.tls` set from the environment, certificates made by the
/// openssl command line, called by curl over HTTPS and checked by openssl on
/// the gRPC port (ALPN h2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_switched_on_by_config_alone() {
    if !external("curl", &["--version"], "the HTTPS client")
        || !external("openssl", &["version"], "certificates, ALPN check")
    {
        return;
    }
    let dir = temp_dir("tls");
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let (http_port, grpc_port) = (free_port(), free_port());
    let (cert_s, key_s) = (cert.display().to_string(), key.display().to_string());
    let child = Service::spawn(
        &dir,
        &[
            ("BIA_SERVER__HTTP__ADDR", format!("127.0.0.1:{http_port}")),
            ("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{grpc_port}")),
            ("BIA_SERVER__HTTP__TLS__CERT", cert_s.clone()),
            ("BIA_SERVER__HTTP__TLS__KEY", key_s.clone()),
            ("BIA_SERVER__GRPC__TLS__CERT", cert_s),
            ("BIA_SERVER__GRPC__TLS__KEY", key_s),
        ],
        &[],
    );
    let mut svc = Service { child, http_port, grpc_port };
    let curl = |path: &str| {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "5", "--cacert"])
            .arg(&cert)
            .args(["--resolve", &format!("localhost:{http_port}:127.0.0.1")])
            .arg(format!("https://localhost:{http_port}{path}"))
            .output()
            .expect("curl runs");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !curl("/readyz").0 {
        if let Some(status) = svc.child.try_wait().unwrap() {
            panic!("user-service exited early ({status})");
        }
        assert!(Instant::now() < deadline, "not ready over TLS within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ok, body) = curl("/v1/users");
    assert!(ok, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(page["total"].is_string() || page["total"].is_number(), "{body}");
    // Plaintext is refused on the TLS port.
    let (status, _) = get(&format!("http://127.0.0.1:{http_port}/readyz")).await;
    assert_ne!(status, 200);
    // The gRPC port speaks TLS with h2.
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{grpc_port}"),
            "-servername",
            "localhost",
            "-alpn",
            "h2",
            "-CAfile",
        ])
        .arg(&cert)
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ALPN protocol: h2") && text.contains("Verify return code: 0 (ok)"), "{text}");
    svc.sigterm();
    assert!(svc.wait_exit().0.success());
}

/// Content negotiation with curl: a form body, a protobuf body (whole and
/// for `body = "user"`), protobuf replies when `Accept` asks, `curl -d` with
/// JSON under curl's form type, and 415 for a type the API does not read.
#[tokio::test]
async fn bodies_in_json_protobuf_or_form_and_protobuf_replies() {
    use prost::Message as _;
    let dir = temp_dir("negotiate");
    let svc = Service::start(&dir).await;
    let url = svc.http_url();
    let curl = |args: &[&str]| -> (u16, String, Vec<u8>) {
        let out_file = dir.join("reply.bin");
        let out = Command::new("curl")
            .args(["-s", "-o", out_file.to_str().unwrap(), "-w", "%{http_code} %{content_type}", "--max-time", "10"])
            .args(args)
            .output()
            .expect("curl");
        let meta = String::from_utf8_lossy(&out.stdout).into_owned();
        let (code, ct) = meta.split_once(' ').unwrap_or((&meta, ""));
        (code.parse().unwrap_or(0), ct.to_owned(), std::fs::read(&out_file).unwrap_or_default())
    };
    if !external("curl", &["--version"], "sends the bodies") {
        return;
    }
    // A form, bound as the query is (a key that names no field skipped, as JSON's).
    let (code, ct, body) =
        curl(&["-X", "POST", &format!("{url}/v1/user"), "-d", "name=Form+User&email=form%40example.com&submit=Save"]);
    assert_eq!((code, ct.as_str()), (200, "application/json"), "{}", String::from_utf8_lossy(&body));
    let reply: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(reply["user"]["name"], "Form User");
    // `curl -d '{..}'` (curl names the form type): JSON, as the README's tutorial sends it.
    let (code, _, body) =
        curl(&["-X", "POST", &format!("{url}/v1/user"), "-d", r#"{"name":"Json","email":"json@example.com"}"#]);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));

    // Protobuf in, protobuf out.
    let req = dir.join("req.bin");
    std::fs::write(&req, CreateUserRequest { name: "Proto".into(), email: "proto@example.com".into() }.encode_to_vec())
        .unwrap();
    let data = format!("@{}", req.display());
    let (code, ct, body) = curl(&[
        "-X",
        "POST",
        &format!("{url}/v1/user"),
        "-H",
        "content-type: application/x-protobuf",
        "-H",
        "accept: application/x-protobuf",
        "--data-binary",
        &data,
    ]);
    assert_eq!((code, ct.as_str()), (200, "application/x-protobuf"));
    let created = CreateUserReply::decode(&body[..]).unwrap().user.unwrap();
    assert_eq!((created.name.as_str(), created.email.as_str()), ("Proto", "proto@example.com"));
    // `body = "user"`: the body is that field's message.
    std::fs::write(&req, UserInfo { name: "Proto Two".into(), ..Default::default() }.encode_to_vec()).unwrap();
    let (code, _, body) = curl(&[
        "-X",
        "PATCH",
        &format!("{url}/v1/user/{}?update_mask=name", created.id),
        "-H",
        "content-type: application/protobuf",
        "--data-binary",
        &data,
    ]);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    let reply: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(reply["user"]["name"], "Proto Two");
    let (code, ct, body) = curl(&["-H", "accept: application/x-protobuf", &format!("{url}/v1/user/{}", created.id)]);
    assert_eq!((code, ct.as_str()), (200, "application/x-protobuf"));
    assert_eq!(GetUserReply::decode(&body[..]).unwrap().user.unwrap().name, "Proto Two");
    // An error stays the JSON error body; a browser's Accept gets JSON.
    let (code, ct, body) =
        curl(&["-H", "accept: application/x-protobuf", &format!("{url}/v1/user/00000000-0000-4000-8000-000000000000")]);
    assert_eq!((code, ct.as_str()), (404, "application/json"), "{}", String::from_utf8_lossy(&body));
    let (_, ct, _) =
        curl(&["-H", "accept: text/html,application/xhtml+xml,*/*;q=0.8", &format!("{url}/v1/user/{}", created.id)]);
    assert_eq!(ct, "application/json");
    // Bad protobuf, and a type the API does not read.
    std::fs::write(&req, [0xffu8, 0xff, 0xff]).unwrap();
    let (code, _, body) = curl(&[
        "-X",
        "POST",
        &format!("{url}/v1/user"),
        "-H",
        "content-type: application/x-protobuf",
        "--data-binary",
        &data,
    ]);
    let text = String::from_utf8_lossy(&body);
    assert!(code == 400 && text.contains(r#""reason":"CODEC""#) && text.contains("protobuf"), "{code} {text}");
    let (code, _, body) =
        curl(&["-X", "POST", &format!("{url}/v1/user"), "-H", "content-type: text/plain", "-d", "hello"]);
    let text = String::from_utf8_lossy(&body);
    assert!(code == 415 && text.contains(r#""reason":"UNSUPPORTED_MEDIA_TYPE""#), "{code} {text}");
}
