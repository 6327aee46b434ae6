//! Configuration: YAML and TOML files (a file or a directory, merged in
//! order), then environment overrides, with `${VAR}` and `${VAR:default}`
//! placeholders, read into your own serde type. Files can be watched: a change
//! reloads them and calls your observers; a file that no longer parses is
//! logged and the old value kept.
//!
//! Parsing and merging are [figment]'s; Bia adds the placeholders, the
//! directory rule, embedded defaults and the watch.
//!
//! Environment overrides: `BIA_SERVER__HTTP__ADDR=0.0.0.0:8080` sets
//! `server.http.addr` (prefix `BIA_`, `__` between keys, keys lower-cased).
//!
//! ```
//! use serde::Deserialize;
//!
//! #[derive(Debug, Deserialize)]
//! struct Conf { server: Server }
//! #[derive(Debug, Deserialize)]
//! struct Server { http: Addr }
//! #[derive(Debug, Deserialize)]
//! struct Addr { addr: String, timeout: String }
//!
//! let conf: Conf = bia::config::Loader::new()
//!     .embedded("defaults.yaml", "server:\n  http:\n    addr: ${HTTP_ADDR:0.0.0.0:8000}\n    timeout: 1s\n")
//!     .load()
//!     .unwrap();
//! assert_eq!(conf.server.http.addr, "0.0.0.0:8000");
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use figment::providers::{Env, Format, Toml, Yaml};
use figment::Figment;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// Reason of every configuration error.
pub use crate::error::reason::CONFIG as CONFIG_REASON;

#[derive(Debug, Clone)]
enum Source {
    Path(PathBuf),
    Embedded { name: String, text: String },
}

/// Where configuration comes from, in the order it is merged (later wins).
#[derive(Debug, Clone)]
#[must_use]
pub struct Loader {
    sources: Vec<Source>,
    env_prefix: Option<String>,
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

fn config_error(message: String) -> Error {
    Error::internal_server(CONFIG_REASON, message)
}

/// Replaces `${VAR}` and `${VAR:default}` with the environment's values.
fn substitute(text: &str, origin: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(config_error(format!(
                "{origin}: unclosed placeholder `${{{after}`; write `${{VAR}}` or `${{VAR:default}}`"
            )));
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(':') {
            Some((n, d)) => (n.trim(), Some(d)),
            None => (inner.trim(), None),
        };
        match (std::env::var(name), default) {
            (Ok(v), _) => out.push_str(&v),
            (Err(_), Some(d)) => out.push_str(d),
            (Err(_), None) => {
                return Err(config_error(format!(
                    "{origin}: placeholder `${{{name}}}` has no value: set {name} or write `${{{name}:default}}`"
                )))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn files_of(path: &Path) -> Result<Vec<PathBuf>, Error> {
    let meta = std::fs::metadata(path)
        .map_err(|e| config_error(format!("config path {} cannot be read: {e}", path.display())))?;
    if meta.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| config_error(format!("config directory {} cannot be read: {e}", path.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "toml")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(config_error(format!("config directory {} holds no .yaml, .yml or .toml file", path.display())));
    }
    Ok(files)
}

/// A provider named after the file it came from, so errors name the file.
struct Named<P> {
    inner: P,
    name: String,
}

impl<P: figment::Provider> figment::Provider for Named<P> {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::from(self.name.clone(), figment::Source::Custom(self.name.clone()))
    }
    fn data(&self) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        self.inner.data()
    }
}

fn merge_text(figment: Figment, name: &str, text: &str) -> Result<Figment, Error> {
    let text = substitute(text, name)?;
    let name = name.to_owned();
    Ok(if name.ends_with(".toml") {
        figment.merge(Named { inner: Toml::string(&text), name })
    } else if name.ends_with(".yaml") || name.ends_with(".yml") {
        figment.merge(Named { inner: Yaml::string(&text), name })
    } else {
        return Err(config_error(format!("{name}: unknown config format; use .yaml, .yml or .toml")));
    })
}

impl Loader {
    /// No sources yet; environment overrides with the `BIA_` prefix.
    pub fn new() -> Self {
        Self { sources: Vec::new(), env_prefix: Some("BIA_".to_owned()) }
    }

    /// Adds a file, or a directory whose `.yaml`/`.yml`/`.toml` files are
    /// merged in name order.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.sources.push(Source::Path(path.into()));
        self
    }

    /// Adds text compiled into the binary (defaults that need no file);
    /// `name` ends in `.yaml`, `.yml` or `.toml` and names it in errors.
    pub fn embedded(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.sources.push(Source::Embedded { name: name.into(), text: text.into() });
        self
    }

    /// The prefix of environment overrides (`None` turns them off).
    pub fn env_prefix(mut self, prefix: Option<&str>) -> Self {
        self.env_prefix = prefix.map(str::to_owned);
        self
    }

    /// The files read by [`Loader::load`] (what [`Loader::watch`] watches).
    pub fn files(&self) -> Result<Vec<PathBuf>, Error> {
        let mut out = Vec::new();
        for s in &self.sources {
            if let Source::Path(p) = s {
                out.extend(files_of(p)?);
            }
        }
        Ok(out)
    }

    fn figment(&self) -> Result<Figment, Error> {
        let mut figment = Figment::new();
        for s in &self.sources {
            match s {
                Source::Embedded { name, text } => figment = merge_text(figment, name, text)?,
                Source::Path(p) => {
                    for file in files_of(p)? {
                        let text = std::fs::read_to_string(&file)
                            .map_err(|e| config_error(format!("config file {} cannot be read: {e}", file.display())))?;
                        figment = merge_text(figment, &file.display().to_string(), &text)?;
                    }
                }
            }
        }
        if let Some(prefix) = &self.env_prefix {
            figment = figment.merge(Env::prefixed(prefix).split("__"));
        }
        Ok(figment)
    }

    /// Reads every source into `T`. A missing file, a parse error or a value
    /// of the wrong type is one error naming the file, the key and what was
    /// expected.
    pub fn load<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.figment()?.extract::<T>().map_err(|e| {
            let all: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
            config_error(format!("invalid configuration: {}", all.join("; ")))
        })
    }

    /// Loads `T` and watches the files: each change reloads them and calls
    /// `observer` with the new value; a file that no longer parses is logged
    /// and the old value kept. Dropping the returned [`Watched`] stops it.
    pub fn watch<T, F>(self, observer: F) -> Result<Watched<T>, Error>
    where
        T: DeserializeOwned + Send + Sync + 'static,
        F: Fn(&T) + Send + 'static,
    {
        use notify::Watcher as _;
        let initial: T = self.load()?;
        let current = Arc::new(RwLock::new(Arc::new(initial)));
        let files = self.files()?;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if matches!(res, Ok(ref e) if e.kind.is_modify() || e.kind.is_create() || e.kind.is_remove()) {
                let _ = tx.send(());
            }
        })
        .map_err(|e| config_error(format!("cannot watch the configuration: {e}")))?;
        // Watch the folders: editors replace files rather than write them.
        let mut dirs: Vec<PathBuf> =
            files.iter().map(|f| f.parent().map(Path::to_owned).unwrap_or_else(|| PathBuf::from("."))).collect();
        dirs.sort();
        dirs.dedup();
        for d in &dirs {
            let d = if d.as_os_str().is_empty() { Path::new(".") } else { d.as_path() };
            watcher
                .watch(d, notify::RecursiveMode::NonRecursive)
                .map_err(|e| config_error(format!("cannot watch {}: {e}", d.display())))?;
        }
        let shared = Arc::clone(&current);
        std::thread::Builder::new()
            .name("bia-config-watch".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    // Let a burst of events (write, rename, chmod) settle.
                    std::thread::sleep(Duration::from_millis(50));
                    while rx.try_recv().is_ok() {}
                    match self.load::<T>() {
                        Ok(v) => {
                            let v = Arc::new(v);
                            *shared.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&v);
                            observer(&v);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "configuration reload failed; keeping the previous value")
                        }
                    }
                }
            })
            .map_err(|e| config_error(format!("cannot start the config watcher: {e}")))?;
        Ok(Watched { current, _watcher: Box::new(watcher) })
    }
}

/// A watched configuration (see [`Loader::watch`]).
pub struct Watched<T> {
    current: Arc<RwLock<Arc<T>>>,
    _watcher: Box<dyn std::any::Any + Send>,
}

impl<T> Watched<T> {
    /// The latest good value.
    pub fn get(&self) -> Arc<T> {
        Arc::clone(&self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl<T> std::fmt::Debug for Watched<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watched").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        std::env::set_var("BIA_TEST_PLACEHOLDER", "v");
        assert_eq!(substitute("a: ${BIA_TEST_PLACEHOLDER}", "x").unwrap(), "a: v");
        assert_eq!(substitute("a: ${BIA_TEST_UNSET_VAR:dflt:with:colons}", "x").unwrap(), "a: dflt:with:colons");
        let e = substitute("a: ${BIA_TEST_UNSET_VAR}", "conf.yaml").unwrap_err();
        assert!(e.message().contains("conf.yaml") && e.message().contains("BIA_TEST_UNSET_VAR"), "{e}");
        assert!(substitute("a: ${OOPS", "x").is_err());
    }
}
