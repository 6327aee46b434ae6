//! Watching the configuration: reloads on changes of its files and its etcd
//! keys, with the running value kept when a reload fails.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::{config_error, is_config_file, Loader, Seen, Source};
use crate::error::Error;

impl Loader {
    /// Loads `T` and watches the files and the etcd sources: each change
    /// reloads them and calls `observer` with the new value; a value that
    /// no longer parses (or a file that is gone, emptied or unreadable, even
    /// in a watched folder) is logged, once, and the old value kept. While
    /// etcd is unreachable the last good value stays; the watch reconnects,
    /// and a change made meanwhile is loaded when it is back. Dropping the
    /// returned [`Watched`] stops it.
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
        let etcd_watch = super::etcd::watch(&self.etcd, seen, tx_etcd)?;
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
            || (self.dirs.contains(&parent) && is_config_file(path))
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
