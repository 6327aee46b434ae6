//! Telemetry over OTLP, received by a collector that is neither Rust nor
//! ours: a Python gRPC server built on the `opentelemetry-proto` package's
//! `TraceService` and `MetricsService` (`tests/interop/otlp_receiver.py`).
//! One order call makes one trace across the order-service and the
//! user-service; the request counters of each operation arrive; and a
//! receiver that never answers, or none at all, fails and slows no request
//! (the queue drops spans and counts them).
#![cfg(feature = "otlp")]

mod support;

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;
use user_service::api::{CreateUserRequest, GetUserRequest, UserApiHttpClient};

/// The Python receiver; killed on drop.
struct Receiver {
    child: Child,
    port: u16,
    out: PathBuf,
}

impl Receiver {
    /// Starts it (`hang`: it accepts exports and never answers), or `None`
    /// when Python or its packages are missing (a failure with
    /// `BIA_REQUIRE_EXTERNAL=1`).
    fn start(dir: &Path, hang: bool) -> Option<Receiver> {
        let modules = "import grpc, opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc";
        let found = Command::new("python3")
            .args(["-c", modules])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            let msg = "python3 with grpcio and opentelemetry-proto is missing (pip install grpcio opentelemetry-proto)";
            assert!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"), "BIA_REQUIRE_EXTERNAL=1: {msg}");
            eprintln!("skipping: {msg}");
            return None;
        }
        let out = dir.join(if hang { "hung.jsonl" } else { "received.jsonl" });
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/otlp_receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&out)
            .arg(if hang { "hang" } else { "answer" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the receiver starts");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let port = first.trim().strip_prefix("port=").and_then(|p| p.parse().ok()).expect("the receiver's port");
        Some(Receiver { child, port, out })
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every export received so far: `(kind, request)`.
    fn received(&self) -> Vec<(String, Value)> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| (v["kind"].as_str().unwrap_or_default().to_owned(), v["request"].clone()))
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The OTLP settings of a service, as `BIA_OTLP__*` overrides (`extra`
/// after the usual ones, so they win).
fn otlp_env(endpoint: &str, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("BIA_OTLP__ENDPOINT", endpoint.to_owned()),
        ("BIA_OTLP__METRICS", "true".to_owned()),
        ("BIA_OTLP__METRICS_INTERVAL", "300ms".to_owned()),
        ("BIA_OTLP__DELAY", "100ms".to_owned()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    env
}

/// A span as the receiver got it, with its service's resource attributes.
#[derive(Debug, Clone)]
struct Span {
    service: String,
    version: String,
    instance: String,
    trace: String,
    id: String,
    parent: String,
    name: String,
    kind: String,
    status: String,
}

fn attribute(attributes: &Value, key: &str) -> String {
    attributes
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["key"] == key)
        .and_then(|a| a["value"]["stringValue"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn spans(received: &[(String, Value)]) -> Vec<Span> {
    let mut out = Vec::new();
    for (_, req) in received.iter().filter(|(k, _)| k == "traces") {
        for rs in req["resourceSpans"].as_array().into_iter().flatten() {
            let attrs = &rs["resource"]["attributes"];
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                for s in ss["spans"].as_array().into_iter().flatten() {
                    let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
                    out.push(Span {
                        service: attribute(attrs, "service.name"),
                        version: attribute(attrs, "service.version"),
                        instance: attribute(attrs, "service.instance.id"),
                        trace: text("traceId"),
                        id: text("spanId"),
                        parent: text("parentSpanId"),
                        name: text("name"),
                        kind: text("kind"),
                        status: s["status"]["code"].as_str().unwrap_or("STATUS_CODE_UNSET").to_owned(),
                    });
                }
            }
        }
    }
    out
}

/// The latest value of `metric` of `service` for `operation` (summed over
/// its other attributes), from the metrics exports.
fn counted(received: &[(String, Value)], service: &str, metric: &str, operation: &str) -> u64 {
    let mut latest = 0;
    for (_, req) in received.iter().filter(|(k, _)| k == "metrics") {
        for rm in req["resourceMetrics"].as_array().into_iter().flatten() {
            if attribute(&rm["resource"]["attributes"], "service.name") != service {
                continue;
            }
            let mut sum = 0;
            for sm in rm["scopeMetrics"].as_array().into_iter().flatten() {
                for m in sm["metrics"].as_array().into_iter().flatten().filter(|m| m["name"] == metric) {
                    for p in m["sum"]["dataPoints"].as_array().into_iter().flatten() {
                        if attribute(&p["attributes"], "operation") == operation {
                            sum += p["asInt"].as_str().and_then(|v| v.parse::<u64>().ok()).unwrap_or_default();
                        }
                    }
                }
            }
            // Cumulative sums: the latest export has it all.
            latest = latest.max(sum);
        }
    }
    latest
}

#[tokio::test]
async fn one_trace_across_both_services_and_the_request_counters_reach_a_python_receiver() {
    let dir = temp_dir("otlp");
    let Some(receiver) = Receiver::start(&dir, false) else { return };
    let users = user_service(&dir, &otlp_env(&receiver.endpoint(), &[]), None);
    let conf = dir.join("order.yaml");
    std::fs::write(
        &conf,
        format!(
            "registry:\n  kind: static\n  services:\n    user-service:\n      - id: u1\n        endpoints: [grpc://127.0.0.1:{}]\n",
            users.grpc
        ),
    )
    .unwrap();
    let orders = Proc::spawn(
        Path::new(env!("CARGO_BIN_EXE_order-service")),
        &dir,
        &otlp_env(&receiver.endpoint(), &[]),
        Some(&conf),
    );
    // CreateOrder (which asks the user-service for the user), the details,
    // and an unknown user (NOT_FOUND there, UNKNOWN_USER here).
    tutorial(&users, &orders).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    let (create, client, get) = loop {
        let all = spans(&receiver.received());
        let found = all
            .iter()
            .filter(|s| s.name == "/order.v1.Order/CreateOrder" && s.status == "STATUS_CODE_UNSET")
            .find_map(|create| {
                let client = all.iter().find(|s| s.parent == create.id && s.name == "/user.v1.User/GetUser")?;
                let get = all.iter().find(|s| s.parent == client.id && s.service == "user-service")?;
                Some((create.clone(), client.clone(), get.clone()))
            });
        if let Some(found) = found {
            break found;
        }
        assert!(Instant::now() < deadline, "no whole trace within 20 s; received: {all:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The order-service's server span, its client span, and the
    // user-service's server span: one trace, each the parent of the next.
    assert_eq!((create.service.as_str(), create.kind.as_str()), ("order-service", "SPAN_KIND_SERVER"));
    assert!(create.parent.is_empty(), "{create:?}");
    assert_eq!((client.service.as_str(), client.kind.as_str()), ("order-service", "SPAN_KIND_CLIENT"));
    assert_eq!((get.name.as_str(), get.kind.as_str()), ("/user.v1.User/GetUser", "SPAN_KIND_SERVER"));
    assert!(create.trace == client.trace && client.trace == get.trace && !create.trace.is_empty());
    // The resource attributes: name, version, and the instance's id.
    for span in [&create, &client, &get] {
        assert_eq!(span.version, "0.1.0", "{span:?}");
        assert!(span.instance.starts_with(&format!("{}-", span.service)), "{span:?}");
    }
    // The failed calls: error status on both sides of the unknown user
    // (their spans may come in a later batch than the trace above).
    let deadline = Instant::now() + Duration::from_secs(20);
    let failed_get = loop {
        let all = spans(&receiver.received());
        let failed_create =
            all.iter().find(|s| s.name == "/order.v1.Order/CreateOrder" && s.status == "STATUS_CODE_ERROR");
        let failed_get = failed_create.and_then(|create| {
            all.iter()
                .filter(|s| s.trace == create.trace && s.service == "user-service")
                .find(|s| s.name == "/user.v1.User/GetUser")
                .cloned()
        });
        if let Some(get) = failed_get {
            break get;
        }
        assert!(Instant::now() < deadline, "no failed CreateOrder with its GetUser within 20 s: {all:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed_get.status, "STATUS_CODE_ERROR");

    // The request counters of each operation, from both services.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let received = receiver.received();
        let counts = [
            counted(&received, "order-service", "server_requests_code", "/order.v1.Order/CreateOrder"),
            counted(&received, "order-service", "server_requests_code", "/order.v1.Order/GetOrderDetailsWithUser"),
            counted(&received, "order-service", "client_requests_code", "/user.v1.User/GetUser"),
            counted(&received, "user-service", "server_requests_code", "/user.v1.User/GetUser"),
            counted(&received, "user-service", "server_requests_code", "/user.v1.User/CreateUser"),
        ];
        // CreateOrder twice (one for an unknown user), the details over
        // both transports, GetUser once per CreateOrder and per details.
        if counts == [2, 2, 4, 4, 1] {
            break;
        }
        assert!(Instant::now() < deadline, "the request counters did not arrive: {counts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    orders.stop();
    users.stop();
}

/// Calls `GetUser` `n` times over HTTP; returns the slowest call.
async fn slowest_of(users: &Proc, n: usize) -> Duration {
    let http = UserApiHttpClient::new(format!("http://127.0.0.1:{}", users.http)).unwrap();
    let ann = http
        .create_user(CreateUserRequest { name: "Ann".into(), email: format!("ann-{}@example.com", users.http) })
        .await
        .unwrap()
        .user
        .unwrap();
    let mut slowest = Duration::ZERO;
    for _ in 0..n {
        let started = Instant::now();
        http.get_user(GetUserRequest { id: ann.id.clone() }).await.unwrap();
        slowest = slowest.max(started.elapsed());
    }
    slowest
}

/// `otlp_spans_dropped_total{reason}` on the service's `/metrics`.
async fn dropped(users: &Proc, reason: &str) -> u64 {
    let text = get_text(users.http, "/metrics");
    text.lines()
        .find(|l| l.starts_with("otlp_spans_dropped_total{") && l.contains(&format!("reason=\"{reason}\"")))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or_default()
}

/// A plain GET of `path` on `127.0.0.1:port` over a socket (the example's
/// dependencies have no HTTP client for raw text).
fn get_text(port: u16, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[tokio::test]
async fn a_receiver_that_never_answers_or_is_gone_fails_and_slows_no_request() {
    let dir = temp_dir("otlp-hang");
    let Some(hung) = Receiver::start(&dir, true) else { return };
    // A queue of 4 spans, exports of 2, each given 1 s.
    let small =
        [("BIA_OTLP__QUEUE", "4"), ("BIA_OTLP__BATCH", "2"), ("BIA_OTLP__DELAY", "50ms"), ("BIA_OTLP__TIMEOUT", "1s")];
    let users = user_service(&dir, &otlp_env(&hung.endpoint(), &small), None);
    let slowest = slowest_of(&users, 300).await;
    assert!(slowest < Duration::from_millis(250), "a call took {slowest:?} with the receiver hung");
    let full = dropped(&users, "queue_full").await;
    assert!(full > 0, "no span counted as dropped with a full queue");
    assert!(!hung.received().is_empty(), "the hung receiver was never reached");
    users.stop();

    // No receiver at all: the exports fail, the calls do not.
    let gone = format!("http://127.0.0.1:{}", free_port());
    let users = user_service(&dir, &otlp_env(&gone, &small), None);
    let slowest = slowest_of(&users, 100).await;
    assert!(slowest < Duration::from_millis(250), "a call took {slowest:?} with no receiver");
    let deadline = Instant::now() + Duration::from_secs(10);
    while dropped(&users, "export_failed").await == 0 {
        assert!(Instant::now() < deadline, "no failed export counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    users.stop();
}
