//! The basic built-in middleware on both transports, on real servers:
//! recovery (panics become 500 / `Internal`, reason `UNKNOWN`), logging (one
//! `tracing` event per call, read back from `bia::log`'s JSON lines) and
//! metadata (`x-md-global-*` across hops, `x-md-local-*` one hop).

use std::collections::HashMap;
use std::io::Read as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bia::context::Kind;
use bia::middleware::logging::{Logging, MaskFields};
use bia::middleware::metadata::{self, Metadata};
use bia::middleware::recovery::Recovery;
use bia::middleware::{AnyMessage, Context, Next};
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use serde_json::Value;

// ---------------------------------------------------------------- services

#[bia::message(package = "basics.v1")]
pub struct Profile {
    pub token: String,
    pub city: String,
}

#[bia::message(package = "basics.v1")]
pub struct LoginRequest {
    pub user: String,
    pub password: String,
    pub profile: Option<Profile>,
}

#[bia::message(package = "basics.v1")]
pub struct LoginReply {
    pub greeting: String,
}

#[bia::service(package = "basics.v1")]
pub trait Auth: Send + Sync + 'static {
    #[rpc(post = "/v1/login", body = "*")]
    async fn login(&self, req: LoginRequest) -> bia::Result<LoginReply>;
}

struct AuthImpl;

impl Auth for AuthImpl {
    async fn login(&self, req: LoginRequest) -> bia::Result<LoginReply> {
        match req.user.as_str() {
            "panic" => panic!("boom for {}", req.user),
            "nobody" => Err(bia::Error::not_found("USER_NOT_FOUND", format!("no user {}", req.user))),
            _ => Ok(LoginReply { greeting: format!("welcome {}", req.user) }),
        }
    }
}

/// Panics before the handler runs, for user `mw-panic`.
#[bia::middleware]
async fn panicky(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    if req.downcast_ref::<LoginRequest>().is_some_and(|r| r.user == "mw-panic") {
        panic!("middleware boom");
    }
    next.run(ctx, req).await
}

const LOGIN: &str = "/basics.v1.Auth/Login";

fn any() -> SocketAddr {
    ([127, 0, 0, 1], 0).into()
}

fn login(user: &str) -> LoginRequest {
    LoginRequest {
        user: user.into(),
        password: "hunter2".into(),
        profile: Some(Profile { token: "t0ken".into(), city: "Oslo".into() }),
    }
}

/// Serves `Auth` (with `svc_mw` as its own middleware, if any) on both
/// transports of `app`.
async fn start_auth(app: bia::App, with_panicky: bool) -> (bia::Running, AuthHttpClient, AuthGrpcClient) {
    let mut svc = AuthServer::new(AuthImpl);
    if with_panicky {
        svc = svc.middleware(panicky());
    }
    let app = app.http(HttpServer::new(any()).service(svc.clone())).grpc(GrpcServer::new(any()).service(svc));
    let running = app.start().await.unwrap();
    let http = AuthHttpClient::new(format!("http://{}", running.http_addrs()[0])).unwrap();
    let grpc = AuthGrpcClient::connect(format!("http://{}", running.grpc_addrs()[0])).await.unwrap();
    (running, http, grpc)
}

// ---------------------------------------------------------------- recovery

#[tokio::test]
async fn recovery_turns_panics_into_internal_unknown_and_keeps_serving() {
    let (app, http, grpc) = start_auth(bia::App::new("recovery").middleware(Recovery::new()), true).await;
    let http_url = format!("http://{}", app.http_addrs()[0]);
    let grpc_url = format!("http://{}", app.grpc_addrs()[0]);

    for (user, message) in
        [("panic", "panic triggered: boom for panic"), ("mw-panic", "panic triggered: middleware boom")]
    {
        // Both generated clients rebuild the same error.
        let e1 = http.login(login(user)).await.unwrap_err();
        let e2 = grpc.login(login(user)).await.unwrap_err();
        assert_eq!((e1.code(), e1.reason(), e1.message()), (500, "UNKNOWN", message), "{user} over HTTP");
        assert_eq!(e1, e2, "{user}: both transports");

        // On the wire: a Bia error body, and a gRPC `Internal` status.
        let body = serde_json::to_string(&login(user)).unwrap();
        let raw = bia_tests::raw::http("POST", &format!("{http_url}/v1/login"), body).await;
        assert_eq!(raw.status, 500);
        let json = raw.json();
        assert_eq!((json["code"].as_u64(), json["reason"].as_str()), (Some(500), Some("UNKNOWN")), "{json}");
        assert_eq!(json["message"], message);
        let status =
            bia_tests::raw::grpc_unary::<LoginRequest, LoginReply>(&grpc_url, LOGIN, login(user)).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::Internal);
        assert_eq!(status.message(), message);
        assert_eq!(bia::Error::from_status(&status).reason(), "UNKNOWN");

        // The servers (and the clients' connections) are still fine.
        assert_eq!(http.login(login("ann")).await.unwrap().greeting, "welcome ann");
        assert_eq!(grpc.login(login("ann")).await.unwrap().greeting, "welcome ann");
    }
    // Errors that are not panics pass through untouched.
    let e = grpc.login(login("nobody")).await.unwrap_err();
    assert_eq!((e.code(), e.reason()), (404, "USER_NOT_FOUND"));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn recovery_handler_builds_the_error_from_the_context_and_the_panic() {
    let recovery = Recovery::new().backtrace(false).handler(|ctx, panic| {
        bia::Error::service_unavailable(
            "PANICKED",
            format!(
                "{} {} {}: {} at {}",
                ctx.kind().as_str(),
                ctx.side().as_str(),
                ctx.operation(),
                panic.message(),
                panic.location().unwrap_or("?")
            ),
        )
    });
    let (app, http, grpc) = start_auth(bia::App::new("recovery-handler").middleware(recovery), false).await;
    for (kind, e) in [("http", http.login(login("panic")).await), ("grpc", grpc.login(login("panic")).await)] {
        let e = e.unwrap_err();
        assert_eq!((e.code(), e.reason()), (503, "PANICKED"), "{kind}");
        let head = format!("{kind} server {LOGIN}: boom for panic at ");
        assert!(e.message().starts_with(&head), "{kind}: {}", e.message());
        assert!(e.message().contains("mw_basics.rs:"), "{kind}: the panic's location: {}", e.message());
    }
    assert_eq!(http.login(login("bob")).await.unwrap().greeting, "welcome bob");
    app.stop().await.unwrap();
}

// ---------------------------------------------------------------- logging

/// Set in the child process that installs the global JSON logger.
const CHILD_ENV: &str = "BIA_MW_BASICS_LOGGING_CHILD";

/// Runs in a child process (the logger is global and writes to stdout): a
/// server with logging (passwords and tokens masked) and recovery, clients
/// with logging, three calls per transport.
#[tokio::test]
#[ignore = "run as a child process by `logging_logs_one_event_per_call_on_both_transports_and_sides`"]
async fn logging_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let app = bia::App::new("logging");
    let conf = bia::log::LogConf { format: bia::log::LogFormat::Json, ..Default::default() };
    let _log = bia::log::init(&conf, app.info()).unwrap();
    let app =
        app.middleware(Logging::server().redact(MaskFields::new(["password", "token"]))).middleware(Recovery::new());
    let (app, http, grpc) = start_auth(app, false).await;
    let http = http.middleware(Logging::client().warn_on_client_errors(true));
    let grpc = grpc.middleware(Logging::client().warn_on_client_errors(true));
    for (kind, res) in [
        ("http", [http.login(login("ann")).await, http.login(login("nobody")).await, http.login(login("panic")).await]),
        ("grpc", [grpc.login(login("ann")).await, grpc.login(login("nobody")).await, grpc.login(login("panic")).await]),
    ] {
        let [ok, missing, panicked] = res;
        assert_eq!(ok.unwrap().greeting, "welcome ann", "{kind}");
        assert_eq!(missing.unwrap_err().code(), 404, "{kind}");
        assert_eq!(panicked.unwrap_err().code(), 500, "{kind}");
    }
    app.stop().await.unwrap();
}

/// Runs `logging_child` in a child process and returns its stdout.
fn run_logging_child() -> String {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["logging_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the logging child did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out.join().unwrap().unwrap();
    let err = err.join().unwrap().unwrap();
    assert!(status.success(), "the logging child failed ({status}):\n{out}\n{err}");
    assert!(out.contains("1 passed"), "the child did not run `logging_child`:\n{out}\n{err}");
    out
}

#[test]
fn logging_logs_one_event_per_call_on_both_transports_and_sides() {
    let out = run_logging_child();
    let lines: Vec<Value> = out.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let target = |t: &str| lines.iter().filter(move |l| l["target"] == t).collect::<Vec<_>>();
    let calls = target("bia::middleware::logging");
    let recovered = target("bia::middleware::recovery");
    assert_eq!(calls.len(), 12, "3 calls x 2 transports x 2 sides:\n{out}");

    // The `args` field is the request's JSON; find a line by its user.
    let args = |l: &Value| -> Value { serde_json::from_str(l["fields"]["args"].as_str().unwrap()).unwrap() };
    let find = |kind: &str, component: &str, user: &str| -> &Value {
        let found: Vec<_> = calls
            .iter()
            .filter(|l| l["fields"]["kind"] == kind && l["fields"]["component"] == component && args(l)["user"] == user)
            .collect();
        assert_eq!(found.len(), 1, "one {kind} {component} line for {user}:\n{out}");
        found[0]
    };

    for kind in ["http", "grpc"] {
        for component in ["server", "client"] {
            for user in ["ann", "nobody", "panic"] {
                let f = &find(kind, component, user)["fields"];
                assert_eq!(f["operation"], LOGIN, "{f}");
                let latency = f["latency"].as_f64().unwrap_or(-1.0);
                assert!((0.0..5.0).contains(&latency), "latency in seconds: {f}");
            }
            let ok = find(kind, component, "ann");
            assert_eq!(ok["level"], "INFO", "{ok}");
            assert_eq!((&ok["fields"]["code"], &ok["fields"]["reason"]), (&Value::from(200), &Value::from("")));
            assert!(ok["fields"].get("error").is_none(), "{ok}");

            let missing = find(kind, component, "nobody");
            // Kratos: error level on any failure; the clients asked for WARN on 4xx.
            let level = if component == "server" { "ERROR" } else { "WARN" };
            assert_eq!(missing["level"], level, "{missing}");
            assert_eq!(missing["fields"]["code"], 404);
            assert_eq!(missing["fields"]["reason"], "USER_NOT_FOUND");
            assert_eq!(missing["fields"]["error"], "no user nobody");

            let panicked = find(kind, component, "panic");
            assert_eq!(panicked["level"], "ERROR", "{panicked}");
            assert_eq!(panicked["fields"]["code"], 500);
            assert_eq!(panicked["fields"]["reason"], "UNKNOWN");
            assert_eq!(panicked["fields"]["error"], "panic triggered: boom for panic");
        }
        // The server masks secrets at any depth; the client's default shows the JSON.
        let server = args(find(kind, "server", "ann"));
        assert_eq!(server["password"], "***", "{server}");
        assert_eq!(server["profile"], serde_json::json!({"token": "***", "city": "Oslo"}), "{server}");
        let client = args(find(kind, "client", "ann"));
        assert_eq!(client["password"], "hunter2", "{client}");
        assert_eq!(client["profile"]["token"], "t0ken", "{client}");

        // Recovery logged the panic with where it happened.
        let r: Vec<_> = recovered.iter().filter(|l| l["fields"]["kind"] == kind).collect();
        assert_eq!(r.len(), 1, "one recovered panic on {kind}:\n{out}");
        let f = &r[0]["fields"];
        assert_eq!(r[0]["level"], "ERROR");
        assert_eq!((&f["message"], &f["panic"]), (&Value::from("panic recovered"), &Value::from("boom for panic")));
        assert_eq!((&f["operation"], &f["component"]), (&Value::from(LOGIN), &Value::from("server")));
        assert!(f["location"].as_str().is_some_and(|l| l.contains("mw_basics.rs:")), "{f}");
        // The backtrace starts at the code that panicked, not in the panic machinery.
        let backtrace = f["backtrace"].as_str().unwrap_or_default();
        assert!(backtrace.contains("mw_basics.rs:"), "{backtrace}");
        assert!(!backtrace.contains("install_hook") && !backtrace.contains("panic_fmt"), "{backtrace}");
    }
    let server_lines: String =
        calls.iter().filter(|l| l["fields"]["component"] == "server").map(|l| l.to_string()).collect();
    assert!(!server_lines.contains("hunter2") && !server_lines.contains("t0ken"), "{server_lines}");
}

// ---------------------------------------------------------------- metadata

#[bia::message(package = "md.v1")]
pub struct Probe {
    pub note: String,
}

#[bia::message(package = "md.v1")]
pub struct Seen {
    /// What the front's handler saw (`metadata::all()`), plus `get` = what
    /// `metadata::get("X-Md-Global-Tenant")` said.
    pub at_front: HashMap<String, String>,
    /// What the back's handler saw.
    pub at_back: HashMap<String, String>,
}

#[bia::service(package = "md.v1")]
pub trait Back: Send + Sync + 'static {
    #[rpc(post = "/v1/back", body = "*")]
    async fn look(&self, req: Probe) -> bia::Result<Seen>;
}

#[bia::service(package = "md.v1")]
pub trait Front: Send + Sync + 'static {
    #[rpc(post = "/v1/front", body = "*")]
    async fn relay(&self, req: Probe) -> bia::Result<Seen>;
}

struct BackImpl;

impl Back for BackImpl {
    async fn look(&self, _: Probe) -> bia::Result<Seen> {
        Ok(Seen { at_front: HashMap::new(), at_back: metadata::all().into_iter().collect() })
    }
}

/// Calls the back over the transport it was called on.
struct FrontImpl {
    http: BackHttpClient,
    grpc: BackGrpcClient,
}

impl Front for FrontImpl {
    async fn relay(&self, req: Probe) -> bia::Result<Seen> {
        let mut at_front: HashMap<String, String> = metadata::all().into_iter().collect();
        at_front.insert("get".into(), metadata::get("X-Md-Global-Tenant").unwrap_or_default());
        if !metadata::set_outgoing("x-md-local-from-front", "hello") {
            return Err(bia::Error::internal_server("TEST", "set_outgoing failed inside a handler"));
        }
        let back = match bia::context::with(|ctx| ctx.kind()) {
            Some(Kind::Grpc) => self.grpc.look(req).await?,
            Some(_) => self.http.look(req).await?,
            None => return Err(bia::Error::internal_server("TEST", "no context in the handler")),
        };
        Ok(Seen { at_front, at_back: back.at_back })
    }
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn metadata_global_crosses_hops_local_stops_after_one() {
    // B: no metadata middleware (handlers still see the `x-md-*` headers).
    let back = bia::App::new("back")
        .http(HttpServer::new(any()).service(BackServer::new(BackImpl)))
        .grpc(GrpcServer::new(any()).service(BackServer::new(BackImpl)))
        .start()
        .await
        .unwrap();
    let to_back = Metadata::client().constant("x-md-global-app", "web").unwrap();
    let front_impl = FrontImpl {
        http: BackHttpClient::new(format!("http://{}", back.http_addrs()[0])).unwrap().middleware(to_back.clone()),
        grpc: BackGrpcClient::connect(format!("http://{}", back.grpc_addrs()[0])).await.unwrap().middleware(to_back),
    };
    // A: the server middleware with a constant of its own.
    let front_svc = FrontServer::new(front_impl);
    let front = bia::App::new("front")
        .middleware(Metadata::server().constant("x-md-global-region", "eu").unwrap())
        .http(HttpServer::new(any()).service(front_svc.clone()))
        .grpc(GrpcServer::new(any()).service(front_svc))
        .start()
        .await
        .unwrap();
    let front_http = format!("http://{}", front.http_addrs()[0]);

    // The caller: not inside a handler, so only its constants go out.
    let caller = Metadata::client()
        .constant("x-md-global-tenant", "acme")
        .unwrap()
        .constant("X-MD-LOCAL-HOP", "one")
        .unwrap()
        .constant("x-other", "not metadata")
        .unwrap();
    let http = FrontHttpClient::new(front_http.clone()).unwrap().middleware(caller.clone());
    let grpc = FrontGrpcClient::connect(format!("http://{}", front.grpc_addrs()[0])).await.unwrap().middleware(caller);

    let want_front = map(&[
        ("x-md-global-tenant", "acme"),
        ("x-md-local-hop", "one"),
        ("x-md-global-region", "eu"),
        ("get", "acme"),
    ]);
    let want_back = map(&[
        ("x-md-global-tenant", "acme"),
        ("x-md-global-region", "eu"),
        ("x-md-global-app", "web"),
        ("x-md-local-from-front", "hello"),
    ]);
    for (kind, seen) in [
        ("http", http.relay(Probe { note: "h".into() }).await.unwrap()),
        ("grpc", grpc.relay(Probe { note: "g".into() }).await.unwrap()),
    ] {
        assert_eq!(seen.at_front, want_front, "{kind}: A sees global, local and its constant, not x-other");
        assert_eq!(seen.at_back, want_back, "{kind}: B gets the globals, A's constants and what A set; not the local");
    }

    // Plain headers, any case, reach the handler the same way.
    let raw = bia_tests::raw::http_with(
        "POST",
        &format!("{front_http}/v1/front"),
        &[("X-Md-Global-Tenant", "raw"), ("x-md-local-hop", "up"), ("x-md-global-region", "us")],
        r#"{"note":"raw"}"#,
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    let seen: Seen = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(seen.at_front["x-md-local-hop"], "up");
    assert_eq!(seen.at_front["x-md-global-region"], "us", "a request header overrides the server constant");
    assert_eq!(seen.at_back["x-md-global-tenant"], "raw");
    assert!(!seen.at_back.contains_key("x-md-local-hop"));

    front.stop().await.unwrap();
    back.stop().await.unwrap();
}

#[tokio::test]
async fn metadata_server_prefixes_replace_the_default() {
    let svc = BackServer::new(BackImpl);
    let app = bia::App::new("prefixed")
        .middleware(Metadata::server().prefix("X-Tenant-"))
        .http(HttpServer::new(any()).service(svc.clone()))
        .grpc(GrpcServer::new(any()).service(svc))
        .start()
        .await
        .unwrap();
    let raw = bia_tests::raw::http_with(
        "POST",
        &format!("http://{}/v1/back", app.http_addrs()[0]),
        &[("x-tenant-id", "t1"), ("x-md-global-a", "ignored")],
        "{}",
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    let seen: Seen = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(seen.at_back, map(&[("x-tenant-id", "t1")]));

    let md = Metadata::client().constant("x-tenant-id", "t2").unwrap().constant("x-md-global-a", "ignored").unwrap();
    let grpc = BackGrpcClient::connect(format!("http://{}", app.grpc_addrs()[0])).await.unwrap().middleware(md);
    assert_eq!(grpc.look(Probe::default()).await.unwrap().at_back, map(&[("x-tenant-id", "t2")]));
    app.stop().await.unwrap();
}

#[test]
fn metadata_bad_constants_and_calls_outside_a_handler() {
    let e = Metadata::client().constant("x md", "v").unwrap_err();
    assert_eq!(e.reason(), "BAD_METADATA");
    assert!(e.message().contains("`x md`"), "{}", e.message());
    assert!(Metadata::server().constant("x-md-a", "line\nbreak").is_err());
    assert!(Metadata::client().constant("x-md-a-bin", "v").is_err());
    assert!(!metadata::set_outgoing("x-md-global-a", "b"), "no handler, nothing to attach to");
    assert_eq!(metadata::get("x-md-global-a"), None);
    assert!(metadata::all().is_empty());
}
