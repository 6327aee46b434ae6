//! The etcd calls the registry makes, through tonic like every other Bia
//! client: unary calls, bidirectional streams, and the registration and
//! watch loops built on them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tonic::metadata::{Ascii, MetadataValue};

use super::pb;
use crate::error::reason::{REGISTRY, TLS_HANDSHAKE};
use crate::error::Error;
use crate::registry::{publish, ServiceInstance, Snapshot};
use crate::tls::{ask_why, closed_early, handshake_failure, LoadedTls};

/// The etcd client calls (cheap to clone: a tonic channel).
#[derive(Clone)]
pub(super) struct Etcd {
    channel: tonic::transport::Channel,
    timeout: Duration,
    auth: Option<Arc<Auth>>,
    /// A TLS endpoint to ask why it refuses this client (see
    /// [`ask_why`]), with the settings it is reached with.
    tls: Option<Arc<(Arc<LoadedTls>, String, u16)>>,
}

/// etcd's user and password, and the token `Authenticate` gave for them.
pub(super) struct Auth {
    user: String,
    password: String,
    token: tokio::sync::Mutex<Option<MetadataValue<Ascii>>>,
}

impl Auth {
    pub(super) fn new(user: String, password: String) -> Self {
        Self { user, password, token: tokio::sync::Mutex::new(None) }
    }
}

/// The metadata key etcd reads a call's token from.
const TOKEN: &str = "token";

/// Whether etcd refused a call's token, so that authenticating again is
/// the fix: an expired or unknown token (`Unauthenticated`), or one made
/// before the users and roles last changed. etcd's own clients tell these
/// apart by the status message, which is part of etcd's API (its
/// `rpctypes`), so this does too.
fn token_refused(status: &tonic::Status) -> bool {
    const OLD_REVISION: &str = "etcdserver: revision of auth store is old";
    const USER_EMPTY: &str = "etcdserver: user name is empty";
    status.code() == tonic::Code::Unauthenticated
        || (status.code() == tonic::Code::InvalidArgument && matches!(status.message(), OLD_REVISION | USER_EMPTY))
}

fn unavailable(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::service_unavailable(REGISTRY, format!("etcd {what}: {detail}"))
}

/// A call that failed in transport: said as a failed TLS handshake when it
/// is one.
fn transport(what: &str, e: &(dyn std::error::Error + 'static), detail: impl std::fmt::Display) -> Error {
    match handshake_failure(e) {
        Some(why) => Error::service_unavailable(TLS_HANDSHAKE, format!("etcd {what}: TLS handshake failed: {why}")),
        None => unavailable(what, detail),
    }
}

/// The tonic request of `msg`, with the token when there is one.
fn request<T>(msg: T, token: Option<&MetadataValue<Ascii>>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(msg);
    if let Some(token) = token {
        request.metadata_mut().insert(TOKEN, token.clone());
    }
    request
}

impl Etcd {
    pub(super) fn new(
        channel: tonic::transport::Channel,
        timeout: Duration,
        auth: Option<Auth>,
        tls: Option<(Arc<LoadedTls>, String, u16)>,
    ) -> Self {
        Self { channel, timeout, auth: auth.map(Arc::new), tls: tls.map(Arc::new) }
    }

    /// A call that failed in transport, said as a failed TLS handshake when
    /// it is one; when the error says only that the connection closed, a
    /// TLS etcd is asked why (a TLS 1.3 server refuses a client certificate
    /// that way).
    async fn failed<E>(&self, what: &str, err: E, detail: String) -> Error
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        if handshake_failure(&err).is_none() && closed_early(&err) {
            if let Some((tls, host, port)) = self.tls.as_deref() {
                if let Some(why) = ask_why(tls, host, *port, &[b"h2"]).await {
                    return Error::service_unavailable(
                        TLS_HANDSHAKE,
                        format!("etcd {what}: TLS handshake failed: {why}"),
                    )
                    .with_cause(why);
                }
            }
        }
        transport(what, &err, detail)
    }

    pub(super) async fn unary<Req, Rep>(&self, path: &'static str, req: Req) -> Result<Rep, Error>
    where
        Req: prost::Message + Clone + Send + 'static,
        Rep: prost::Message + Default + Send + 'static,
    {
        self.call(path, |mut grpc, path, token| {
            let req = request(req.clone(), token.as_ref());
            async move { grpc.unary(req, path, tonic_prost::ProstCodec::<Req, Rep>::default()).await }
        })
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
        Req: prost::Message + Clone + Send + 'static,
        Rep: prost::Message + Default + Send + 'static,
    {
        let mut sender = None;
        let replies = self
            .call(path, |mut grpc, path, token| {
                // A channel per attempt: an attempt whose token was refused
                // took the one before with it.
                let (tx, rx) = tokio::sync::mpsc::channel::<Req>(4);
                let opened = tx.try_send(first.clone()).is_ok();
                sender = Some(tx);
                let outgoing =
                    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
                let req = request(outgoing, token.as_ref());
                async move {
                    if !opened {
                        return Err(tonic::Status::unavailable("stream closed"));
                    }
                    grpc.streaming(req, path, tonic_prost::ProstCodec::<Req, Rep>::default()).await
                }
            })
            .await?;
        let tx = sender.ok_or_else(|| unavailable(path, "stream not opened"))?;
        Ok((tx, replies))
    }

    /// One call of `path` within the timeout: `send` gets a ready client,
    /// the path and the token (with a user configured), and runs again once
    /// with a fresh token when etcd refuses the one it had.
    async fn call<T, F, Fut>(&self, path: &'static str, mut send: F) -> Result<T, Error>
    where
        F: FnMut(
            tonic::client::Grpc<tonic::transport::Channel>,
            http::uri::PathAndQuery,
            Option<MetadataValue<Ascii>>,
        ) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let call = async {
            let mut again = self.auth.is_some();
            loop {
                let token = self.token().await?;
                let mut grpc = tonic::client::Grpc::new(self.channel.clone());
                if let Err(e) = grpc.ready().await {
                    let detail = e.to_string();
                    return Err(self.failed(path, e, detail).await);
                }
                match send(grpc, http::uri::PathAndQuery::from_static(path), token.clone()).await {
                    Ok(reply) => return Ok(reply.into_inner()),
                    Err(status) if again && token_refused(&status) => {
                        again = false;
                        self.forget(token).await;
                    }
                    Err(status) => {
                        let detail = status.message().to_owned();
                        return Err(self.failed(path, status, detail).await);
                    }
                }
            }
        };
        tokio::time::timeout(self.timeout, call).await.map_err(|_| unavailable(path, "timed out"))?
    }

    /// The token to send: the one held, or a new one from `Authenticate`
    /// (one at a time: callers meanwhile wait for it); `None` without a user.
    async fn token(&self) -> Result<Option<MetadataValue<Ascii>>, Error> {
        let Some(auth) = &self.auth else { return Ok(None) };
        let mut held = auth.token.lock().await;
        if let Some(token) = held.as_ref() {
            return Ok(Some(token.clone()));
        }
        const PATH: &str = "/etcdserverpb.Auth/Authenticate";
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        if let Err(e) = grpc.ready().await {
            let detail = e.to_string();
            return Err(self.failed("authentication", e, detail).await);
        }
        let req = pb::AuthenticateRequest { name: auth.user.clone(), password: auth.password.clone() };
        let codec = tonic_prost::ProstCodec::<pb::AuthenticateRequest, pb::AuthenticateResponse>::default();
        // (The password never goes into an error.)
        let reply = match grpc.unary(tonic::Request::new(req), http::uri::PathAndQuery::from_static(PATH), codec).await
        {
            Ok(reply) => reply.into_inner(),
            Err(status) => {
                let detail = format!("as user `{}` refused: {}", auth.user, status.message());
                return Err(self.failed("authentication", status, detail).await);
            }
        };
        let token = MetadataValue::try_from(reply.token)
            .map_err(|_| unavailable("authentication", "the token is not a header value"))?;
        *held = Some(token.clone());
        Ok(Some(token))
    }

    /// Drops `stale` (a token etcd refused), unless another call already
    /// replaced it.
    async fn forget(&self, stale: Option<MetadataValue<Ascii>>) {
        let Some(auth) = &self.auth else { return };
        let mut held = auth.token.lock().await;
        if *held == stale {
            *held = None;
        }
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
