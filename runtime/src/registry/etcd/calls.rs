//! The etcd calls the registry makes, through tonic like every other Bia
//! client: unary calls, bidirectional streams, and the registration and
//! watch loops built on them.

use std::time::Duration;

use tokio::sync::watch;

use super::pb;
use crate::error::reason::REGISTRY;
use crate::error::Error;
use crate::registry::{publish, ServiceInstance, Snapshot};

/// The etcd client calls (cheap to clone: a tonic channel).
#[derive(Clone)]
pub(super) struct Etcd {
    channel: tonic::transport::Channel,
    timeout: Duration,
}

fn unavailable(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::service_unavailable(REGISTRY, format!("etcd {what}: {detail}"))
}

impl Etcd {
    pub(super) fn new(channel: tonic::transport::Channel, timeout: Duration) -> Self {
        Self { channel, timeout }
    }

    pub(super) async fn unary<Req, Rep>(&self, path: &'static str, req: Req) -> Result<Rep, Error>
    where
        Req: prost::Message + Send + 'static,
        Rep: prost::Message + Default + Send + 'static,
    {
        self.call(path, |mut grpc, path, codec| async move { grpc.unary(tonic::Request::new(req), path, codec).await })
            .await
    }

    /// A bidirectional stream: what is sent on the returned sender goes to
    /// etcd; replies come from the returned stream.
    async fn stream<Req, Rep>(
        &self,
        path: &'static str,
        first: Req,
    ) -> Result<(tokio::sync::mpsc::Sender<Req>, tonic::Streaming<Rep>), Error>
    where
        Req: prost::Message + Send + 'static,
        Rep: prost::Message + Default + Send + 'static,
    {
        let (tx, rx) = tokio::sync::mpsc::channel::<Req>(4);
        tx.send(first).await.map_err(|_| unavailable(path, "stream closed"))?;
        let outgoing = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
        let replies = self
            .call(path, |mut grpc, path, codec| async move {
                grpc.streaming(tonic::Request::new(outgoing), path, codec).await
            })
            .await?;
        Ok((tx, replies))
    }

    /// One call of `path` within the timeout: `send` gets a ready client,
    /// the path and the codec.
    async fn call<Req, Rep, T, F, Fut>(&self, path: &'static str, send: F) -> Result<T, Error>
    where
        Req: prost::Message + Send + 'static,
        Rep: prost::Message + Default + Send + 'static,
        F: FnOnce(
            tonic::client::Grpc<tonic::transport::Channel>,
            http::uri::PathAndQuery,
            tonic_prost::ProstCodec<Req, Rep>,
        ) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let call = async {
            let mut grpc = tonic::client::Grpc::new(self.channel.clone());
            grpc.ready().await.map_err(|e| unavailable(path, e))?;
            send(grpc, http::uri::PathAndQuery::from_static(path), tonic_prost::ProstCodec::default())
                .await
                .map(tonic::Response::into_inner)
                .map_err(|s| unavailable(path, s.message()))
        };
        tokio::time::timeout(self.timeout, call).await.map_err(|_| unavailable(path, "timed out"))?
    }

    pub(super) async fn range_prefix(&self, prefix: &str) -> Result<(Vec<ServiceInstance>, i64), Error> {
        let rep: pb::RangeResponse = self
            .unary(
                "/etcdserverpb.KV/Range",
                pb::RangeRequest { key: prefix.as_bytes().to_vec(), range_end: prefix_end(prefix.as_bytes()) },
            )
            .await?;
        let mut out = Vec::with_capacity(rep.kvs.len());
        for kv in &rep.kvs {
            match serde_json::from_slice::<ServiceInstance>(&kv.value) {
                Ok(i) => out.push(i),
                Err(e) => tracing::warn!(
                    key = %String::from_utf8_lossy(&kv.key),
                    "ignoring a registry entry that is not a service instance: {e}"
                ),
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok((out, rep.header.map(|h| h.revision).unwrap_or_default()))
    }

    /// One registration session: a new lease, the key on it, then the
    /// keepalive until something fails (the caller starts a new session).
    async fn session(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
        registered: &mut Option<tokio::sync::oneshot::Sender<Result<(), Error>>>,
    ) -> Result<(), Error> {
        let ttl_secs = i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX);
        let grant: pb::LeaseGrantResponse =
            self.unary("/etcdserverpb.Lease/LeaseGrant", pb::LeaseGrantRequest { ttl: ttl_secs }).await?;
        if !grant.error.is_empty() {
            return Err(unavailable("lease grant", grant.error));
        }
        let lease = grant.id;
        let _: pb::PutResponse = self
            .unary(
                "/etcdserverpb.KV/Put",
                pb::PutRequest { key: key.as_bytes().to_vec(), value: value.to_vec(), lease },
            )
            .await?;
        if let Some(tx) = registered.take() {
            let _ = tx.send(Ok(()));
        }
        tracing::debug!(key, lease, "registered in etcd");
        let (tx, mut replies) = self
            .stream::<_, pb::LeaseKeepAliveResponse>(
                "/etcdserverpb.Lease/LeaseKeepAlive",
                pb::LeaseKeepAliveRequest { id: lease },
            )
            .await?;
        let every = (ttl / 3).max(Duration::from_millis(300));
        loop {
            let reply = tokio::time::timeout(self.timeout, replies.message())
                .await
                .map_err(|_| unavailable("keepalive", "no reply"))?
                .map_err(|s| unavailable("keepalive", s.message()))?
                .ok_or_else(|| unavailable("keepalive", "stream ended"))?;
            if reply.ttl <= 0 {
                return Err(unavailable("keepalive", format!("lease {lease} expired")));
            }
            tokio::time::sleep(every).await;
            tx.send(pb::LeaseKeepAliveRequest { id: lease })
                .await
                .map_err(|_| unavailable("keepalive", "stream closed"))?;
        }
    }

    /// Keeps `key` registered: sessions one after another, with backoff,
    /// until aborted.
    pub(super) async fn keep_registered(
        self,
        key: String,
        value: Vec<u8>,
        ttl: Duration,
        registered: tokio::sync::oneshot::Sender<Result<(), Error>>,
    ) {
        let mut registered = Some(registered);
        let mut backoff = Duration::from_millis(100);
        loop {
            let started = std::time::Instant::now();
            if let Err(e) = self.session(&key, &value, ttl, &mut registered).await {
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
    pub(super) async fn feed(self, prefix: String, tx: watch::Sender<Snapshot>, mut revision: i64) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.watch_once(&prefix, &tx, &mut revision).await {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(e) => tracing::debug!(prefix, "etcd watch interrupted: {}", e.message()),
            }
            if tx.is_closed() {
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
            // Catch up on what changed while the watch was down.
            if let Ok((list, rev)) = self.range_prefix(&prefix).await {
                publish(&tx, list);
                revision = rev;
            }
        }
    }

    async fn watch_once(&self, prefix: &str, tx: &watch::Sender<Snapshot>, revision: &mut i64) -> Result<(), Error> {
        let create = pb::WatchRequest {
            request_union: Some(pb::WatchRequestUnion::CreateRequest(pb::WatchCreateRequest {
                key: prefix.as_bytes().to_vec(),
                range_end: prefix_end(prefix.as_bytes()),
                start_revision: *revision + 1,
            })),
        };
        let (_keep_open, mut replies) =
            self.stream::<_, pb::WatchResponse>("/etcdserverpb.Watch/Watch", create).await?;
        loop {
            let Some(reply) = replies.message().await.map_err(|s| unavailable("watch", s.message()))? else {
                return Err(unavailable("watch", "stream ended"));
            };
            if reply.canceled || reply.compact_revision > 0 {
                return Err(unavailable("watch", format!("canceled: {}", reply.cancel_reason)));
            }
            if reply.events.is_empty() {
                continue;
            }
            let (list, rev) = self.range_prefix(prefix).await?;
            *revision = rev.max(reply.header.map(|h| h.revision).unwrap_or_default());
            publish(tx, list);
        }
    }
}

/// The smallest key after every key starting with `prefix` (etcd's range end
/// for a prefix).
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_end_is_the_next_key_after_the_prefix() {
        assert_eq!(prefix_end(b"/ms/a/"), b"/ms/a0");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b"\xff\xff"), b"\0");
    }
}
