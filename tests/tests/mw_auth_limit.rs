//! The JWT and rate-limit middleware on both transports, through real
//! sockets and the generated clients: the same operation, the same answers.
//!
//! The PEM keys under `tests/fixtures/jwt/` are throw-away keys made for these
//! tests only (`openssl genpkey`); they protect nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bia::middleware::jwt::{self, Signer, SigningKey, VerifyingKey};
use bia::middleware::ratelimit::{Bbr, RateLimit, TokenBucket};
use bia::middleware::{AnyMessage, Context, Next, Selector};
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;

const RS_PRIVATE: &str = include_str!("../fixtures/jwt/rs256_private.pem");
const RS_PUBLIC: &str = include_str!("../fixtures/jwt/rs256_public.pem");
const ES_PRIVATE: &str = include_str!("../fixtures/jwt/es256_private.pem");
const ES_PUBLIC: &str = include_str!("../fixtures/jwt/es256_public.pem");
const SECRET: &str = "integration-test secret, 32 bytes+";

#[bia::message(package = "authlimit.v1")]
pub struct MeRequest {
    pub name: String,
}

#[bia::message(package = "authlimit.v1")]
pub struct MeReply {
    pub subject: String,
    pub role: String,
}

#[bia::service(package = "authlimit.v1")]
pub trait Guarded: Send + Sync + 'static {
    #[rpc(get = "/v1/me/<name>")]
    async fn me(&self, req: MeRequest) -> bia::Result<MeReply>;
    #[rpc(get = "/v1/health")]
    async fn health(&self, req: MeRequest) -> bia::Result<MeReply>;
    #[rpc(post = "/v1/slow", body = "*")]
    async fn slow(&self, req: MeRequest) -> bia::Result<MeReply>;
}

/// The claims a handler wants.
#[derive(serde::Deserialize)]
struct TokenClaims {
    sub: String,
    #[serde(default)]
    role: String,
}

#[derive(Clone)]
struct Impl {
    handled: Arc<AtomicUsize>,
    /// `slow` waits until this is `true`.
    release: tokio::sync::watch::Receiver<bool>,
}

impl Guarded for Impl {
    async fn me(&self, _: MeRequest) -> bia::Result<MeReply> {
        self.handled.fetch_add(1, Ordering::SeqCst);
        let seen = jwt::Claims::current().map(|c| c.subject().unwrap_or("").to_owned());
        let claims = jwt::claims::<TokenClaims>();
        // Both ways of reading the claims agree.
        assert_eq!(seen, claims.as_ref().map(|c| c.sub.clone()));
        Ok(claims
            .map(|c| MeReply { subject: c.sub, role: c.role })
            .unwrap_or(MeReply { subject: "anonymous".into(), role: String::new() }))
    }

    async fn health(&self, _: MeRequest) -> bia::Result<MeReply> {
        self.handled.fetch_add(1, Ordering::SeqCst);
        Ok(MeReply { subject: "health".into(), role: String::new() })
    }

    async fn slow(&self, _: MeRequest) -> bia::Result<MeReply> {
        self.handled.fetch_add(1, Ordering::SeqCst);
        let mut release = self.release.clone();
        release.wait_for(|go| *go).await.map_err(|_| bia::Error::internal_server("GONE", "test ended"))?;
        Ok(MeReply { subject: "slow".into(), role: String::new() })
    }
}

struct Running {
    app: bia::Running,
    handled: Arc<AtomicUsize>,
    release: tokio::sync::watch::Sender<bool>,
}

impl Running {
    fn http_url(&self) -> String {
        format!("http://{}", self.app.http_addrs()[0])
    }
    fn http(&self) -> GuardedHttpClient {
        GuardedHttpClient::new(self.http_url()).unwrap()
    }
    async fn grpc(&self) -> GuardedGrpcClient {
        GuardedGrpcClient::connect(format!("http://{}", self.app.grpc_addrs()[0])).await.unwrap()
    }
    fn handled(&self) -> usize {
        self.handled.load(Ordering::SeqCst)
    }
}

/// Starts the service on HTTP and gRPC; `setup` adds middleware to the app
/// and to each transport's server.
async fn start(setup: impl FnOnce(bia::App, HttpServer, GrpcServer) -> (bia::App, HttpServer, GrpcServer)) -> Running {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let handled = Arc::new(AtomicUsize::new(0));
    let (release, rx) = tokio::sync::watch::channel(false);
    let svc = GuardedServer::new(Impl { handled: handled.clone(), release: rx });
    let (app, http, grpc) = setup(bia::App::new("authlimit"), HttpServer::new(any), GrpcServer::new(any));
    let app = app.http(http.service(svc.clone())).grpc(grpc.service(svc)).start().await.unwrap();
    Running { app, handled, release }
}

/// The JWT server middleware for every operation but `Health`.
async fn start_jwt(key: VerifyingKey) -> Running {
    let auth = Selector::new(jwt::Server::new(key)).predicate(|ctx| ctx.operation() != GuardedOperation::HEALTH);
    start(|app, http, grpc| (app.middleware(auth), http, grpc)).await
}

/// A client middleware that sends whatever `authorization` it is given.
struct SetAuth(Option<String>);

#[bia::middleware]
impl SetAuth {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        if let Some(v) = &self.0 {
            assert!(ctx.set_request_header("authorization", v));
        }
        next.run(ctx, req).await
    }
}

fn req() -> MeRequest {
    MeRequest { name: "x".into() }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Base64url without padding (what JWT segments use).
fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// `Me` with this `authorization` on both transports: both replies.
async fn me_both(r: &Running, auth: Option<&str>) -> (bia::Result<MeReply>, bia::Result<MeReply>) {
    let set = || SetAuth(auth.map(str::to_owned));
    let http = r.http().middleware(set()).me(req()).await;
    let grpc = r.grpc().await.middleware(set()).me(req()).await;
    (http, grpc)
}

/// A unary gRPC call through a plain tonic client with one metadata entry,
/// to see the status code on the wire.
async fn raw_grpc_me(r: &Running, authorization: &str) -> tonic::Status {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", r.app.grpc_addrs()[0]))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let mut request = tonic::Request::new(req());
    request.metadata_mut().insert("authorization", authorization.parse().unwrap());
    let codec = tonic_prost::ProstCodec::<MeRequest, MeReply>::default();
    let path = http::uri::PathAndQuery::from_static(GuardedOperation::ME);
    grpc.unary(request, path, codec).await.unwrap_err()
}

#[tokio::test]
async fn valid_tokens_reach_the_handler_with_their_claims_for_each_algorithm() {
    let cases = [
        (VerifyingKey::hs256(SECRET).unwrap(), SigningKey::hs256(SECRET).unwrap()),
        (VerifyingKey::rs256_pem(RS_PUBLIC).unwrap(), SigningKey::rs256_pem(RS_PRIVATE).unwrap()),
        (VerifyingKey::es256_pem(ES_PUBLIC).unwrap(), SigningKey::es256_pem(ES_PRIVATE).unwrap()),
    ];
    for (verifying, signing) in cases {
        let alg = verifying.algorithm();
        let r = start_jwt(verifying).await;
        let token = Signer::new(signing).subject("alice").claim("role", "admin").sign().unwrap();
        let bearer = format!("Bearer {token}");
        let (http, grpc) = me_both(&r, Some(&bearer)).await;
        for rep in [http, grpc] {
            let rep = rep.unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!((rep.subject.as_str(), rep.role.as_str()), ("alice", "admin"), "{alg}");
        }
        // The client middleware with a fixed token does the same.
        let fixed = jwt::Client::bearer(&token).unwrap();
        assert_eq!(r.http().middleware(fixed.clone()).me(req()).await.unwrap().subject, "alice");
        assert_eq!(r.grpc().await.middleware(fixed).me(req()).await.unwrap().subject, "alice");
        assert_eq!(r.handled(), 4, "{alg}");
        r.app.stop().await.unwrap();
    }
}

#[tokio::test]
async fn the_client_middleware_signs_a_fresh_token_per_call() {
    let r = start_jwt(VerifyingKey::rs256_pem(RS_PUBLIC).unwrap()).await;
    let signer = Signer::new(SigningKey::rs256_pem(RS_PRIVATE).unwrap())
        .subject("svc-orders")
        .claim("role", "service")
        .expires_in(Duration::from_secs(30));
    let http = r.http().middleware(jwt::Client::signing(signer.clone()));
    let grpc = r.grpc().await.middleware(jwt::Client::signing(signer));
    for _ in 0..2 {
        for rep in [http.me(req()).await.unwrap(), grpc.me(req()).await.unwrap()] {
            assert_eq!((rep.subject.as_str(), rep.role.as_str()), ("svc-orders", "service"));
        }
    }
    assert_eq!(r.handled(), 4);

    // A signer with the wrong key gets the same 401 on both transports.
    let wrong = Signer::new(SigningKey::es256_pem(ES_PRIVATE).unwrap()).subject("svc-orders");
    let e1 = r.http().middleware(jwt::Client::signing(wrong.clone())).me(req()).await.unwrap_err();
    let e2 = r.grpc().await.middleware(jwt::Client::signing(wrong)).me(req()).await.unwrap_err();
    assert_eq!((e1.code(), e1.reason(), e1.message()), (401, "UNAUTHORIZED", "Wrong signing method"));
    assert_eq!(e1, e2);
    assert_eq!(r.handled(), 4);
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn bad_tokens_are_refused_with_401_on_both_transports() {
    let r = start_jwt(VerifyingKey::rs256_pem(RS_PUBLIC).unwrap()).await;
    let rs = Signer::new(SigningKey::rs256_pem(RS_PRIVATE).unwrap()).subject("alice");
    let valid = rs.sign().unwrap();

    let expired = rs.clone().claim("iat", now() - 7200).claim("exp", now() - 3600).sign().unwrap();
    // The payload of another subject under alice's signature.
    let forged = {
        let parts: Vec<&str> = valid.split('.').collect();
        let payload = format!(r#"{{"sub":"mallory","exp":{}}}"#, now() + 600);
        format!("{}.{}.{}", parts[0], b64(payload.as_bytes()), parts[2])
    };
    let unsigned = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(format!(r#"{{"sub":"mallory","exp":{}}}"#, now() + 600).as_bytes())
    );
    // Algorithm confusion: HMAC "signed" with the server's RSA public key.
    let confused = Signer::new(SigningKey::hs256(RS_PUBLIC).unwrap()).subject("mallory").sign().unwrap();
    let es = Signer::new(SigningKey::es256_pem(ES_PRIVATE).unwrap()).subject("mallory").sign().unwrap();

    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "JWT token is missing"),
        (Some("Basic YWxpY2U6c2VjcmV0".into()), "JWT token is missing"),
        (Some("Bearer".into()), "JWT token is missing"),
        (Some("Bearer not-a-jwt".into()), "Token is invalid"),
        (Some("Bearer a.b.c".into()), "Token is invalid"),
        (Some(format!("Bearer {expired}")), "JWT token has expired"),
        (Some(format!("Bearer {forged}")), "Token is invalid"),
        (Some(format!("Bearer {unsigned}")), "Wrong signing method"),
        (Some(format!("Bearer {confused}")), "Wrong signing method"),
        (Some(format!("Bearer {es}")), "Wrong signing method"),
    ];
    for (auth, message) in &cases {
        let (http, grpc) = me_both(&r, auth.as_deref()).await;
        let (e1, e2) = (http.unwrap_err(), grpc.unwrap_err());
        assert_eq!((e1.code(), e1.reason(), e1.message()), (401, "UNAUTHORIZED", *message), "{auth:?}");
        assert_eq!(e1, e2, "{auth:?}: the transports disagree");
        assert_eq!(e2.grpc_code(), tonic::Code::Unauthenticated);
    }
    assert_eq!(r.handled(), 0, "a refused call reached the handler");

    // On the wire: the HTTP status and body, the gRPC status code.
    let raw = bia_tests::raw::http_with(
        "GET",
        &format!("{}/v1/me/x", r.http_url()),
        &[("authorization", &format!("Bearer {confused}"))],
        "",
    )
    .await;
    assert_eq!(raw.status, 401);
    assert_eq!(raw.json()["reason"], "UNAUTHORIZED");
    assert_eq!(raw.json()["message"], "Wrong signing method");
    let status = raw_grpc_me(&r, &format!("Bearer {unsigned}")).await;
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(status.message(), "Wrong signing method");

    // And the genuine token still passes.
    let (http, grpc) = me_both(&r, Some(&format!("bearer {valid}"))).await;
    assert_eq!(http.unwrap().subject, "alice");
    assert_eq!(grpc.unwrap().subject, "alice");
    assert_eq!(r.handled(), 2);
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn a_selector_exempted_operation_stays_open() {
    let r = start_jwt(VerifyingKey::hs256(SECRET).unwrap()).await;
    let http = r.http();
    let grpc = r.grpc().await;
    assert_eq!(http.health(req()).await.unwrap().subject, "health");
    assert_eq!(grpc.health(req()).await.unwrap().subject, "health");
    assert_eq!(http.me(req()).await.unwrap_err().code(), 401);
    assert_eq!(grpc.me(req()).await.unwrap_err().code(), 401);
    assert_eq!(r.handled(), 2);
    r.app.stop().await.unwrap();
}

/// Calls `Me` `n` times in a row: (successes, errors).
async fn burst<F, Fut>(n: usize, call: F) -> (usize, Vec<bia::Error>)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bia::Result<MeReply>>,
{
    let mut ok = 0;
    let mut refused = Vec::new();
    for _ in 0..n {
        match call().await {
            Ok(_) => ok += 1,
            Err(e) => refused.push(e),
        }
    }
    (ok, refused)
}

#[tokio::test]
async fn a_token_bucket_refuses_beyond_its_burst_then_refills() {
    // 3 tokens, one more every 3 s: a burst of 7 quick calls gets 3 through.
    let bucket =
        TokenBucket::new(1.0 / 3.0, 3).unwrap().per_key(|ctx| format!("{} {}", ctx.kind().as_str(), ctx.operation()));
    let r = start(|app, http, grpc| (app.middleware(RateLimit::new(bucket)), http, grpc)).await;
    let http = r.http();
    let grpc = r.grpc().await;

    let (ok, refused) = burst(7, || http.me(req())).await;
    assert_eq!((ok, refused.len()), (3, 4), "HTTP: {refused:?}");
    for e in &refused {
        assert_eq!(
            (e.code(), e.reason(), e.message()),
            (429, "RATELIMIT", "service unavailable due to rate limit exceeded")
        );
    }
    assert_eq!(r.handled(), 3, "a refused call reached the handler");
    let raw = bia_tests::raw::http("GET", &format!("{}/v1/me/x", r.http_url()), "").await;
    assert_eq!(raw.status, 429);
    assert_eq!(raw.json()["reason"], "RATELIMIT");

    // Another operation, another bucket; another transport, other buckets.
    assert_eq!(http.health(req()).await.unwrap().subject, "health");
    let (ok, refused) = burst(7, || grpc.me(req())).await;
    assert_eq!((ok, refused.len()), (3, 4), "gRPC: {refused:?}");
    for e in &refused {
        assert_eq!((e.code(), e.reason(), e.grpc_code()), (429, "RATELIMIT", tonic::Code::ResourceExhausted));
    }
    let status = raw_grpc_me(&r, "Bearer unused").await;
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(r.handled(), 7);

    // A token later, one more call goes through on each transport.
    tokio::time::sleep(Duration::from_millis(3300)).await;
    http.me(req()).await.unwrap();
    grpc.me(req()).await.unwrap();
    assert_eq!(r.handled(), 9);
    r.app.stop().await.unwrap();
}

/// `f`, or a failure after 10 s.
async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), f).await.expect("timed out")
}

/// Waits (bounded) until the handler count reaches `n`.
async fn wait_handled(r: &Running, n: usize) {
    for _ in 0..500 {
        if r.handled() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the handler ran {} times, not {n}", r.handled());
}

#[tokio::test]
async fn bbr_refuses_calls_beyond_the_in_flight_estimate_while_the_cpu_is_busy() {
    // A CPU reading of 100 %: the limiter is armed; with no history, more
    // than one call in flight is too many. One limiter per transport.
    let busy = || RateLimit::new(Bbr::new().cpu_source(|| 1000));
    let r = start(|app, http, grpc| (app, http.middleware(busy()), grpc.middleware(busy()))).await;
    let http = r.http();
    let grpc = r.grpc().await;

    // HTTP: two calls held in the handler, the third is refused.
    let held: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn({
                let c = http.clone();
                async move { c.slow(req()).await }
            })
        })
        .collect();
    wait_handled(&r, 2).await;
    let e = bounded(http.slow(req())).await.unwrap_err();
    assert_eq!((e.code(), e.reason()), (429, "RATELIMIT"));
    assert_eq!(r.handled(), 2);
    r.release.send_replace(true);
    for h in held {
        assert_eq!(bounded(h).await.unwrap().unwrap().subject, "slow");
    }
    // Nothing in flight any more: calls pass again.
    assert_eq!(bounded(http.me(req())).await.unwrap().subject, "anonymous");
    assert_eq!(r.handled(), 3);

    // gRPC, the same.
    r.release.send_replace(false);
    let held: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn({
                let c = grpc.clone();
                async move { c.slow(req()).await }
            })
        })
        .collect();
    wait_handled(&r, 5).await;
    let e = bounded(grpc.slow(req())).await.unwrap_err();
    assert_eq!((e.code(), e.reason(), e.grpc_code()), (429, "RATELIMIT", tonic::Code::ResourceExhausted));
    assert_eq!(r.handled(), 5);
    r.release.send_replace(true);
    for h in held {
        assert_eq!(bounded(h).await.unwrap().unwrap().subject, "slow");
    }
    assert_eq!(bounded(grpc.me(req())).await.unwrap().subject, "anonymous");
    assert_eq!(r.handled(), 6);
    r.app.stop().await.unwrap();
}
