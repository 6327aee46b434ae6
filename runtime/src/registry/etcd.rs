//! The etcd registry (the `etcd` cargo feature): instances under `<namespace>/<name>/<id>` on a lease
//! kept alive in the background, watched with etcd's watch stream.
//!
//! The etcd v3 API is gRPC; the handful of messages and fields this registry
//! uses are declared below with prost's derive and etcd's field numbers, so
//! the registry needs no `protoc` at build time (the etcd-client crate
//! compiles etcd's `.proto` files in its build script, which a machine with
//! only Rust cannot do) and no second gRPC stack: calls go through tonic
//! like every other Bia client.
//!
//! ```ignore
//! // needs the `etcd` feature; tests/tests/registry_etcd.rs runs the same calls
//! use std::sync::Arc;
//! use bia::registry::etcd::{EtcdConfig, EtcdRegistry};
//!
//! # async fn run() -> bia::Result<()> {
//! let registry = Arc::new(EtcdRegistry::new(EtcdConfig::new(["http://127.0.0.1:2379"]))?);
//! let app = bia::App::new("user-service").registrar(registry.clone());
//! // ... and clients: bia::client::Dial::new("discovery:///user-service").discovery(registry)
//! # drop(app); Ok(()) }
//! ```

use std::time::Duration;

#[cfg(feature = "etcd")]
pub use client::EtcdRegistry;

/// Where etcd is and how instances are kept there (the `registry.etcd`
/// section of a config).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EtcdConfig {
    /// etcd's client URLs (`http://127.0.0.1:2379`).
    pub endpoints: Vec<String>,
    /// The key prefix (default `/microservices`).
    pub namespace: String,
    /// The lease TTL: how long a crashed instance stays listed (default 15 s;
    /// the keepalive runs every third of it).
    #[serde(with = "humantime_serde")]
    pub ttl: Duration,
    /// How long one etcd call may take (default 3 s).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for EtcdConfig {
    fn default() -> Self {
        EtcdConfig {
            endpoints: vec!["http://127.0.0.1:2379".to_owned()],
            namespace: "/microservices".to_owned(),
            ttl: Duration::from_secs(15),
            timeout: Duration::from_secs(3),
        }
    }
}

impl EtcdConfig {
    /// The defaults with these endpoints.
    pub fn new<S: Into<String>>(endpoints: impl IntoIterator<Item = S>) -> Self {
        EtcdConfig { endpoints: endpoints.into_iter().map(Into::into).collect(), ..EtcdConfig::default() }
    }

    /// Sets the lease TTL.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the key prefix.
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }
}

/// The registry itself; compiled with the `etcd` feature (it links tonic's
/// client stack, which a service that does not use etcd need not carry).
#[cfg(feature = "etcd")]
mod client {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use tokio::sync::watch;

    use super::EtcdConfig;
    use crate::error::Error;
    use crate::registry::{publish, AbortOnDrop, BoxFuture, Discovery, Registrar, ServiceInstance, Snapshot, Watcher};

    /// The etcd v3 messages the registry uses: a subset of each message's
    /// fields, with etcd's field numbers, declared with prost's derive (so no
    /// `protoc` at build time).
    mod pb {
        #![allow(missing_docs)]

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct ResponseHeader {
            #[prost(int64, tag = "3")]
            pub revision: i64,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct KeyValue {
            #[prost(bytes = "vec", tag = "1")]
            pub key: Vec<u8>,
            #[prost(bytes = "vec", tag = "5")]
            pub value: Vec<u8>,
            #[prost(int64, tag = "6")]
            pub lease: i64,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct Event {
            /// PUT = 0, DELETE = 1.
            #[prost(int32, tag = "1")]
            pub kind: i32,
            #[prost(message, optional, tag = "2")]
            pub kv: Option<KeyValue>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct RangeRequest {
            #[prost(bytes = "vec", tag = "1")]
            pub key: Vec<u8>,
            #[prost(bytes = "vec", tag = "2")]
            pub range_end: Vec<u8>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct RangeResponse {
            #[prost(message, optional, tag = "1")]
            pub header: Option<ResponseHeader>,
            #[prost(message, repeated, tag = "2")]
            pub kvs: Vec<KeyValue>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct PutRequest {
            #[prost(bytes = "vec", tag = "1")]
            pub key: Vec<u8>,
            #[prost(bytes = "vec", tag = "2")]
            pub value: Vec<u8>,
            #[prost(int64, tag = "3")]
            pub lease: i64,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct PutResponse {
            #[prost(message, optional, tag = "1")]
            pub header: Option<ResponseHeader>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct DeleteRangeRequest {
            #[prost(bytes = "vec", tag = "1")]
            pub key: Vec<u8>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct DeleteRangeResponse {
            #[prost(int64, tag = "2")]
            pub deleted: i64,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct LeaseGrantRequest {
            #[prost(int64, tag = "1")]
            pub ttl: i64,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct LeaseGrantResponse {
            #[prost(int64, tag = "2")]
            pub id: i64,
            #[prost(int64, tag = "3")]
            pub ttl: i64,
            #[prost(string, tag = "4")]
            pub error: String,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct LeaseKeepAliveRequest {
            #[prost(int64, tag = "1")]
            pub id: i64,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct LeaseKeepAliveResponse {
            #[prost(int64, tag = "2")]
            pub id: i64,
            #[prost(int64, tag = "3")]
            pub ttl: i64,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct WatchCreateRequest {
            #[prost(bytes = "vec", tag = "1")]
            pub key: Vec<u8>,
            #[prost(bytes = "vec", tag = "2")]
            pub range_end: Vec<u8>,
            #[prost(int64, tag = "3")]
            pub start_revision: i64,
        }

        #[derive(Clone, PartialEq, prost::Oneof)]
        pub enum WatchRequestUnion {
            #[prost(message, tag = "1")]
            CreateRequest(WatchCreateRequest),
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct WatchRequest {
            #[prost(oneof = "WatchRequestUnion", tags = "1")]
            pub request_union: Option<WatchRequestUnion>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct WatchResponse {
            #[prost(message, optional, tag = "1")]
            pub header: Option<ResponseHeader>,
            #[prost(bool, tag = "3")]
            pub created: bool,
            #[prost(bool, tag = "4")]
            pub canceled: bool,
            #[prost(int64, tag = "5")]
            pub compact_revision: i64,
            #[prost(string, tag = "6")]
            pub cancel_reason: String,
            #[prost(message, repeated, tag = "11")]
            pub events: Vec<Event>,
        }
    }

    /// The etcd client calls (cheap to clone: a tonic channel).
    #[derive(Clone)]
    struct Etcd {
        channel: tonic::transport::Channel,
        timeout: Duration,
    }

    fn unavailable(what: &str, detail: impl std::fmt::Display) -> Error {
        Error::service_unavailable("REGISTRY", format!("etcd {what}: {detail}"))
    }

    impl Etcd {
        async fn unary<Req, Rep>(&self, path: &'static str, req: Req) -> Result<Rep, Error>
        where
            Req: prost::Message + Send + 'static,
            Rep: prost::Message + Default + Send + 'static,
        {
            let call = async {
                let mut grpc = tonic::client::Grpc::new(self.channel.clone());
                grpc.ready().await.map_err(|e| unavailable(path, e))?;
                let codec = tonic_prost::ProstCodec::<Req, Rep>::default();
                grpc.unary(tonic::Request::new(req), http::uri::PathAndQuery::from_static(path), codec)
                    .await
                    .map(tonic::Response::into_inner)
                    .map_err(|s| unavailable(path, s.message()))
            };
            tokio::time::timeout(self.timeout, call).await.map_err(|_| unavailable(path, "timed out"))?
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
            let call = async {
                let mut grpc = tonic::client::Grpc::new(self.channel.clone());
                grpc.ready().await.map_err(|e| unavailable(path, e))?;
                let codec = tonic_prost::ProstCodec::<Req, Rep>::default();
                grpc.streaming(tonic::Request::new(outgoing), http::uri::PathAndQuery::from_static(path), codec)
                    .await
                    .map(tonic::Response::into_inner)
                    .map_err(|s| unavailable(path, s.message()))
            };
            let replies =
                tokio::time::timeout(self.timeout, call).await.map_err(|_| unavailable(path, "timed out"))??;
            Ok((tx, replies))
        }

        async fn range_prefix(&self, prefix: &str) -> Result<(Vec<ServiceInstance>, i64), Error> {
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
        async fn keep_registered(
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
        async fn feed(self, prefix: String, tx: watch::Sender<Snapshot>, mut revision: i64) {
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

        async fn watch_once(
            &self,
            prefix: &str,
            tx: &watch::Sender<Snapshot>,
            revision: &mut i64,
        ) -> Result<(), Error> {
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
        /// for it (watchers).
        pub fn new(config: EtcdConfig) -> Result<Self, Error> {
            if config.endpoints.is_empty() {
                return Err(Error::internal_server("CONFIG", "the etcd registry needs at least one endpoint"));
            }
            let mut endpoints = Vec::new();
            for url in &config.endpoints {
                let e = tonic::transport::Endpoint::from_shared(url.clone())
                    .map_err(|e| Error::internal_server("CONFIG", format!("invalid etcd endpoint `{url}`: {e}")))?
                    .connect_timeout(config.timeout)
                    .tcp_nodelay(true);
                endpoints.push(e);
            }
            let channel = if endpoints.len() == 1 {
                endpoints.remove(0).connect_lazy()
            } else {
                tonic::transport::Channel::balance_list(endpoints.into_iter())
            };
            Ok(EtcdRegistry { etcd: Etcd { channel, timeout: config.timeout }, config, sessions: Mutex::default() })
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
                    .map_err(|e| Error::internal_server("REGISTRY", format!("cannot encode the instance: {e}")))?;
                let (tx, rx) = tokio::sync::oneshot::channel();
                let task = tokio::spawn(self.etcd.clone().keep_registered(key.clone(), value, self.config.ttl, tx));
                let task = AbortOnDrop(task);
                match tokio::time::timeout(self.config.timeout, rx).await {
                    Ok(Ok(Ok(()))) => {
                        self.sessions().insert(key, task);
                        Ok(())
                    }
                    _ => Err(Error::service_unavailable(
                        "REGISTRY",
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
}
