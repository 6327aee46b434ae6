//! TLS and mutual TLS on both servers, with certificates made in the test
//! (rcgen), against clients that are not ours: curl and `openssl s_client`
//! on HTTP, Python grpcio on gRPC. Refused cases fail cleanly on the client
//! and the server keeps serving; certificates are reloaded from their files
//! without a restart and without dropping an open connection.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bia::prelude::*;
use bia::transport::ServerTls;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

#[path = "support/pki.rs"]
mod pki;
use pki::Pki;

/// Who called, as the server saw it.
#[bia::message(package = "tls.v1")]
pub struct WhoRequest {
    pub name: String,
}

#[bia::message(package = "tls.v1")]
pub struct WhoReply {
    /// The verified client certificate's subject, empty without one.
    pub subject: String,
    /// Its subject alternative names.
    pub sans: Vec<String>,
    pub name: String,
}

#[bia::service(package = "tls.v1")]
pub trait Who: Send + Sync + 'static {
    #[rpc(get = "/v1/who/<name>")]
    async fn who(&self, req: WhoRequest) -> bia::Result<WhoReply>;
}

struct Answer;

impl Who for Answer {
    async fn who(&self, req: WhoRequest) -> bia::Result<WhoReply> {
        let peer = bia::context::with(|c| c.peer_certificate().cloned()).flatten();
        Ok(WhoReply {
            subject: peer.as_ref().map(|p| p.subject.clone()).unwrap_or_default(),
            sans: peer.map(|p| p.sans).unwrap_or_default(),
            name: req.name,
        })
    }
}

fn require_external(what: &str) -> bool {
    if Command::new(what).arg("--version").output().is_ok() || Command::new(what).arg("version").output().is_ok() {
        return true;
    }
    assert!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"), "BIA_REQUIRE_EXTERNAL=1: {what} is missing");
    eprintln!("skipping: {what} is not installed");
    false
}

async fn start(http: ServerTls, grpc: ServerTls) -> bia_tests::TestApp {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let server = WhoServer::new(Answer);
    let app = App::new("tls")
        .http(HttpServer::new(any).tls(http).service(server.clone()))
        .grpc(GrpcServer::new(any).tls(grpc).service(server));
    bia_tests::start(app).await
}

/// curl with `args`, resolving `localhost` to the server: the exit code and
/// what it printed.
fn curl(port: u16, host: &str, path: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--resolve", &format!("{host}:{port}:127.0.0.1")])
        .args(args)
        .arg(format!("https://{host}:{port}{path}"))
        .output()
        .expect("curl runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn s_client(port: u16, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-servername", "localhost"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl runs");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_and_refusals_with_curl_and_openssl() {
    if !require_external("curl") || !require_external("openssl") {
        return;
    }
    let pki = Pki::new("https");
    pki.leaf("server", "localhost", &["localhost", "127.0.0.1"], false);
    let other = Pki::new("other");
    let app = start(pki.server_tls("server"), pki.server_tls("server")).await;
    let (port, ca) = (app.http.port(), pki.path("ca.pem"));
    let ca = ca.to_str().unwrap();

    let (code, body) = curl(port, "localhost", "/v1/who/ann", &["--cacert", ca]);
    assert_eq!(code, 0, "{body}");
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((reply["name"].as_str(), reply["subject"].as_str()), (Some("ann"), Some("")));
    // HTTP/2 by ALPN, and HTTP/1.1 when the client asks for it.
    let (code, out) =
        curl(port, "localhost", "/v1/who/h2", &["--cacert", ca, "--http2", "-o", "/dev/null", "-w", "%{http_version}"]);
    assert_eq!((code, out.trim()), (0, "2"));
    let (code, out) = curl(
        port,
        "localhost",
        "/v1/who/h1",
        &["--cacert", ca, "--http1.1", "-o", "/dev/null", "-w", "%{http_version}"],
    );
    assert_eq!((code, out.trim()), (0, "1.1"));

    // Refused, each cleanly on the client (curl 60: the peer certificate
    // cannot be verified; 35: the handshake failed).
    let (code, out) = curl(port, "localhost", "/v1/who/x", &["--cacert", other.path("ca.pem").to_str().unwrap()]);
    assert_eq!(code, 60, "an untrusted CA: {out}");
    let (code, out) = curl(port, "wrong.example", "/v1/who/x", &["--cacert", ca]);
    assert_eq!(code, 60, "a wrong server name: {out}");
    // Plaintext to the TLS port: the server answers no HTTP and closes.
    let mut plain = tokio::net::TcpStream::connect(app.http).await.unwrap();
    plain.write_all(b"GET /v1/who/x HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), plain.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closes a plaintext connection");
    assert!(!String::from_utf8_lossy(&buf).contains("HTTP/1.1 200"), "{buf:?}");

    // openssl: the chain verifies, h2 by ALPN, TLS 1.1 refused.
    let out = s_client(port, &["-CAfile", ca, "-alpn", "h2,http/1.1"]);
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert!(out.contains("ALPN protocol: h2"), "{out}");
    let out = s_client(app.grpc.port(), &["-CAfile", ca, "-alpn", "http/1.1"]);
    assert!(!out.contains("ALPN protocol: http/1.1"), "the gRPC listener speaks h2 only: {out}");
    let out = s_client(port, &["-CAfile", ca, "-tls1_1"]);
    assert!(!out.contains("Verify return code: 0 (ok)") || out.contains("alert"), "TLS 1.1 is refused: {out}");

    // After all that, still serving.
    let (code, body) = curl(port, "localhost", "/v1/who/still", &["--cacert", ca]);
    assert_eq!(code, 0, "{body}");
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_refused_by_the_client() {
    if !require_external("curl") {
        return;
    }
    let pki = Pki::new("expired");
    pki.leaf("server", "localhost", &["localhost"], true);
    let app = start(pki.server_tls("server"), pki.server_tls("server")).await;
    let (code, out) =
        curl(app.http.port(), "localhost", "/v1/who/x", &["--cacert", pki.path("ca.pem").to_str().unwrap()]);
    assert_eq!(code, 60, "{out}");
    assert!(out.contains("expired"), "{out}");
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_puts_the_client_certificate_in_the_context() {
    if !require_external("curl") {
        return;
    }
    let pki = Pki::new("mtls");
    pki.leaf("server", "localhost", &["localhost"], false);
    pki.leaf("client", "ops-client", &["ops.internal", "10.0.0.7"], false);
    let stranger = Pki::new("stranger");
    stranger.leaf("client", "stranger", &["stranger.example"], false);
    let ca = pki.path("ca.pem");
    let required = pki.server_tls("server").client_ca(&ca);
    let optional = pki.server_tls("server").client_ca(&ca).client_auth_optional();
    let app = start(required, optional).await;
    let port = app.http.port();
    let ca = ca.to_str().unwrap();
    let (cert, key) = (pki.path("client.pem"), pki.path("client.key"));
    let mine = ["--cacert", ca, "--cert", cert.to_str().unwrap(), "--key", key.to_str().unwrap()];

    let (code, body) = curl(port, "localhost", "/v1/who/ops", &mine);
    assert_eq!(code, 0, "{body}");
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    // RFC 4514 order: the last RDN first (rcgen writes CN, then O).
    assert_eq!(reply["subject"], "O=Bia Tests,CN=ops-client");
    assert_eq!(reply["sans"], serde_json::json!(["DNS:ops.internal", "IP:10.0.0.7"]));
    // No certificate, or one of another CA: refused in the handshake.
    let (code, out) = curl(port, "localhost", "/v1/who/x", &["--cacert", ca]);
    assert_ne!(code, 0, "no client certificate under `require`: {out}");
    let (cert, key) = (stranger.path("client.pem"), stranger.path("client.key"));
    let theirs = ["--cacert", ca, "--cert", cert.to_str().unwrap(), "--key", key.to_str().unwrap()];
    let (code, out) = curl(port, "localhost", "/v1/who/x", &theirs);
    assert_ne!(code, 0, "a client certificate of another CA: {out}");
    let (code, body) = curl(port, "localhost", "/v1/who/again", &mine);
    assert_eq!(code, 0, "still serving: {body}");
    app.running.stop().await.unwrap();
}

/// A request on an open TLS connection of the test's own (HTTP/1.1
/// keep-alive): the subject of the server's certificate as the client saw it
/// at the handshake, and the reply's status line.
struct Conn {
    tls: tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr, ca: &Path) -> Self {
        use rustls::pki_types::pem::PemObject as _;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls::pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let tls = connector.connect("localhost".try_into().unwrap(), tcp).await.unwrap();
        Self { tls }
    }

    fn server_cn(&self) -> String {
        let der = &self.tls.get_ref().1.peer_certificates().unwrap()[0];
        let text = String::from_utf8_lossy(der);
        ["first", "second"].iter().find(|cn| text.contains(*cn)).map(|s| (*s).to_owned()).unwrap_or_default()
    }

    async fn get(&mut self, path: &str) -> String {
        self.tls.write_all(format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").as_bytes()).await.unwrap();
        let mut buf = vec![0; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), self.tls.read(&mut buf)).await.unwrap().unwrap();
        String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_certificates_are_picked_up_without_dropping_open_connections() {
    let pki = Pki::new("reload");
    pki.leaf("server", "first", &["localhost"], false);
    let app = start(pki.server_tls("server"), pki.server_tls("server")).await;
    let mut old = Conn::open(app.http, &pki.path("ca.pem")).await;
    assert_eq!(old.server_cn(), "first");
    assert_eq!(old.get("/v1/who/a").await, "HTTP/1.1 200 OK");

    // Replaced as deployments do it: written aside, renamed over.
    pki.leaf("next", "second", &["localhost"], false);
    std::fs::rename(pki.path("next.key"), pki.path("server.key")).unwrap();
    std::fs::rename(pki.path("next.pem"), pki.path("server.pem")).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let fresh = Conn::open(app.http, &pki.path("ca.pem")).await;
        if fresh.server_cn() == "second" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the new certificate was not served within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The connection opened before still works.
    assert_eq!(old.get("/v1/who/b").await, "HTTP/1.1 200 OK");

    // Files that do not load are logged, and the last good ones kept.
    std::fs::write(pki.path("server.pem"), "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(Conn::open(app.http, &pki.path("ca.pem")).await.server_cn(), "second");
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_do_not_load_fail_the_start_naming_the_file() {
    let pki = Pki::new("bad");
    std::fs::write(pki.path("server.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
    std::fs::write(pki.path("server.key"), "SECRET-KEY-MATERIAL").unwrap();
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let app =
        App::new("tls-bad").http(HttpServer::new(any).tls(pki.server_tls("server")).service(WhoServer::new(Answer)));
    let err = app.start().await.expect_err("the start fails").to_string();
    assert!(err.contains("server.pem") || err.contains("server.key"), "{err}");
    assert!(!err.contains("SECRET-KEY-MATERIAL"), "{err}");
    let missing = App::new("tls-missing").http(
        HttpServer::new(any)
            .tls(ServerTls::new(pki.path("nope.pem"), pki.path("nope.key")))
            .service(WhoServer::new(Answer)),
    );
    let err = missing.start().await.expect_err("the start fails").to_string();
    assert!(err.contains("nope.pem"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_calls_over_tls_and_mutual_tls() {
    let Some(python) = bia_tests_python() else { return };
    let pki = Pki::new("grpcio");
    pki.leaf("server", "localhost", &["localhost"], false);
    pki.leaf("client", "py-client", &["py.internal"], false);
    let ca = pki.path("ca.pem");
    let app = start(pki.server_tls("server"), pki.server_tls("server").client_ca(&ca)).await;
    // WhoRequest{name} and WhoReply{subject, sans, name} by hand: field 1, 2, 3.
    let script = r#"
import sys, grpc
port, ca, cert, key, mode = sys.argv[1:6]
def enc(s):
    b = s.encode()
    return b"\x0a" + bytes([len(b)]) + b
def dec(b):
    out, i = {}, 0
    while i < len(b):
        tag, n = b[i] >> 3, b[i + 1]
        out.setdefault(tag, []).append(b[i + 2:i + 2 + n].decode())
        i += 2 + n
    return out
root = open(ca, "rb").read()
if mode == "mtls":
    creds = grpc.ssl_channel_credentials(root_certificates=root, private_key=open(key, "rb").read(), certificate_chain=open(cert, "rb").read())
else:
    creds = grpc.ssl_channel_credentials(root_certificates=root)
ch = grpc.secure_channel("localhost:" + port, creds)
call = ch.unary_unary("/tls.v1.Who/Who", request_serializer=lambda x: x, response_deserializer=lambda x: x)
try:
    reply = dec(call(enc("py"), timeout=10))
    print("OK", reply.get(1, [""])[0], ",".join(reply.get(2, [])))
except grpc.RpcError as e:
    print("ERR", e.code().name)
"#;
    let run = |mode: &str| {
        let out = Command::new(python)
            .arg("-c")
            .arg(script)
            .args([
                &app.grpc.port().to_string(),
                ca.to_str().unwrap(),
                pki.path("client.pem").to_str().unwrap(),
                pki.path("client.key").to_str().unwrap(),
                mode,
            ])
            .output()
            .expect("python runs");
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    let out = run("mtls");
    assert!(out.contains("OK O=Bia Tests,CN=py-client DNS:py.internal"), "{out}");
    let out = run("tls");
    assert!(out.contains("ERR UNAVAILABLE"), "no client certificate: {out}");
    let out = run("mtls");
    assert!(out.starts_with("OK"), "still serving: {out}");
    app.running.stop().await.unwrap();
}

/// `python3` with grpcio, or a skip (a failure under BIA_REQUIRE_EXTERNAL=1).
fn bia_tests_python() -> Option<&'static str> {
    let ok = Command::new("python3").args(["-c", "import grpc"]).output().map(|o| o.status.success()).unwrap_or(false);
    if ok {
        return Some("python3");
    }
    assert!(
        std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
        "BIA_REQUIRE_EXTERNAL=1: python3 with grpcio is missing"
    );
    eprintln!("skipping: python3 with grpcio is not installed");
    None
}
