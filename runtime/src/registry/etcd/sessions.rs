//! The registry's loops on etcd: the instances under a prefix, a
//! registration kept alive on a lease, and a watch feeding a service's
//! instances to its watchers.

use std::time::Duration;

use tokio::sync::watch;

use crate::error::Error;
use crate::etcd::{pb, prefix_end, Etcd};
use crate::registry::{publish, ServiceInstance, Snapshot};

pub(super) async fn range_prefix(etcd: &Etcd, prefix: &str) -> Result<(Vec<ServiceInstance>, i64), Error> {
    let (kvs, revision) = etcd.range(prefix.as_bytes(), prefix_end(prefix.as_bytes())).await?;
    let mut out = Vec::with_capacity(kvs.len());
    for kv in &kvs {
        match serde_json::from_slice::<ServiceInstance>(&kv.value) {
            Ok(i) => out.push(i),
            Err(e) => tracing::warn!(
                key = %String::from_utf8_lossy(&kv.key),
                "ignoring a registry entry that is not a service instance: {e}"
            ),
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((out, revision))
}

/// One registration session: a new lease, the key on it, then the
/// keepalive until something fails (the caller starts a new session).
async fn session(
    etcd: &Etcd,
    key: &str,
    value: &[u8],
    ttl: Duration,
    registered: &mut Option<tokio::sync::oneshot::Sender<Result<(), Error>>>,
) -> Result<(), Error> {
    let ttl_secs = i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX);
    let grant: pb::LeaseGrantResponse =
        etcd.unary("/etcdserverpb.Lease/LeaseGrant", pb::LeaseGrantRequest { ttl: ttl_secs }).await?;
    if !grant.error.is_empty() {
        return Err(etcd.unavailable("lease grant", grant.error));
    }
    let lease = grant.id;
    let _: pb::PutResponse = etcd
        .unary("/etcdserverpb.KV/Put", pb::PutRequest { key: key.as_bytes().to_vec(), value: value.to_vec(), lease })
        .await?;
    if let Some(tx) = registered.take() {
        let _ = tx.send(Ok(()));
    }
    tracing::debug!(key, lease, "registered in etcd");
    let (tx, mut replies) = etcd
        .stream::<_, pb::LeaseKeepAliveResponse>(
            "/etcdserverpb.Lease/LeaseKeepAlive",
            pb::LeaseKeepAliveRequest { id: lease },
        )
        .await?;
    let every = (ttl / 3).max(Duration::from_millis(300));
    loop {
        let reply = tokio::time::timeout(etcd.timeout(), replies.message())
            .await
            .map_err(|_| etcd.unavailable("keepalive", "no reply"))?
            .map_err(|s| etcd.unavailable("keepalive", s.message()))?
            .ok_or_else(|| etcd.unavailable("keepalive", "stream ended"))?;
        if reply.ttl <= 0 {
            return Err(etcd.unavailable("keepalive", format!("lease {lease} expired")));
        }
        tokio::time::sleep(every).await;
        tx.send(pb::LeaseKeepAliveRequest { id: lease })
            .await
            .map_err(|_| etcd.unavailable("keepalive", "stream closed"))?;
    }
}

/// Keeps `key` registered: sessions one after another, with backoff,
/// until aborted.
pub(super) async fn keep_registered(
    etcd: Etcd,
    key: String,
    value: Vec<u8>,
    ttl: Duration,
    registered: tokio::sync::oneshot::Sender<Result<(), Error>>,
) {
    let mut registered = Some(registered);
    let mut backoff = Duration::from_millis(100);
    loop {
        let started = std::time::Instant::now();
        if let Err(e) = session(&etcd, &key, &value, ttl, &mut registered).await {
            if registered.is_none() {
                tracing::warn!(key, "etcd registration lost, registering again: {}", e.message());
            }
        }
        if started.elapsed() > ttl {
            backoff = Duration::from_millis(100);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// Feeds `tx` with the instances under `prefix` after every change;
/// while etcd is unreachable the last snapshot stays (clients keep using
/// the instances they know).
pub(super) async fn feed(etcd: Etcd, prefix: String, tx: watch::Sender<Snapshot>, mut revision: i64) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match watch_once(&etcd, &prefix, &tx, &mut revision).await {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(e) => tracing::debug!(prefix, "etcd watch interrupted: {}", e.message()),
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
        // Catch up on what changed while the watch was down.
        if let Ok((list, rev)) = range_prefix(&etcd, &prefix).await {
            publish(&tx, list);
            revision = rev;
        }
    }
}

async fn watch_once(etcd: &Etcd, prefix: &str, tx: &watch::Sender<Snapshot>, revision: &mut i64) -> Result<(), Error> {
    let (_keep_open, mut replies) = etcd.watch(prefix.as_bytes(), prefix_end(prefix.as_bytes()), *revision + 1).await?;
    loop {
        let Some(reply) = replies.message().await.map_err(|s| etcd.unavailable("watch", s.message()))? else {
            return Err(etcd.unavailable("watch", "stream ended"));
        };
        if reply.canceled || reply.compact_revision > 0 {
            return Err(etcd.unavailable("watch", format!("canceled: {}", reply.cancel_reason)));
        }
        if reply.events.is_empty() {
            continue;
        }
        let (list, rev) = range_prefix(etcd, prefix).await?;
        *revision = rev.max(reply.header.map(|h| h.revision).unwrap_or_default());
        publish(tx, list);
    }
}
