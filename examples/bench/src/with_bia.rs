//! The user service written with Bia.

use std::net::SocketAddr;
use std::sync::Arc;

use bia::stream::{Stream, Streaming};

use crate::Store;

#[bia::message(package = "user.v1")]
pub struct UserInfo {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[bia::message(package = "user.v1")]
pub struct GetUserRequest {
    pub id: String,
}

#[bia::message(package = "user.v1")]
pub struct CreateUserRequest {
    #[validate(length(min = 1, max = 64))]
    pub name: String,
    #[validate(email)]
    pub email: String,
}

#[bia::message(package = "user.v1")]
pub struct UserReply {
    pub user: Option<UserInfo>,
}

#[bia::errors(domain = "user.v1")]
pub enum UserError {
    #[error(code = 404)]
    UserNotFound,
}

#[bia::service(package = "user.v1", name = "User")]
pub trait UserApi: Send + Sync + 'static {
    #[rpc(get = "/v1/user/<id>")]
    async fn get_user(&self, req: GetUserRequest) -> bia::Result<UserReply>;

    #[rpc(post = "/v1/user", body = "*")]
    async fn create_user(&self, req: CreateUserRequest) -> bia::Result<UserReply>;
}

/// How many ticks to stream.
#[bia::message(package = "bench.v1")]
pub struct TickRequest {
    pub count: u32,
}

/// One small message of a stream.
#[bia::message(package = "bench.v1")]
pub struct Tick {
    pub n: u32,
    pub text: String,
}

/// The streaming cases: a server stream of `count` ticks (gRPC, and
/// server-sent events on HTTP) and a bidirectional echo.
#[bia::service(package = "bench.v1")]
pub trait Ticks: Send + Sync + 'static {
    #[rpc(get = "/v1/ticks/<count>")]
    async fn stream(&self, req: TickRequest) -> bia::Result<impl Stream<Item = bia::Result<Tick>>>;

    #[rpc(get = "/v1/echo")]
    async fn echo(&self, req: Streaming<Tick>) -> bia::Result<impl Stream<Item = bia::Result<Tick>>>;
}

/// The ticks implementation.
#[derive(Debug, Default, Clone, Copy)]
pub struct TickSource;

impl Ticks for TickSource {
    async fn stream(&self, req: TickRequest) -> bia::Result<impl Stream<Item = bia::Result<Tick>>> {
        Ok(bia::stream::iter((1..=req.count).map(|n| Ok(Tick { n, text: "tick".to_owned() }))))
    }

    async fn echo(&self, req: Streaming<Tick>) -> bia::Result<impl Stream<Item = bia::Result<Tick>>> {
        Ok(req)
    }
}

/// The implementation.
#[derive(Debug, Default)]
pub struct Users {
    store: Store,
}

impl UserApi for Users {
    async fn get_user(&self, req: GetUserRequest) -> bia::Result<UserReply> {
        match self.store.get(&req.id) {
            Some((name, email)) => Ok(UserReply { user: Some(UserInfo { id: req.id, name, email }) }),
            None => Err(UserError::user_not_found(format_args!("user {} not found", req.id))),
        }
    }

    async fn create_user(&self, req: CreateUserRequest) -> bia::Result<UserReply> {
        let id = self.store.create(req.name.clone(), req.email.clone());
        Ok(UserReply { user: Some(UserInfo { id, name: req.name, email: req.email }) })
    }
}

/// The app serving HTTP on `http` and gRPC on `grpc`, with no middleware;
/// with `BENCH_ONE_PORT` set, both on `http` (`App::one_port`); with
/// `BENCH_BROWSER` set, the gRPC server answers gRPC-Web and Connect too
/// (`BENCH_GRPC_WEB`, `BENCH_CONNECT`: one of them).
pub fn app(http: SocketAddr, grpc: SocketAddr) -> bia::App {
    let server = UserApiServer::from_arc(Arc::new(Users::default()));
    let ticks = TicksServer::new(TickSource);
    let tls = crate::tls::server_paths().map(|(cert, key)| bia::transport::ServerTls::new(cert, key));
    let app = bia::App::new("bench")
        .http(
            bia::transport::http::HttpServer::new(http).tls(tls.clone()).service(server.clone()).service(ticks.clone()),
        )
        .grpc({
            let on = |knob: &str| std::env::var_os("BENCH_BROWSER").is_some() || std::env::var_os(knob).is_some();
            bia::transport::grpc::GrpcServer::new(grpc)
                .tls(tls)
                .grpc_web(on("BENCH_GRPC_WEB"))
                .connect(on("BENCH_CONNECT"))
                .service(server)
                .service(ticks)
        });
    if std::env::var_os("BENCH_ONE_PORT").is_some() {
        app.one_port()
    } else {
        app
    }
}

/// The same app with the user-service's default middleware on both
/// transports: recovery, tracing (an SDK provider without exporter, so ids
/// are made), logging (one JSON line per call, written to stdout), metrics
/// and validation. Installs the global tracer provider and log subscriber
/// (`log_level`: `info` for the benchmark, `off` in tests); keep the
/// returned guard while the app runs (it writes the last lines).
pub fn app_with_default_stack(
    http: SocketAddr,
    grpc: SocketAddr,
    log_level: &str,
) -> bia::Result<(bia::App, bia::log::LogGuard)> {
    use bia::middleware::trace::{opentelemetry, opentelemetry_sdk};
    opentelemetry::global::set_tracer_provider(opentelemetry_sdk::trace::SdkTracerProvider::builder().build());
    let metrics = bia::middleware::metrics::Metrics::new();
    let app = app(http, grpc)
        .middleware(bia::middleware::recovery::Recovery::new())
        .middleware(bia::middleware::trace::Tracing::server())
        .middleware(bia::middleware::logging::Logging::server())
        .middleware(metrics.server())
        .middleware(bia::middleware::validate::Validate::new());
    let conf =
        bia::log::LogConf { format: bia::log::LogFormat::Json, level: log_level.to_owned(), ..Default::default() };
    let log = bia::log::init(&conf, app.info())?;
    Ok((app, log))
}
