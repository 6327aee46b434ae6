//! TLS on Bia's clients, against Bia servers with TLS on (certificates made
//! in the test with rcgen, everything on 127.0.0.1): the generated HTTP and
//! gRPC clients (unary, server-sent events, WebSocket and gRPC streams)
//! trusting a CA file or PEM text, mutual TLS, a server-name override; the
//! refusals (an untrusted, expired or misnamed server certificate, a server
//! that wants a client certificate), each a quick 503 `TLS_HANDSHAKE`;
//! discovery of `https://` / `grpcs://` endpoints and of the `tls` metadata,
//! with failover past a node whose handshake fails; the etcd registry over
//! TLS with a user and password; a JWKS fetched over HTTPS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bia::client::{ClientTls, Dial};
use bia::prelude::*;
use bia::registry::{Discovery as _, Registrar as _, ServiceInstance, StaticRegistry, TLS_METADATA};
use bia::stream::{StreamExt as _, Streaming};
use bia::transport::ServerTls;
use bia_tests::streams::{collect, CounterGrpcClient, CounterHttpClient, CounterServer, MemoryCounter, Tick};

#[path = "support/pki.rs"]
mod pki;
use pki::Pki;

/// Who called, as the server saw it.
#[bia::message(package = "clienttls.v1")]
pub struct WhoRequest {
    pub name: String,
}

#[bia::message(package = "clienttls.v1")]
pub struct WhoReply {
    /// The verified client certificate's subject, empty without one.
    pub subject: String,
    pub name: String,
}

#[bia::service(package = "clienttls.v1")]
pub trait Who: Send + Sync + 'static {
    #[rpc(get = "/v1/who/<name>")]
    async fn who(&self, req: WhoRequest) -> bia::Result<WhoReply>;
}

struct Answer;

impl Who for Answer {
    async fn who(&self, req: WhoRequest) -> bia::Result<WhoReply> {
        let peer = bia::context::with(|c| c.peer_certificate().cloned()).flatten();
        Ok(WhoReply { subject: peer.map(|p| p.subject.clone()).unwrap_or_default(), name: req.name })
    }
}

fn who(name: &str) -> WhoRequest {
    WhoRequest { name: name.to_owned() }
}

/// Who and Counter on an HTTP and a gRPC server, both with `tls`.
async fn start(tls: ServerTls) -> bia_tests::TestApp {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let (who, counter) = (WhoServer::new(Answer), CounterServer::new(MemoryCounter::default()));
    let app = App::new("client-tls")
        .signals(false)
        .http(HttpServer::new(any).tls(tls.clone()).service(who.clone()).service(counter.clone()))
        .grpc(GrpcServer::new(any).tls(tls).service(who).service(counter));
    bia_tests::start(app).await
}

fn https(addr: SocketAddr) -> String {
    format!("https://{addr}")
}

fn grpcs(addr: SocketAddr) -> String {
    format!("grpcs://{addr}")
}

/// A refusal as the clients must give it: 503, `TLS_HANDSHAKE`, saying
/// `what`, within a few seconds.
#[track_caller]
fn assert_refused(res: Result<impl std::fmt::Debug, bia::Error>, started: Instant, what: &str) {
    let err = res.expect_err("the call is refused");
    assert_eq!((err.code(), err.reason()), (503, "TLS_HANDSHAKE"), "{err}");
    assert!(err.message().contains(what), "`{what}` not in: {err}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_clients_call_over_tls_trusting_a_ca_file_or_pem_text() {
    let pki = Pki::new("client-ca");
    pki.leaf("server", "localhost", &["localhost", "127.0.0.1"], false);
    let app = start(pki.server_tls("server")).await;
    let by_file = ClientTls::new().ca_file(pki.path("ca.pem"));
    let by_pem = ClientTls::new().ca_pem(std::fs::read(pki.path("ca.pem")).unwrap());

    // Unary, both transports, both ways of giving the CA.
    let http = WhoHttpClient::dial(Dial::new(https(app.http)).tls(by_file.clone())).await.unwrap();
    let rep = http.who(who("ann")).await.unwrap();
    assert_eq!((rep.name.as_str(), rep.subject.as_str()), ("ann", ""));
    let grpc = WhoGrpcClient::dial(Dial::new(grpcs(app.grpc)).tls(by_pem.clone())).await.unwrap();
    assert_eq!(grpc.who(who("bob")).await.unwrap().name, "bob");
    // `https://` is the gRPC client's TLS scheme too, and a lazy client works.
    let lazy = bia::transport::grpc::GrpcClient::connect_lazy_with_tls(https(app.grpc), by_file.clone()).unwrap();
    let rep: WhoReply = lazy.unary("/clienttls.v1.Who/Who", who("lazy")).await.unwrap();
    assert_eq!(rep.name, "lazy");
    let http = bia::transport::http::HttpClient::with_tls(https(app.http), by_pem.clone()).unwrap();
    assert!(format!("{http:?}").contains("https://"));

    // Streams: server-sent events and a WebSocket (wss://) over HTTP, a
    // bidirectional gRPC stream.
    let counter = CounterHttpClient::dial(Dial::new(https(app.http)).tls(by_file.clone())).await.unwrap();
    let (ticks, err) =
        collect(counter.count(bia_tests::streams::CountRequest { count: 3, ..Default::default() }).await.unwrap())
            .await;
    assert_eq!((ticks.len(), err.map(|e| e.to_string())), (3, None));
    let ticks = [Tick { n: 1, text: "a".into() }, Tick { n: 2, text: "b".into() }];
    let echoed = counter.echo(Streaming::iter(ticks.clone())).await.unwrap();
    let (back, err) = collect(echoed).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(back.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), ["A", "B"]);
    let sum = counter.sum(Streaming::iter(ticks.clone())).await.unwrap();
    assert_eq!(sum.total, 3);
    let counter = CounterGrpcClient::dial(Dial::new(grpcs(app.grpc)).tls(by_pem)).await.unwrap();
    let mut echoed = counter.echo(Streaming::iter(ticks)).await.unwrap();
    assert_eq!(echoed.next().await.unwrap().unwrap().text, "A");

    // Without the CA: the system's CA certificates, which do not trust the
    // test's CA. Refused in the handshake, saying so.
    let started = Instant::now();
    let system = WhoHttpClient::new(https(app.http)).unwrap();
    assert_refused(system.who(who("x")).await, started, "not signed by a CA");
    let started = Instant::now();
    assert_refused(WhoGrpcClient::connect(grpcs(app.grpc)).await, started, "not signed by a CA");
    let system = WhoGrpcClient::connect_lazy(https(app.grpc)).unwrap();
    assert_refused(system.who(who("x")).await, started, "not signed by a CA");
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_presents_the_client_certificate() {
    let pki = Pki::new("client-mtls");
    pki.leaf("server", "localhost", &["127.0.0.1"], false);
    pki.leaf("client", "ops-client", &["ops.internal"], false);
    let stranger = Pki::new("client-stranger");
    stranger.leaf("client", "stranger", &["stranger.example"], false);
    let app = start(pki.server_tls("server").client_ca(pki.path("ca.pem"))).await;
    let trust = ClientTls::new().ca_file(pki.path("ca.pem"));
    let files = trust.clone().identity_files(pki.path("client.pem"), pki.path("client.key"));
    let pem = trust
        .clone()
        .identity_pem(std::fs::read(pki.path("client.pem")).unwrap(), std::fs::read(pki.path("client.key")).unwrap());

    let http = WhoHttpClient::dial(Dial::new(https(app.http)).tls(files.clone())).await.unwrap();
    assert_eq!(http.who(who("h")).await.unwrap().subject, "O=Bia Tests,CN=ops-client");
    let grpc = WhoGrpcClient::dial(Dial::new(grpcs(app.grpc)).tls(pem.clone())).await.unwrap();
    assert_eq!(grpc.who(who("g")).await.unwrap().subject, "O=Bia Tests,CN=ops-client");
    let http = WhoHttpClient::dial(Dial::new(https(app.http)).tls(pem)).await.unwrap();
    assert_eq!(http.who(who("p")).await.unwrap().subject, "O=Bia Tests,CN=ops-client");

    // No certificate, or one of a CA the server does not trust: the server
    // refuses the handshake; each client says it wants a certificate.
    let started = Instant::now();
    let http = WhoHttpClient::dial(Dial::new(https(app.http)).tls(trust.clone())).await.unwrap();
    assert_refused(http.who(who("x")).await, started, "client certificate");
    let started = Instant::now();
    let grpc = WhoGrpcClient::dial(Dial::new(format!("direct:///{}", app.grpc)).tls(trust.clone())).await.unwrap();
    assert_refused(grpc.who(who("x")).await, started, "client certificate");
    let theirs = trust.identity_files(stranger.path("client.pem"), stranger.path("client.key"));
    let started = Instant::now();
    let http = WhoHttpClient::dial(Dial::new(https(app.http)).tls(theirs.clone())).await.unwrap();
    assert_refused(http.who(who("x")).await, started, "TLS handshake failed");
    let started = Instant::now();
    let grpc = WhoGrpcClient::dial(Dial::new(format!("direct:///{}", app.grpc)).tls(theirs)).await.unwrap();
    assert_refused(grpc.who(who("x")).await, started, "TLS handshake failed");

    // Still serving the right client.
    let http = WhoHttpClient::dial(Dial::new(https(app.http)).tls(files)).await.unwrap();
    assert_eq!(http.who(who("again")).await.unwrap().name, "again");
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_name_override_checks_the_certificate_against_that_name() {
    let pki = Pki::new("client-sni");
    // A certificate for a name only, reached by IP address.
    pki.leaf("server", "users.internal", &["users.internal"], false);
    let app = start(pki.server_tls("server")).await;
    let named = ClientTls::new().ca_file(pki.path("ca.pem")).server_name("users.internal");
    let http = WhoHttpClient::dial(Dial::new(https(app.http)).tls(named.clone())).await.unwrap();
    assert_eq!(http.who(who("n")).await.unwrap().name, "n");
    let grpc = WhoGrpcClient::dial(Dial::new(grpcs(app.grpc)).tls(named.clone())).await.unwrap();
    assert_eq!(grpc.who(who("n")).await.unwrap().name, "n");
    let counter = CounterHttpClient::dial(Dial::new(https(app.http)).tls(named)).await.unwrap();
    let sum = counter.sum(Streaming::iter([Tick { n: 4, text: String::new() }])).await.unwrap();
    assert_eq!(sum.total, 4, "the WebSocket's handshake checks the same name");

    // Without it the name checked is the IP address, which the certificate
    // does not carry.
    let plain = ClientTls::new().ca_file(pki.path("ca.pem"));
    let started = Instant::now();
    let http = WhoHttpClient::dial(Dial::new(https(app.http)).tls(plain.clone())).await.unwrap();
    assert_refused(http.who(who("x")).await, started, "not for the name");
    let started = Instant::now();
    assert_refused(WhoGrpcClient::dial(Dial::new(grpcs(app.grpc)).tls(plain)).await, started, "not for the name");
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_expired_and_misnamed_certificates_fail_cleanly() {
    let pki = Pki::new("client-refusals");
    pki.leaf("expired", "localhost", &["127.0.0.1"], true);
    pki.leaf("misnamed", "elsewhere", &["elsewhere.example"], false);
    pki.leaf("good", "localhost", &["127.0.0.1"], false);
    let other = Pki::new("client-other");
    let trust = ClientTls::new().ca_file(pki.path("ca.pem"));
    let cases = [
        ("expired", trust.clone(), "expired"),
        ("misnamed", trust.clone(), "not for the name"),
        ("good", ClientTls::new().ca_file(other.path("ca.pem")), "not signed by a CA"),
    ];
    for (stem, tls, what) in cases {
        let app = start(pki.server_tls(stem)).await;
        let started = Instant::now();
        let http = WhoHttpClient::dial(Dial::new(https(app.http)).tls(tls.clone())).await.unwrap();
        assert_refused(http.who(who("x")).await, started, what);
        let counter = CounterHttpClient::dial(Dial::new(https(app.http)).tls(tls.clone())).await.unwrap();
        let started = Instant::now();
        assert_refused(counter.sum(Streaming::iter([Tick::default()])).await, started, what);
        let started = Instant::now();
        assert_refused(WhoGrpcClient::dial(Dial::new(grpcs(app.grpc)).tls(tls.clone())).await, started, what);
        let lazy = WhoGrpcClient::dial(Dial::new(format!("direct:///{}", app.grpc)).tls(tls)).await.unwrap();
        let started = Instant::now();
        assert_refused(lazy.who(who("x")).await, started, what);
        app.running.stop().await.unwrap();
    }

    // TLS to a plaintext server, and settings that do not load: clean
    // errors too, never a hang.
    let plain = bia_tests::start_library().await;
    let started = Instant::now();
    let http = bia_tests::LibraryHttpClient::dial(Dial::new(https(plain.http)).tls(trust.clone())).await.unwrap();
    let err = http.get_book(bia_tests::GetBookRequest { name: "shelves/1/books/1".into() }).await.unwrap_err();
    assert_eq!(err.code(), 503, "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let missing = ClientTls::new().ca_file(pki.path("missing.pem"));
    let err = WhoHttpClient::dial(Dial::new(https(plain.http)).tls(missing.clone())).await.unwrap_err();
    assert_eq!(err.reason(), "TLS_CONFIG", "{err}");
    assert!(err.message().contains("missing.pem"), "{err}");
    let err = WhoGrpcClient::dial(Dial::new(grpcs(plain.grpc)).tls(missing)).await.unwrap_err();
    assert_eq!(err.reason(), "TLS_CONFIG", "{err}");
    plain.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_dials_tls_instances_and_fails_over_past_a_failed_handshake() {
    let pki = Pki::new("client-discovery");
    pki.leaf("server", "localhost", &["127.0.0.1"], false);
    let other = Pki::new("client-discovery-other");
    other.leaf("server", "localhost", &["127.0.0.1"], false);
    let good = start(pki.server_tls("server")).await;
    let untrusted = start(other.server_tls("server")).await;
    // Wants a client certificate, which the client has not.
    let strict = start(pki.server_tls("server").client_ca(pki.path("ca.pem"))).await;
    let registry = Arc::new(StaticRegistry::new());
    // TLS said by the schemes, and by the metadata on plain schemes.
    let by_scheme = ServiceInstance::new("who", "scheme")
        .endpoint(format!("https://{}", good.http))
        .endpoint(format!("grpcs://{}", good.grpc));
    let by_metadata = ServiceInstance::new("who", "metadata")
        .endpoint(format!("http://{}", good.http))
        .endpoint(format!("grpc://{}", good.grpc))
        .metadata(TLS_METADATA, "true");
    let bad = ServiceInstance::new("who", "untrusted")
        .endpoint(format!("https://{}", untrusted.http))
        .endpoint(format!("grpcs://{}", untrusted.grpc));
    let wants_cert = ServiceInstance::new("who", "strict")
        .endpoint(format!("https://{}", strict.http))
        .endpoint(format!("grpcs://{}", strict.grpc));
    for i in [&by_scheme, &by_metadata, &bad, &wants_cert] {
        registry.register(i).await.unwrap();
    }
    assert_eq!(registry.get_service("who").await.unwrap().len(), 4);
    let trust = ClientTls::new().ca_file(pki.path("ca.pem"));
    let dial = |id: &'static str| {
        Dial::new("discovery:///who").discovery(registry.clone()).tls(trust.clone()).filter(move |i| i.id == id)
    };
    for id in ["scheme", "metadata"] {
        let http = WhoHttpClient::dial(dial(id)).await.unwrap();
        assert_eq!(http.who(who(id)).await.unwrap().name, id);
        let grpc = WhoGrpcClient::dial(dial(id)).await.unwrap();
        assert_eq!(grpc.who(who(id)).await.unwrap().name, id);
    }

    // A node whose certificate this client does not trust, or that wants a
    // client certificate: the handshake fails, nothing was sent, the call
    // goes to another node. Every call succeeds.
    for refusing in ["untrusted", "strict"] {
        let pair = move |i: &ServiceInstance| i.id == "scheme" || i.id == refusing;
        let all = || Dial::new("discovery:///who").discovery(registry.clone()).tls(trust.clone()).filter(pair);
        let http = WhoHttpClient::dial(all()).await.unwrap();
        let grpc = WhoGrpcClient::dial(all()).await.unwrap();
        for n in 0..6 {
            let name = format!("{refusing}-{n}");
            assert_eq!(http.who(who(&name)).await.unwrap().name, name);
            assert_eq!(grpc.who(who(&name)).await.unwrap().name, name);
        }
    }
    // With that node alone, the handshake's error comes back.
    let only_bad = Dial::new("discovery:///who").discovery(registry.clone()).tls(trust).filter(|i| i.id == "untrusted");
    let started = Instant::now();
    assert_refused(WhoHttpClient::dial(only_bad.clone()).await.unwrap().who(who("x")).await, started, "not signed");
    assert_refused(WhoGrpcClient::dial(only_bad).await.unwrap().who(who("x")).await, started, "not signed");
    for app in [good, untrusted, strict] {
        app.running.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_over_tls_with_a_client_certificate_and_a_password() {
    use bia::registry::etcd::{EtcdConfig, EtcdRegistry};
    use bia_tests::etcd::{Etcd, Secure};

    let pki = Pki::new("client-etcd");
    pki.leaf("etcd", "etcd", &["127.0.0.1", "localhost"], false);
    pki.leaf("client", "registry", &["registry.internal"], false);
    let secure = Secure {
        cert: pki.path("etcd.pem"),
        key: pki.path("etcd.key"),
        client_ca: pki.path("ca.pem"),
        token_ttl_secs: 1,
    };
    let Some(etcd) = Etcd::start_secure("client-tls", secure) else { return };
    enable_auth(&etcd.plain_url()).await;

    let tls =
        ClientTls::new().ca_file(pki.path("ca.pem")).identity_files(pki.path("client.pem"), pki.path("client.key"));
    let config = |password: &str| {
        let mut c = EtcdConfig::new([etcd.url()]).namespace("/bia-tls").tls(tls.clone()).credentials("bia", password);
        c.timeout = Duration::from_secs(3);
        c
    };
    let registry = Arc::new(EtcdRegistry::new(config("bia-pw")).unwrap());
    let me = ServiceInstance::new("users", "u-1").endpoint("grpcs://127.0.0.1:9443");
    registry.register(&me).await.unwrap();
    let mut watch = registry.watch("users").await.unwrap();
    assert_eq!(watch.next().await.unwrap(), std::slice::from_ref(&me));
    // The token lives one second: past it, etcd refuses it and the
    // registry authenticates again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(registry.get_service("users").await.unwrap(), std::slice::from_ref(&me));
    let other = ServiceInstance::new("users", "u-2").endpoint("grpcs://127.0.0.1:9444");
    registry.register(&other).await.unwrap();
    assert_eq!(watch.next().await.unwrap().len(), 2, "the watch follows, token and all");

    // A wrong password, no client certificate, no TLS settings: clean
    // errors that name the cause and never the password.
    let wrong = EtcdRegistry::new(config("not-the-password")).unwrap();
    let err = wrong.get_service("users").await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (503, "REGISTRY"), "{err}");
    assert!(err.message().contains("`bia`") && !err.message().contains("not-the-password"), "{err}");
    let mut no_cert = config("bia-pw");
    no_cert.tls = Some(ClientTls::new().ca_file(pki.path("ca.pem")));
    let err = EtcdRegistry::new(no_cert).unwrap().get_service("users").await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (503, "TLS_HANDSHAKE"), "{err}");
    let mut system = config("bia-pw");
    system.tls = None;
    let err = EtcdRegistry::new(system).unwrap().get_service("users").await.unwrap_err();
    assert_eq!(err.reason(), "TLS_HANDSHAKE", "{err}");
    assert!(err.message().contains("not signed by a CA"), "{err}");
    let mut plaintext = config("bia-pw");
    plaintext.endpoints = vec![etcd.plain_url()];
    assert_eq!(EtcdRegistry::new(plaintext).unwrap_err().reason(), "CONFIG");

    registry.deregister(&me).await.unwrap();
    registry.deregister(&other).await.unwrap();
    assert!(registry.get_service("users").await.unwrap().is_empty());
}

/// Users and roles through etcd's JSON gateway (on its plaintext port), then
/// auth on: `root`, and `bia` with read-write access to `/bia-tls/`.
async fn enable_auth(base: &str) {
    let b64 = |s: &str| base64(s.as_bytes());
    let steps = [
        ("/v3/auth/user/add", serde_json::json!({"name": "root", "password": "root-pw"})),
        ("/v3/auth/role/add", serde_json::json!({"name": "root"})),
        ("/v3/auth/user/grant", serde_json::json!({"user": "root", "role": "root"})),
        ("/v3/auth/user/add", serde_json::json!({"name": "bia", "password": "bia-pw"})),
        ("/v3/auth/role/add", serde_json::json!({"name": "registry"})),
        (
            "/v3/auth/role/grant",
            serde_json::json!({"name": "registry", "perm": {"permType": "READWRITE", "key": b64("/bia-tls/"), "range_end": b64("/bia-tls0")}}),
        ),
        ("/v3/auth/user/grant", serde_json::json!({"user": "bia", "role": "registry"})),
        ("/v3/auth/enable", serde_json::json!({})),
    ];
    for (path, body) in steps {
        let reply = bia_tests::raw::http("POST", &format!("{base}{path}"), body.to_string()).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_is_fetched_over_https() {
    use bia::middleware::jwt::{self, Jwks, ServerConfig, Signer, SigningKey};

    const RS_PRIVATE: &str = include_str!("../fixtures/jwt/rs256_private.pem");
    let key = SigningKey::from_pem(jwt::Algorithm::Rs256, RS_PRIVATE).unwrap();
    let body = serde_json::json!({ "keys": [key.public_jwk("k1").unwrap()] }).to_string();
    let pki = Pki::new("client-jwks");
    pki.leaf("server", "auth.internal", &["auth.internal", "127.0.0.1"], false);
    let routes = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([(http::header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = App::new("auth")
        .signals(false)
        .http(HttpServer::new(any).tls(pki.server_tls("server")).routes(routes))
        .start()
        .await
        .unwrap();
    let url = format!("https://{}/.well-known/jwks.json", running.http_addrs()[0]);

    let jwks = Jwks::with_tls(&url, ClientTls::new().ca_file(pki.path("ca.pem"))).unwrap();
    assert_eq!(jwks.fetch().await.unwrap(), 1);
    let token = Signer::new(key.clone()).key_id("k1").subject("ann").sign().unwrap();
    assert_eq!(jwt::Server::jwks(jwks).verify(&token).unwrap().subject(), Some("ann"));

    // From config, with the CA and a server name.
    let conf: ServerConfig = serde_json::from_value(serde_json::json!({
        "jwks_url": url,
        "jwks_tls": { "ca": pki.path("ca.pem"), "server_name": "auth.internal" },
    }))
    .unwrap();
    let auth = conf.build().await.unwrap();
    assert_eq!(auth.verify(&token).unwrap().subject(), Some("ann"));

    // The system's CA certificates do not trust the test's CA.
    let err = Jwks::new(&url).unwrap().fetch().await.unwrap_err();
    assert_eq!(err.reason(), "BAD_JWT_KEY");
    assert!(err.message().contains("TLS handshake failed") && err.message().contains("not signed by a CA"), "{err}");
    running.stop().await.unwrap();
}

/// Standard base64 with padding (etcd's JSON form of bytes).
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

/// A server that accepts TCP and never answers the TLS handshake: both
/// clients give up after their handshake timeout (10 s) with a 503, never
/// hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_the_handshake_does_not_hold_a_call() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            open.push(conn);
        }
    });
    let pki = Pki::new("client-silent");
    let tls = ClientTls::new().ca_file(pki.path("ca.pem"));
    let http = WhoHttpClient::dial(Dial::new(https(addr)).tls(tls.clone())).await.unwrap();
    let grpc = WhoGrpcClient::dial(Dial::new(format!("direct:///{addr}")).tls(tls)).await.unwrap();
    let started = Instant::now();
    let (h, g) =
        tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(http.who(who("x")), grpc.who(who("x"))) })
            .await
            .expect("the calls end on their own");
    for res in [h.map(|_| ()), g.map(|_| ())] {
        let err = res.expect_err("no handshake, no call");
        assert_eq!(err.code(), 503, "{err}");
    }
    assert!(started.elapsed() >= Duration::from_secs(9), "gave up early: {:?}", started.elapsed());
    held.abort();
}

/// An App whose servers serve TLS registers them as `https://` and
/// `grpcs://`, and a client that discovers it dials TLS by that alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_registers_its_tls_servers_with_tls_schemes() {
    let pki = Pki::new("client-registers");
    pki.leaf("server", "localhost", &["127.0.0.1"], false);
    let registry = Arc::new(StaticRegistry::new());
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let tls = pki.server_tls("server");
    let app = App::new("who")
        .signals(false)
        .registrar(registry.clone())
        .http(HttpServer::new(any).tls(tls.clone()).service(WhoServer::new(Answer)))
        .http(HttpServer::new(any).service(WhoServer::new(Answer)))
        .grpc(GrpcServer::new(any).tls(tls).service(WhoServer::new(Answer)));
    let running = app.start().await.unwrap();
    let found = registry.get_service("who").await.unwrap();
    let (h, g) = (running.http_addrs(), running.grpc_addrs());
    assert_eq!(
        found[0].endpoints,
        [format!("https://{}", h[0]), format!("http://{}", h[1]), format!("grpcs://{}", g[0])]
    );
    let dial =
        || Dial::new("discovery:///who").discovery(registry.clone()).tls(ClientTls::new().ca_file(pki.path("ca.pem")));
    assert_eq!(WhoHttpClient::dial(dial()).await.unwrap().who(who("h")).await.unwrap().name, "h");
    assert_eq!(WhoGrpcClient::dial(dial()).await.unwrap().who(who("g")).await.unwrap().name, "g");
    running.stop().await.unwrap();
}
