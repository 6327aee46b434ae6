//! `cargo run -p user-service` (HTTP :8000, gRPC :9000, SQLite file
//! `user-service.db`), or `user-service -c ./configs` to read a config
//! directory or file over the embedded defaults.

use user_service::conf;

const USAGE: &str = "usage: user-service [-c|--conf PATH]

  -c, --conf PATH   a config file or directory (YAML/TOML), merged over the embedded defaults
                    environment overrides: BIA_SERVER__HTTP__ADDR=127.0.0.1:8080, BIA_LOG__LEVEL=debug, ...";

fn conf_path() -> Result<Option<String>, String> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "-c" | "--conf" | "-conf" => path = Some(args.next().ok_or("-c needs a path")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => match other.strip_prefix("--conf=") {
                Some(p) => path = Some(p.to_owned()),
                None => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
            },
        }
    }
    Ok(path)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let path = match conf_path() {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("{msg}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(path.as_deref()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("user-service: {}", e.message());
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(path: Option<&str>) -> bia::Result<()> {
    let loader = conf::loader(path);
    let bootstrap: conf::Bootstrap = loader.load()?;
    let app = user_service::app(&bootstrap).await?;
    bia::log::init(&bootstrap.log, app.info())?;
    // A watched config reloads on change; bad edits are logged and ignored.
    let _watch = match path {
        Some(_) => Some(
            loader.watch(|c: &conf::Bootstrap| tracing::info!(log.level = %c.log.level, "configuration reloaded"))?,
        ),
        None => None,
    };
    app.run().await
}
