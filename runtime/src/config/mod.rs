//! Configuration: YAML, TOML and JSON files (a file or a directory, merged
//! in order), then keys in etcd (the `etcd` feature: [`EtcdSource`]), then
//! environment overrides, with `${VAR}` and `${VAR:default}` placeholders,
//! read into your own serde type. Files and etcd keys can be watched: a
//! change reloads them and calls your observers; a value that no longer
//! parses is logged and the old one kept.
//!
//! Parsing and merging are [figment]'s; Bia adds the placeholders, the
//! directory rule, embedded defaults, the watch and error messages that
//! never show a value.
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
//! struct Addr { addr: String, timeout: String, port: u16 }
//!
//! let conf: Conf = bia::config::Loader::new()
//!     .embedded(
//!         "defaults.yaml",
//!         "server:\n  http:\n    addr: ${HTTP_ADDR:0.0.0.0:8000}\n    timeout: 1s\n    port: ${HTTP_PORT:8000}\n",
//!     )
//!     .load()
//!     .unwrap();
//! assert_eq!(conf.server.http.addr, "0.0.0.0:8000");
//! assert_eq!(conf.server.http.port, 8000);
//! ```
//!
//! # Placeholders are values, never structure
//!
//! A file is parsed first; placeholders are then replaced inside its string
//! values. Whatever a variable holds (newlines, `key: value`, `{...}`,
//! `${OTHER}`) becomes the text of that one value: it adds no key and is not
//! expanded again. A value read into a number or a boolean field converts
//! (`port: ${PORT:8000}` reads into a `u16`), one read into a string stays
//! text (`password: ${DB_PASSWORD}` keeps `007` as `"007"`). Placeholders
//! work in values, not in key names; in TOML they sit inside a string
//! (`port = "${PORT:8000}"`).
//!
//! # Errors never show values
//!
//! A configuration error names the file, the key and what was expected, but
//! not the value found there: it may be a password. Messages that come from
//! a field's own parser have the value cut out, are withheld for keys that
//! look secret (`secret`, `password`, `token`, `key`, ...), and [`redact`]
//! hides the passwords of URLs (`postgres://user:***@host`).

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format as _, Json, Toml, Yaml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Profile};
use serde::de::DeserializeOwned;

use crate::error::Error;

#[cfg(feature = "etcd")]
mod etcd;
mod secrets;
mod watch;

#[cfg(feature = "etcd")]
#[cfg_attr(docsrs, doc(cfg(feature = "etcd")))]
pub use etcd::EtcdSource;
pub use secrets::redact;
use secrets::{describe, secret_values};
pub use watch::Watched;

/// etcd's connection settings, for an [`EtcdSource`].
pub use crate::etcd::EtcdConfig;

/// Reason of every configuration error.
pub use crate::error::reason::CONFIG as CONFIG_REASON;

#[derive(Clone)]
enum Source {
    Path(PathBuf),
    Embedded { name: String, text: String },
}

impl fmt::Debug for Source {
    // Embedded defaults may hold secrets: show where they come from, not what they say.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Path(p) => f.debug_tuple("Path").field(p).finish(),
            Source::Embedded { name, text } => {
                f.debug_struct("Embedded").field("name", name).field("bytes", &text.len()).finish()
            }
        }
    }
}

/// Where configuration comes from, in the order it is merged (later wins):
/// the embedded texts and files in the order given, then the etcd sources
/// in the order given, then the environment.
#[derive(Debug, Clone)]
#[must_use]
pub struct Loader {
    sources: Vec<Source>,
    #[cfg(feature = "etcd")]
    etcd: Vec<EtcdSource>,
    env_prefix: Option<String>,
}

/// The format of a config text: by a file's (or an etcd key's) extension,
/// or as an [`EtcdSource`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (`.yaml`, `.yml`).
    Yaml,
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
}

impl Format {
    /// The format a name's extension says, if it says one.
    ///
    /// ```
    /// use bia::config::Format;
    ///
    /// assert_eq!(Format::of_name("/configs/app/10-base.yml"), Some(Format::Yaml));
    /// assert_eq!(Format::of_name("app.json"), Some(Format::Json));
    /// assert_eq!(Format::of_name("app.ini"), None);
    /// ```
    pub fn of_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.').map(|(_, e)| e)?;
        match ext {
            "yaml" | "yml" => Some(Format::Yaml),
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

fn config_error(message: String) -> Error {
    Error::internal_server(CONFIG_REASON, message)
}

/// Replaces `${VAR}` and `${VAR:default}` in one string value with the
/// environment's values. What a variable holds is copied as it is: the
/// result is not scanned again, so a value holding `${OTHER}` stays so.
fn substitute(text: &str, origin: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // Only the name-like start: the rest of the value may be a secret.
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
            return Err(config_error(format!(
                "{origin}: unclosed placeholder `${{{name}`; write `${{VAR}}` or `${{VAR:default}}`"
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

/// Substitutes the placeholders of every string value under `value`;
/// `path` is the key path of `value`, for errors.
fn substitute_values(value: &mut Value, path: &mut Vec<String>, file: &str) -> Result<(), Error> {
    match value {
        Value::String(_, text) if text.contains("${") => {
            *text = substitute(text, &format!("{file}, key `{}`", path.join(".")))?;
        }
        Value::Dict(_, dict) => substitute_dict(dict, path, file)?,
        Value::Array(_, items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                substitute_values(item, path, file)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

fn substitute_dict(dict: &mut Dict, path: &mut Vec<String>, file: &str) -> Result<(), Error> {
    for (key, value) in dict.iter_mut() {
        path.push(key.clone());
        substitute_values(value, path, file)?;
        path.pop();
    }
    Ok(())
}

/// A parser's message without what it quotes from the file (`"..."`): the
/// quoted text may be a secret.
fn unquoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

/// The 1-based line and column of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.len(), |nl| before.len() - nl - 1) + 1;
    (line, column)
}

/// Parses one file into a dictionary, then substitutes its placeholders.
fn parse(name: &str, text: &str) -> Result<Dict, Error> {
    let Some(format) = Format::of_name(name) else {
        return Err(config_error(format!("{name}: unknown config format; use .yaml, .yml, .toml or .json")));
    };
    parse_as(name, format, text)
}

/// Parses one text in `format` (`name` says where it came from, for
/// errors), then substitutes its placeholders.
fn parse_as(name: &str, format: Format, text: &str) -> Result<Dict, Error> {
    let mut dict = if format == Format::Toml {
        Toml::from_str::<Dict>(text).map_err(|e| {
            let at = e.span().map(|s| line_col(text, s.start));
            let at = at.map(|(l, c)| format!(" at line {l} column {c}")).unwrap_or_default();
            // Before Bia substituted values, `port = ${PORT}` was valid TOML.
            let hint = if text.contains("${") {
                "; placeholders go inside a TOML string: `port = \"${PORT:8000}\"`"
            } else {
                ""
            };
            config_error(format!("{name}: not valid TOML{at}: {}{hint}", unquoted(e.message().trim())))
        })?
    } else if format == Format::Yaml {
        // serde_yaml's message carries its own "at line L column C".
        Yaml::from_str::<Dict>(text)
            .map_err(|e| config_error(format!("{name}: not valid YAML: {}", unquoted(&e.to_string()))))?
    } else {
        // serde_json's message carries its own "at line L column C".
        Json::from_str::<Dict>(text)
            .map_err(|e| config_error(format!("{name}: not valid JSON: {}", unquoted(&e.to_string()))))?
    };
    substitute_dict(&mut dict, &mut Vec::new(), name)?;
    Ok(dict)
}

/// One parsed file, named after where it came from so errors name it.
struct Parsed {
    name: String,
    dict: Dict,
}

impl figment::Provider for Parsed {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named(self.name.clone())
    }
    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

/// A file a config folder contributes: one in a format Bia reads.
fn is_config_file(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "toml" | "json"))
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
        .filter(|p| is_config_file(p))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(config_error(format!(
            "config directory {} holds no .yaml, .yml, .toml or .json file",
            path.display()
        )));
    }
    Ok(files)
}

fn merge_text(figment: Figment, name: &str, text: &str) -> Result<Figment, Error> {
    let dict = parse(name, text)?;
    Ok(figment.merge(Parsed { name: name.to_owned(), dict }))
}

/// What a load read from etcd: a fingerprint of each source's keys and
/// values, in the order of the sources (what a watch starts from).
type Seen = Vec<u64>;

impl Loader {
    /// No sources yet; environment overrides with the `BIA_` prefix.
    ///
    /// ```
    /// let loader = bia::config::Loader::new().path("configs/");
    /// assert!(loader.files().is_err()); // no such folder here
    /// ```
    pub fn new() -> Self {
        Self {
            sources: Vec::new(),
            #[cfg(feature = "etcd")]
            etcd: Vec::new(),
            env_prefix: Some("BIA_".to_owned()),
        }
    }

    /// Adds a file, or a directory whose `.yaml`/`.yml`/`.toml`/`.json`
    /// files are merged in name order.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.sources.push(Source::Path(path.into()));
        self
    }

    /// Adds text compiled into the binary (defaults that need no file);
    /// `name` ends in `.yaml`, `.yml`, `.toml` or `.json` and names it in
    /// errors.
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

    /// Adds a key (or a key prefix) in etcd, merged after the files and
    /// before the environment (see [`EtcdSource`]).
    ///
    /// ```
    /// use bia::config::{EtcdConfig, EtcdSource, Loader};
    ///
    /// let loader = Loader::new()
    ///     .embedded("defaults.yaml", "log:\n  level: info\n")
    ///     .etcd(EtcdSource::prefix(EtcdConfig::new(["http://127.0.0.1:2379"]), "/configs/user-service/"));
    /// # drop(loader);
    /// ```
    #[cfg(feature = "etcd")]
    #[cfg_attr(docsrs, doc(cfg(feature = "etcd")))]
    pub fn etcd(mut self, source: EtcdSource) -> Self {
        self.etcd.push(source);
        self
    }

    /// The merged sources, and what was read from etcd.
    fn figment_seen(&self) -> Result<(Figment, Seen), Error> {
        #[cfg_attr(not(feature = "etcd"), allow(unused_mut))]
        let mut seen = Seen::new();
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
        #[cfg(feature = "etcd")]
        for source in &self.etcd {
            let read = source.fetch()?;
            seen.push(read.fingerprint);
            for (name, format, text) in &read.texts {
                let dict = parse_as(name, *format, text)?;
                figment = figment.merge(Parsed { name: name.clone(), dict });
            }
        }
        if let Some(prefix) = &self.env_prefix {
            // Overrides are values as they are: no placeholders in them.
            figment = figment.merge(Env::prefixed(prefix).split("__"));
        }
        Ok((figment, seen))
    }

    /// Reads every source into `T`. A missing file, a parse error or a value
    /// of the wrong type is one error naming the file, the key and what was
    /// expected (never the value). Numbers and booleans may be written as
    /// strings (what a placeholder gives): `"8000"` reads into a `u16`,
    /// `"true"` into a `bool`.
    ///
    /// Keys in etcd are read while `load` waits (within the source's
    /// timeout), on a thread of their own, so it can be called from
    /// `main` before or inside a Tokio runtime.
    pub fn load<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.load_seen().map(|(value, _)| value)
    }

    fn load_seen<T: DeserializeOwned>(&self) -> Result<(T, Seen), Error> {
        let (figment, seen) = self.figment_seen()?;
        let value = figment.extract_lossy::<T>().map_err(|e| {
            let secrets = secret_values(&figment);
            let all: Vec<String> = e.into_iter().map(|e| describe(&figment, &e, &secrets)).collect();
            config_error(format!("invalid configuration: {}", all.join("; ")))
        })?;
        Ok((value, seen))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::secrets::looks_secret;
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

    #[test]
    fn placeholders_in_values_not_text() {
        std::env::set_var("BIA_TEST_INJECT", "x\nauth: {jwt: {enabled: false}}");
        std::env::set_var("BIA_TEST_OTHER_REF", "${BIA_TEST_PLACEHOLDER_NEVER}");
        let dict = parse("c.yaml", "a: ${BIA_TEST_INJECT}\nb: [\"${BIA_TEST_OTHER_REF}\"]\n").unwrap();
        assert_eq!(dict.len(), 2, "{dict:?}");
        assert_eq!(dict["a"].as_str(), Some("x\nauth: {jwt: {enabled: false}}"));
        assert_eq!(dict["b"].as_array().unwrap()[0].as_str(), Some("${BIA_TEST_PLACEHOLDER_NEVER}"));
        let e = parse("c.yaml", "a:\n  b: [1, \"${BIA_TEST_UNSET_VAR}\"]\n").unwrap_err();
        assert!(e.message().contains("c.yaml, key `a.b.1`"), "{e}");
    }

    #[test]
    fn parse_errors_do_not_quote_the_file() {
        let e = parse("c.toml", "secret = \"hunter2-very-secret\nport = ${PORT:8000}\n").unwrap_err();
        assert!(e.message().starts_with("c.toml: not valid TOML at line "), "{e}");
        assert!(!e.message().contains("hunter2"), "{e}");
        let e = parse("c.yaml", "\"hunter2-very-secret\"\n").unwrap_err();
        assert!(e.message().starts_with("c.yaml: not valid YAML"), "{e}");
        assert!(!e.message().contains("hunter2"), "{e}");
    }

    #[test]
    fn redaction() {
        for (input, want) in [
            ("postgres://u:p@h/db", "postgres://u:***@h/db"),
            ("x `mysql://u:p@ss/w@h:3306/db` y", "x `mysql://u:***@h:3306/db` y"),
            ("u:p@tcp(h:3306)/db?parseTime=true", "u:***@tcp(h:3306)/db?parseTime=true"),
            ("a https://u:p@h b http://v:q@i", "a https://u:***@h b http://v:***@i"),
            ("https://u@h https://u:@h", "https://u@h https://u:@h"),
            ("{\"url\":\"redis://:pw@h\"}", "{\"url\":\"redis://:***@h\"}"),
            ("no at sign: a:b", "no at sign: a:b"),
        ] {
            assert_eq!(redact(input), want, "{input}");
        }
        assert!(matches!(redact("plain"), Cow::Borrowed(_)));
        assert!(looks_secret("JWT_Secret") && looks_secret("api_key") && !looks_secret("addr"));
    }
}
