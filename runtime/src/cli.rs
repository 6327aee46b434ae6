//! The command line every Bia App binary understands, and what the `bia`
//! command relies on to reach a project's model.
//!
//! A Bia binary parses its arguments with [`Cli`]:
//!
//! ```text
//! my-service [-c PATH]               serve (the same as `my-service serve`)
//! my-service proto [DIR]             the .proto files of its services, written under DIR or printed
//! my-service openapi [FILE]          its OpenAPI 3.1 document, written to FILE (YAML for .yaml/.yml) or printed
//! my-service <its own subcommands>   whatever the binary adds (`C`)
//! ```
//!
//! `-c/--conf PATH` names a config file or directory for every subcommand,
//! `--config-etcd ENDPOINTS` (or `BIA_CONFIG_ETCD`) the etcd that holds the
//! config too (the binary chooses the key: [`bia::config::EtcdSource`](crate::config)),
//! `--help` and `--version` answer as users expect, and a mistake is a
//! clear message with exit code 2 (clap's). The `bia` command's `proto` and
//! `openapi` run the project's binary with these subcommands: the schema
//! lives in the user's crate, and the binary is what has it.
//!
//! The services a binary exports are those of the [`OpenApi`] it describes
//! itself with (the one its HTTP server serves), so the export and
//! `/openapi.json` cannot disagree, and exporting needs no database or
//! server: [`Command::export`] does it before anything is wired.
//!
//! ```no_run
//! use bia::cli::{Cli, Command};
//!
//! #[bia::message(package = "hello.v1")]
//! pub struct HelloRequest { pub name: String }
//! #[bia::message(package = "hello.v1")]
//! pub struct HelloReply { pub message: String }
//! #[bia::service(package = "hello.v1")]
//! pub trait Greeter: Send + Sync + 'static {
//!     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! }
//!
//! /// The binary's own subcommands, beside `serve`, `proto` and `openapi`.
//! #[derive(Debug, clap::Subcommand)]
//! enum Extra {
//!     /// Prints a greeting and exits.
//!     Hello { name: String },
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     let cli = Cli::<Extra>::parse_args(bia::package!());
//!     let api = bia::schema::OpenApi::new("hello", "1.0.0").service::<GreeterServer<()>>();
//!     if let Some(done) = cli.command().export(&api) {
//!         return bia::cli::exit(done);
//!     }
//!     match cli.into_command() {
//!         Command::App(Extra::Hello { name }) => println!("hello {name}"),
//!         _ => { /* load the config from `cli.conf`, wire the App, run it */ }
//!     }
//!     std::process::ExitCode::SUCCESS
//! }
//! ```

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{CommandFactory as _, FromArgMatches as _, Subcommand};

use crate::error::Error;
use crate::schema::{OpenApi, Schema};

/// What a binary says of itself in `--help` and `--version`: its package's
/// name, version and description ([`package!`](crate::package) fills it
/// from the binary's `Cargo.toml`).
#[derive(Debug, Clone, Copy)]
pub struct Package {
    /// The binary's name (`CARGO_PKG_NAME`).
    pub name: &'static str,
    /// Its version (`CARGO_PKG_VERSION`).
    pub version: &'static str,
    /// One line on what it is (`CARGO_PKG_DESCRIPTION`; may be empty).
    pub description: &'static str,
}

/// The [`Package`] of the crate this is written in.
///
/// ```
/// let p = bia::package!();
/// assert_eq!(p.name, "bia");
/// ```
#[macro_export]
macro_rules! package {
    () => {
        $crate::cli::Package {
            name: ::core::env!("CARGO_PKG_NAME"),
            version: ::core::env!("CARGO_PKG_VERSION"),
            description: ::core::env!("CARGO_PKG_DESCRIPTION"),
        }
    };
}

/// The command line of a Bia App binary, with its own subcommands `C`
/// ([`NoCommand`] when it has none).
///
/// ```
/// use bia::cli::{Cli, Command};
///
/// let cli = Cli::<bia::cli::NoCommand>::try_parse_from(bia::package!(), ["svc", "-c", "configs", "proto", "out"]).unwrap();
/// assert_eq!(cli.conf.as_deref(), Some(std::path::Path::new("configs")));
/// assert!(matches!(cli.command(), Command::Proto { dir: Some(_) }));
/// let cli = Cli::<bia::cli::NoCommand>::try_parse_from(bia::package!(), ["svc"]).unwrap();
/// assert!(matches!(cli.command(), Command::Serve));
/// ```
#[derive(Debug)]
pub struct Cli<C: Subcommand = NoCommand> {
    /// `-c/--conf PATH`: a config file or directory.
    pub conf: Option<PathBuf>,
    /// `--config-etcd ENDPOINTS` (or `BIA_CONFIG_ETCD`): etcd's client URLs,
    /// comma-separated, when the config (also) lives in etcd (see
    /// [`bia::config::EtcdSource`](crate::config)); empty otherwise.
    pub config_etcd: Vec<String>,
    command: Command<C>,
}

/// The arguments as clap reads them.
#[derive(Debug, clap::Parser)]
struct Raw<C: Subcommand> {
    /// A config file or directory (YAML, TOML or JSON), merged over the embedded defaults
    #[arg(short = 'c', long = "conf", global = true, value_name = "PATH")]
    conf: Option<PathBuf>,
    /// etcd's client URLs (comma-separated) when the config is kept in etcd, merged over the files
    #[arg(
        long = "config-etcd",
        env = "BIA_CONFIG_ETCD",
        global = true,
        value_name = "ENDPOINTS",
        value_delimiter = ','
    )]
    config_etcd: Vec<String>,
    #[command(subcommand)]
    command: Option<Command<C>>,
}

/// What the command line asks for.
#[derive(Debug, clap::Subcommand)]
pub enum Command<C: Subcommand = NoCommand> {
    /// Serve (the default)
    Serve,
    /// Write the .proto files of the services under DIR, or print them
    Proto {
        /// The directory to write into (made if missing)
        dir: Option<PathBuf>,
    },
    /// Write the OpenAPI 3.1 document to FILE (YAML for .yaml or .yml), or print its JSON
    Openapi {
        /// The file to write
        file: Option<PathBuf>,
    },
    /// The binary's own subcommands.
    #[command(flatten)]
    App(C),
}

/// No subcommands of the binary's own.
#[derive(Debug, Clone, Copy, clap::Subcommand)]
pub enum NoCommand {}

impl<C: Subcommand> Cli<C> {
    /// Parses the process's arguments; `--help`, `--version` and mistakes
    /// print and exit (0, 0 and 2), as clap does.
    pub fn parse_args(package: Package) -> Self {
        Self::try_parse_from(package, std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args` (the first is the binary's name).
    pub fn try_parse_from<I, T>(package: Package, args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = Raw::<C>::command().name(package.name).bin_name(package.name).version(package.version);
        if !package.description.is_empty() {
            command = command.about(package.description);
        }
        let matches = command.try_get_matches_from(args)?;
        let raw = Raw::<C>::from_arg_matches(&matches)?;
        let config_etcd = raw.config_etcd.into_iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect();
        Ok(Self { conf: raw.conf, config_etcd, command: raw.command.unwrap_or(Command::Serve) })
    }

    /// What the command line asks for ([`Command::Serve`] when it names no
    /// subcommand).
    pub fn command(&self) -> &Command<C> {
        &self.command
    }

    /// The command, by value.
    pub fn into_command(self) -> Command<C> {
        self.command
    }
}

impl<C: Subcommand> Command<C> {
    /// Does `proto` and `openapi` for the services `api` describes (the
    /// binary's own [`OpenApi`], the one its HTTP server serves): `Some`
    /// with the outcome when the command was one of them, `None` for the
    /// others. Nothing is wired or started for them.
    pub fn export(&self, api: &OpenApi) -> Option<Result<(), Error>> {
        match self {
            Command::Proto { dir } => Some(write_proto(&api.schema(), dir.as_deref())),
            Command::Openapi { file } => Some(write_openapi(api, file.as_deref())),
            Command::Serve | Command::App(_) => None,
        }
    }
}

/// Writes the `.proto` files of `schema` under `dir` (made if missing), or
/// prints them, each after a `// file: NAME` line, when `dir` is `None`.
pub fn write_proto(schema: &Schema, dir: Option<&Path>) -> Result<(), Error> {
    let files = schema.proto_files();
    match dir {
        Some(dir) => {
            let failed = |e: std::io::Error| {
                Error::internal_server("EXPORT", format!("cannot write the .proto files under {}: {e}", dir.display()))
            };
            schema.write_proto_files(dir).map_err(failed)?;
            for (name, _) in &files {
                eprintln!("wrote {}", dir.join(name).display());
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            for (name, text) in &files {
                let _ = writeln!(out, "// file: {name}\n{text}");
            }
        }
    }
    Ok(())
}

/// Writes the OpenAPI document of `api` to `file` (YAML when it ends in
/// `.yaml` or `.yml`), or prints its JSON when `file` is `None`.
pub fn write_openapi(api: &OpenApi, file: Option<&Path>) -> Result<(), Error> {
    match file {
        Some(file) => {
            api.write(file).map_err(|e| {
                Error::internal_server(
                    "EXPORT",
                    format!("cannot write the OpenAPI document to {}: {e}", file.display()),
                )
            })?;
            eprintln!("wrote the OpenAPI document to {}", file.display());
        }
        None => println!("{}", api.to_json_pretty()),
    }
    Ok(())
}

/// The exit code of a command's outcome: success, or the error's message on
/// standard error and failure (1).
pub fn exit(outcome: Result<(), Error>) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message());
            std::process::ExitCode::FAILURE
        }
    }
}
