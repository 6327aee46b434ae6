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

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use figment::error::{Actual, Kind, OneOf};
use figment::providers::{Env, Format as _, Json, Toml, Yaml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Profile};
use serde::de::DeserializeOwned;

use crate::error::Error;

#[cfg(feature = "etcd")]
mod etcd;
#[cfg(feature = "etcd")]
#[cfg_attr(docsrs, doc(cfg(feature = "etcd")))]
pub use etcd::EtcdSource;

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

/// Hides the passwords of URLs and DSNs in `text`:
/// `postgres://user:pass@host/db` becomes `postgres://user:***@host/db`, the
/// Go form `user:pass@tcp(host)/db` becomes `user:***@tcp(host)/db`. Bia
/// runs its log lines and error messages that can hold a URL through it;
/// use it for your own.
///
/// ```
/// use bia::config::redact;
///
/// assert_eq!(redact("postgres://app:s3cret@db:5432/users"), "postgres://app:***@db:5432/users");
/// assert_eq!(redact("cannot open `mysql://root:pw@tcp(db:3306)/x`"), "cannot open `mysql://root:***@tcp(db:3306)/x`");
/// assert_eq!(redact("https://user@example.com/a"), "https://user@example.com/a"); // no password
/// assert_eq!(redact("nothing to hide"), "nothing to hide");
/// ```
pub fn redact(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let is_delimiter = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>');
    let mut out = String::new();
    // `text[..copied]` is in `out`, redacted.
    let mut copied = 0;
    let mut start = 0;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        if !is_delimiter(c) {
            continue;
        }
        if let Some(password) = password_range(&text[start..i]) {
            out.push_str(&text[copied..start + password.start]);
            out.push_str("***");
            copied = start + password.end;
        }
        start = i + c.len_utf8();
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Where the password of `user:password@host` is in one word of text.
fn password_range(word: &str) -> Option<std::ops::Range<usize>> {
    // The credentials run from after `scheme://` (or the word's start) to
    // the last `@`: a password may hold an unescaped `@` or `/`.
    let at = word.rfind('@')?;
    let from = word[..at].find("://").map_or(0, |i| i + 3);
    let colon = from + word[from..at].find(':')?;
    (colon + 1 < at).then_some(colon + 1..at)
}

/// Whether a key's name says its value is a secret.
fn looks_secret(key: &str) -> bool {
    const WORDS: [&str; 9] = ["secret", "password", "passwd", "pwd", "token", "key", "credential", "private", "dsn"];
    let key = key.to_ascii_lowercase();
    WORDS.iter().any(|w| key.contains(w))
}

/// The string values of keys that look secret, anywhere in `figment`: they
/// are cut out of messages that might quote them.
fn secret_values(figment: &Figment) -> Vec<String> {
    fn walk(key: &str, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(_, s) if looks_secret(key) && s.len() >= 3 => out.push(s.clone()),
            Value::Dict(_, dict) => dict.iter().for_each(|(k, v)| walk(k, v, out)),
            Value::Array(_, items) => items.iter().for_each(|v| walk(key, v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(data) = figment::Provider::data(figment) {
        data.values().flat_map(|dict| dict.iter()).for_each(|(k, v)| walk(k, v, &mut out));
    }
    // Longest first, so a secret that holds another is cut out whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// What kind of value a parser found, without the value.
fn kind_of(actual: &Actual) -> &'static str {
    match actual {
        Actual::Bool(_) => "a boolean",
        Actual::Unsigned(_) | Actual::Signed(_) => "an integer",
        Actual::Float(_) => "a float",
        Actual::Char(_) => "a character",
        Actual::Str(_) => "a string",
        Actual::Bytes(_) => "bytes",
        Actual::Unit => "nothing",
        Actual::Seq => "a list",
        Actual::Map => "a map",
        _ => "a value of another kind",
    }
}

/// One extraction error as text that names the key, the source and what was
/// expected, never the value.
fn describe(figment: &Figment, e: &figment::Error, secrets: &[String]) -> String {
    let key = e.path.join(".");
    let what = match &e.kind {
        Kind::Message(_) if e.path.last().is_some_and(|k| looks_secret(k)) => {
            "the value cannot be read (the parser's message is withheld: the key looks secret)".to_owned()
        }
        Kind::Message(message) => {
            // A field's own parser may quote the value: cut it out.
            let mut message = message.clone();
            if let Ok(Value::String(_, value)) = figment.find_value(&key) {
                if !value.is_empty() && !key.is_empty() {
                    message = message.replace(&value, "<value>");
                }
            }
            for secret in secrets {
                message = message.replace(secret, "<redacted>");
            }
            redact(&message).into_owned()
        }
        Kind::InvalidType(actual, expected) => format!("expected {expected}, found {}", kind_of(actual)),
        Kind::InvalidValue(actual, expected) => format!("invalid value ({}), expected {expected}", kind_of(actual)),
        Kind::InvalidLength(len, expected) => format!("{len} items, expected {expected}"),
        Kind::UnknownVariant(_, expected) => format!("unknown variant, expected {}", OneOf(expected)),
        Kind::UnknownField(field, expected) => format!("unknown field `{field}`, expected {}", OneOf(expected)),
        Kind::MissingField(field) => format!("missing field `{field}`"),
        Kind::DuplicateField(field) => format!("duplicate field `{field}`"),
        Kind::ISizeOutOfRange(_) | Kind::USizeOutOfRange(_) => "integer out of range".to_owned(),
        Kind::Unsupported(actual) => format!("unsupported {}", kind_of(actual)),
        Kind::UnsupportedKey(actual, need) => format!("unsupported key ({}), need {need}", kind_of(actual)),
    };
    let source = e.metadata.as_ref().map(|m| m.name.to_string());
    match (key.is_empty(), source) {
        (false, Some(source)) => format!("{key} in {source}: {what}"),
        (false, None) => format!("{key}: {what}"),
        (true, Some(source)) => format!("{source}: {what}"),
        (true, None) => what,
    }
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
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "toml" | "json")))
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
    /// Loads `T` and watches the files and the etcd sources: each change
    /// reloads them and calls `observer` with the new value; a value that
    /// no longer parses (or a file that is gone, emptied or unreadable, even
    /// in a watched folder) is logged, once, and the old value kept. While etcd is unreachable the last good value
    /// stays; the watch reconnects, and a change made meanwhile is loaded
    /// when it is back. Dropping the returned [`Watched`] stops it.
    pub fn watch<T, F>(self, observer: F) -> Result<Watched<T>, Error>
    where
        T: DeserializeOwned + Send + Sync + 'static,
        F: Fn(&T) + Send + 'static,
    {
        use notify::Watcher as _;
        #[cfg_attr(not(feature = "etcd"), allow(unused_variables))]
        let (initial, seen): (T, Seen) = self.load_seen()?;
        let current = Arc::new(RwLock::new(Arc::new(initial)));
        let files = self.files()?;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        #[cfg(feature = "etcd")]
        let tx_etcd = tx.clone();
        let watched = Watching::of(&self.sources);
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if matches!(res, Ok(ref e) if (e.kind.is_modify() || e.kind.is_create() || e.kind.is_remove())
                && e.paths.iter().any(|p| watched.covers(p)))
            {
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
        #[cfg(feature = "etcd")]
        let etcd_watch = etcd::watch(&self.etcd, seen, tx_etcd)?;
        let shared = Arc::clone(&current);
        let mut known = files.clone();
        std::thread::Builder::new()
            .name("bia-config-watch".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    // Let a burst of events (write, rename, chmod) settle.
                    std::thread::sleep(Duration::from_millis(50));
                    while rx.try_recv().is_ok() {}
                    match still_there(&known).and_then(|()| self.load::<T>()) {
                        Ok(v) => {
                            let v = Arc::new(v);
                            *shared.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&v);
                            known = self.files().unwrap_or(known);
                            observer(&v);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "configuration reload failed; keeping the previous value")
                        }
                    }
                }
            })
            .map_err(|e| config_error(format!("cannot start the config watcher: {e}")))?;
        #[cfg(feature = "etcd")]
        return Ok(Watched { current, _watcher: Box::new((watcher, etcd_watch)) });
        #[cfg(not(feature = "etcd"))]
        Ok(Watched { current, _watcher: Box::new(watcher) })
    }
}

/// Which changes in the watched folders are the configuration's: the files
/// named as sources, and the config files (by extension) of folders named
/// as sources. Anything else there (a log file beside the config, an
/// editor's swap file) is not: a reload that logs an error into a log file
/// in the folder would otherwise trigger itself forever.
struct Watching {
    /// Each named file: its folder (canonical) and name.
    files: Vec<(PathBuf, std::ffi::OsString)>,
    /// Each named folder (canonical).
    dirs: Vec<PathBuf>,
}

impl Watching {
    fn of(sources: &[Source]) -> Self {
        let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
        let mut out = Watching { files: Vec::new(), dirs: Vec::new() };
        for s in sources {
            if let Source::Path(p) = s {
                if p.is_dir() {
                    out.dirs.push(canonical(p));
                } else if let Some(name) = p.file_name() {
                    let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                    out.files.push((canonical(parent), name.to_owned()));
                }
            }
        }
        out
    }

    fn covers(&self, path: &Path) -> bool {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else { return false };
        let parent = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_owned());
        self.files.iter().any(|(dir, file)| *dir == parent && file == name)
            || (self.dirs.contains(&parent)
                && matches!(
                    Path::new(name).extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "toml" | "json")
                ))
    }
}

/// On a reload: every file of the last good load is still there and not
/// empty. A file that vanished or was emptied is far more often a write in
/// progress (an editor's truncate-then-write, a deploy's delete-then-copy)
/// than a wish to drop its settings, so the reload fails and the previous
/// value stays; a file is removed for good by a restart.
fn still_there(files: &[PathBuf]) -> Result<(), Error> {
    for file in files {
        match std::fs::metadata(file) {
            Ok(meta) if meta.is_file() && meta.len() == 0 => {
                return Err(config_error(format!("config file {} is empty", file.display())));
            }
            Ok(meta) if !meta.is_file() => {
                return Err(config_error(format!("config file {} is no longer a file", file.display())));
            }
            Ok(_) => {}
            Err(e) => return Err(config_error(format!("config file {} cannot be read: {e}", file.display()))),
        }
    }
    Ok(())
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
