//! JWT verification keys from a JWKS URL, against a JWKS server this test
//! runs on a free 127.0.0.1 port (it counts the requests it answers): keys
//! selected by `kid`, rotation through the refresh an unknown `kid` causes,
//! its rate limit, the interval refresh, and an unreachable JWKS.
//!
//! The Ed25519 and P-256 keys are made here from random bytes; the RSA key
//! is the throw-away fixture of `tests/fixtures/jwt/`.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bia::middleware::jwt::{self, Jwks, ServerConfig, Signer, SigningKey};
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const RS_PRIVATE: &str = include_str!("../fixtures/jwt/rs256_private.pem");
const RS_PUBLIC: &str = include_str!("../fixtures/jwt/rs256_public.pem");

#[bia::message(package = "jwks.v1")]
pub struct WhoRequest {}

#[bia::message(package = "jwks.v1")]
pub struct WhoReply {
    pub subject: String,
}

#[bia::service(package = "jwks.v1")]
pub trait Who: Send + Sync + 'static {
    #[rpc(get = "/v1/who")]
    async fn who(&self, req: WhoRequest) -> bia::Result<WhoReply>;
}

struct Impl;

impl Who for Impl {
    async fn who(&self, _: WhoRequest) -> bia::Result<WhoReply> {
        let subject = jwt::Claims::current().and_then(|c| c.subject().map(str::to_owned)).unwrap_or_default();
        Ok(WhoReply { subject })
    }
}

// ---- keys ----------------------------------------------------------------

/// 32 random bytes (std's hasher keys are random per process and thread).
fn random_bytes() -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&RandomState::new().hash_one(i).to_le_bytes());
    }
    out
}

/// Standard base64 with padding (what PEM bodies use).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]) } else { '=' });
        }
    }
    out
}

fn pem(label: &str, der: &[u8]) -> String {
    let body: Vec<String> = base64(der).as_bytes().chunks(64).map(|l| String::from_utf8(l.to_vec()).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", body.join("\n"))
}

/// A new Ed25519 key: the PKCS#8 form of a random seed.
fn new_ed25519() -> SigningKey {
    let mut der = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    der.extend_from_slice(&random_bytes());
    SigningKey::from_pem(jwt::Algorithm::EdDsa, pem("PRIVATE KEY", &der)).unwrap()
}

/// A new P-256 key: the PKCS#8 form of a random scalar below the order.
fn new_p256() -> SigningKey {
    let mut scalar = random_bytes();
    scalar[0] &= 0x7f;
    scalar[31] |= 1;
    let mut der = vec![
        0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
    ];
    der.extend_from_slice(&scalar);
    SigningKey::es256_pem(pem("PRIVATE KEY", &der)).unwrap()
}

/// A key with its `kid`: signs tokens naming it, and is published as a JWK.
#[derive(Clone)]
struct Key {
    kid: String,
    signing: SigningKey,
}

impl Key {
    fn new(kid: impl Into<String>, signing: SigningKey) -> Self {
        Self { kid: kid.into(), signing }
    }
    fn jwk(&self) -> Value {
        self.signing.public_jwk(self.kid.clone()).unwrap()
    }
    fn token(&self, subject: &str) -> String {
        Signer::new(self.signing.clone()).key_id(self.kid.clone()).subject(subject).sign().unwrap()
    }
}

// ---- the JWKS server -----------------------------------------------------

/// A JWKS server on a free port: what it serves can change, it can be down
/// (503), and it counts the requests it answered.
#[derive(Clone)]
struct JwksServer {
    url: String,
    keys: Arc<Mutex<Value>>,
    hits: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
    /// The `authorization` header of the last request.
    authorization: Arc<Mutex<Option<String>>>,
}

impl JwksServer {
    async fn start(keys: &[&Key]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Self {
            url: format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap()),
            keys: Arc::new(Mutex::new(Value::Null)),
            hits: Arc::default(),
            down: Arc::default(),
            authorization: Arc::default(),
        };
        server.publish(keys);
        let shared = server.clone();
        tokio::spawn(async move {
            loop {
                let (mut conn, _) = listener.accept().await.unwrap();
                let shared = shared.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&request).into_owned();
                    *shared.authorization.lock().unwrap() = head
                        .lines()
                        .find_map(|l| l.strip_prefix("authorization: ").or_else(|| l.strip_prefix("Authorization: ")))
                        .map(str::to_owned);
                    shared.hits.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = if shared.down.load(Ordering::SeqCst) {
                        ("503 Service Unavailable", "down".to_owned())
                    } else {
                        ("200 OK", shared.keys.lock().unwrap().to_string())
                    };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                });
            }
        });
        server
    }

    fn publish(&self, keys: &[&Key]) {
        *self.keys.lock().unwrap() = json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() });
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

// ---- the service -----------------------------------------------------------

struct Service {
    app: bia::Running,
}

impl Service {
    async fn start(auth: jwt::Server) -> Self {
        let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
        let svc = WhoServer::new(Impl);
        let app = bia::App::new("jwks")
            .middleware(auth)
            .http(HttpServer::new(any).service(svc.clone()))
            .grpc(GrpcServer::new(any).service(svc))
            .signals(false)
            .start()
            .await
            .unwrap();
        Self { app }
    }

    fn http_url(&self) -> String {
        format!("http://{}", self.app.http_addrs()[0])
    }

    /// `Who` over HTTP with this token.
    async fn who(&self, token: &str) -> bia::Result<String> {
        let client = WhoHttpClient::new(self.http_url()).unwrap().middleware(jwt::Client::bearer(token).unwrap());
        client.who(WhoRequest {}).await.map(|r| r.subject)
    }

    /// `Who` over gRPC with this token.
    async fn who_grpc(&self, token: &str) -> bia::Result<String> {
        let client = WhoGrpcClient::connect(format!("http://{}", self.app.grpc_addrs()[0]))
            .await
            .unwrap()
            .middleware(jwt::Client::bearer(token).unwrap());
        client.who(WhoRequest {}).await.map(|r| r.subject)
    }
}

fn assert_refused(result: bia::Result<String>, message: &str) {
    let e = result.expect_err("the token was accepted");
    assert_eq!((e.code(), e.reason(), e.message()), (401, "UNAUTHORIZED", message), "{e}");
}

// ---- tests -----------------------------------------------------------------

#[tokio::test]
async fn keys_rotate_through_the_refresh_an_unknown_kid_causes_rate_limited() {
    let a = Key::new("a", new_ed25519());
    let b = Key::new("b", new_p256());
    let r = Key::new("r", SigningKey::rs256_pem(RS_PRIVATE).unwrap());
    let jwks_server = JwksServer::start(&[&a, &r]).await;
    let gap = Duration::from_secs(3);
    let jwks =
        Jwks::new(&jwks_server.url).unwrap().min_refresh_interval(gap).refresh_interval(Duration::from_secs(3600));
    let started = Instant::now();
    assert_eq!(jwks.fetch().await.unwrap(), 2);
    assert_eq!(jwks_server.hits(), 1);
    let mut kids = jwks.key_ids();
    kids.sort();
    assert_eq!(kids, ["a", "r"]);
    let service = Service::start(jwt::Server::jwks(jwks.clone())).await;

    // Key A (EdDSA) and the RSA key (RS256), on both transports.
    assert_eq!(service.who(&a.token("alice")).await.unwrap(), "alice");
    assert_eq!(service.who_grpc(&a.token("alice")).await.unwrap(), "alice");
    assert_eq!(service.who(&r.token("rita")).await.unwrap(), "rita");
    assert_eq!(jwks_server.hits(), 1, "known kids are served from the cache");

    // Rotation: B (ES256) replaces A. Within the gap after the start's
    // fetch, B's kid is refused without a fetch (the rate limit counts every
    // fetch); after it, B's first token fetches once and passes, and A's kid
    // is now unknown and refused.
    jwks_server.publish(&[&b, &r]);
    assert_refused(service.who(&b.token("bob")).await, "Token is invalid");
    assert!(started.elapsed() < gap, "the calls took longer than the gap; the count below would not hold");
    assert_eq!(jwks_server.hits(), 1);
    tokio::time::sleep_until((started + gap + Duration::from_millis(50)).into()).await;
    let fetched = Instant::now();
    assert_eq!(service.who(&b.token("bob")).await.unwrap(), "bob");
    assert_eq!(jwks_server.hits(), 2);
    assert_refused(service.who(&a.token("alice")).await, "Token is invalid");
    assert_refused(service.who_grpc(&a.token("alice")).await, "Token is invalid");
    assert_eq!(service.who(&r.token("rita")).await.unwrap(), "rita");

    // The Bia error body on the wire.
    let raw = bia_tests::raw::http_with(
        "GET",
        &format!("{}/v1/who", service.http_url()),
        &[("authorization", &format!("Bearer {}", a.token("alice")))],
        "",
    )
    .await;
    assert_eq!(raw.status, 401);
    assert_eq!(
        raw.json(),
        json!({"code": 401, "reason": "UNAUTHORIZED", "message": "Token is invalid", "metadata": {}})
    );

    // A flood of made-up kids within the gap: all refused, no fetch.
    let flood = |tag: &'static str| {
        let calls = (0..40).map(|i| {
            let forged = Key::new(format!("{tag}-{i}"), b.signing.clone());
            let service = &service;
            async move { service.who(&forged.token("mallory")).await }
        });
        futures_util::future::join_all(calls)
    };
    for result in flood("x").await {
        assert_refused(result, "Token is invalid");
    }
    assert!(fetched.elapsed() < gap, "the calls took longer than the gap; the count below would not hold");
    assert_eq!(jwks_server.hits(), 2, "a flood of unknown kids does not reach the JWKS server");

    // After the gap, the next unknown kid fetches once, then the flood is
    // refused from the cache again.
    tokio::time::sleep(gap + Duration::from_millis(100)).await;
    for result in flood("y").await {
        assert_refused(result, "Token is invalid");
    }
    assert_eq!(jwks_server.hits(), 3, "one fetch per gap");
    assert_eq!(service.who(&b.token("bob")).await.unwrap(), "bob");
    service.app.stop().await.unwrap();
}

#[tokio::test]
async fn the_interval_refresh_drops_removed_keys_and_adds_new_ones() {
    let a = Key::new("a", new_p256());
    let b = Key::new("b", new_ed25519());
    let jwks_server = JwksServer::start(&[&a]).await;
    let jwks = Jwks::new(&jwks_server.url).unwrap().refresh_interval(Duration::from_secs(1));
    jwks.fetch().await.unwrap();
    let server = jwt::Server::jwks(jwks.clone());
    assert_eq!(server.verify(&a.token("alice")).unwrap().subject(), Some("alice"));
    // `verify` never fetches: B is unknown until the next refresh.
    assert!(server.verify(&b.token("bob")).is_err());

    jwks_server.publish(&[&b]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while jwks_server.hits() < 2 || jwks.key_ids() != ["b"] {
        assert!(Instant::now() < deadline, "no refresh within 10 s (hits: {})", jwks_server.hits());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.verify(&b.token("bob")).unwrap().subject(), Some("bob"));
    let e = server.verify(&a.token("alice")).unwrap_err();
    assert_eq!((e.code(), e.message()), (401, "Token is invalid"));
    assert!(e.cause().unwrap().to_string().contains("has no key `a`"), "{:?}", e.cause());

    // A failed refresh keeps the keys it had.
    jwks_server.down.store(true, Ordering::SeqCst);
    let hits = jwks_server.hits();
    while jwks_server.hits() == hits {
        assert!(Instant::now() < deadline, "no refresh within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.verify(&b.token("bob")).unwrap().subject(), Some("bob"));
}

#[tokio::test]
async fn an_unreachable_jwks_fails_the_start_or_refuses_until_it_answers() {
    // Nothing listens there: fetching (what a start does) fails clearly.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("http://{dead}/jwks.json");
    let e = Jwks::new(&url).unwrap().fetch().await.unwrap_err();
    assert_eq!((e.code(), e.reason()), (500, "BAD_JWT_KEY"));
    assert!(e.message().starts_with(&format!("the JWKS at {url} cannot be fetched")), "{e}");
    let conf: ServerConfig = bia::config::Loader::new()
        .embedded("jwt.yaml", format!("jwks_url: {url}\njwks_timeout: 2s\n"))
        .env_prefix(None)
        .load()
        .unwrap();
    let e = conf.build().await.unwrap_err();
    assert!(e.message().contains("cannot be fetched"), "{e}");

    // A JWKS that answers 503, used without fetching first: tokens get 401
    // (the cause says why), then pass once it answers.
    let a = Key::new("a", new_ed25519());
    let jwks_server = JwksServer::start(&[&a]).await;
    jwks_server.down.store(true, Ordering::SeqCst);
    let gap = Duration::from_millis(300);
    let jwks = Jwks::new(&jwks_server.url).unwrap().min_refresh_interval(gap);
    let e = jwks.fetch().await.unwrap_err();
    assert!(e.message().ends_with("answered 503 Service Unavailable"), "{e}");
    let server = jwt::Server::jwks(jwks);
    let cause = server.verify(&a.token("alice")).unwrap_err().cause().unwrap().to_string();
    assert!(cause.contains("no keys from the JWKS") && cause.contains("503"), "{cause}");
    let service = Service::start(server).await;
    tokio::time::sleep(gap).await;
    assert_refused(service.who(&a.token("alice")).await, "Token is invalid");
    jwks_server.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(gap).await;
    assert_eq!(service.who(&a.token("alice")).await.unwrap(), "alice");
    service.app.stop().await.unwrap();
}

#[tokio::test]
async fn each_key_accepts_only_its_own_algorithm() {
    let r = Key::new("r", SigningKey::rs256_pem(RS_PRIVATE).unwrap());
    let e = Key::new("e", new_p256());
    let jwks_server = JwksServer::start(&[&r, &e]).await;
    // A published shared secret is skipped, never trusted.
    let mut keys = jwks_server.keys.lock().unwrap().clone();
    keys["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}));
    *jwks_server.keys.lock().unwrap() = keys;
    let jwks = Jwks::new(&jwks_server.url).unwrap();
    assert_eq!(jwks.fetch().await.unwrap(), 2);
    let server = jwt::Server::jwks(jwks);
    assert!(server.verify(&r.token("r")).is_ok());
    assert!(server.verify(&e.token("e")).is_ok());

    // HS256 "signed" with the RSA public key, naming the RSA key: refused
    // before any signature check (algorithm confusion).
    let confused = Signer::new(SigningKey::hs256(RS_PUBLIC).unwrap()).key_id("r").sign().unwrap();
    assert_eq!(server.verify(&confused).unwrap_err().message(), "Wrong signing method");
    // The EC key's kid on an EdDSA token.
    let other = Key::new("e", new_ed25519()).token("x");
    assert_eq!(server.verify(&other).unwrap_err().message(), "Wrong signing method");
    // The skipped secret's kid.
    let hs = Signer::new(SigningKey::hs256("secret-secret-secret-secret").unwrap()).key_id("h").sign().unwrap();
    assert_eq!(server.verify(&hs).unwrap_err().message(), "Token is invalid");
    // No kid with two keys: which one is unknown.
    let bare = Signer::new(r.signing.clone()).sign().unwrap();
    assert_eq!(server.verify(&bare).unwrap_err().message(), "Token is invalid");

    // No kid with a single key: that key.
    let single = JwksServer::start(&[&r]).await;
    let jwks = Jwks::new(&single.url).unwrap();
    jwks.fetch().await.unwrap();
    assert_eq!(jwt::Server::jwks(jwks).verify(&bare).unwrap().subject(), None);
}

#[tokio::test]
async fn url_credentials_go_as_basic_auth_and_other_schemes_are_refused() {
    let a = Key::new("a", new_ed25519());
    let jwks_server = JwksServer::start(&[&a]).await;
    let with_user = jwks_server.url.replacen("http://", "http://reader:p%40ss@", 1);
    let jwks = Jwks::new(&with_user).unwrap();
    assert_eq!(jwks.url(), jwks_server.url);
    jwks.fetch().await.unwrap();
    // base64("reader:p@ss")
    assert_eq!(jwks_server.authorization.lock().unwrap().as_deref(), Some("Basic cmVhZGVyOnBAc3M="));

    // (https:// is tests/client_tls.rs's.)
    let e = Jwks::new("ftp://auth.example.com/jwks.json").unwrap_err();
    assert!(e.message().contains("not https or http"), "{e}");
}
