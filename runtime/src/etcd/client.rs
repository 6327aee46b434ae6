//! The etcd calls Bia makes, through tonic like every other Bia client:
//! unary calls and bidirectional streams with etcd's auth token, a range of
//! keys, and a watch. The registry's loops (`registry::etcd`) and the config
//! source in etcd (`config`) are built on them.

use std::sync::Arc;
use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};

use super::{pb, EtcdConfig};
use crate::error::reason::{CONFIG, TLS_CONFIG, TLS_HANDSHAKE};
use crate::error::Error;
use crate::tls::{ask_why, closed_early, handshake_failure, LoadedTls};

/// The etcd client calls (cheap to clone: a tonic channel).
#[derive(Clone)]
pub(crate) struct Etcd {
    channel: tonic::transport::Channel,
    timeout: Duration,
    /// The reason of the errors of its calls (`REGISTRY`, `CONFIG`): what
    /// the caller uses etcd for.
    reason: &'static str,
    auth: Option<Arc<Auth>>,
    /// A TLS endpoint to ask why it refuses this client (see
    /// [`ask_why`]), with the settings it is reached with.
    tls: Option<Arc<(Arc<LoadedTls>, String, u16)>>,
}

/// etcd's user and password, and the token `Authenticate` gave for them.
struct Auth {
    user: String,
    password: String,
    token: tokio::sync::Mutex<Option<MetadataValue<Ascii>>>,
}

impl Auth {
    fn new(user: String, password: String) -> Self {
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

/// The tonic request of `msg`, with the token when there is one.
fn request<T>(msg: T, token: Option<&MetadataValue<Ascii>>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(msg);
    if let Some(token) = token {
        request.metadata_mut().insert(TOKEN, token.clone());
    }
    request
}

impl Etcd {
    /// A client of the etcd at `config.endpoints`, its errors with `reason`.
    /// It connects lazily, so it is made even while etcd is down; calls then
    /// fail within the timeout. TLS settings that do not load fail here
    /// (reason `TLS_CONFIG`), as do no endpoint, a user without a password
    /// and TLS settings given for an `http://` endpoint (reason `CONFIG`).
    pub(crate) fn connect(config: &EtcdConfig, reason: &'static str) -> Result<Self, Error> {
        if config.endpoints.is_empty() {
            return Err(Error::internal_server(CONFIG, "etcd needs at least one endpoint"));
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
                    peer = Some(Arc::new((Arc::clone(&loaded), host, uri.port_u16().unwrap_or(2379))));
                }
                e = e
                    .tls_config(loaded.tonic())
                    .map_err(|e| Error::internal_server(TLS_CONFIG, format!("etcd TLS for `{url}`: {e}")))?;
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
        Ok(Self { channel, timeout: config.timeout, reason, auth: auth.map(Arc::new), tls: peer })
    }

    /// The timeout of one call.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// An error of a call: etcd is unavailable for `what`.
    pub(crate) fn unavailable(&self, what: &str, detail: impl std::fmt::Display) -> Error {
        Error::service_unavailable(self.reason, format!("etcd {what}: {detail}"))
    }

    /// A call that failed in transport: said as a failed TLS handshake when
    /// it is one.
    fn transport(&self, what: &str, e: &(dyn std::error::Error + 'static), detail: impl std::fmt::Display) -> Error {
        match handshake_failure(e) {
            Some(why) => Error::service_unavailable(TLS_HANDSHAKE, format!("etcd {what}: TLS handshake failed: {why}")),
            None => self.unavailable(what, detail),
        }
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
        self.transport(what, &err, detail)
    }

    pub(crate) async fn unary<Req, Rep>(&self, path: &'static str, req: Req) -> Result<Rep, Error>
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
    pub(crate) async fn stream<Req, Rep>(
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
        let tx = sender.ok_or_else(|| self.unavailable(path, "stream not opened"))?;
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
        tokio::time::timeout(self.timeout, call).await.map_err(|_| self.unavailable(path, "timed out"))?
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
            .map_err(|_| self.unavailable("authentication", "the token is not a header value"))?;
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

    /// The keys from `key` up to `range_end` (just `key` when empty), and
    /// the store's revision they were read at.
    pub(crate) async fn range(&self, key: &[u8], range_end: Vec<u8>) -> Result<(Vec<pb::KeyValue>, i64), Error> {
        let rep: pb::RangeResponse =
            self.unary("/etcdserverpb.KV/Range", pb::RangeRequest { key: key.to_vec(), range_end }).await?;
        Ok((rep.kvs, rep.header.map(|h| h.revision).unwrap_or_default()))
    }

    /// A watch of the keys from `key` up to `range_end`, from `revision`
    /// on: its replies (the events), and the sender that keeps the watch
    /// open while held.
    pub(crate) async fn watch(
        &self,
        key: &[u8],
        range_end: Vec<u8>,
        revision: i64,
    ) -> Result<(tokio::sync::mpsc::Sender<pb::WatchRequest>, tonic::Streaming<pb::WatchResponse>), Error> {
        let create = pb::WatchRequest {
            request_union: Some(pb::WatchRequestUnion::CreateRequest(pb::WatchCreateRequest {
                key: key.to_vec(),
                range_end,
                start_revision: revision,
            })),
        };
        self.stream("/etcdserverpb.Watch/Watch", create).await
    }
}

/// The smallest key after every key starting with `prefix` (etcd's range end
/// for a prefix).
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
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
