//! The embedded registry: instances from config plus those registered in
//! the same process.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::watch;

use super::{BoxFuture, Discovery, Registrar, ServiceInstance, Snapshot, Watcher};
use crate::error::Error;

/// Instances listed in config (the default registry: nothing to install),
/// plus those registered in this process. [`StaticRegistry::set`] replaces
/// the configured ones, so a config watcher makes discovery follow hot
/// reloads; watchers see every change.
///
/// In config (as the examples read it):
///
/// ```yaml
/// discovery:
///   user-service:
///     - id: user-1
///       version: v1
///       endpoints: [grpc://127.0.0.1:9000, http://127.0.0.1:8000]
/// ```
#[derive(Debug, Default)]
pub struct StaticRegistry {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// From config, by service name.
    configured: BTreeMap<String, Vec<ServiceInstance>>,
    /// Registered in this process, by (name, id).
    registered: BTreeMap<(String, String), ServiceInstance>,
    /// One channel per watched service name.
    watchers: BTreeMap<String, watch::Sender<Snapshot>>,
}

impl Inner {
    fn instances(&self, name: &str) -> Vec<ServiceInstance> {
        let mut out: Vec<ServiceInstance> = self.configured.get(name).cloned().unwrap_or_default();
        for ((n, _), inst) in &self.registered {
            if n == name && !out.iter().any(|o| o.id == inst.id) {
                out.push(inst.clone());
            }
        }
        out
    }

    fn notify(&mut self) {
        let names: Vec<String> = self.watchers.keys().cloned().collect();
        for name in names {
            let now = self.instances(&name);
            if let Some(tx) = self.watchers.get(&name) {
                super::publish(tx, now);
            }
        }
    }
}

impl StaticRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry with the instances of `config` (service name -> instances;
    /// an instance's `name` is filled from its key when empty).
    pub fn from_config(config: BTreeMap<String, Vec<ServiceInstance>>) -> Self {
        let registry = Self::new();
        registry.set(config);
        registry
    }

    /// Replaces the configured instances (call it from a config watcher);
    /// watchers see the change.
    pub fn set(&self, config: BTreeMap<String, Vec<ServiceInstance>>) {
        let mut inner = self.lock();
        inner.configured = config
            .into_iter()
            .map(|(name, list)| {
                let list = list
                    .into_iter()
                    .map(|mut i| {
                        if i.name.is_empty() {
                            i.name = name.clone();
                        }
                        if i.id.is_empty() {
                            i.id = i.endpoints.join(",");
                        }
                        i
                    })
                    .collect();
                (name, list)
            })
            .collect();
        inner.notify();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Registrar for StaticRegistry {
    fn register<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>> {
        let mut inner = self.lock();
        inner.registered.insert((instance.name.clone(), instance.id.clone()), instance.clone());
        inner.notify();
        Box::pin(std::future::ready(Ok(())))
    }

    fn deregister<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>> {
        let mut inner = self.lock();
        inner.registered.remove(&(instance.name.clone(), instance.id.clone()));
        inner.notify();
        Box::pin(std::future::ready(Ok(())))
    }
}

impl Discovery for StaticRegistry {
    fn get_service<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<ServiceInstance>, Error>> {
        let list = self.lock().instances(name);
        Box::pin(std::future::ready(Ok(list)))
    }

    fn watch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Watcher, Error>> {
        let mut inner = self.lock();
        let now = inner.instances(name);
        let rx = inner.watchers.entry(name.to_owned()).or_insert_with(|| watch::channel(Ok(now)).0).subscribe();
        Box::pin(std::future::ready(Ok(Watcher::new(rx, None))))
    }
}
