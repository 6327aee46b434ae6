//! `cargo run -p user-service` (HTTP :8000, gRPC :9000, SQLite file
//! `user-service.db`), or `user-service -c ./configs` to read a config
//! directory or file over the embedded defaults, `--config-etcd
//! http://127.0.0.1:2379` the keys under `/configs/user-service/` in etcd
//! (the `etcd` feature); `user-service --help` lists the rest (`proto`,
//! `openapi`, `token`).

mod app;
mod biz;
mod conf;
mod data;
mod server;
mod service;

use user_service::api;

use bia::cli::{Cli, Command};

/// The service's own subcommands, beside `serve`, `proto` and `openapi`
/// (`bia::cli`).
#[derive(Debug, clap::Subcommand)]
enum Extra {
    /// Print a bearer token signed with auth.jwt.secret, for the write operations when
    /// auth.jwt.enabled (BIA_AUTH__JWT__ENABLED=true)
    Token {
        /// The token's subject
        #[arg(long, default_value = "admin")]
        sub: String,
        /// How long it is valid (30m, 1h, ...)
        #[arg(long, default_value = "1h", value_parser = humantime_serde::re::humantime::parse_duration)]
        ttl: std::time::Duration,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `-c PATH`, `serve`, `proto [DIR]`, `openapi [FILE]`, `token`, `--help`.
    let cli = Cli::<Extra>::parse_args(bia::package!());
    let path = cli.conf.as_deref().map(|p| p.to_string_lossy().into_owned());
    let etcd = cli.config_etcd.clone();
    let result = conf::loader(path.as_deref(), &etcd).map(|loader| (loader, cli.into_command()));
    let result = match result {
        Err(e) => Err(e),
        Ok((loader, Command::App(Extra::Token { sub, ttl }))) => token(&loader, &sub, ttl),
        Ok((loader, command @ (Command::Proto { .. } | Command::Openapi { .. }))) => export(&loader, &command),
        Ok((loader, Command::Serve)) => run(loader, path.is_some() || !etcd.is_empty()).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("user-service: {}", e.message());
            std::process::ExitCode::FAILURE
        }
    }
}

/// Prints a token for the write operations.
fn token(loader: &bia::config::Loader, sub: &str, ttl: std::time::Duration) -> bia::Result<()> {
    let bootstrap: conf::Bootstrap = loader.load()?;
    println!("{}", server::mint_token(&bootstrap.auth.jwt, sub, ttl)?);
    Ok(())
}

/// `proto` and `openapi`: the schema and document of the configured
/// server (bearer auth on the writes when the config turns JWT on).
fn export(loader: &bia::config::Loader, command: &Command<Extra>) -> bia::Result<()> {
    let bootstrap: conf::Bootstrap = loader.load()?;
    command.export(&api::openapi(bootstrap.auth.jwt.enabled)).unwrap_or(Ok(()))
}

/// Serves; a config read from a file or from etcd (`watched`) is watched.
async fn run(loader: bia::config::Loader, watched: bool) -> bia::Result<()> {
    let bootstrap: conf::Bootstrap = loader.load()?;
    let log = bootstrap.log.clone();
    let app = app::app(bootstrap).await?;
    let _log = bia::log::init(&log, app.info())?;
    // A watched config reloads on change; bad edits are logged and ignored.
    let _watch = match watched {
        true => Some(
            loader.watch(|c: &conf::Bootstrap| tracing::info!(log.level = %c.log.level, "configuration reloaded"))?,
        ),
        false => None,
    };
    app.run().await
}
