//! gRPC-Web and the Connect protocol on the user-service's gRPC port
//! (`server.grpc.grpc_web`, `server.grpc.connect`) and on one port
//! (`server.mode: single`), with clients that are not ours:
//! `@connectrpc/connect-web`'s gRPC-Web and Connect transports (what browser
//! pages use) run in Node over HTTP/1.1 and in headless Chromium, unary and
//! server streaming; the Python `connectrpc` client; curl; the base64
//! `grpc-web-text` form by hand on a raw connection; native gRPC on the same
//! port; CORS preflights answered.

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use prost::Message as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use user_service::api::*;

mod support;

use support::*;

/// `tests/interop/node` with its npm packages installed (`npm ci` there).
fn node_client_dir() -> Option<std::path::PathBuf> {
    let dir = interop_dir().join("node");
    if dir.join("node_modules/@connectrpc/connect-web").exists() {
        return Some(dir);
    }
    let msg = "tests/interop/node has no node_modules (npm ci there)";
    assert!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"), "BIA_REQUIRE_EXTERNAL=1: {msg}");
    eprintln!("skipping: {msg}");
    None
}

/// The user-service with gRPC-Web and Connect on, its gRPC port open to
/// pages of `origin`.
async fn browser_service(tmp: &std::path::Path, origin: &str) -> Service {
    Service::start_with(
        tmp,
        &[
            ("BIA_SERVER__GRPC__GRPC_WEB", "true".to_owned()),
            ("BIA_SERVER__GRPC__CONNECT", "true".to_owned()),
            ("BIA_SERVER__GRPC__CORS__ALLOWED_ORIGINS", format!("[{origin}]")),
        ],
    )
    .await
}

/// The service's descriptors in a file, as the clients build their calls
/// from them (no generated code).
fn descriptor_file(tmp: &std::path::Path) -> std::path::PathBuf {
    let set = tmp.join("user.binpb");
    std::fs::write(&set, UserApiServer::<()>::schema().file_descriptor_set().encode_to_vec()).unwrap();
    set
}

/// Connect's web client in Node on `transport` (`grpc-web`,
/// `connect-json`, `connect-proto`) against `base_url`: what
/// `user_calls.js` saw, checked.
fn node_calls(dir: &std::path::Path, transport: &str, base_url: &str, set: &std::path::Path) {
    let tag = format!("node-{transport}");
    let out = Command::new("node")
        .arg(dir.join("web_client.mjs"))
        .args([transport, base_url, set.to_str().unwrap(), &tag])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{transport}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    check_user_calls(&serde_json::from_str(stdout.trim()).unwrap(), &tag);
}

/// What `user_calls.js` saw, checked: the same in Node and in a browser.
fn check_user_calls(seen: &serde_json::Value, tag: &str) {
    assert_eq!(seen["created"]["name"], tag, "{seen}");
    assert_eq!(seen["got"], true, "{seen}");
    // NotFound (5) with the service's message.
    assert_eq!(seen["missing"]["code"], 5, "{seen}");
    assert!(seen["missing"]["message"].as_str().unwrap().contains("not found"), "{seen}");
    // Server streaming over gRPC-Web: the event of a user created while watching.
    assert_eq!(seen["event"]["name"], format!("{tag}-watched"), "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_clients_call_the_grpc_port_over_grpc_web_and_connect() {
    if !external("node", &["--version"], "runs Connect's web clients") {
        return;
    }
    let Some(dir) = node_client_dir() else { return };
    let tmp = temp_dir("grpc-web");
    let svc = browser_service(&tmp, "http://app.localhost").await;
    let set = descriptor_file(&tmp);
    for transport in ["grpc-web", "connect-json", "connect-proto"] {
        node_calls(&dir, transport, &svc.grpc_url(), &set);
    }
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
    let id = grpc
        .create_user(CreateUserRequest { name: "node".into(), email: "node.text@example.com".into() })
        .await
        .unwrap()
        .user
        .unwrap()
        .id;

    // The text form (base64), as grpc-web's `mode: grpcwebtext` sends it: a
    // reply's message and trailer frames come back in base64 too.
    let (head, reply) = grpc_web_text(svc.grpc_port, GetUserRequest { id: id.clone() }).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/grpc-web-text"), "{head}");
    let decoded = decode_text_body(&reply);
    assert_eq!(decoded.first(), Some(&0u8), "a message frame first: {decoded:?}");
    let len = u32::from_be_bytes(decoded[1..5].try_into().unwrap()) as usize;
    let user = GetUserReply::decode(&decoded[5..5 + len]).unwrap().user.unwrap();
    assert_eq!((user.id.as_str(), user.name.as_str()), (id.as_str(), "node"));
    let trailer = &decoded[5 + len..];
    assert_eq!(trailer.first(), Some(&0x80u8), "then the trailer frame");
    assert!(String::from_utf8_lossy(&trailer[5..]).contains("grpc-status:0"), "{trailer:?}");
    // An error with no message is all headers (trailers-only), with the Bia details.
    let (head, _) =
        grpc_web_text(svc.grpc_port, GetUserRequest { id: "00000000-0000-4000-8000-000000000000".into() }).await;
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("grpc-status: 5") && lower.contains("grpc-status-details-bin: "), "{head}");

    // A browser's preflight from an allowed origin, answered before any call.
    let (head, _) = raw(
        svc.grpc_port,
        "OPTIONS /user.v1.User/GetUser HTTP/1.1\r\nhost: x\r\nconnection: close\r\norigin: http://app.localhost\r\naccess-control-request-method: POST\r\naccess-control-request-headers: content-type,x-grpc-web\r\n\r\n",
    )
    .await;
    let lower = head.to_ascii_lowercase();
    assert!(lower.starts_with("http/1.1 200"), "{head}");
    assert!(lower.contains("access-control-allow-origin: http://app.localhost"), "{head}");

    // Native gRPC on the same port is as before.
    assert_eq!(grpc.get_user(GetUserRequest { id }).await.unwrap().user.unwrap().name, "node");
}

/// A page in headless Chromium, served from another origin (so CORS is
/// real), loads Connect's packages as ES modules and calls the gRPC port
/// over gRPC-Web, then over Connect (JSON): unary, an error, server
/// streaming. The page's screenshot
/// is kept under `target/test-artifacts/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_page_calls_the_grpc_port_over_grpc_web_and_connect() {
    let Some(browser) = chromium("the gRPC-Web page runs in it") else { return };
    if !external("python3", &["-c", "import websockets"], "drives Chromium (pip install websockets)") {
        return;
    }
    let Some(node) = node_client_dir() else { return };
    // The page's files: the page, the calls, the npm packages, the descriptors.
    let tmp = temp_dir("grpc-web-browser");
    let site = tmp.join("site");
    std::fs::create_dir_all(&site).unwrap();
    for file in ["browser.html", "user_calls.js"] {
        std::fs::copy(node.join(file), site.join(file)).unwrap();
    }
    std::os::unix::fs::symlink(node.join("node_modules"), site.join("node_modules")).unwrap();
    std::fs::write(site.join("user.binpb"), UserApiServer::<()>::schema().file_descriptor_set().encode_to_vec())
        .unwrap();
    let port = free_port();
    let mut files = Command::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory", site.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let origin = format!("http://127.0.0.1:{port}");
    let svc = browser_service(&tmp, &origin).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "the page's file server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let shots = target_dir().join("test-artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("user-service-grpc-web-page.png");
    let url = format!("{origin}/browser.html?grpc={}", svc.grpc_url());
    let out = Command::new("python3")
        .arg(interop_dir().join("chromium.py"))
        .args([browser, &url, "window.result", shot.to_str().unwrap()])
        .output()
        .unwrap();
    let _ = files.kill();
    let _ = files.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    check_user_calls(&seen["grpcWeb"], "browser");
    check_user_calls(&seen["connect"], "browser-connect");
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
}

/// `GetUser` in gRPC-Web's text form over HTTP/1.1: the reply's head and body.
async fn grpc_web_text(port: u16, req: GetUserRequest) -> (String, String) {
    let request = req.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(request.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&request);
    let body = base64::engine::general_purpose::STANDARD.encode(&frame);
    raw(
        port,
        &format!(
            "POST /user.v1.User/GetUser HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/grpc-web-text\r\naccept: application/grpc-web-text\r\nx-grpc-web: 1\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await
}

/// Sends `request` on a fresh connection; the reply's head and body.
async fn raw(port: u16, request: &str) -> (String, String) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_owned(), body.to_owned())
}

/// A `grpc-web-text` reply body: HTTP/1.1 chunks of base64 (each chunk
/// padded on its own), decoded and joined.
fn decode_text_body(body: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 {
            break;
        }
        let chunk = &after[..n];
        // A chunk may hold several base64 pieces, each padded.
        for piece in chunk.split_inclusive('=').filter(|p| !p.trim_matches('=').is_empty()) {
            out.extend(base64::engine::general_purpose::STANDARD.decode(piece).unwrap_or_default());
        }
        rest = &after[n + 2..];
    }
    out
}

/// `server.mode: single`: one port answers the HTTP/JSON API, native gRPC
/// (h2), gRPC-Web and Connect (Connect's transports in Node, the Python
/// client), health, the OpenAPI document and metrics; the gRPC address is
/// not bound; SIGTERM drains it and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_port_serves_every_protocol() {
    let tmp = temp_dir("one-port");
    let svc = Service::start_with(&tmp, &[("BIA_SERVER__MODE", "single".to_owned())]).await;
    let url = svc.http_url();
    let http = UserApiHttpClient::new(url.clone()).unwrap();
    let grpc = UserApiGrpcClient::connect(url.clone()).await.unwrap();

    // gRPC's server stream and HTTP's calls on the same port.
    let mut events = grpc.watch_users(WatchUsersRequest {}).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let created = http
        .create_user(CreateUserRequest { name: "one".into(), email: "one.port@example.com".into() })
        .await
        .unwrap()
        .user
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), events.message()).await.unwrap().unwrap().unwrap();
    assert_eq!(event.user.unwrap().id, created.id);
    let got = grpc.get_user(GetUserRequest { id: created.id.clone() }).await.unwrap().user.unwrap();
    assert_eq!(got, created);
    let e = grpc.get_user(GetUserRequest { id: "00000000-0000-4000-8000-000000000000".into() }).await.unwrap_err();
    assert!(UserError::is_user_not_found(&e), "{e}");
    for path in ["/healthz", "/readyz", "/openapi.json", "/metrics"] {
        let (status, body) = get(&format!("{url}{path}")).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    // The gRPC side counted in the same metrics as the HTTP side.
    let (_, metrics) = get(&format!("{url}/metrics")).await;
    assert!(metrics.contains("grpc") && metrics.contains("http"), "{metrics}");
    // The gRPC address of the config is not bound.
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", svc.grpc_port)).await.is_err());

    // A JSON POST to a Connect path: with Connect's header it is a Connect
    // call (Connect's error JSON), without it the HTTP API's (no such
    // route: Bia's error body).
    let body = r#"{"id":"00000000-0000-4000-8000-000000000000"}"#;
    let ask = |connect: bool| {
        let version = if connect { "connect-protocol-version: 1\r\n" } else { "" };
        format!(
            "POST /user.v1.User/GetUser HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\n{version}content-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let (head, reply) = raw(svc.http_port, &ask(true)).await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(
        (&reply["code"], &reply["details"][0]["debug"]["reason"]),
        (&"not_found".into(), &"USER_NOT_FOUND".into())
    );
    let (head, reply) = raw(svc.http_port, &ask(false)).await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!((&reply["code"], &reply["reason"]), (&404.into(), &"NOT_FOUND".into()), "{reply}");

    // A Connect GET on the same port (`connect=v1` says it is one).
    let query = format!("connect=v1&encoding=json&message={}", url_encode(&format!(r#"{{"id":"{}"}}"#, created.id)));
    let (status, reply) = get(&format!("{url}/user.v1.User/GetUser?{query}")).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply.contains(&created.id), "{reply}");

    // gRPC-Web and Connect on the same port (on by default with one port).
    if external("node", &["--version"], "runs Connect's web clients") {
        if let Some(dir) = node_client_dir() {
            let set = descriptor_file(&tmp);
            for transport in ["grpc-web", "connect-json", "connect-proto"] {
                node_calls(&dir, transport, &url, &set);
            }
        }
    }
    if python_connect() {
        python_connect_calls(&url, &descriptor_file(&tmp), "json");
    }

    svc.sigterm();
    let (status, _) = svc.wait_exit();
    assert!(status.success(), "{status}");
}

/// Whether Python's `connectrpc` client is here (a failure under
/// `BIA_REQUIRE_EXTERNAL=1`).
fn python_connect() -> bool {
    external(
        "python3",
        &["-c", "import connectrpc.compat, google.rpc.error_details_pb2"],
        "runs the Connect client (pip install connectrpc googleapis-common-protos)",
    )
}

/// `connect_client.py` against `base_url` with `codec` (`json`, `proto`):
/// what it saw, checked.
fn python_connect_calls(base_url: &str, set: &std::path::Path, codec: &str) {
    let out = Command::new("python3")
        .arg(interop_dir().join("connect_client.py"))
        .args([base_url, set.to_str().unwrap(), codec])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{codec}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let tag = format!("py-{codec}");
    assert_eq!(seen["created"]["name"], tag, "{seen}");
    assert_eq!(seen["got"], true, "{seen}");
    assert_eq!(seen["missing"]["code"], "NOT_FOUND", "{seen}");
    assert_eq!(seen["missing"]["reasons"], serde_json::json!(["USER_NOT_FOUND"]), "{seen}");
    assert_eq!(seen["event"]["name"], format!("{tag}-watched"), "{seen}");
    assert_eq!(seen["deadline"], "DEADLINE_EXCEEDED", "{seen}");
}

/// The Connect protocol on the gRPC port with clients that are not ours:
/// Python's `connectrpc` (JSON and binary, gzip-compressed requests, a
/// server stream, a deadline) and curl (a unary call in JSON, an error in
/// Connect's JSON with the ErrorInfo, a bad timeout, a server stream in
/// Connect's envelopes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_curl_call_the_grpc_port_over_connect() {
    let tmp = temp_dir("connect");
    let svc = browser_service(&tmp, "http://app.localhost").await;
    let base = svc.grpc_url();
    if python_connect() {
        let set = descriptor_file(&tmp);
        for codec in ["json", "proto"] {
            python_connect_calls(&base, &set, codec);
        }
    }
    if !external("curl", &["--version"], "makes Connect calls by hand") {
        return;
    }
    let curl = |path: &str, content_type: &str, extra: &[&str], body: &[u8]| {
        let file = tmp.join("body");
        std::fs::write(&file, body).unwrap();
        let out = Command::new("curl")
            .args(["-sS", "-i", "--http1.1", "-X", "POST", "-H", &format!("content-type: {content_type}")])
            .args(extra.iter().flat_map(|h| ["-H", h]))
            .arg("--data-binary")
            .arg(format!("@{}", file.display()))
            .arg(format!("{base}{path}"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = out.stdout;
        let split = text.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        (String::from_utf8_lossy(&text[..split]).to_ascii_lowercase(), text[split + 4..].to_vec())
    };

    // Unary, JSON both ways.
    let (head, body) = curl(
        "/user.v1.User/CreateUser",
        "application/json",
        &["connect-protocol-version: 1"],
        br#"{"name":"curl","email":"curl.connect@example.com"}"#,
    );
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let created: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(created["user"]["name"], "curl", "{created}");
    let id = created["user"]["id"].as_str().unwrap().to_owned();

    // An error: the HTTP status of its code, Connect's error JSON, the ErrorInfo.
    let (head, body) =
        curl("/user.v1.User/GetUser", "application/json", &[], br#"{"id":"00000000-0000-4000-8000-000000000000"}"#);
    assert!(head.starts_with("http/1.1 404"), "{head}");
    let err: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(err["code"], "not_found", "{err}");
    assert_eq!(err["details"][0]["type"], "google.rpc.ErrorInfo", "{err}");
    assert_eq!(err["details"][0]["debug"]["reason"], "USER_NOT_FOUND", "{err}");
    // The service's validation, as on every protocol.
    let (head, body) = curl("/user.v1.User/GetUser", "application/json", &[], br#"{"id":"nope"}"#);
    assert!(head.starts_with("http/1.1 400"), "{head}");
    let err: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (&err["code"], &err["details"][0]["debug"]["reason"]),
        (&"invalid_argument".into(), &"VALIDATOR".into())
    );
    // Bad JSON names the field; a bad timeout is refused before any call.
    let (head, body) = curl("/user.v1.User/GetUser", "application/json", &[], br#"{"id": 7}"#);
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains(r#""field":"id""#), "{}", String::from_utf8_lossy(&body));
    let (head, body) = curl("/user.v1.User/GetUser", "application/json", &["connect-timeout-ms: soon"], b"{}");
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("connect-timeout-ms"), "{}", String::from_utf8_lossy(&body));
    // Unary as protobuf.
    let (head, body) =
        curl("/user.v1.User/GetUser", "application/proto", &[], &GetUserRequest { id: id.clone() }.encode_to_vec());
    assert!(head.starts_with("http/1.1 200") && head.contains("content-type: application/proto"), "{head}");
    assert_eq!(GetUserReply::decode(body.as_slice()).unwrap().user.unwrap().name, "curl");

    // Unary as a GET, the message in the query: JSON percent-encoded, and
    // protobuf in URL-safe base64 (Connect's form for calls caches may keep).
    let get = |query: &str| {
        let out = Command::new("curl")
            .args(["-sS", "-i", "--http1.1", &format!("{base}/user.v1.User/GetUser?{query}")])
            .output();
        let text = out.unwrap().stdout;
        let split = text.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        (String::from_utf8_lossy(&text[..split]).to_ascii_lowercase(), text[split + 4..].to_vec())
    };
    let json = format!(r#"{{"id":"{id}"}}"#);
    let message: String = url_encode(&json);
    let (head, body) = get(&format!("connect=v1&encoding=json&message={message}"));
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let got: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(got["user"]["name"], "curl", "{got}");
    let proto =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(GetUserRequest { id: id.clone() }.encode_to_vec());
    let (head, body) = get(&format!("connect=v1&encoding=proto&base64=1&message={proto}"));
    assert!(head.starts_with("http/1.1 200") && head.contains("content-type: application/proto"), "{head}");
    assert_eq!(GetUserReply::decode(body.as_slice()).unwrap().user.unwrap().name, "curl");
    let (head, body) = get("connect=v2&encoding=json&message=%7B%7D");
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("connect=v2"), "{}", String::from_utf8_lossy(&body));
    let (head, _) = get("connect=v1&encoding=proto&base64=1&message=%%%");
    assert!(head.starts_with("http/1.1 400"), "{head}");

    // A server stream in Connect's envelopes (JSON): within its deadline,
    // it ends with the end-of-stream envelope holding deadline_exceeded.
    let mut request = vec![0u8, 0, 0, 0, 2];
    request.extend_from_slice(b"{}");
    let (head, body) =
        curl("/user.v1.User/WatchUsers", "application/connect+json", &["connect-timeout-ms: 300"], &request);
    assert!(head.starts_with("http/1.1 200") && head.contains("content-type: application/connect+json"), "{head}");
    let mut rest = body.as_slice();
    let mut last = None;
    while rest.len() >= 5 {
        let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        last = Some((rest[0], serde_json::from_slice::<serde_json::Value>(&rest[5..5 + len]).unwrap()));
        rest = &rest[5 + len..];
    }
    let (flags, end) = last.expect("an end-of-stream envelope");
    assert_eq!(flags, 2, "{end}");
    assert_eq!(end["error"]["code"], "deadline_exceeded", "{end}");
}

/// Percent-encodes every byte that is not unreserved in a URL.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
