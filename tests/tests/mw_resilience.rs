//! Client resilience middleware against a real backend, on both generated
//! clients: the SRE circuit breaker opens on 5xx and closes again, the
//! timeout ends slow calls (and tells a gRPC server its budget), the retry
//! resends idempotent operations only, within its attempts and budget.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bia::middleware::circuitbreaker::{CircuitBreaker, CIRCUITBREAKER_REASON};
use bia::middleware::retry::Retry;
use bia::middleware::timeout::Timeout;
use bia::middleware::{AnyMessage, Context, Middleware, Next};
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use bia::transport::TIMEOUT_REASON;

#[bia::message(package = "res.v1")]
pub struct Call {
    pub name: String,
}

#[bia::message(package = "res.v1")]
pub struct Done {
    pub hits: u64,
}

#[bia::service(package = "res.v1")]
pub trait Flaky: Send + Sync + 'static {
    /// Fails with 503 while the backend is down or has failures queued.
    #[rpc(idempotent, get = "/v1/read/<name>")]
    async fn read(&self, req: Call) -> bia::Result<Done>;
    /// The same, but not safe to send twice.
    #[rpc(post = "/v1/write", body = "*")]
    async fn write(&self, req: Call) -> bia::Result<Done>;
    /// Always a 4xx (429).
    #[rpc(idempotent)]
    async fn refuse(&self, req: Call) -> bia::Result<Done>;
    /// Takes 5 s.
    #[rpc(idempotent)]
    async fn slow(&self, req: Call) -> bia::Result<Done>;
}

/// What the backend does and saw.
#[derive(Default)]
struct State {
    hits: AtomicU64,
    down: AtomicBool,
    fail_next: AtomicU64,
    /// `grpc-timeout` as each call of `slow` saw it (`-` when absent).
    timeouts: Mutex<Vec<String>>,
    /// `grpc-previous-rpc-attempts` of the last call of `read`.
    previous_attempts: Mutex<Option<String>>,
}

impl State {
    fn reset(&self) {
        self.hits.store(0, Ordering::SeqCst);
        self.down.store(false, Ordering::SeqCst);
        self.fail_next.store(0, Ordering::SeqCst);
        self.timeouts.lock().unwrap().clear();
        *self.previous_attempts.lock().unwrap() = None;
    }
    fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
    fn hit_or_fail(&self) -> bia::Result<Done> {
        let hits = self.hits.fetch_add(1, Ordering::SeqCst) + 1;
        if self.down.load(Ordering::SeqCst) {
            return Err(bia::Error::service_unavailable("DOWN", "the backend is down"));
        }
        if self.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(bia::Error::service_unavailable("FLAKY", "a queued failure"));
        }
        Ok(Done { hits })
    }
}

struct Backend(Arc<State>);

impl Flaky for Backend {
    async fn read(&self, _: Call) -> bia::Result<Done> {
        let previous = bia::context::with(|c| c.request_header("grpc-previous-rpc-attempts").map(str::to_owned));
        *self.0.previous_attempts.lock().unwrap() = previous.flatten();
        self.0.hit_or_fail()
    }
    async fn write(&self, _: Call) -> bia::Result<Done> {
        self.0.hit_or_fail()
    }
    async fn refuse(&self, _: Call) -> bia::Result<Done> {
        self.0.hits.fetch_add(1, Ordering::SeqCst);
        Err(bia::Error::too_many_requests("SLOW_DOWN", "not now"))
    }
    async fn slow(&self, _: Call) -> bia::Result<Done> {
        let seen = bia::context::with(|c| c.request_header("grpc-timeout").unwrap_or("-").to_owned());
        self.0.timeouts.lock().unwrap().push(seen.unwrap_or_default());
        self.0.hits.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok(Done { hits: 0 })
    }
}

struct Running {
    app: bia::Running,
    state: Arc<State>,
}

async fn start() -> Running {
    let state = Arc::new(State::default());
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let svc = FlakyServer::new(Backend(state.clone()));
    let app = bia::App::new("resilience")
        .http(HttpServer::new(any).service(svc.clone()))
        .grpc(GrpcServer::new(any).service(svc))
        .start()
        .await
        .unwrap();
    Running { app, state }
}

type Client = Box<dyn DynFlaky>;

impl Running {
    /// An HTTP and a gRPC client, each with its own middleware from `mw`.
    async fn clients<M: Middleware>(&self, mw: impl Fn() -> M) -> [(&'static str, Client); 2] {
        let http = FlakyHttpClient::new(format!("http://{}", self.app.http_addrs()[0])).unwrap().middleware(mw());
        let grpc =
            FlakyGrpcClient::connect(format!("http://{}", self.app.grpc_addrs()[0])).await.unwrap().middleware(mw());
        [("http", Box::new(http)), ("grpc", Box::new(grpc))]
    }
}

fn call() -> Call {
    Call { name: "x".into() }
}

#[tokio::test]
async fn circuit_breaker_opens_on_failures_and_closes_when_the_window_has_passed() {
    let r = start().await;
    let window = Duration::from_secs(2);
    // `random(|| 0.0)`: refuse whenever the drop probability is above zero.
    let clients = r.clients(|| CircuitBreaker::new().request(10).window(window).unwrap().random(|| 0.0)).await;
    for (kind, client) in clients {
        r.state.reset();
        r.state.down.store(true, Ordering::SeqCst);
        // Below the minimum of 10 requests every call reaches the backend.
        for i in 0..10 {
            let e = client.read(call()).await.unwrap_err();
            assert_eq!((e.code(), e.reason()), (503, "DOWN"), "{kind} call {i}");
        }
        assert_eq!(r.state.hits(), 10, "{kind}");
        // Now p = 10/11: refused locally, the backend sees nothing more.
        for i in 0..20 {
            let e = client.read(call()).await.unwrap_err();
            assert_eq!((e.code(), e.reason()), (503, CIRCUITBREAKER_REASON), "{kind} call {i}: {e}");
            assert_eq!(e.grpc_code(), tonic::Code::Unavailable);
        }
        assert_eq!(r.state.hits(), 10, "{kind}: an open breaker does not call the transport");
        // Healthy again, but the window still holds the failures.
        r.state.down.store(false, Ordering::SeqCst);
        assert_eq!(client.read(call()).await.unwrap_err().reason(), CIRCUITBREAKER_REASON, "{kind}: still open");

        // One breaker per operation: `write` has its own, still closed.
        r.state.down.store(true, Ordering::SeqCst);
        let e = client.write(call()).await.unwrap_err();
        assert_eq!(e.reason(), "DOWN", "{kind}");
        assert_eq!(r.state.hits(), 11, "{kind}");
        r.state.down.store(false, Ordering::SeqCst);
        // 4xx are not failures: `refuse` never trips its breaker.
        for _ in 0..30 {
            assert_eq!(client.refuse(call()).await.unwrap_err().reason(), "SLOW_DOWN", "{kind}");
        }
        assert_eq!(r.state.hits(), 41, "{kind}");

        // Once the window has rolled past the failures the calls flow and
        // succeed.
        tokio::time::sleep(window + Duration::from_millis(300)).await;
        for i in 0..10 {
            let done = client.read(call()).await.unwrap_or_else(|e| panic!("{kind} call {i}: {e}"));
            assert_eq!(done.hits, 42 + i, "{kind}");
        }
    }
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn circuit_breaker_counts_transport_failures() {
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let cb = || CircuitBreaker::new().request(3).random(|| 0.0);
    let http = FlakyHttpClient::new(format!("http://{dead}")).unwrap().middleware(cb());
    let grpc = FlakyGrpcClient::connect_lazy(format!("http://{dead}")).unwrap().middleware(cb());
    let clients: [(&str, Client); 2] = [("http", Box::new(http)), ("grpc", Box::new(grpc))];
    for (kind, client) in clients {
        for i in 0..3 {
            let e = client.read(call()).await.unwrap_err();
            assert_eq!(e.code(), 503, "{kind} call {i}: {e}");
            assert_ne!(e.reason(), CIRCUITBREAKER_REASON, "{kind} call {i}");
        }
        let e = client.read(call()).await.unwrap_err();
        assert_eq!((e.code(), e.reason()), (503, CIRCUITBREAKER_REASON), "{kind}");
    }
}

#[tokio::test]
async fn timeout_ends_slow_calls_and_tells_the_grpc_server() {
    let r = start().await;
    let clients = r.clients(|| Timeout::new(Duration::from_millis(300))).await;
    for (kind, client) in clients {
        r.state.reset();
        // A fast call is not affected.
        assert_eq!(client.read(call()).await.unwrap().hits, 1, "{kind}");

        let started = Instant::now();
        let e = client.slow(call()).await.unwrap_err();
        let took = started.elapsed();
        assert_eq!((e.code(), e.reason()), (504, TIMEOUT_REASON), "{kind}: {e}");
        assert_eq!(e.grpc_code(), tonic::Code::DeadlineExceeded);
        assert!(took >= Duration::from_millis(290), "{kind}: ended after {took:?}, before its timeout");
        assert!(took < Duration::from_secs(4), "{kind}: took {took:?}, the handler's whole 5 s");

        // What the handler saw (it ran before the client gave up).
        let limit = Instant::now() + Duration::from_secs(5);
        let seen = loop {
            if let Some(seen) = r.state.timeouts.lock().unwrap().first().cloned() {
                break seen;
            }
            assert!(Instant::now() < limit, "{kind}: the handler never ran");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        match kind {
            "grpc" => {
                let budget = parse_grpc_timeout(&seen).unwrap_or_else(|| panic!("bad grpc-timeout `{seen}`"));
                assert!(
                    budget <= Duration::from_millis(300) && budget > Duration::from_millis(100),
                    "grpc-timeout `{seen}`"
                );
            }
            _ => assert_eq!(seen, "-", "HTTP has no grpc-timeout"),
        }
    }
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn nested_timeouts_keep_the_sooner_deadline() {
    let r = start().await;
    let http = FlakyHttpClient::new(format!("http://{}", r.app.http_addrs()[0]))
        .unwrap()
        .middleware(Timeout::new(Duration::from_millis(200)))
        .middleware(Timeout::new(Duration::from_secs(30)));
    let grpc = FlakyGrpcClient::connect(format!("http://{}", r.app.grpc_addrs()[0]))
        .await
        .unwrap()
        .middleware(Timeout::new(Duration::from_millis(200)))
        .middleware(Timeout::new(Duration::from_secs(30)));
    let clients: [(&str, Client); 2] = [("http", Box::new(http)), ("grpc", Box::new(grpc))];
    for (kind, client) in clients {
        r.state.reset();
        let started = Instant::now();
        let e = client.slow(call()).await.unwrap_err();
        assert_eq!(e.reason(), TIMEOUT_REASON, "{kind}");
        assert!(started.elapsed() < Duration::from_secs(4), "{kind}");
    }
    let seen = r.state.timeouts.lock().unwrap().clone();
    assert!(
        seen.last().and_then(|s| parse_grpc_timeout(s)).is_some_and(|d| d <= Duration::from_millis(200)),
        "{seen:?}"
    );
    r.app.stop().await.unwrap();
}

/// `grpc-timeout` as the gRPC spec writes it (digits and a unit).
fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

fn fast_retry() -> Retry {
    Retry::new().idempotent(FlakyOperation::IDEMPOTENT).backoff(Duration::from_millis(1), Duration::from_millis(5))
}

#[test]
fn idempotent_operations_are_listed() {
    assert_eq!(FlakyOperation::IDEMPOTENT, [FlakyOperation::READ, FlakyOperation::REFUSE, FlakyOperation::SLOW]);
    assert!(!FlakyOperation::IDEMPOTENT.contains(&FlakyOperation::WRITE));
}

#[tokio::test]
async fn retry_resends_idempotent_operations_only() {
    let r = start().await;
    let clients = r.clients(fast_retry).await;
    for (kind, client) in clients {
        // Two failures, then success: three calls reach the handler.
        r.state.reset();
        r.state.fail_next.store(2, Ordering::SeqCst);
        assert_eq!(client.read(call()).await.unwrap().hits, 3, "{kind}");
        assert_eq!(r.state.hits(), 3, "{kind}");
        let previous = r.state.previous_attempts.lock().unwrap().clone();
        match kind {
            "grpc" => assert_eq!(previous.as_deref(), Some("2"), "gRPC tells the server about earlier attempts"),
            _ => assert_eq!(previous, None),
        }

        // Not idempotent: sent once, whatever happens.
        r.state.reset();
        r.state.fail_next.store(2, Ordering::SeqCst);
        let e = client.write(call()).await.unwrap_err();
        assert_eq!((e.code(), e.reason()), (503, "FLAKY"), "{kind}");
        assert_eq!(r.state.hits(), 1, "{kind}: a non-idempotent operation was retried");

        // A 4xx is the caller's mistake: never retried.
        r.state.reset();
        assert_eq!(client.refuse(call()).await.unwrap_err().code(), 429, "{kind}");
        assert_eq!(r.state.hits(), 1, "{kind}: a 4xx was retried");

        // At most max_attempts (3) in all.
        r.state.reset();
        r.state.down.store(true, Ordering::SeqCst);
        assert_eq!(client.read(call()).await.unwrap_err().reason(), "DOWN", "{kind}");
        assert_eq!(r.state.hits(), 3, "{kind}");
    }
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn retry_all_is_an_explicit_opt_in() {
    let r = start().await;
    let clients = r.clients(|| fast_retry().all()).await;
    for (kind, client) in clients {
        r.state.reset();
        r.state.fail_next.store(1, Ordering::SeqCst);
        assert_eq!(client.write(call()).await.unwrap().hits, 2, "{kind}");
    }
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn retry_budget_caps_the_retries() {
    let r = start().await;
    for (kind, client) in r.clients(|| fast_retry().budget(0.0, 0.05, Duration::from_secs(60)).unwrap()).await {
        // No ratio, a reserve of 0.05/s * 60 s = 3 retries; the backend is down.
        r.state.reset();
        r.state.down.store(true, Ordering::SeqCst);
        let mut per_call = Vec::new();
        for _ in 0..4 {
            let before = r.state.hits();
            assert_eq!(client.read(call()).await.unwrap_err().reason(), "DOWN", "{kind}");
            per_call.push(r.state.hits() - before);
        }
        assert_eq!(per_call, [3, 2, 1, 1], "{kind}: 3 retries, then none");
    }
    for (kind, client) in r.clients(|| fast_retry().budget(0.5, 0.0, Duration::from_secs(60)).unwrap()).await {
        // Retries may add half of the calls: 10 calls, 5 retries.
        r.state.reset();
        r.state.down.store(true, Ordering::SeqCst);
        for _ in 0..10 {
            assert_eq!(client.read(call()).await.unwrap_err().reason(), "DOWN", "{kind}");
        }
        assert_eq!(r.state.hits(), 15, "{kind}");
    }
    r.app.stop().await.unwrap();
}

/// Counts the attempts that reach the transport.
struct Attempts(Arc<AtomicU64>);

#[bia::middleware]
impl Attempts {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        self.0.fetch_add(1, Ordering::SeqCst);
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn retry_resends_after_transport_failures() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (h, g) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let http = FlakyHttpClient::new(format!("http://{dead}"))
        .unwrap()
        .middleware(fast_retry())
        .middleware(Attempts(h.clone()));
    let grpc = FlakyGrpcClient::connect_lazy(format!("http://{dead}"))
        .unwrap()
        .middleware(fast_retry())
        .middleware(Attempts(g.clone()));
    let e = http.read(call()).await.unwrap_err();
    assert_eq!(e.code(), 503, "{e}");
    let e = grpc.read(call()).await.unwrap_err();
    assert_eq!(e.code(), 503, "{e}");
    assert_eq!((h.load(Ordering::SeqCst), g.load(Ordering::SeqCst)), (3, 3));
    // Not idempotent: one attempt.
    assert_eq!(http.write(call()).await.unwrap_err().code(), 503);
    assert_eq!(grpc.write(call()).await.unwrap_err().code(), 503);
    assert_eq!((h.load(Ordering::SeqCst), g.load(Ordering::SeqCst)), (4, 4));
}

#[tokio::test]
async fn retry_inside_a_timeout_stops_at_the_deadline() {
    let r = start().await;
    // Backoff far beyond the deadline: the retry gives up instead of sleeping.
    let mw = || {
        Retry::new()
            .idempotent(FlakyOperation::IDEMPOTENT)
            .max_attempts(5)
            .unwrap()
            .backoff(Duration::from_secs(20), Duration::from_secs(20))
    };
    let http = FlakyHttpClient::new(format!("http://{}", r.app.http_addrs()[0]))
        .unwrap()
        .middleware(Timeout::new(Duration::from_secs(3)))
        .middleware(mw());
    let grpc = FlakyGrpcClient::connect(format!("http://{}", r.app.grpc_addrs()[0]))
        .await
        .unwrap()
        .middleware(Timeout::new(Duration::from_secs(3)))
        .middleware(mw());
    let clients: [(&str, Client); 2] = [("http", Box::new(http)), ("grpc", Box::new(grpc))];
    for (kind, client) in clients {
        r.state.reset();
        r.state.down.store(true, Ordering::SeqCst);
        let started = Instant::now();
        let e = client.read(call()).await.unwrap_err();
        // The backend's own error at once, not TIMEOUT after 3 s: a backoff
        // of at least 10 s would end past the deadline, so the retry gave up.
        assert_eq!(e.reason(), "DOWN", "{kind}: {e}");
        assert_eq!(r.state.hits(), 1, "{kind}");
        assert!(started.elapsed() < Duration::from_secs(2), "{kind}: waited {:?}", started.elapsed());
    }
    r.app.stop().await.unwrap();
}
