//! [`EtcdRegistry`]: instances as keys on a kept-alive lease, watched with
//! etcd's watch stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::calls::{Auth, Etcd};
use super::{pb, EtcdConfig};
use crate::error::reason::{CONFIG, REGISTRY};
use crate::error::Error;
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
        let auth = match (&config.username, &config.password) {
            (None, None) => None,
            (Some(user), Some(password)) => Some(Auth::new(user.clone(), password.clone())),
            (Some(_), None) => return Err(Error::internal_server(CONFIG, "the etcd `username` needs its `password`")),
            (None, Some(_)) => return Err(Error::internal_server(CONFIG, "the etcd `password` needs its `username`")),
        };
        let mut tls = None;
        let mut peer = None;
        let mut endpoints = Vec::new();
        for url in &config.endpoints {
            let mut e = tonic::transport::Endpoint::from_shared(url.clone())
                .map_err(|e| Error::internal_server(CONFIG, format!("invalid etcd endpoint `{url}`: {e}")))?
                .connect_timeout(config.timeout)
                .tcp_nodelay(true);
            if url.starts_with("https://") {
                let loaded = match &tls {
                    Some(loaded) => Arc::clone(loaded),
                    None => Arc::clone(tls.insert(config.tls.clone().unwrap_or_default().load()?)),
                };
                if peer.is_none() {
                    let uri = e.uri();
                    let host = uri.host().unwrap_or_default().to_owned();
                    peer = Some((Arc::clone(&loaded), host, uri.port_u16().unwrap_or(2379)));
                }
                e = e.tls_config(loaded.tonic()).map_err(|e| {
                    Error::internal_server(crate::error::reason::TLS_CONFIG, format!("etcd TLS for `{url}`: {e}"))
                })?;
            } else if config.tls.is_some() {
                return Err(Error::internal_server(
                    CONFIG,
                    format!("the etcd endpoint `{url}` is plaintext but `tls` is set: use https://"),
                ));
            }
            endpoints.push(e);
        }
        let channel = if endpoints.len() == 1 {
            endpoints.remove(0).connect_lazy()
        } else {
            tonic::transport::Channel::balance_list(endpoints.into_iter())
        };
        Ok(EtcdRegistry { etcd: Etcd::new(channel, config.timeout, auth, peer), config, sessions: Mutex::default() })
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
            let task = tokio::spawn(self.etcd.clone().keep_registered(key.clone(), value, self.config.ttl, tx));
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
        Box::pin(async move { Ok(self.etcd.range_prefix(&self.prefix(name)).await?.0) })
    }

    fn watch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Watcher, Error>> {
        Box::pin(async move {
            let prefix = self.prefix(name);
            let (list, revision) = self.etcd.range_prefix(&prefix).await?;
            let (tx, rx) = watch::channel(Ok(list));
            let feeder = tokio::spawn(self.etcd.clone().feed(prefix, tx, revision));
            Ok(Watcher::new(rx, Some(feeder)))
        })
    }
}
