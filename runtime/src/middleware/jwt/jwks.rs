//! [`Jwks`]: verifying keys fetched from a JWKS URL (RFC 7517), cached,
//! refreshed on an interval and when a token names a key the cache does not
//! hold.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;

use super::bad_key;
use super::keys::VerifyingKey;
use crate::error::Error;
use crate::tls::{handshake_failure, ClientTls};

/// The default period between two fetches of the key set.
const DEFAULT_REFRESH: Duration = Duration::from_secs(300);
/// The default shortest gap between two fetches a token can cause.
const DEFAULT_MIN_REFRESH: Duration = Duration::from_secs(10);
/// The default time one fetch may take.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest key set read; a JWKS of a few keys is a few KiB.
const MAX_BYTES: usize = 1 << 20;

/// Verifying keys from a JWKS URL, for [`Server::jwks`](super::Server::jwks).
///
/// * **Fetch.** [`fetch`](Jwks::fetch) reads the key set now: call it at
///   start so an unreachable or empty JWKS fails the start with a clear
///   error. A `Jwks` never fetched starts empty and fetches on the first
///   token (refusing it with 401 if the JWKS cannot be read).
/// * **Cache and refresh.** The keys are kept in memory and fetched again
///   every [`refresh_interval`](Jwks::refresh_interval) (5 min) in the
///   background; a failed refresh keeps the keys it had and is logged.
/// * **Rotation.** A token whose `kid` is not in the cache makes the
///   middleware fetch at once, then look again: a new key works as soon as
///   it is published, and a key removed from the set is refused after the
///   next fetch. Such fetches are rate-limited: none within
///   [`min_refresh_interval`](Jwks::min_refresh_interval) (10 s) of the
///   last fetch of any kind, and calls arriving during a fetch wait for it,
///   so a flood of tokens with made-up `kid`s cannot hammer the JWKS server:
///   they get 401.
/// * **Keys.** `RSA` (`RS*`, `PS*`), `EC` P-256 / P-384 (`ES256`, `ES384`)
///   and `OKP` Ed25519 (`EdDSA`) keys, selected by `kid`; each key accepts
///   only its own algorithm (its `alg`, or its curve's, `RS256` for an RSA
///   key without one). Shared secrets (`kty: oct`), encryption keys and
///   other curves are skipped. A token without `kid` is accepted when the
///   set holds exactly one key.
/// * **Transport.** `https://` URLs over TLS (trusting the system's CA
///   certificates, or what [`Jwks::with_tls`] says), or `http://` on a
///   trusted network; `user:password@` in the URL is sent as Basic
///   authorization. Neither the credentials nor the query appear in logs or
///   errors. A failed TLS handshake fails the fetch, saying why.
///
/// ```no_run
/// use bia::middleware::jwt::{self, Jwks};
///
/// # async fn run() -> bia::Result<()> {
/// let jwks = Jwks::new("https://auth.example.com/.well-known/jwks.json")?;
/// jwks.fetch().await?; // fail the start when the keys cannot be read
/// let auth = jwt::Server::jwks(jwks).issuer("https://auth.example.com");
/// let _app = bia::App::new("orders").middleware(auth);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Jwks {
    state: Arc<State>,
    settings: Settings,
}

#[derive(Clone, Copy)]
struct Settings {
    refresh: Duration,
    min_refresh: Duration,
    timeout: Duration,
}

struct State {
    /// The URL without its credentials (the client's pool logs its authority).
    uri: http::Uri,
    /// `Authorization: Basic` from the URL's `user:password@`, if it had one.
    basic: Option<HeaderValue>,
    /// `scheme://host:port/path`: what logs and errors show of the URL.
    shown: String,
    client: Fetcher,
    keys: RwLock<Arc<KeySet>>,
    /// One fetch at a time; callers that need one wait for it.
    fetching: tokio::sync::Mutex<()>,
    /// When the last fetch started (the rate limit counts from there).
    last_attempt: Mutex<Option<Instant>>,
    /// Whether the refresh task runs.
    timer: AtomicBool,
}

/// The HTTP client of a JWKS URL: plaintext, or over TLS.
enum Fetcher {
    Plain(HyperClient<HttpConnector, Empty<Bytes>>),
    Tls(HyperClient<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>),
}

impl Fetcher {
    fn request(&self, request: http::Request<Empty<Bytes>>) -> hyper_util::client::legacy::ResponseFuture {
        match self {
            Fetcher::Plain(client) => client.request(request),
            Fetcher::Tls(client) => client.request(request),
        }
    }
}

/// The keys of one fetch.
#[derive(Default)]
pub(super) struct KeySet {
    keys: Vec<(Option<String>, VerifyingKey)>,
    /// Why the set is empty: the last fetch's error (for the 401's cause).
    failure: Option<String>,
}

impl KeySet {
    /// Whether no key is held (never fetched, or every fetch failed).
    pub(super) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key a token's `kid` names; a token without one may use the only
    /// key of a set of one.
    pub(super) fn find(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        match kid {
            Some(kid) => self.keys.iter().find(|(k, _)| k.as_deref() == Some(kid)).map(|(_, key)| key),
            None if self.keys.len() == 1 => Some(&self.keys[0].1),
            None => None,
        }
    }

    /// Why `find(kid)` found nothing, for the 401's cause.
    pub(super) fn miss(&self, kid: Option<&str>, jwks: &Jwks) -> String {
        let url = &jwks.state.shown;
        match (kid, &self.failure) {
            (_, Some(failure)) if self.keys.is_empty() => format!("no keys from the JWKS at {url}: {failure}"),
            (Some(kid), _) => format!("the JWKS at {url} has no key `{}`", kid.escape_debug()),
            (None, _) => format!("the token names no `kid` and the JWKS at {url} holds {} keys", self.keys.len()),
        }
    }
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwks")
            .field("url", &self.state.shown)
            .field("keys", &self.key_ids())
            .field("refresh_interval", &self.settings.refresh)
            .field("min_refresh_interval", &self.settings.min_refresh)
            .finish()
    }
}

impl Jwks {
    /// The key set at `url` (`https://host/path`, trusting the system's CA
    /// certificates, or `http://host:port/path`), not fetched yet. Fails for
    /// a URL that is not `https://` or `http://` with a host.
    ///
    /// ```
    /// use bia::middleware::jwt::Jwks;
    ///
    /// let jwks = Jwks::new("http://127.0.0.1:8080/jwks.json").unwrap();
    /// assert!(jwks.key_ids().is_empty()); // nothing fetched yet
    /// assert_eq!(Jwks::new("not a url").unwrap_err().reason(), "BAD_JWT_KEY");
    /// ```
    pub fn new(url: impl AsRef<str>) -> Result<Self, Error> {
        Self::make(url.as_ref(), None)
    }

    /// The key set at an `https://` `url`, fetched with these TLS settings:
    /// the CA of the JWKS server's certificate, a client certificate, a
    /// server name (see [`ClientTls`]). Fails with reason `TLS_CONFIG` when
    /// they do not load.
    ///
    /// ```no_run
    /// use bia::middleware::jwt::Jwks;
    /// use bia::tls::ClientTls;
    ///
    /// let jwks = Jwks::with_tls("https://auth.internal:8443/jwks.json", ClientTls::new().ca_file("auth-ca.crt")).unwrap();
    /// # let _ = jwks;
    /// ```
    pub fn with_tls(url: impl AsRef<str>, tls: ClientTls) -> Result<Self, Error> {
        Self::make(url.as_ref(), Some(tls))
    }

    fn make(url: &str, tls: Option<ClientTls>) -> Result<Self, Error> {
        let uri: http::Uri = url.parse().map_err(|_| bad_key("the JWKS URL is not a URL".to_owned()))?;
        let (Some(scheme), Some(shown)) = (uri.scheme_str().map(str::to_owned), shown_uri(&uri)) else {
            return Err(bad_key("the JWKS URL needs a scheme and a host: http://host:port/path".to_owned()));
        };
        let (uri, basic) = split_credentials(uri)?;
        let builder = HyperClient::builder(hyper_util::rt::TokioExecutor::new());
        let client = match scheme.as_str() {
            "http" => Fetcher::Plain(builder.build_http()),
            "https" => {
                let loaded = tls.unwrap_or_default().load()?;
                let connector =
                    hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(loaded.rustls(&[])?).https_only();
                let connector = match loaded.server_name() {
                    Some(name) => {
                        connector.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name.clone()))
                    }
                    None => connector,
                };
                Fetcher::Tls(builder.build(connector.enable_all_versions().build()))
            }
            other => return Err(bad_key(format!("the JWKS URL's scheme `{other}` is not https or http"))),
        };
        let state = State {
            uri,
            basic,
            shown,
            client,
            keys: RwLock::new(Arc::new(KeySet::default())),
            fetching: tokio::sync::Mutex::new(()),
            last_attempt: Mutex::new(None),
            timer: AtomicBool::new(false),
        };
        let settings =
            Settings { refresh: DEFAULT_REFRESH, min_refresh: DEFAULT_MIN_REFRESH, timeout: DEFAULT_TIMEOUT };
        Ok(Self { state: Arc::new(state), settings })
    }

    /// How often the key set is fetched again in the background (default
    /// 5 min; at least 1 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use bia::middleware::jwt::Jwks;
    ///
    /// let jwks = Jwks::new("http://127.0.0.1:8080/jwks.json").unwrap().refresh_interval(Duration::from_secs(60));
    /// # let _ = jwks;
    /// ```
    #[must_use]
    pub fn refresh_interval(mut self, every: Duration) -> Self {
        self.settings.refresh = every.max(Duration::from_secs(1));
        self
    }

    /// The shortest gap between two fetches that tokens with an unknown
    /// `kid` cause (default 10 s): the rate limit that protects the JWKS
    /// server from a flood of made-up `kid`s.
    ///
    /// ```
    /// use std::time::Duration;
    /// use bia::middleware::jwt::Jwks;
    ///
    /// let jwks = Jwks::new("http://127.0.0.1:8080/jwks.json").unwrap().min_refresh_interval(Duration::from_secs(30));
    /// # let _ = jwks;
    /// ```
    #[must_use]
    pub fn min_refresh_interval(mut self, gap: Duration) -> Self {
        self.settings.min_refresh = gap;
        self
    }

    /// How long one fetch may take, connection included (default 5 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use bia::middleware::jwt::Jwks;
    ///
    /// let jwks = Jwks::new("http://127.0.0.1:8080/jwks.json").unwrap().timeout(Duration::from_secs(2));
    /// # let _ = jwks;
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The URL as logs and errors show it: no credentials, no query.
    ///
    /// ```
    /// use bia::middleware::jwt::Jwks;
    ///
    /// let jwks = Jwks::new("http://user:pass@127.0.0.1:8080/jwks.json?token=abc").unwrap();
    /// assert_eq!(jwks.url(), "http://127.0.0.1:8080/jwks.json");
    /// ```
    pub fn url(&self) -> &str {
        &self.state.shown
    }

    /// The `kid`s of the keys held now.
    ///
    /// ```
    /// use bia::middleware::jwt::Jwks;
    ///
    /// assert!(Jwks::new("http://127.0.0.1:8080/jwks.json").unwrap().key_ids().is_empty());
    /// ```
    pub fn key_ids(&self) -> Vec<String> {
        self.current().keys.iter().filter_map(|(kid, _)| kid.clone()).collect()
    }

    /// Fetches the key set now (waiting for a fetch already in flight to end
    /// first) and starts the background refresh. Returns how many usable
    /// keys it holds; fails, keeping the keys it had, when the JWKS cannot
    /// be read or holds no usable key. Call it at start.
    ///
    /// ```no_run
    /// # async fn run() -> bia::Result<()> {
    /// let jwks = bia::middleware::jwt::Jwks::new("http://127.0.0.1:8080/jwks.json")?;
    /// let count = jwks.fetch().await?;
    /// assert!(count > 0);
    /// # Ok(()) }
    /// ```
    pub async fn fetch(&self) -> Result<usize, Error> {
        let result = {
            let _one = self.state.fetching.lock().await;
            self.fetch_locked().await
        };
        self.start_timer();
        result
    }

    pub(super) fn current(&self) -> Arc<KeySet> {
        Arc::clone(&self.state.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// After a token named a key the cache lacks: fetches again unless a
    /// fetch started less than `min_refresh_interval` ago (or is in flight:
    /// then waits for it), and returns the keys to look in again.
    pub(super) async fn refresh_for_unknown_kid(&self) -> Arc<KeySet> {
        {
            let _one = self.state.fetching.lock().await;
            let recent = self.last_attempt().is_some_and(|t| t.elapsed() < self.settings.min_refresh);
            if !recent {
                if let Err(e) = self.fetch_locked().await {
                    tracing::warn!(jwks = %self.state.shown, "JWKS refresh for an unknown key failed: {}", e.message());
                }
            }
        }
        self.start_timer();
        self.current()
    }

    fn last_attempt(&self) -> Option<Instant> {
        *self.state.last_attempt.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One fetch; the caller holds `fetching`.
    async fn fetch_locked(&self) -> Result<usize, Error> {
        *self.state.last_attempt.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        let result = self.download().await.and_then(|body| self.parse(&body));
        let mut keys = self.state.keys.write().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(set) => {
                let count = set.len();
                *keys = Arc::new(KeySet { keys: set, failure: None });
                Ok(count)
            }
            Err(e) => {
                if keys.keys.is_empty() {
                    *keys = Arc::new(KeySet { keys: Vec::new(), failure: Some(e.message().to_owned()) });
                }
                Err(e)
            }
        }
    }

    async fn download(&self) -> Result<Bytes, Error> {
        let url = &self.state.shown;
        let mut request =
            http::Request::get(self.state.uri.clone()).header(ACCEPT, "application/jwk-set+json, application/json");
        if let Some(basic) = &self.state.basic {
            request = request.header(AUTHORIZATION, basic.clone());
        }
        let request = request
            .body(Empty::new())
            .map_err(|e| bad_key(format!("cannot make the request for the JWKS at {url}: {e}")))?;
        let call = async {
            let reply = self.state.client.request(request).await.map_err(|e| {
                let why = match handshake_failure(&e) {
                    Some(why) => format!("TLS handshake failed: {why}"),
                    None => error_chain(&e),
                };
                bad_key(format!("the JWKS at {url} cannot be fetched: {why}")).with_cause(e)
            })?;
            if !reply.status().is_success() {
                return Err(bad_key(format!("the JWKS at {url} answered {}", reply.status())));
            }
            let body = Limited::new(reply.into_body(), MAX_BYTES)
                .collect()
                .await
                .map_err(|e| bad_key(format!("the JWKS at {url} cannot be read: {e}")))?;
            Ok(body.to_bytes())
        };
        tokio::time::timeout(self.settings.timeout, call)
            .await
            .map_err(|_| bad_key(format!("the JWKS at {url} did not answer within {:?}", self.settings.timeout)))?
    }

    /// The usable keys of a JWKS document; fails when it has none.
    fn parse(&self, body: &[u8]) -> Result<Vec<(Option<String>, VerifyingKey)>, Error> {
        #[derive(serde::Deserialize)]
        struct Set {
            keys: Vec<serde_json::Value>,
        }
        let url = &self.state.shown;
        let set: Set = serde_json::from_slice(body).map_err(|e| {
            bad_key(format!("the JWKS at {url} is not a JSON key set (line {}, column {})", e.line(), e.column()))
        })?;
        let mut keys = Vec::with_capacity(set.keys.len());
        for jwk in &set.keys {
            let kid = jwk.get("kid").and_then(serde_json::Value::as_str).map(str::to_owned);
            match VerifyingKey::from_jwk(jwk) {
                Ok(key) => keys.push((kid, key)),
                Err(e) => tracing::debug!(jwks = %url, kid = ?kid, "skipping a JWKS key: {}", e.message()),
            }
        }
        if keys.is_empty() {
            return Err(bad_key(format!(
                "the JWKS at {url} holds no usable key ({} listed; Bia takes RSA, EC P-256/P-384 and Ed25519 \
                 signature keys)",
                set.keys.len()
            )));
        }
        Ok(keys)
    }

    /// Starts the background refresh once, inside a Tokio runtime; it ends
    /// when the last handle on this key set is dropped (or its runtime
    /// stops: the next fetch starts it again).
    fn start_timer(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if self.state.timer.swap(true, Ordering::AcqRel) {
            return;
        }
        /// Clears the flag when the task ends, however it ends.
        struct Running(Weak<State>);
        impl Drop for Running {
            fn drop(&mut self) {
                if let Some(state) = self.0.upgrade() {
                    state.timer.store(false, Ordering::Release);
                }
            }
        }
        let running = Running(Arc::downgrade(&self.state));
        let settings = self.settings;
        runtime.spawn(async move {
            let running = running;
            loop {
                let since = running
                    .0
                    .upgrade()
                    .and_then(|state| *state.last_attempt.lock().unwrap_or_else(PoisonError::into_inner));
                let due = since.map_or_else(Instant::now, |t| t + settings.refresh);
                tokio::time::sleep_until(due.into()).await;
                let Some(state) = running.0.upgrade() else { break };
                let jwks = Jwks { state, settings };
                let _one = jwks.state.fetching.lock().await;
                // A fetch a token caused meanwhile moved the schedule.
                if jwks.last_attempt().is_some_and(|t| t.elapsed() < settings.refresh) {
                    continue;
                }
                if let Err(e) = jwks.fetch_locked().await {
                    tracing::warn!(jwks = %jwks.state.shown, "JWKS refresh failed; keeping the keys: {}", e.message());
                }
            }
        });
    }
}

/// `scheme://host:port/path` of a URL: what may be shown of it (its
/// credentials and query may be secrets).
fn shown_uri(uri: &http::Uri) -> Option<String> {
    let (scheme, authority) = (uri.scheme_str()?, uri.authority()?);
    let port = authority.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{scheme}://{}{port}{}", authority.host(), uri.path()))
}

/// The URL without `user:password@`, and those as a (sensitive) Basic
/// authorization header.
fn split_credentials(uri: http::Uri) -> Result<(http::Uri, Option<HeaderValue>), Error> {
    use base64::Engine as _;
    let Some((userinfo, host)) =
        uri.authority().and_then(|a| a.as_str().rsplit_once('@')).map(|(u, h)| (u.to_owned(), h.to_owned()))
    else {
        return Ok((uri, None));
    };
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let (user, password) = userinfo.split_once(':').unwrap_or((&userinfo, ""));
    let credentials = format!("{}:{}", decode(user), decode(password));
    let mut basic =
        HeaderValue::try_from(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials)))
            .map_err(|_| bad_key("the JWKS URL's credentials cannot be sent".to_owned()))?;
    basic.set_sensitive(true);
    let mut parts = uri.into_parts();
    parts.authority = Some(host.parse().map_err(|_| bad_key("the JWKS URL's host is not valid".to_owned()))?);
    let uri = http::Uri::from_parts(parts).map_err(|_| bad_key("the JWKS URL is not valid".to_owned()))?;
    Ok((uri, Some(basic)))
}

/// What may be shown of a URL given as text (`<not a URL>` when it is not one).
pub(super) fn shown_url(url: &str) -> String {
    url.parse().ok().and_then(|uri| shown_uri(&uri)).unwrap_or_else(|| "<not a URL>".to_owned())
}

/// An error and its sources, `: `-separated (hyper's own text is only
/// "client error (Connect)").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
