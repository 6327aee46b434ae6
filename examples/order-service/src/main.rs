//! `cargo run -p order-service` (HTTP :8001, gRPC :9001), next to
//! `cargo run -p user-service`; `order-service -c ./configs` reads a config
//! directory or file over the embedded defaults, `--config-etcd
//! http://127.0.0.1:2379` the keys under `/configs/order-service/` in etcd
//! (the `etcd` feature); `order-service --help` lists the rest (`proto`,
//! `openapi`).

mod app;
mod biz;
mod conf;
mod data;
mod server;
mod service;

async fn run(path: Option<&str>, etcd: &[String]) -> bia::Result<()> {
    let loader = conf::loader(path, etcd)?;
    let bootstrap: conf::Bootstrap = loader.load()?;
    let log = bootstrap.log.clone();
    // The registry is made here (instead of by `app::new_registry`) to keep a
    // handle on it: a watched config file updates the static registry's
    // instances, and the user-service client follows.
    let registry = bootstrap.registry.build()?;
    let local = registry.local.clone();
    let app = bia::App::autowire().supply(bootstrap).supply(registry).build().await?;
    let _log = bia::log::init(&log, app.info())?;
    // A config read from a file or from etcd is watched.
    let watched = path.is_some() || !etcd.is_empty();
    let _watch = match (watched, local) {
        (true, Some(local)) => Some(loader.watch(move |c: &conf::Bootstrap| {
            local.set(c.registry.services.clone());
            tracing::info!("configuration reloaded: {} service(s) in the static registry", c.registry.services.len());
        })?),
        _ => None,
    };
    app.run().await
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `-c PATH`, `serve`, `proto [DIR]`, `openapi [FILE]`, `--help`: `bia::cli`.
    let cli = bia::cli::Cli::<bia::cli::NoCommand>::parse_args(bia::package!());
    if let Some(done) = cli.command().export(&order_service::api::openapi()) {
        return bia::cli::exit(done);
    }
    let path = cli.conf.as_deref().map(|p| p.to_string_lossy().into_owned());
    match run(path.as_deref(), &cli.config_etcd).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("order-service: {}", e.message());
            std::process::ExitCode::FAILURE
        }
    }
}
