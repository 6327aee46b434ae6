//! A streaming test service with every kind of call, and the hooks the tests
//! need: an error or a panic at a given message, a delay per message, and a
//! count of the handler streams dropped (to see cancellation reach them).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bia::prelude::{App, GrpcServer, HttpServer};
use bia::stream::{Stream, StreamExt as _, Streaming};

use crate::TestApp;

/// One message of a stream.
#[bia::message(package = "stream.v1")]
pub struct Tick {
    pub n: i32,
    #[validate(length(max = 16))]
    pub text: String,
}

/// What `count` streams.
#[bia::message(package = "stream.v1")]
pub struct CountRequest {
    /// Ticks `1..=count`.
    pub count: i32,
    /// Ends the stream with `TOO_FAR` instead of this tick (0: never).
    pub fail_at: i32,
    /// Panics instead of sending this tick (0: never).
    pub panic_at: i32,
    /// Waits this long before each tick.
    pub delay_ms: i32,
    /// The error at `fail_at` is a 503 `UNAVAILABLE` (which a client's
    /// retry takes for retryable) instead of `TOO_FAR`.
    pub fail_unavailable: bool,
}

/// What `sum` answers.
#[bia::message(package = "stream.v1")]
pub struct Sum {
    pub total: i32,
    pub count: i32,
}

/// Every kind of streaming call.
#[bia::service(package = "stream.v1")]
pub trait Counter: Send + Sync + 'static {
    /// Server streaming: ticks `1..=count`.
    #[rpc(get = "/v1/count/<count>")]
    async fn count(&self, req: CountRequest) -> bia::Result<impl Stream<Item = bia::Result<Tick>>>;

    /// Client streaming: the sum of the ticks sent; a negative tick is a
    /// `NEGATIVE_TICK` error.
    #[rpc(get = "/v1/sum")]
    async fn sum(&self, req: Streaming<Tick>) -> bia::Result<Sum>;

    /// Bidirectional: each tick back with its text in upper case; a
    /// negative tick ends the call with `NEGATIVE_TICK`.
    #[rpc(get = "/v1/echo")]
    async fn echo(&self, req: Streaming<Tick>) -> bia::Result<impl Stream<Item = bia::Result<Tick>>>;
}

/// The implementation; `dropped` counts the handler states dropped (each
/// call's stream, or its future for `sum`).
#[derive(Debug, Default, Clone)]
pub struct MemoryCounter {
    pub dropped: Arc<AtomicUsize>,
    /// Ticks `count` has made, over every call.
    pub produced: Arc<AtomicUsize>,
    /// While above 0, `count` refuses to open (503 `UNAVAILABLE`, which a
    /// client's retry takes for retryable) and counts down.
    pub refuse: Arc<AtomicUsize>,
}

/// Counts its drop.
#[derive(Debug)]
pub struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn negative(n: i32) -> bia::Error {
    bia::Error::bad_request("NEGATIVE_TICK", format!("tick {n} is negative")).with_metadata("n", n.to_string())
}

impl Counter for MemoryCounter {
    async fn count(&self, req: CountRequest) -> bia::Result<impl Stream<Item = bia::Result<Tick>>> {
        if req.count < 0 {
            return Err(bia::Error::bad_request("NEGATIVE_COUNT", "count is not negative"));
        }
        if self.refuse.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(bia::Error::service_unavailable("UNAVAILABLE", "not now"));
        }
        let guard = DropGuard(Arc::clone(&self.dropped));
        let produced = Arc::clone(&self.produced);
        Ok(bia::stream::unfold((1, req, guard), move |(n, req, guard)| {
            produced.fetch_add(usize::from(n <= req.count), Ordering::Relaxed);
            async move {
                if n > req.count {
                    return None;
                }
                if req.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(req.delay_ms as u64)).await;
                }
                assert!(n != req.panic_at, "tick {n} panics");
                if n == req.fail_at {
                    let err = if req.fail_unavailable {
                        bia::Error::service_unavailable("UNAVAILABLE", format!("tick {n} is unavailable"))
                    } else {
                        bia::Error::conflict("TOO_FAR", format!("tick {n} is too far"))
                            .with_metadata("at", n.to_string())
                    };
                    return Some((Err(err), (req.count + 1, req, guard)));
                }
                // Read as the stream is polled: the call's context is there.
                let prefix = bia::context::with(|ctx| ctx.request_header("x-tick-prefix").unwrap_or("").to_owned());
                // And the metadata middleware's view of the call (with `Metadata::server()`).
                let global = bia::middleware::metadata::get("x-md-global-tick").unwrap_or_default();
                let text = format!("{}{global}tick {n}", prefix.unwrap_or_default());
                Some((Ok(Tick { n, text }), (n + 1, req, guard)))
            }
        }))
    }

    async fn sum(&self, mut req: Streaming<Tick>) -> bia::Result<Sum> {
        let _guard = DropGuard(Arc::clone(&self.dropped));
        let mut sum = Sum::default();
        while let Some(tick) = req.message().await? {
            if tick.n < 0 {
                return Err(negative(tick.n));
            }
            sum.total += tick.n;
            sum.count += 1;
        }
        Ok(sum)
    }

    async fn echo(&self, req: Streaming<Tick>) -> bia::Result<impl Stream<Item = bia::Result<Tick>>> {
        let guard = DropGuard(Arc::clone(&self.dropped));
        Ok(req.map(move |tick| {
            let _alive = &guard;
            let tick = tick?;
            if tick.n < 0 {
                return Err(negative(tick.n));
            }
            Ok(Tick { n: tick.n, text: tick.text.to_uppercase() })
        }))
    }
}

/// Serves `counter` (adjusted by `f`) on HTTP and gRPC, on free loopback
/// ports.
pub async fn start_counter_with(
    counter: MemoryCounter,
    f: impl FnOnce(CounterServer<MemoryCounter>) -> CounterServer<MemoryCounter>,
) -> TestApp {
    let server = f(CounterServer::new(counter));
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let app = App::new("counter")
        .http(HttpServer::new(any).service(server.clone()))
        .grpc(GrpcServer::new(any).service(server));
    crate::start(app).await
}

/// Every message of a stream, stopping at its error.
pub async fn collect<T>(mut s: Streaming<T>) -> (Vec<T>, Option<bia::Error>) {
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        match item {
            Ok(m) => out.push(m),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}
