//! The client side: [`Signer`] makes tokens, [`Client`] sends one with
//! every call.

use std::fmt;
use std::time::Duration;

use http::header::{HeaderValue, AUTHORIZATION};
use serde_json::Value;

use super::keys::SigningKey;
use super::{bad_key, refuse, Claims, DEFAULT_TTL, SIGN_FAIL, WRONG_CONTEXT};
use crate::error::Error;
use crate::middleware::{AnyMessage, Context};

/// Makes tokens: claims, a key, and a lifetime counted from each signature.
///
/// On every [`sign`](Signer::sign), `iat` is set to now and `exp` to now plus
/// [`expires_in`](Signer::expires_in) (60 s by default), unless the claims
/// already carry them (an explicit claim wins).
///
/// ```
/// use std::time::Duration;
/// use bia::middleware::jwt::{Signer, SigningKey};
///
/// let signer = Signer::new(SigningKey::hs256("a secret of at least 32 bytes....").unwrap())
///     .subject("svc-orders")
///     .claim("roles", serde_json::json!(["reader"]))
///     .expires_in(Duration::from_secs(300));
/// let token = signer.sign().unwrap();
/// assert_eq!(token.split('.').count(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct Signer {
    key: SigningKey,
    claims: Claims,
    ttl: Duration,
    key_id: Option<String>,
}

impl Signer {
    /// Signs with `key`, no claims yet.
    pub fn new(key: SigningKey) -> Self {
        Self { key, claims: Claims::new(), ttl: DEFAULT_TTL, key_id: None }
    }

    /// Replaces the claims.
    #[must_use]
    pub fn claims(mut self, claims: Claims) -> Self {
        self.claims = claims;
        self
    }

    /// Sets one claim.
    #[must_use]
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name, value);
        self
    }

    /// Sets `sub`.
    #[must_use]
    pub fn subject(self, subject: impl Into<String>) -> Self {
        self.claim("sub", subject.into())
    }

    /// Sets `iss`.
    #[must_use]
    pub fn issuer(self, issuer: impl Into<String>) -> Self {
        self.claim("iss", issuer.into())
    }

    /// Sets `aud`.
    #[must_use]
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.claim("aud", audience.into())
    }

    /// The lifetime of each token (whole seconds, at least one).
    #[must_use]
    pub fn expires_in(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the header's `kid` (which key, when the server has several).
    #[must_use]
    pub fn key_id(mut self, kid: impl Into<String>) -> Self {
        self.key_id = Some(kid.into());
        self
    }

    /// One token, valid from now.
    pub fn sign(&self) -> Result<String, Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let mut claims = self.claims.0.clone();
        claims.entry("iat").or_insert_with(|| now.into());
        claims.entry("exp").or_insert_with(|| now.saturating_add(self.ttl.as_secs().max(1)).into());
        let mut header = jsonwebtoken::Header::new(self.key.alg.to_jwt());
        header.kid = self.key_id.clone();
        jsonwebtoken::encode(&header, &claims, &self.key.key).map_err(|e| refuse(SIGN_FAIL).with_cause(e))
    }
}

#[derive(Clone)]
enum Source {
    Fixed(HeaderValue),
    Signed(Signer),
}

/// The client middleware: sends `authorization: Bearer <token>` with every
/// call, on HTTP (a header) and gRPC (metadata).
///
/// ```no_run
/// use bia::middleware::jwt::{self, Signer, SigningKey};
/// # #[bia::message(package = "doc.v1")] pub struct Ping {}
/// # #[bia::service(package = "doc.v1")]
/// # pub trait Echo: Send + Sync + 'static { async fn ping(&self, req: Ping) -> bia::Result<Ping>; }
///
/// # async fn run() -> bia::Result<()> {
/// // A fresh token, signed for every call.
/// let signer = Signer::new(SigningKey::hs256("a secret of at least 32 bytes....")?).subject("svc-orders");
/// let client = EchoGrpcClient::connect("http://127.0.0.1:9000").await?.middleware(jwt::Client::signing(signer));
/// client.ping(Ping {}).await?;
///
/// // A token obtained elsewhere.
/// let http = EchoHttpClient::new("http://127.0.0.1:8000")?.middleware(jwt::Client::bearer("eyJ...")?);
/// http.ping(Ping {}).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    source: Source,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Fixed(_) => f.debug_struct("Client").field("token", &"<fixed>").finish(),
            Source::Signed(s) => f.debug_struct("Client").field("signer", s).finish(),
        }
    }
}

impl Client {
    /// Sends this token (without the `Bearer ` prefix) with every call.
    /// Fails when it cannot be a header value.
    pub fn bearer(token: impl AsRef<str>) -> Result<Self, Error> {
        let value = bearer_value(token.as_ref())
            .map_err(|_| bad_key("the JWT token contains characters a header cannot carry".into()))?;
        Ok(Self { source: Source::Fixed(value) })
    }

    /// Signs a fresh token for every call.
    pub fn signing(signer: Signer) -> Self {
        Self { source: Source::Signed(signer) }
    }
}

fn bearer_value(token: &str) -> Result<HeaderValue, http::header::InvalidHeaderValue> {
    let mut value = HeaderValue::try_from(format!("Bearer {}", token.trim()))?;
    value.set_sensitive(true);
    Ok(value)
}

impl Client {
    fn check(&self, ctx: &mut Context, _req: &AnyMessage) -> Result<(), Error> {
        if ctx.is_server() {
            return Err(refuse(WRONG_CONTEXT));
        }
        let value = match &self.source {
            Source::Fixed(v) => v.clone(),
            Source::Signed(signer) => bearer_value(&signer.sign()?).map_err(|e| refuse(SIGN_FAIL).with_cause(e))?,
        };
        ctx.request_headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }
}

guard!(Client);
