//! Configuration kept in etcd (the `etcd` feature): one key, or every key
//! under a prefix merged in key order, read when the [`Loader`](super::Loader)
//! loads and watched with etcd's watch stream.

use std::hash::{Hash as _, Hasher as _};
use std::time::Duration;

use super::{config_error, EtcdConfig, Format};
use crate::error::reason::CONFIG;
use crate::error::Error;
use crate::etcd::{prefix_end, Etcd};

/// A key, or a key prefix, in etcd to read configuration from, merged after
/// the files and before the environment ([`Loader::etcd`](super::Loader::etcd)).
///
/// * [`EtcdSource::key`]: one key; its value is one config text.
/// * [`EtcdSource::prefix`]: every key under the prefix, each one text,
///   merged in key order (as the files of a directory are merged in name
///   order): `/configs/user-service/10-base.yaml` then `20-db.yaml`.
///
/// The format of each value is its key's extension (`.yaml`, `.yml`,
/// `.toml`, `.json`) unless [`EtcdSource::format`] says. Values are text
/// (UTF-8) with the same `${VAR}` placeholders as files, and errors name the
/// key (`etcd:/configs/user-service/config.yaml`) where they name a file.
/// A key that is missing (or a prefix with no key under it) is an error, as
/// a missing file is.
///
/// ```
/// use bia::config::{EtcdConfig, EtcdSource, Format, Loader};
///
/// let etcd = EtcdConfig::new(["http://127.0.0.1:2379"]);
/// let loader = Loader::new()
///     .path("configs/")
///     .etcd(EtcdSource::key(etcd.clone(), "/configs/user-service/config.yaml"))
///     .etcd(EtcdSource::prefix(etcd, "/configs/shared/").format(Format::Json));
/// # drop(loader);
/// ```
///
/// Reading uses etcd's own settings ([`EtcdConfig`]'s endpoints, timeout,
/// TLS and credentials; not its registry `namespace` or `ttl`). Put a
/// config there with `etcdctl put /configs/user-service/config.yaml "$(cat
/// configs/config.yaml)"`.
#[derive(Debug, Clone)]
pub struct EtcdSource {
    config: EtcdConfig,
    key: String,
    prefix: bool,
    format: Option<Format>,
}

/// What one read of a source gave: `(name, format, text)` of each key in
/// key order, and a fingerprint of the keys and values.
pub(super) struct Read {
    pub(super) texts: Vec<(String, Format, String)>,
    pub(super) fingerprint: u64,
}

impl EtcdSource {
    /// The value of one key.
    ///
    /// ```
    /// let source = bia::config::EtcdSource::key(bia::config::EtcdConfig::default(), "/configs/app.yaml");
    /// # drop(source);
    /// ```
    #[must_use]
    pub fn key(config: EtcdConfig, key: impl Into<String>) -> Self {
        Self { config, key: key.into(), prefix: false, format: None }
    }

    /// The values of every key under `prefix`, merged in key order.
    ///
    /// ```
    /// let source = bia::config::EtcdSource::prefix(bia::config::EtcdConfig::default(), "/configs/app/");
    /// # drop(source);
    /// ```
    #[must_use]
    pub fn prefix(config: EtcdConfig, prefix: impl Into<String>) -> Self {
        Self { config, key: prefix.into(), prefix: true, format: None }
    }

    /// Reads every value in `format`, whatever its key's extension.
    ///
    /// ```
    /// use bia::config::{EtcdConfig, EtcdSource, Format};
    ///
    /// let source = EtcdSource::key(EtcdConfig::default(), "/configs/app").format(Format::Toml);
    /// # drop(source);
    /// ```
    #[must_use]
    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// What errors call this source: `etcd:<key>` (a prefix ends in `*`).
    fn name(&self) -> String {
        format!("etcd:{}{}", self.key, if self.prefix { "*" } else { "" })
    }

    fn range_end(&self) -> Vec<u8> {
        if self.prefix {
            prefix_end(self.key.as_bytes())
        } else {
            Vec::new()
        }
    }

    /// Reads the source now. etcd is reached from a thread of its own with
    /// a small runtime, so that `Loader::load` stays a plain function
    /// callable inside or outside a Tokio runtime (a `block_on` on the
    /// caller's runtime would panic there).
    pub(super) fn fetch(&self) -> Result<Read, Error> {
        std::thread::scope(|scope| {
            let read = std::thread::Builder::new()
                .name("bia-config-etcd".into())
                .spawn_scoped(scope, || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
                        config_error(format!("{}: cannot start a runtime to read etcd: {e}", self.name()))
                    })?;
                    runtime.block_on(async {
                        let etcd = Etcd::connect(&self.config, CONFIG)?;
                        self.read(&etcd).await
                    })
                })
                .map_err(|e| config_error(format!("{}: cannot start a thread to read etcd: {e}", self.name())))?;
            read.join().unwrap_or_else(|_| Err(config_error(format!("{}: reading etcd panicked", self.name()))))
        })
    }

    /// Reads the source through `etcd`: its texts and their fingerprint.
    async fn read(&self, etcd: &Etcd) -> Result<Read, Error> {
        let (kvs, _) = etcd.range(self.key.as_bytes(), self.range_end()).await.map_err(|e| {
            config_error(format!("{} at {}: {}", self.name(), self.config.endpoints.join(","), e.message()))
        })?;
        if kvs.is_empty() {
            let what = if self.prefix { "holds no key" } else { "is not set" };
            return Err(config_error(format!("{} {what} at {}", self.name(), self.config.endpoints.join(","))));
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let mut texts = Vec::with_capacity(kvs.len());
        for kv in kvs {
            (&kv.key, &kv.value).hash(&mut hasher);
            let name = format!("etcd:{}", String::from_utf8_lossy(&kv.key));
            let Some(format) = self.format.or_else(|| Format::of_name(&name)) else {
                return Err(config_error(format!(
                    "{name}: unknown config format; end the key in .yaml, .yml, .toml or .json, or set EtcdSource::format"
                )));
            };
            let text = String::from_utf8(kv.value)
                .map_err(|_| config_error(format!("{name}: the value is not UTF-8 text")))?;
            texts.push((name, format, text));
        }
        Ok(Read { texts, fingerprint: hasher.finish() })
    }

    /// The fingerprint of what the source holds now, and the revision it
    /// was read at; `None` when it is empty.
    async fn look(&self, etcd: &Etcd) -> Result<(Option<u64>, i64), Error> {
        let (kvs, revision) = etcd.range(self.key.as_bytes(), self.range_end()).await?;
        if kvs.is_empty() {
            return Ok((None, revision));
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for kv in &kvs {
            (&kv.key, &kv.value).hash(&mut hasher);
        }
        Ok((Some(hasher.finish()), revision))
    }
}

/// Stops the etcd watch of a [`Watched`](super::Watched) when dropped.
pub(super) struct StopOnDrop(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            let _ = stop.send(());
        }
    }
}

/// Watches `sources` (whose values had the fingerprints `seen` when loaded)
/// and sends on `reload` after each change, on a thread of its own with a
/// small runtime; `None` without sources.
pub(super) fn watch(
    sources: &[EtcdSource],
    seen: Vec<u64>,
    reload: std::sync::mpsc::Sender<()>,
) -> Result<Option<StopOnDrop>, Error> {
    if sources.is_empty() {
        return Ok(None);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| config_error(format!("cannot start the etcd config watch: {e}")))?;
    let mut watches = Vec::with_capacity(sources.len());
    {
        // The clients' channels start their tasks on the watch's runtime.
        let _inside = runtime.enter();
        for (source, seen) in sources.iter().zip(seen) {
            watches.push((source.clone(), Etcd::connect(&source.config, CONFIG)?, seen));
        }
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("bia-config-etcd-watch".into())
        .spawn(move || {
            let all = watches.into_iter().map(|(source, etcd, seen)| follow(source, etcd, Some(seen), reload.clone()));
            let all = futures_util::future::join_all(all);
            runtime.block_on(async {
                tokio::select! {
                    _ = stopped => {}
                    _ = all => {}
                }
            });
        })
        .map_err(|e| config_error(format!("cannot start the etcd config watch: {e}")))?;
    Ok(Some(StopOnDrop(Some(stop))))
}

/// Follows one source until stopped: a watch from the revision its values
/// were looked at, a reload on every change. When the watch breaks (etcd
/// gone, the revision compacted) it says so once, keeps reconnecting with
/// backoff, and on its return reloads if the values differ from those seen
/// last (changes made while it was away, or a store that was replaced).
async fn follow(source: EtcdSource, etcd: Etcd, mut seen: Option<u64>, reload: std::sync::mpsc::Sender<()>) {
    let name = source.name();
    let mut broken = false;
    let mut backoff = Duration::from_millis(100);
    loop {
        let session = async {
            let (now, revision) = source.look(&etcd).await?;
            if broken {
                tracing::info!(source = %name, "the config watch on etcd is back");
                broken = false;
            }
            if now != seen {
                seen = now;
                let _ = reload.send(());
            }
            let (_open, mut replies) = etcd.watch(source.key.as_bytes(), source.range_end(), revision + 1).await?;
            backoff = Duration::from_millis(100);
            loop {
                let Some(reply) = replies.message().await.map_err(|s| etcd.unavailable("watch", s.message()))? else {
                    return Err(etcd.unavailable("watch", "stream ended"));
                };
                if reply.canceled || reply.compact_revision > 0 {
                    return Err(etcd.unavailable("watch", format!("canceled: {}", reply.cancel_reason)));
                }
                if !reply.events.is_empty() {
                    seen = source.look(&etcd).await?.0;
                    if reload.send(()).is_err() {
                        return Ok(());
                    }
                }
            }
        };
        let ended: Result<(), Error> = session.await;
        match ended {
            Ok(()) => return,
            Err(e) if !broken => {
                broken = true;
                tracing::warn!(
                    source = %name,
                    "the config watch on etcd is interrupted; keeping the last value and reconnecting: {}",
                    e.message()
                );
            }
            Err(_) => {}
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}
