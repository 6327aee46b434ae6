//! [`EtcdRegistry`]: instances as keys on a kept-alive lease, watched with
//! etcd's watch stream.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

use super::sessions::{feed, keep_registered, range_prefix};
use super::EtcdConfig;
use crate::error::reason::{CONFIG, REGISTRY};
use crate::error::Error;
use crate::etcd::{pb, Etcd};
use crate::registry::{AbortOnDrop, BoxFuture, Discovery, Registrar, ServiceInstance, Watcher};

/// A registry on etcd. Cheap to share (`Arc`); one background task per
/// registered instance and per watched service.
pub struct EtcdRegistry {
    etcd: Etcd,
    config: EtcdConfig,
    /// The keepalive task of each registered key; dropping the registry
    /// aborts them (the keys then expire with their leases).
    sessions: Mutex<HashMap<String, AbortOnDrop>>,
}

impl std::fmt::Debug for EtcdRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdRegistry").field("config", &self.config).finish_non_exhaustive()
    }
}

impl EtcdRegistry {
    /// A registry on the etcd at `config.endpoints`. It connects lazily, so
    /// it is made even while etcd is down; calls then fail (register) or wait
    /// for it (watchers). TLS settings that do not load fail here (reason
    /// `TLS_CONFIG`), as do a user without a password and TLS settings given
    /// for an `http://` endpoint (reason `CONFIG`).
    pub fn new(config: EtcdConfig) -> Result<Self, Error> {
        if config.endpoints.is_empty() {
            return Err(Error::internal_server(CONFIG, "the etcd registry needs at least one endpoint"));
        }
        let etcd = Etcd::connect(&config, REGISTRY)?;
        Ok(EtcdRegistry { etcd, config, sessions: Mutex::default() })
    }

    fn key(&self, instance: &ServiceInstance) -> String {
        format!("{}/{}/{}", self.config.namespace.trim_end_matches('/'), instance.name, instance.id)
    }

    fn prefix(&self, name: &str) -> String {
        format!("{}/{}/", self.config.namespace.trim_end_matches('/'), name)
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, AbortOnDrop>> {
        self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Registrar for EtcdRegistry {
    /// Puts the instance on a new lease and keeps it alive in the background
    /// (registering again after etcd comes back); fails if etcd cannot be
    /// reached within the timeout.
    fn register<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let key = self.key(instance);
            let value = serde_json::to_vec(instance)
                .map_err(|e| Error::internal_server(REGISTRY, format!("cannot encode the instance: {e}")))?;
            let (tx, rx) = tokio::sync::oneshot::channel();
            let task = tokio::spawn(keep_registered(self.etcd.clone(), key.clone(), value, self.config.ttl, tx));
            let task = AbortOnDrop(task);
            match tokio::time::timeout(self.config.timeout, rx).await {
                Ok(Ok(Ok(()))) => {
                    self.sessions().insert(key, task);
                    Ok(())
                }
                _ => Err(Error::service_unavailable(
                    REGISTRY,
                    format!("cannot register {key} with etcd at {}", self.config.endpoints.join(",")),
                )),
            }
        })
    }

    /// Stops the keepalive and deletes the key (its lease then expires).
    fn deregister<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let key = self.key(instance);
            drop(self.sessions().remove(&key));
            let _: pb::DeleteRangeResponse = self
                .etcd
                .unary("/etcdserverpb.KV/DeleteRange", pb::DeleteRangeRequest { key: key.into_bytes() })
                .await?;
            Ok(())
        })
    }
}

impl Discovery for EtcdRegistry {
    fn get_service<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<ServiceInstance>, Error>> {
        Box::pin(async move { Ok(range_prefix(&self.etcd, &self.prefix(name)).await?.0) })
    }

    fn watch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Watcher, Error>> {
        Box::pin(async move {
            let prefix = self.prefix(name);
            let (list, revision) = range_prefix(&self.etcd, &prefix).await?;
            let (tx, rx) = watch::channel(Ok(list));
            let feeder = tokio::spawn(feed(self.etcd.clone(), prefix, tx, revision));
            Ok(Watcher::new(rx, Some(feeder)))
        })
    }
}
