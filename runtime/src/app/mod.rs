//! The application: runs HTTP and gRPC servers together and stops them together.
//!
//! This is the minimal runner (bind everything first, serve, stop on
//! SIGINT/SIGTERM or on [`Running::stop`]); config, hooks and the registry
//! build on it.
//!
//! ```no_run
//! # #[bia::message(package = "hello.v1")] pub struct HelloRequest { pub name: String }
//! # #[bia::message(package = "hello.v1")] pub struct HelloReply { pub message: String }
//! # #[bia::service(package = "hello.v1")]
//! # pub trait Greeter: Send + Sync + 'static {
//! #     #[rpc(get = "/hello/<name>")]
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! # }
//! # #[derive(Clone)] struct MyGreeter;
//! # impl Greeter for MyGreeter {
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply> {
//! #         Ok(HelloReply { message: req.name })
//! #     }
//! # }
//! use bia::transport::{grpc::GrpcServer, http::HttpServer};
//!
//! # async fn run() -> Result<(), bia::Error> {
//! let greeter = GreeterServer::new(MyGreeter);
//! bia::App::new("helloworld")
//!     .http(HttpServer::new(([0, 0, 0, 0], 8000).into()).service(greeter.clone()))
//!     .grpc(GrpcServer::new(([0, 0, 0, 0], 9000).into()).service(greeter))
//!     .run()
//!     .await
//! # }
//! ```

mod autowire;
mod running;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

pub use autowire::Autowire;
pub use running::Running;
use running::{flatten, shutdown_signal};

use crate::error::reason::{BIND_FAILED, HOOK_FAILED};
use crate::error::Error;
use crate::middleware::{Chain, Middleware};
use crate::registry::{Registrar, ServiceInstance};
use crate::transport::grpc::GrpcServer;
use crate::transport::http::HttpServer;
use crate::transport::Stop;

type HookFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;
type Hook = Box<dyn FnOnce() -> HookFuture + Send>;

/// Who the application is: shown in logs, registered with a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfo {
    /// Instance id (a fresh random id unless set).
    pub id: String,
    /// Service name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Free-form metadata.
    pub metadata: BTreeMap<String, String>,
    /// Where clients reach this instance (`http://host:port`, `grpc://host:port`;
    /// `https://` and `grpcs://` for servers with TLS): the bound addresses
    /// unless set with [`App::endpoint`].
    pub endpoints: Vec<String>,
}

#[derive(Default)]
struct Hooks {
    before_start: Vec<Hook>,
    after_start: Vec<Hook>,
    before_stop: Vec<Hook>,
    after_stop: Vec<Hook>,
}

/// A set of servers run as one application.
#[must_use]
pub struct App {
    info: AppInfo,
    http: Vec<HttpServer>,
    grpc: Vec<GrpcServer>,
    /// Serve the gRPC server on the HTTP server's listener.
    one_port: bool,
    stop_timeout: Duration,
    drain_delay: Duration,
    hooks: Hooks,
    signals: bool,
    chain: Chain,
    /// The cleanups of the providers that built it ([`App::autowire`]).
    cleanups: Option<crate::wire::Cleanups>,
    registrar: Option<Arc<dyn Registrar>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("info", &self.info)
            .field("http", &self.http)
            .field("grpc", &self.grpc)
            .field("stop_timeout", &self.stop_timeout)
            .finish_non_exhaustive()
    }
}

/// A random instance id (hex, 128 bits) from the OS's hasher seeds: unique
/// per process start without another dependency.
fn random_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(32);
    for i in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
        h.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// The four hook methods of [`App`], each adding to the list of its name.
macro_rules! hooks {
    ($($(#[$doc:meta])* $stage:ident;)*) => {$(
        $(#[$doc])*
        pub fn $stage<F, Fut>(mut self, f: F) -> Self
        where
            F: FnOnce() -> Fut + Send + 'static,
            Fut: Future<Output = Result<(), Error>> + Send + 'static,
        {
            self.hooks.$stage.push(hook(f));
            self
        }
    )*};
}

fn hook<F, Fut>(f: F) -> Hook
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    Box::new(move || Box::pin(f()))
}

async fn run_hooks(hooks: Vec<Hook>, stage: &str) -> Result<(), Error> {
    for h in hooks {
        h().await.map_err(|e| {
            Error::internal_server(HOOK_FAILED, format!("{stage} hook failed: {}", e.message())).with_cause(e)
        })?;
    }
    Ok(())
}

impl App {
    /// A new application named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            info: AppInfo {
                id: random_id(),
                name: name.into(),
                version: String::new(),
                metadata: BTreeMap::new(),
                endpoints: Vec::new(),
            },
            signals: true,
            http: Vec::new(),
            grpc: Vec::new(),
            one_port: false,
            stop_timeout: Duration::from_secs(10),
            drain_delay: Duration::ZERO,
            hooks: Hooks::default(),
            chain: Chain::new(),
            cleanups: None,
            registrar: None,
        }
    }

    /// Registers the App with `registrar` once every server is serving, and
    /// deregisters it before draining at stop. The endpoints registered are
    /// those set with [`App::endpoint`], else the bound addresses, with a
    /// wildcard address (`0.0.0.0`) replaced by the address of the
    /// interface that routes outwards, and `https://` / `grpcs://` for a
    /// server with TLS (so a client that discovers it dials TLS); the start
    /// log names them.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use bia::registry::{Discovery, StaticRegistry};
    /// use bia::transport::http::HttpServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> bia::Result<()> {
    /// let registry = Arc::new(StaticRegistry::new());
    /// let running = bia::App::new("demo")
    ///     .http(HttpServer::new(([127, 0, 0, 1], 0).into()))
    ///     .registrar(registry.clone())
    ///     .signals(false)
    ///     .start()
    ///     .await?;
    /// let found = registry.get_service("demo").await?;
    /// assert_eq!(found[0].endpoints, [format!("http://{}", running.http_addrs()[0])]);
    /// running.stop().await?;
    /// assert!(registry.get_service("demo").await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn registrar(mut self, registrar: Arc<dyn Registrar>) -> Self {
        self.registrar = Some(registrar);
        self
    }

    /// Builds the App from the registered `#[bia::provider]`s: write a
    /// provider returning the `App`, supply the runtime inputs, run. The
    /// providers' cleanups run after the App stops (or when its start fails).
    ///
    /// ```no_run
    /// use bia::transport::http::HttpServer;
    ///
    /// pub struct Conf { pub http: std::net::SocketAddr }
    /// bia::wire::input!(Conf);
    ///
    /// #[bia::provider]
    /// fn new_http(conf: &Conf) -> HttpServer {
    ///     HttpServer::new(conf.http)
    /// }
    ///
    /// #[bia::provider]
    /// fn new_app(http: HttpServer) -> bia::App {
    ///     bia::App::new("demo").http(http)
    /// }
    ///
    /// # async fn run() -> bia::Result<()> {
    /// bia::App::autowire().supply(Conf { http: ([127, 0, 0, 1], 8000).into() }).run().await
    /// # }
    /// ```
    pub fn autowire() -> Autowire {
        Autowire::new()
    }

    pub(crate) fn with_cleanups(mut self, cleanups: crate::wire::Cleanups) -> Self {
        self.cleanups = Some(cleanups);
        self
    }

    /// Adds a middleware to every server of the application, HTTP and gRPC
    /// alike: it runs for every generated operation (and hand-written routes
    /// added with `routes_with_middleware`), outside the servers' and the
    /// services' own middleware. The first added is the outermost.
    ///
    /// ```
    /// use bia::middleware::{AnyMessage, Context, Next};
    ///
    /// #[bia::middleware]
    /// async fn tag(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    ///     ctx.set_reply_header("x-app", "demo");
    ///     next.run(ctx, req).await
    /// }
    ///
    /// let app = bia::App::new("demo").middleware(tag());
    /// # drop(app);
    /// ```
    pub fn middleware(mut self, m: impl Middleware) -> Self {
        self.chain.push(Arc::new(m));
        self
    }

    /// Sets the instance id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.info.id = id.into();
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.info.version = version.into();
        self
    }

    /// Adds a metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.info.metadata.insert(key.into(), value.into());
        self
    }

    /// Serves everything on one port: the gRPC server's calls (gRPC, and
    /// gRPC-Web when it answers it) on the HTTP server's listener, beside
    /// the HTTP/JSON API, `/healthz`, `/metrics`, `/openapi.json`, ...
    /// Requests are routed by content type: `application/grpc...` to the
    /// gRPC server (its services, middleware chain, deadlines, health and
    /// reflection), everything else to the HTTP server. The listener, its
    /// TLS (h2 and http/1.1 by ALPN) and its connection limits are the HTTP
    /// server's; the gRPC server's address is not bound. Both endpoints are
    /// announced on that port (`http://` and `grpc://`). The App must have
    /// exactly one HTTP and one gRPC server, or the start fails.
    ///
    /// ```no_run
    /// # async fn run() -> bia::Result<()> {
    /// use bia::transport::{grpc::GrpcServer, http::HttpServer};
    ///
    /// let addr = "127.0.0.1:8000".parse().unwrap();
    /// bia::App::new("users")
    ///     .http(HttpServer::new(addr))
    ///     .grpc(GrpcServer::new(addr).grpc_web(true))
    ///     .one_port()
    ///     .run()
    ///     .await
    /// # }
    /// ```
    pub fn one_port(mut self) -> Self {
        self.one_port = true;
        self
    }

    /// How long to keep serving after health and readiness turn to
    /// NOT_SERVING and before draining (default 0): time for load balancers
    /// and health checkers to see the change, as a Kubernetes preStop sleep.
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.drain_delay = delay;
        self
    }

    /// Adds an endpoint to announce instead of the bound addresses (behind a
    /// NAT or a proxy), e.g. `grpc://10.0.0.5:9000`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.info.endpoints.push(url.into());
        self
    }

    /// Whether [`App::run`] stops on SIGINT and SIGTERM (default `true`).
    pub fn signals(mut self, on: bool) -> Self {
        self.signals = on;
        self
    }

    hooks! {
        /// Runs before the servers bind; an error stops the start.
        before_start;
        /// Runs once every server serves; an error stops the servers again.
        after_start;
        /// Runs when stopping, before the servers drain.
        before_stop;
        /// Runs after the servers stopped.
        after_stop;
    }

    /// Adds an HTTP server.
    pub fn http(mut self, server: HttpServer) -> Self {
        self.http.push(server);
        self
    }

    /// Adds a gRPC server.
    pub fn grpc(mut self, server: GrpcServer) -> Self {
        self.grpc.push(server);
        self
    }

    /// How long [`Running::stop`] waits for in-flight requests (default 10 s).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Who the application is.
    pub fn info(&self) -> &AppInfo {
        &self.info
    }

    /// Binds every listener, then serves. Any address that cannot be bound
    /// fails the start (naming the address) before anything serves.
    pub async fn start(mut self) -> Result<Running, Error> {
        let cleanups = self.cleanups.take();
        match self.start_servers().await {
            Ok(mut running) => {
                running.cleanups = cleanups;
                Ok(running)
            }
            Err(e) => {
                if let Some(c) = cleanups {
                    c.run().await;
                }
                Err(e)
            }
        }
    }

    async fn start_servers(mut self) -> Result<Running, Error> {
        run_hooks(std::mem::take(&mut self.hooks.before_start), "before-start").await?;
        let bind_failed = |e: std::io::Error| Error::internal_server(BIND_FAILED, e.to_string());
        let ready = Arc::new(AtomicBool::new(false));
        let mut http = Vec::new();
        for mut s in self.http {
            s.prepend_chain(&self.chain);
            http.push(s.bind(Arc::clone(&ready), (&self.info.name, &self.info.version)).await.map_err(bind_failed)?);
        }
        if self.one_port && (http.len() != 1 || self.grpc.len() != 1) {
            let msg = format!(
                "one port needs one HTTP and one gRPC server (this App has {} and {})",
                http.len(),
                self.grpc.len()
            );
            return Err(Error::internal_server(BIND_FAILED, msg));
        }
        let mut grpc = Vec::new();
        let mut health = Vec::new();
        for mut s in self.grpc {
            s.prepend_chain(&self.chain);
            let (bound, h) = s.bind(!self.one_port).await.map_err(bind_failed)?;
            grpc.push(bound);
            health.push(h);
        }
        let (tx, rx) = watch::channel(false);
        let (force_tx, force_rx) = watch::channel(false);
        let stop = Stop { drain: rx, force: force_rx, streams_end: Vec::new() };
        let mut tasks = JoinSet::new();
        let http_addrs: Vec<SocketAddr> = http.iter().map(|h| h.local).collect();
        // A server with TLS is announced as such (`https://`, `grpcs://`),
        // so clients that discover it dial it over TLS.
        let mut schemes: Vec<&str> = http.iter().map(|h| if h.tls() { "https" } else { "http" }).collect();
        let grpc_addrs: Vec<SocketAddr> = if self.one_port {
            // gRPC is served on the HTTP listener: its address, its TLS.
            schemes.extend(http.iter().map(|h| if h.tls() { "grpcs" } else { "grpc" }));
            http_addrs.clone()
        } else {
            schemes.extend(grpc.iter().map(|g| if g.tls() { "grpcs" } else { "grpc" }));
            grpc.iter().map(|g| g.local).collect()
        };
        if self.one_port {
            let (h, g) = (http.remove(0), grpc.remove(0));
            tasks.spawn(h.serve_with(g, stop.clone()));
        } else {
            for bound in http.into_iter().chain(grpc) {
                tasks.spawn(bound.serve(stop.clone()));
            }
        }
        ready.store(true, Ordering::Release);
        let mut info = self.info;
        if info.endpoints.is_empty() {
            let addrs = http_addrs.iter().chain(&grpc_addrs);
            info.endpoints.extend(addrs.zip(&schemes).map(|(a, scheme)| format!("{scheme}://{}", announce(*a))));
            if http_addrs.iter().chain(&grpc_addrs).any(|a| a.ip().is_unspecified()) {
                tracing::info!(
                    "announcing {} for the wildcard addresses (the interface that routes outwards); set App::endpoint to choose another",
                    info.endpoints.join(", ")
                );
            }
        }
        for a in &http_addrs {
            tracing::info!("HTTP server listening on {a}");
        }
        for a in &grpc_addrs {
            tracing::info!("gRPC server listening on {a}");
        }
        let mut running = Running {
            info,
            http_addrs,
            grpc_addrs,
            stop: tx,
            force: force_tx,
            tasks,
            stop_timeout: self.stop_timeout,
            drain_delay: self.drain_delay,
            health,
            before_stop: std::mem::take(&mut self.hooks.before_stop),
            after_stop: std::mem::take(&mut self.hooks.after_stop),
            ready,
            cleanups: None,
            registered: None,
        };
        if let Err(e) = run_hooks(std::mem::take(&mut self.hooks.after_start), "after-start").await {
            let _ = running.stop().await;
            return Err(e);
        }
        if let Some(registrar) = self.registrar.take() {
            let instance = ServiceInstance::from(&running.info);
            if let Err(e) = registrar.register(&instance).await {
                let _ = running.stop().await;
                return Err(e);
            }
            // Endpoints set by hand may carry credentials (`https://user:pass@...`).
            let endpoints = crate::config::redact(&instance.endpoints.join(", ")).into_owned();
            tracing::info!(id = %instance.id, "registered {} at {endpoints}", instance.name);
            running.registered = Some((registrar, instance));
        }
        Ok(running)
    }

    /// Starts, waits for SIGINT or SIGTERM (or a server failure), then stops.
    pub async fn run(self) -> Result<(), Error> {
        let signals = self.signals;
        let mut running = self.start().await?;
        let signal = async move {
            if signals {
                shutdown_signal().await
            } else {
                std::future::pending().await
            }
        };
        tokio::select! {
            _ = signal => tracing::info!("stop signal received; draining"),
            res = running.tasks.join_next() => {
                if let Some(res) = res {
                    flatten(res)?;
                }
            }
        }
        running.stop().await
    }
}

/// The address to announce for a bound one: a wildcard address becomes the
/// address of the interface that routes outwards (loopback when there is
/// none).
fn announce(addr: SocketAddr) -> SocketAddr {
    if !addr.ip().is_unspecified() {
        return addr;
    }
    let ip = routable_ip(addr.is_ipv6()).unwrap_or(if addr.is_ipv4() {
        std::net::Ipv4Addr::LOCALHOST.into()
    } else {
        std::net::Ipv6Addr::LOCALHOST.into()
    });
    SocketAddr::new(ip, addr.port())
}

/// The local address the OS would send from towards a documentation address
/// (TEST-NET): `connect` on a UDP socket picks the route and sends nothing.
fn routable_ip(v6: bool) -> Option<std::net::IpAddr> {
    let (local, remote) = if v6 { ("[::]:0", "[2001:db8::1]:9") } else { ("0.0.0.0:0", "192.0.2.1:9") };
    let socket = std::net::UdpSocket::bind(local).ok()?;
    socket.connect(remote).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

impl From<&AppInfo> for ServiceInstance {
    fn from(info: &AppInfo) -> Self {
        ServiceInstance {
            id: info.id.clone(),
            name: info.name.clone(),
            version: info.version.clone(),
            metadata: info.metadata.clone(),
            endpoints: info.endpoints.clone(),
        }
    }
}
