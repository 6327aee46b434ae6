//! `cargo run -p user-service` (HTTP :8000, gRPC :9000, SQLite file
//! `user-service.db`), or `user-service -c ./configs` to read a config
//! directory or file over the embedded defaults.

mod app;
mod biz;
mod conf;
mod data;
mod server;
mod service;

use user_service::api;

const USAGE: &str = "usage: user-service [-c|--conf PATH]
       user-service token [--sub NAME] [--ttl DURATION] [-c|--conf PATH]
       user-service openapi [FILE] [-c|--conf PATH]

  -c, --conf PATH   a config file or directory (YAML/TOML), merged over the embedded defaults
                    environment overrides: BIA_SERVER__HTTP__ADDR=127.0.0.1:8080, BIA_LOG__LEVEL=debug, ...
  token             prints a bearer token signed with auth.jwt.secret, for the write operations
                    when auth.jwt.enabled (BIA_AUTH__JWT__ENABLED=true); --sub defaults to `admin`,
                    --ttl to 1h
  openapi [FILE]    writes the OpenAPI 3.1 document (what /openapi.json serves) to FILE, YAML
                    when it ends in .yaml or .yml, JSON otherwise; without FILE prints the JSON";

/// What the command line asks for.
struct Args {
    conf: Option<String>,
    /// `token`: the subject and lifetime of the token to print.
    token: Option<(String, std::time::Duration)>,
    /// `openapi`: where to write the document (`None` inside: print it).
    openapi: Option<Option<String>>,
}

fn args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1).peekable();
    let mut out = Args { conf: None, token: None, openapi: None };
    match args.peek().map(String::as_str) {
        Some("token") => {
            args.next();
            out.token = Some(("admin".to_owned(), std::time::Duration::from_secs(3600)));
        }
        Some("openapi") => {
            args.next();
            let file = args.next_if(|a| !a.starts_with('-'));
            out.openapi = Some(file);
        }
        _ => {}
    }
    while let Some(a) = args.next() {
        match (a.as_str(), out.token.as_mut()) {
            ("-c" | "--conf" | "-conf", _) => out.conf = Some(args.next().ok_or("-c needs a path")?),
            ("-h" | "--help", _) => return Err(USAGE.to_owned()),
            ("--sub", Some(t)) => t.0 = args.next().ok_or("--sub needs a name")?,
            ("--ttl", Some(t)) => {
                let v = args.next().ok_or("--ttl needs a duration, like 30m")?;
                t.1 = humantime_serde::re::humantime::parse_duration(&v)
                    .map_err(|e| format!("--ttl `{v}` is not a duration (30m, 1h): {e}"))?;
            }
            (other, _) => match other.strip_prefix("--conf=") {
                Some(p) => out.conf = Some(p.to_owned()),
                None => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
            },
        }
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = match (&args.token, &args.openapi) {
        (Some((sub, ttl)), _) => token(args.conf.as_deref(), sub, *ttl),
        (None, Some(file)) => openapi(args.conf.as_deref(), file.as_deref()),
        (None, None) => run(args.conf.as_deref()).await,
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
fn token(path: Option<&str>, sub: &str, ttl: std::time::Duration) -> bia::Result<()> {
    let bootstrap: conf::Bootstrap = conf::loader(path).load()?;
    println!("{}", server::mint_token(&bootstrap.auth.jwt, sub, ttl)?);
    Ok(())
}

/// Writes or prints the OpenAPI document, as the configured server serves it.
fn openapi(path: Option<&str>, file: Option<&str>) -> bia::Result<()> {
    let bootstrap: conf::Bootstrap = conf::loader(path).load()?;
    let doc = api::openapi(bootstrap.auth.jwt.enabled);
    match file {
        Some(file) => {
            doc.write(file).map_err(|e| bia::Error::internal_server("OPENAPI", format!("cannot write {file}: {e}")))?;
            eprintln!("wrote the OpenAPI document to {file}");
        }
        None => print!("{}", doc.to_json_pretty()),
    }
    Ok(())
}

async fn run(path: Option<&str>) -> bia::Result<()> {
    let loader = conf::loader(path);
    let bootstrap: conf::Bootstrap = loader.load()?;
    let log = bootstrap.log.clone();
    let app = app::app(bootstrap).await?;
    bia::log::init(&log, app.info())?;
    // A watched config reloads on change; bad edits are logged and ignored.
    let _watch = match path {
        Some(_) => Some(
            loader.watch(|c: &conf::Bootstrap| tracing::info!(log.level = %c.log.level, "configuration reloaded"))?,
        ),
        None => None,
    };
    app.run().await
}
