//! `cargo run -p order-service` (HTTP :8001, gRPC :9001), next to
//! `cargo run -p user-service`; `order-service -c ./configs` reads a config
//! directory or file over the embedded defaults.

mod app;
mod biz;
mod conf;
mod data;
mod server;
mod service;

const USAGE: &str = "usage: order-service [-c|--conf PATH]
       order-service openapi [FILE]

  -c, --conf PATH   a config file or directory (YAML/TOML), merged over the embedded defaults
                    environment overrides: BIA_REGISTRY__KIND=etcd, BIA_SERVER__HTTP__ADDR=127.0.0.1:8081, ...
  openapi [FILE]    writes the OpenAPI 3.1 document (what /openapi.json serves) to FILE, YAML
                    when it ends in .yaml or .yml, JSON otherwise; without FILE prints the JSON";

fn conf_path() -> Result<Option<String>, String> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "-c" | "--conf" => path = Some(args.next().ok_or("-c needs a path")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    Ok(path)
}

async fn run(path: Option<&str>) -> bia::Result<()> {
    let loader = conf::loader(path);
    let bootstrap: conf::Bootstrap = loader.load()?;
    let log = bootstrap.log.clone();
    // The registry is made here (instead of by `app::new_registry`) to keep a
    // handle on it: a watched config file updates the static registry's
    // instances, and the user-service client follows.
    let registry = bootstrap.registry.build()?;
    let local = registry.local.clone();
    let app = bia::App::autowire().supply(bootstrap).supply(registry).build().await?;
    bia::log::init(&log, app.info())?;
    let _watch = match (path, local) {
        (Some(_), Some(local)) => Some(loader.watch(move |c: &conf::Bootstrap| {
            local.set(c.registry.services.clone());
            tracing::info!("configuration reloaded: {} service(s) in the static registry", c.registry.services.len());
        })?),
        _ => None,
    };
    app.run().await
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("openapi") {
        let doc = order_service::api::openapi();
        return match args.next() {
            Some(file) => match doc.write(&file) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("order-service: cannot write {file}: {e}");
                    std::process::ExitCode::FAILURE
                }
            },
            None => {
                print!("{}", doc.to_json_pretty());
                std::process::ExitCode::SUCCESS
            }
        };
    }
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
            eprintln!("order-service: {}", e.message());
            std::process::ExitCode::FAILURE
        }
    }
}
