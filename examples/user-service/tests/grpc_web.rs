//! gRPC-Web on the user-service's gRPC port (`server.grpc.grpc_web`), with
//! clients that are not ours: `@connectrpc/connect-web`'s gRPC-Web transport
//! (what browser pages use) run in Node over HTTP/1.1, unary and server
//! streaming; the base64 `grpc-web-text` form by hand on a raw connection;
//! native gRPC on the same port; CORS preflights answered.

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

/// The user-service with gRPC-Web on, its gRPC port open to pages of `origin`.
async fn grpc_web_service(tmp: &std::path::Path, origin: &str) -> Service {
    Service::start_with(
        tmp,
        &[
            ("BIA_SERVER__GRPC__GRPC_WEB", "true".to_owned()),
            ("BIA_SERVER__GRPC__CORS__ALLOWED_ORIGINS", format!("[{origin}]")),
        ],
    )
    .await
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
async fn browser_clients_call_the_grpc_port_over_grpc_web() {
    if !external("node", &["--version"], "runs Connect's gRPC-Web client") {
        return;
    }
    let Some(dir) = node_client_dir() else { return };
    let tmp = temp_dir("grpc-web");
    let svc = grpc_web_service(&tmp, "http://app.localhost").await;
    // The service's descriptors, as the client builds its calls from them.
    let set = tmp.join("user.binpb");
    std::fs::write(&set, UserApiServer::<()>::schema().file_descriptor_set().encode_to_vec()).unwrap();

    let out = Command::new("node")
        .arg(dir.join("grpc_web_client.mjs"))
        .args([&svc.grpc_url(), set.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    check_user_calls(&seen, "node");

    // The text form (base64), as grpc-web's `mode: grpcwebtext` sends it: a
    // reply's message and trailer frames come back in base64 too.
    let id = seen["created"]["id"].as_str().unwrap().to_owned();
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
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
    assert_eq!(grpc.get_user(GetUserRequest { id }).await.unwrap().user.unwrap().name, "node");
}

/// A page in headless Chromium, served from another origin (so CORS is
/// real), loads Connect's packages as ES modules and calls the gRPC port
/// over gRPC-Web: unary, an error, server streaming. The page's screenshot
/// is kept under `target/test-artifacts/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_page_calls_the_grpc_port_over_grpc_web() {
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
    let svc = grpc_web_service(&tmp, &origin).await;
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
    check_user_calls(&seen, "browser");
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
/// (h2), gRPC-Web (Connect's transport in Node), health, the OpenAPI
/// document and metrics; the gRPC address is not bound; SIGTERM drains it
/// and exits 0.
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

    // gRPC-Web on the same port (on by default with one port).
    if external("node", &["--version"], "runs Connect's gRPC-Web client") {
        if let Some(dir) = node_client_dir() {
            let set = tmp.join("user.binpb");
            std::fs::write(&set, UserApiServer::<()>::schema().file_descriptor_set().encode_to_vec()).unwrap();
            let out = Command::new("node")
                .arg(dir.join("grpc_web_client.mjs"))
                .args([&url, set.to_str().unwrap()])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
            check_user_calls(&serde_json::from_str(stdout.trim()).unwrap(), "node");
        }
    }

    svc.sigterm();
    let (status, _) = svc.wait_exit();
    assert!(status.success(), "{status}");
}
