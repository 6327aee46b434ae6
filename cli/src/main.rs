//! `bia`: a new service in one command, services added to it, its schemas
//! exported, and the project run.
//!
//! ```text
//! bia new NAME [--path DIR] [--package pkg.v1] [--db sqlite|postgres|mysql] [--bia-path P]
//! bia add service NAME
//! bia proto [DIR]
//! bia openapi [FILE]
//! bia run [-- ARGS]
//! ```
//!
//! `proto` and `openapi` reach the model of the user's crate through its
//! binary: every binary built on `bia::cli` answers `proto [DIR]` and
//! `openapi [FILE]`, and `bia` runs it with them (`cargo run -- proto DIR`).

mod names;
mod project;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstream::{eprintln, println};
use anstyle::{AnsiColor, Style};
use clap::{CommandFactory as _, Parser, Subcommand};

use project::{Db, NewProject};

/// Bia's command: new services, services added to them, their schemas, run.
#[derive(Debug, Parser)]
#[command(name = "bia", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create a service project laid out as the tutorial's (api, service, biz, data, server)
    New {
        /// The project's name (lower-case, words joined by `-`: `user-service`)
        name: String,
        /// Where to create it [default: ./NAME]
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
        /// The proto package of its services [default: the name without `-service`, then `.v1`]
        #[arg(long, value_name = "PKG")]
        package: Option<String>,
        /// The database of its data layer
        #[arg(long, value_enum, default_value_t = Db::Sqlite)]
        db: Db,
        /// Depend on the Bia checkout at this path instead of the released crate
        #[arg(long, value_name = "PATH")]
        bia_path: Option<PathBuf>,
    },
    /// Add to the project in this directory
    #[command(subcommand)]
    Add(Add),
    /// Write the project's .proto files under DIR, or print them
    Proto {
        /// The directory to write into
        dir: Option<PathBuf>,
    },
    /// Write the project's OpenAPI 3.1 document to FILE (YAML for .yaml/.yml), or print it
    Openapi {
        /// The file to write
        file: Option<PathBuf>,
    },
    /// Build and run the project with its configs/ (signals go to the service)
    Run {
        /// Arguments for the service, after `--`
        #[arg(last = true)]
        args: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum Add {
    /// A service: its trait and messages in src/api.rs, an implementation in src/service.rs,
    /// registered on both servers and in the OpenAPI document
    Service {
        /// The service's name (`greeter`, `order-item` or `OrderItem`)
        name: String,
    },
}

const GOOD: Style = AnsiColor::Green.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();
const BAD: Style = AnsiColor::Red.on_default().bold();

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => return failed(&format!("cannot read the current directory: {e}")),
    };
    match cli.command {
        Cmd::New { name, path, package, db, bia_path } => new(&cwd, NewProject { name, package, db, bia_path }, path),
        Cmd::Add(Add::Service { name }) => add_service(&cwd, &name),
        Cmd::Proto { dir } => export(&cwd, "proto", dir.map(|d| cwd.join(d))),
        Cmd::Openapi { file } => export(&cwd, "openapi", file.map(|f| cwd.join(f))),
        Cmd::Run { args } => run(&cwd, &args),
    }
}

/// A mistake of the user's: clap's form (`error: ...`, the usage, exit 2).
fn usage_error(message: &str) -> ExitCode {
    Cli::command().error(clap::error::ErrorKind::ValueValidation, message).exit()
}

/// A failure past the arguments: the message, exit 1.
fn failed(message: &str) -> ExitCode {
    eprintln!("{BAD}error{BAD:#}: {message}");
    ExitCode::FAILURE
}

fn new(cwd: &Path, req: NewProject, path: Option<PathBuf>) -> ExitCode {
    let files = match project::new_files(&req) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    let dir = cwd.join(path.unwrap_or_else(|| PathBuf::from(&req.name)));
    eprintln!("{NOTE}Creating{NOTE:#} {} in {}", req.name, dir.display());
    let written = project::write_new(&dir, &files, |p| eprintln!("  {GOOD}created{GOOD:#} {}", p.display()));
    if let Err(e) = written {
        return usage_error(&e);
    }
    let shown = dir.strip_prefix(cwd).unwrap_or(&dir);
    println!(
        "\n{GOOD}Done.{GOOD:#} Next:\n\n  cd {}\n  cargo run      # HTTP :8000, gRPC :9000\n  cargo test",
        shown.display()
    );
    ExitCode::SUCCESS
}

fn add_service(cwd: &Path, name: &str) -> ExitCode {
    let project = match project::find(cwd) {
        Ok(p) => p,
        Err(e) => return usage_error(&e),
    };
    let changes = match project::add_service(&project, name) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    if let Err(e) = project::write_changes(&changes) {
        return failed(&e);
    }
    for (path, _) in &changes {
        eprintln!("  {GOOD}changed{GOOD:#} {}", path.strip_prefix(&project.root).unwrap_or(path).display());
    }
    let words = names::words(name).unwrap_or_default();
    println!(
        "\n{GOOD}Added{GOOD:#} the `{}` service ({}.{}): `cargo run`, then `curl localhost:8000/v1/{}s`",
        names::pascal(&words),
        project.package,
        names::pascal(&words),
        names::kebab(&words)
    );
    ExitCode::SUCCESS
}

/// `proto` and `openapi`: the project's binary, run with the subcommand.
fn export(cwd: &Path, what: &str, out: Option<PathBuf>) -> ExitCode {
    let project = match project::find(cwd) {
        Ok(p) => p,
        Err(e) => return usage_error(&e),
    };
    let mut cmd = cargo_run(&project.root);
    cmd.arg(what);
    if let Some(out) = out {
        cmd.arg(out);
    }
    match cmd.status() {
        Ok(status) => exit_of(status),
        Err(e) => failed(&format!("cannot run cargo: {e}")),
    }
}

/// `cargo run` of the project at `root`: cargo shows the build's progress
/// on standard error, the binary's output stays on standard output.
fn cargo_run(root: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.arg("run").arg("--manifest-path").arg(root.join("Cargo.toml")).arg("--");
    cmd
}

fn exit_of(status: std::process::ExitStatus) -> ExitCode {
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}

/// `run`: builds and runs the project with its `configs/`; SIGINT and
/// SIGTERM go on to the service, whose exit code is `bia`'s.
fn run(cwd: &Path, args: &[String]) -> ExitCode {
    let project = match project::find(cwd) {
        Ok(p) => p,
        Err(e) => return usage_error(&e),
    };
    let mut cmd = cargo_run(&project.root);
    let configs = project.root.join("configs");
    if configs.is_dir() {
        cmd.arg("-c").arg(&configs);
    }
    cmd.args(args).current_dir(&project.root);
    eprintln!("{NOTE}Running{NOTE:#} {} with {}", project.root.display(), configs.display());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return failed(&format!("cannot run cargo: {e}")),
    };
    signals::forward_to(child.id());
    match child.wait() {
        Ok(status) => exit_of(status),
        Err(e) => failed(&format!("waiting for the service: {e}")),
    }
}

#[cfg(unix)]
mod signals {
    //! SIGINT and SIGTERM, handed on to the child (`cargo run` execs the
    //! service, so the child is the service once it runs).
    use std::sync::atomic::{AtomicI32, Ordering};

    static CHILD: AtomicI32 = AtomicI32::new(0);

    extern "C" fn forward(signal: libc::c_int) {
        let pid = CHILD.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill(2) is async-signal-safe; the pid is our child's.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }

    /// From now on, SIGINT and SIGTERM go to `pid` instead of ending `bia`.
    pub fn forward_to(pid: u32) {
        CHILD.store(i32::try_from(pid).unwrap_or(0), Ordering::SeqCst);
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: the handler only loads an atomic and calls kill(2),
            // both async-signal-safe.
            unsafe {
                libc::signal(signal, forward as extern "C" fn(libc::c_int) as libc::sighandler_t);
            }
        }
    }
}

#[cfg(not(unix))]
mod signals {
    /// Elsewhere the console delivers Ctrl-C to the whole process group.
    pub fn forward_to(_pid: u32) {}
}
