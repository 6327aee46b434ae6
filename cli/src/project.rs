//! What `bia new` writes and `bia add service` changes: the templates under
//! `templates/`, filled in.

use std::path::{Path, PathBuf};

use crate::names;

/// The databases a project can be made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Db {
    Sqlite,
    Postgres,
    Mysql,
}

/// The files of a new project: path, template.
const NEW: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../templates/new/Cargo.toml.tmpl")),
    (".gitignore", include_str!("../templates/new/gitignore.tmpl")),
    ("Dockerfile", include_str!("../templates/new/Dockerfile.tmpl")),
    ("README.md", include_str!("../templates/new/README.md.tmpl")),
    ("configs/config.yaml", include_str!("../templates/new/configs/config.yaml.tmpl")),
    ("migrations/0001_init.sql", include_str!("../templates/new/migrations/0001_init.sql.tmpl")),
    ("src/lib.rs", include_str!("../templates/new/src/lib.rs.tmpl")),
    ("src/api.rs", include_str!("../templates/new/src/api.rs.tmpl")),
    ("src/service.rs", include_str!("../templates/new/src/service.rs.tmpl")),
    ("src/biz.rs", include_str!("../templates/new/src/biz.rs.tmpl")),
    ("src/data.rs", include_str!("../templates/new/src/data.rs.tmpl")),
    ("src/server.rs", include_str!("../templates/new/src/server.rs.tmpl")),
    ("src/conf.rs", include_str!("../templates/new/src/conf.rs.tmpl")),
    ("src/main.rs", include_str!("../templates/new/src/main.rs.tmpl")),
    ("tests/process.rs", include_str!("../templates/new/tests/process.rs.tmpl")),
];

const ADD_API: &str = include_str!("../templates/add/api.rs.tmpl");
const ADD_SERVICE: &str = include_str!("../templates/add/service.rs.tmpl");

/// The lines `bia add service` inserts before (kept in the generated files).
const SERVICES_MARK: &str = "// bia: services above";
const MOUNTS_MARK: &str = "// bia: mounts above";

/// `{{key}}` replaced by each value.
fn render(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (key, value) in vars {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    out
}

/// What `bia new` was asked for.
pub struct NewProject {
    pub name: String,
    pub package: Option<String>,
    pub db: Db,
    /// The path of a Bia checkout to depend on (`runtime/` in it), instead
    /// of the released crate.
    pub bia_path: Option<PathBuf>,
}

/// The files of a new project, checked and rendered (nothing written yet).
pub fn new_files(req: &NewProject) -> Result<Vec<(PathBuf, String)>, String> {
    let words = names::check_project(&req.name)?;
    let res = names::resource_of(&words);
    names::check_not_keyword(&res, &req.name)?;
    let package = match &req.package {
        Some(p) => p.clone(),
        None => format!("{}.v1", names::snake(&res)),
    };
    names::check_package(&package)?;
    let bia_dep = match &req.bia_path {
        Some(path) => {
            let runtime = path.join("runtime");
            if !runtime.join("Cargo.toml").is_file() {
                return Err(format!("{} is not a Bia checkout: it has no runtime/Cargo.toml", path.display()));
            }
            let runtime = std::fs::canonicalize(&runtime).map_err(|e| format!("{}: {e}", runtime.display()))?;
            format!("{{ path = {:?} }}", runtime.display().to_string())
        }
        None => format!("{{ git = {:?} }}", env!("CARGO_PKG_REPOSITORY")),
    };
    let crate_name = names::snake(&words);
    let env = crate_name.to_ascii_uppercase();
    let res_snake = names::snake(&res);
    let (pool, pool_options, db_name, default_source, db_help, params) = match req.db {
        Db::Sqlite => (
            "sqlx::SqlitePool",
            "sqlx::sqlite::SqlitePoolOptions",
            "SQLite",
            format!("sqlite://{}.db?mode=rwc", req.name),
            "sqlite://FILE?mode=rwc (the file is made on first start)",
            ["?", "?", "?"],
        ),
        Db::Postgres => (
            "sqlx::PgPool",
            "sqlx::postgres::PgPoolOptions",
            "PostgreSQL",
            format!("postgres://postgres:postgres@127.0.0.1:5432/{crate_name}"),
            "postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            ["$1", "$2", "$3"],
        ),
        Db::Mysql => (
            "sqlx::MySqlPool",
            "sqlx::mysql::MySqlPoolOptions",
            "MySQL or MariaDB",
            format!("mysql://root:root@127.0.0.1:3306/{crate_name}"),
            "mysql://USER:PASSWORD@HOST:PORT/DATABASE (MySQL or MariaDB)",
            ["?", "?", "?"],
        ),
    };
    let (test_db, test_db_help, db_note) = match req.db {
        Db::Sqlite => (
            r#"Some(format!("sqlite://{}?mode=rwc", dir.join("test.db").display()))"#.to_owned(),
            "a SQLite file in the test's directory.".to_owned(),
            "SQLite needs nothing installed.".to_owned(),
        ),
        _ => (
            format!(r#"let _ = dir; std::env::var("{env}_TEST_DB").ok()"#),
            format!("`{env}_TEST_DB` (the test skips without it)."),
            format!(
                "The service needs a running {db_name} (`{env}_DB`, default `{default_source}`); the test uses \
                 `{env}_TEST_DB` and skips without it."
            ),
        ),
    };
    let vars = [
        ("name", req.name.clone()),
        ("crate", crate_name.clone()),
        ("package", package),
        ("Res", names::pascal(&res)),
        ("res", res_snake.clone()),
        ("RES", res_snake.to_ascii_uppercase()),
        ("path", format!("{}s", names::kebab(&res))),
        ("table", format!("{res_snake}s")),
        ("ENV", env),
        ("db", format!("{:?}", req.db).to_ascii_lowercase()),
        ("db_name", db_name.to_owned()),
        ("db_help", db_help.to_owned()),
        ("db_note", db_note),
        ("default_source", default_source),
        ("pool", pool.to_owned()),
        ("pool_options", pool_options.to_owned()),
        ("p1", params[0].to_owned()),
        ("p2", params[1].to_owned()),
        ("p3", params[2].to_owned()),
        ("test_db", test_db),
        ("test_db_help", test_db_help),
        ("bia_dep", bia_dep),
    ];
    Ok(NEW.iter().map(|(path, template)| (PathBuf::from(path), render(template, &vars))).collect())
}

/// Writes `files` into `dir`, which must not exist or be empty. The files
/// go to a fresh directory beside it first, renamed into place once all are
/// written: a failure leaves nothing half-made.
pub fn write_new(dir: &Path, files: &[(PathBuf, String)], mut created: impl FnMut(&Path)) -> Result<(), String> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.next().is_none();
        if !dir.is_dir() || !empty {
            return Err(format!(
                "{} exists and is not empty: choose another name, or `--path` to an empty or new directory",
                dir.display()
            ));
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let staging = parent.join(format!(
        ".{}.bia-new-{}",
        dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        std::fs::create_dir_all(&staging).map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
        for (path, text) in files {
            let target = staging.join(path);
            if let Some(p) = target.parent() {
                std::fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
            }
            std::fs::write(&target, text).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
            created(path);
        }
        if dir.exists() {
            std::fs::remove_dir(dir).map_err(|e| format!("cannot replace the empty {}: {e}", dir.display()))?;
        }
        std::fs::rename(&staging, dir).map_err(|e| format!("cannot move the project into {}: {e}", dir.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// A project `bia` made: its root and proto package.
pub struct Project {
    pub root: PathBuf,
    pub package: String,
}

/// The project around `from`: the nearest `Cargo.toml` upwards with a
/// `[package.metadata.bia]` table.
pub fn find(from: &Path) -> Result<Project, String> {
    let mut dir = Some(from);
    while let Some(d) = dir {
        let manifest = d.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            if let Some(package) = metadata_package(&text) {
                return Ok(Project { root: d.to_owned(), package });
            }
        }
        dir = d.parent();
    }
    Err(format!(
        "{} is not inside a Bia project (no Cargo.toml with [package.metadata.bia] here or above): run `bia new NAME` first, or cd into the project",
        from.display()
    ))
}

/// The `package` of `[package.metadata.bia]` in a manifest. (Read by line:
/// the command writes that table itself, and a TOML parser for one key
/// would be a dependency for nothing.)
fn metadata_package(manifest: &str) -> Option<String> {
    let mut in_table = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == "[package.metadata.bia]";
            continue;
        }
        if let Some(value) = line.strip_prefix("package").map(str::trim_start).and_then(|l| l.strip_prefix('=')) {
            if in_table {
                return Some(value.trim().trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// The files `bia add service NAME` changes, with their new text (nothing
/// written yet): the trait and messages appended to `src/api.rs`, the
/// service appended to `src/service.rs`, its registration on both servers
/// in `src/server.rs` and in the OpenAPI document, at the `bia:` lines.
pub fn add_service(project: &Project, name: &str) -> Result<Vec<(PathBuf, String)>, String> {
    let words = names::check_service(name)?;
    let (svc, pascal) = (names::snake(&words), names::pascal(&words));
    let read = |rel: &str| {
        let path = project.root.join(rel);
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display())).map(|t| (path, t))
    };
    let (api_path, api) = read("src/api.rs")?;
    let (service_path, service) = read("src/service.rs")?;
    let (server_path, server) = read("src/server.rs")?;
    for taken in [format!("trait {pascal}Api"), format!("struct {pascal}Info"), format!("name = \"{pascal}\"")] {
        if api.contains(&taken) {
            return Err(format!("a service named `{pascal}` exists already in src/api.rs: choose another name"));
        }
    }
    let vars = [
        ("package", project.package.clone()),
        ("Svc", pascal.clone()),
        ("svc", svc.clone()),
        ("SVC", svc.to_ascii_uppercase()),
        ("path", format!("{}s", names::kebab(&words))),
    ];
    let api =
        insert_before(&api, SERVICES_MARK, &format!("        .service::<{pascal}ApiServer<()>>()"), 1, "src/api.rs")?
            + &render(ADD_API, &vars);
    let service = service + &render(ADD_SERVICE, &vars);
    let server = insert_before(&server, SERVICES_MARK, &format!("    {svc}: &{pascal}Service,"), 2, "src/server.rs")?;
    let server = insert_before(
        &server,
        MOUNTS_MARK,
        &format!("        .service({pascal}ApiServer::new({svc}.clone()))"),
        2,
        "src/server.rs",
    )?;
    Ok(vec![(api_path, api), (service_path, service), (server_path, server)])
}

/// `text` with `line` inserted before each line holding `mark`, which must
/// be there `count` times.
fn insert_before(text: &str, mark: &str, line: &str, count: usize, file: &str) -> Result<String, String> {
    let found = text.lines().filter(|l| l.contains(mark)).count();
    if found != count {
        return Err(format!(
            "{file} has {found} `{mark}` line(s) where `bia add service` expects {count}: put them back as `bia new` wrote them, or register the service by hand"
        ));
    }
    let mut out = String::with_capacity(text.len() + count * (line.len() + 1));
    for l in text.split_inclusive('\n') {
        if l.contains(mark) {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(l);
    }
    Ok(out)
}

/// Writes every changed file, each to a temporary file renamed over it,
/// after all are written: a failure midway changes nothing.
pub fn write_changes(files: &[(PathBuf, String)]) -> Result<(), String> {
    let mut staged = Vec::new();
    for (path, text) in files {
        let tmp = path.with_extension(format!("bia-tmp-{}", std::process::id()));
        if let Err(e) = std::fs::write(&tmp, text) {
            for t in &staged {
                let _ = std::fs::remove_file(t);
            }
            return Err(format!("cannot write {}: {e}", tmp.display()));
        }
        staged.push(tmp);
    }
    for (tmp, (path, _)) in staged.iter().zip(files) {
        std::fs::rename(tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled() {
        for db in [Db::Sqlite, Db::Postgres, Db::Mysql] {
            let req = NewProject { name: "user-service".into(), package: None, db, bia_path: None };
            for (path, text) in new_files(&req).unwrap() {
                assert!(!text.contains("{{"), "{}: {text}", path.display());
            }
        }
    }

    #[test]
    fn metadata_is_read_from_its_table_only() {
        let manifest = "[package]\nname = \"x\"\n\n[package.metadata.bia]\npackage = \"x.v1\"\n";
        assert_eq!(metadata_package(manifest).as_deref(), Some("x.v1"));
        assert_eq!(metadata_package("[package]\npackage = \"y\"\n"), None);
    }

    #[test]
    fn marks_are_counted() {
        assert!(insert_before("a\n// bia: x\n", "// bia: x", "new", 2, "f").is_err());
        assert_eq!(insert_before("a\n// bia: x\n", "// bia: x", "new", 1, "f").unwrap(), "a\nnew\n// bia: x\n");
    }
}
