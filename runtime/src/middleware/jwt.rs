//! JWT authentication (Kratos `middleware/auth/jwt`): a [`Server`] middleware
//! that checks `Authorization: Bearer <token>` on both transports (the HTTP
//! header, the gRPC `authorization` metadata), and a [`Client`] middleware that
//! attaches a token (a fixed one, or one it signs for every call).
//!
//! * The key fixes the algorithm. A [`VerifyingKey`] built for RS256 accepts
//!   RS256 tokens only: `alg: none`, and an HS256 token whose secret is the RSA
//!   public key (the "algorithm confusion" attack), are refused before any
//!   signature check.
//! * Supported: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384, EdDSA
//!   (pure-Rust crypto, no C toolchain).
//! * `exp` is required and checked (with a small [`leeway`](Server::leeway),
//!   5 s by default), `nbf` is checked when present, the issuer and audience
//!   when configured.
//! * The verified [`Claims`] go into the call's
//!   [extensions](crate::context::Context::extensions); a handler reads them
//!   with [`claims`] (typed) or [`Claims::current`].
//! * Every refusal is 401 / gRPC `Unauthenticated`, reason
//!   [`UNAUTHORIZED`](REASON), with the Kratos messages: `JWT token is missing`,
//!   `Token is invalid`, `JWT token has expired`, `JWT token is not valid yet`,
//!   `Wrong signing method`, `Fail to parse JWT token`, `Wrong context for
//!   middleware`. The precise cause is attached as the error's
//!   [cause](crate::Error::cause) (logged, never sent).
//!
//! Exempt operations (a login, a health check) with a [`Selector`](super::Selector).
//!
//! ```no_run
//! use bia::middleware::jwt::{self, VerifyingKey};
//! use bia::middleware::Selector;
//!
//! # fn main() -> bia::Result<()> {
//! let key = VerifyingKey::hs256(b"a secret of at least 32 bytes....")?;
//! let auth = jwt::Server::new(key).issuer("https://auth.example.com");
//! // Everything but the login needs a token.
//! let auth = Selector::new(auth).predicate(|ctx| ctx.operation() != "/auth.v1.Auth/Login");
//! let _app = bia::App::new("users").middleware(auth);
//! # Ok(()) }
//! ```
//!
//! In a handler:
//!
//! ```
//! #[derive(serde::Deserialize)]
//! struct User { sub: String }
//!
//! fn who() -> String {
//!     bia::middleware::jwt::claims::<User>().map(|u| u.sub).unwrap_or_else(|| "nobody".into())
//! }
//! assert_eq!(who(), "nobody"); // outside of a call
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine as _;
use http::header::{HeaderValue, AUTHORIZATION};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{AnyMessage, BoxFuture, Context, Middleware, Next};
use crate::error::Error;

/// The reason of every JWT refusal (Kratos' `UNAUTHORIZED`).
pub const REASON: &str = "UNAUTHORIZED";

/// The reason of a configuration error (a key that cannot be used).
const CONFIG_REASON: &str = "BAD_JWT_KEY";

const MISSING_TOKEN: &str = "JWT token is missing";
const TOKEN_INVALID: &str = "Token is invalid";
const TOKEN_EXPIRED: &str = "JWT token has expired";
const TOKEN_NOT_YET_VALID: &str = "JWT token is not valid yet";
const PARSE_FAIL: &str = "Fail to parse JWT token";
const WRONG_METHOD: &str = "Wrong signing method";
const WRONG_CONTEXT: &str = "Wrong context for middleware";
const SIGN_FAIL: &str = "Can not sign token. Is the key correct?";

/// The default clock-skew tolerance for `exp` and `nbf`.
const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);
/// The default lifetime of the tokens a [`Signer`] makes.
const DEFAULT_TTL: Duration = Duration::from_secs(60);

fn refuse(message: &'static str) -> Error {
    Error::unauthorized(REASON, message)
}

fn bad_key(message: String) -> Error {
    Error::internal_server(CONFIG_REASON, message)
}

/// A JWS signing algorithm (`alg`).
///
/// ```
/// use bia::middleware::jwt::Algorithm;
///
/// let alg: Algorithm = "RS256".parse().unwrap();
/// assert_eq!(alg, Algorithm::Rs256);
/// assert_eq!(alg.as_str(), "RS256");
/// assert!("none".parse::<Algorithm>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256 (a shared secret).
    Hs256,
    /// HMAC with SHA-384.
    Hs384,
    /// HMAC with SHA-512.
    Hs512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
    /// Ed25519.
    EdDsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

impl Algorithm {
    const ALL: [Algorithm; 12] = [
        Algorithm::Hs256,
        Algorithm::Hs384,
        Algorithm::Hs512,
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::EdDsa,
    ];

    /// The name in a token header: `HS256`, `RS256`, `ES256`, `EdDSA`...
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Hs256 => "HS256",
            Algorithm::Hs384 => "HS384",
            Algorithm::Hs512 => "HS512",
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Ps384 => "PS384",
            Algorithm::Ps512 => "PS512",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::EdDsa => "EdDSA",
        }
    }

    fn family(self) -> Family {
        match self {
            Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512 => Family::Hmac,
            Algorithm::Rs256
            | Algorithm::Rs384
            | Algorithm::Rs512
            | Algorithm::Ps256
            | Algorithm::Ps384
            | Algorithm::Ps512 => Family::Rsa,
            Algorithm::Es256 | Algorithm::Es384 => Family::Ec,
            Algorithm::EdDsa => Family::Ed,
        }
    }

    fn to_jwt(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as A;
        match self {
            Algorithm::Hs256 => A::HS256,
            Algorithm::Hs384 => A::HS384,
            Algorithm::Hs512 => A::HS512,
            Algorithm::Rs256 => A::RS256,
            Algorithm::Rs384 => A::RS384,
            Algorithm::Rs512 => A::RS512,
            Algorithm::Ps256 => A::PS256,
            Algorithm::Ps384 => A::PS384,
            Algorithm::Ps512 => A::PS512,
            Algorithm::Es256 => A::ES256,
            Algorithm::Es384 => A::ES384,
            Algorithm::EdDsa => A::EdDSA,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses a header name (`RS256`); `none` and unknown names fail.
    fn from_str(s: &str) -> Result<Self, Error> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| bad_key(format!("unsupported JWT algorithm `{s}`")))
    }
}

/// The first `-----BEGIN <label>-----` of a PEM text.
fn pem_label(pem: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(pem).ok()?;
    let rest = &text[text.find("-----BEGIN ")? + "-----BEGIN ".len()..];
    Some(&rest[..rest.find("-----")?])
}

/// What checks a token's signature: an algorithm and its key.
///
/// Build it from a shared secret (HMAC) or a public key / certificate PEM;
/// the constructors fail with 500 / `BAD_JWT_KEY` and a message saying why
/// when the key cannot be used for the algorithm.
///
/// ```
/// use bia::middleware::jwt::{Algorithm, VerifyingKey};
///
/// let key = VerifyingKey::hs256("a secret of at least 32 bytes....").unwrap();
/// assert_eq!(key.algorithm(), Algorithm::Hs256);
/// let err = VerifyingKey::rs256_pem("not a PEM").unwrap_err();
/// assert_eq!(err.reason(), "BAD_JWT_KEY");
/// ```
#[derive(Clone)]
pub struct VerifyingKey {
    alg: Algorithm,
    key: jsonwebtoken::DecodingKey,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey").field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// An HS256 shared secret (use 32 random bytes or more).
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::hmac(Algorithm::Hs256, secret)
    }

    /// An RS256 public key: a `PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE` PEM.
    pub fn rs256_pem(pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::from_pem(Algorithm::Rs256, pem)
    }

    /// An ES256 public key: a P-256 `PUBLIC KEY` or `CERTIFICATE` PEM.
    pub fn es256_pem(pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::from_pem(Algorithm::Es256, pem)
    }

    /// A shared secret for an HMAC algorithm (`HS256`, `HS384`, `HS512`).
    /// Fails for another algorithm or an empty secret.
    pub fn hmac(alg: Algorithm, secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        let secret = secret.as_ref();
        if alg.family() != Family::Hmac {
            return Err(bad_key(format!("{alg} needs a public key PEM, not a shared secret")));
        }
        if secret.is_empty() {
            return Err(bad_key(format!("the {alg} secret is empty")));
        }
        Ok(Self { alg, key: jsonwebtoken::DecodingKey::from_secret(secret) })
    }

    /// A public key (or certificate) PEM for an RSA, ECDSA or EdDSA
    /// algorithm. Fails for an HMAC algorithm, a private key, or a key of
    /// another type or curve.
    pub fn from_pem(alg: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        let pem = pem.as_ref();
        let label = pem_label(pem).ok_or_else(|| bad_key(format!("the {alg} verifying key is not a PEM text")))?;
        if label.contains("PRIVATE") {
            return Err(bad_key(format!(
                "the {alg} verifying key is a private key (`{label}`): give the public key or certificate"
            )));
        }
        let parsed = match alg.family() {
            Family::Hmac => return Err(bad_key(format!("{alg} uses a shared secret, not a PEM key"))),
            Family::Rsa => jsonwebtoken::DecodingKey::from_rsa_pem(pem),
            Family::Ec => jsonwebtoken::DecodingKey::from_ec_pem(pem),
            Family::Ed => jsonwebtoken::DecodingKey::from_ed_pem(pem),
        };
        let key = parsed.map_err(|e| bad_key(format!("the {alg} verifying key is not usable: {e}")))?;
        // The PEM says "EC key" but not which curve: check the point's size.
        if let jsonwebtoken::DecodingKeyKind::SecretOrDer(point) = key.kind() {
            let sizes: &[usize] = match alg {
                Algorithm::Es256 => &[33, 65],
                Algorithm::Es384 => &[49, 97],
                _ => &[],
            };
            if !sizes.is_empty() && !sizes.contains(&point.len()) {
                return Err(bad_key(format!("the {alg} verifying key is on another curve")));
            }
        }
        Ok(Self { alg, key })
    }

    /// The one algorithm this key accepts.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// What signs tokens: an algorithm and its secret or private key.
///
/// The constructors check the key by signing once, and fail with
/// 500 / `BAD_JWT_KEY` when it cannot be used for the algorithm.
///
/// ```
/// use bia::middleware::jwt::{Algorithm, SigningKey};
///
/// let key = SigningKey::hs256("a secret of at least 32 bytes....").unwrap();
/// assert_eq!(key.algorithm(), Algorithm::Hs256);
/// assert!(SigningKey::es256_pem("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----").is_err());
/// ```
#[derive(Clone)]
pub struct SigningKey {
    alg: Algorithm,
    key: jsonwebtoken::EncodingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// An HS256 shared secret.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::hmac(Algorithm::Hs256, secret)
    }

    /// An RS256 private key: a `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` PEM.
    pub fn rs256_pem(pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::from_pem(Algorithm::Rs256, pem)
    }

    /// An ES256 private key: a P-256 `PRIVATE KEY` (PKCS#8) PEM.
    pub fn es256_pem(pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::from_pem(Algorithm::Es256, pem)
    }

    /// A shared secret for an HMAC algorithm. Fails for another algorithm or
    /// an empty secret.
    pub fn hmac(alg: Algorithm, secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        let secret = secret.as_ref();
        if alg.family() != Family::Hmac {
            return Err(bad_key(format!("{alg} needs a private key PEM, not a shared secret")));
        }
        if secret.is_empty() {
            return Err(bad_key(format!("the {alg} secret is empty")));
        }
        Ok(Self { alg, key: jsonwebtoken::EncodingKey::from_secret(secret) })
    }

    /// A private key PEM for an RSA, ECDSA or EdDSA algorithm.
    pub fn from_pem(alg: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        let pem = pem.as_ref();
        let label = pem_label(pem).ok_or_else(|| bad_key(format!("the {alg} signing key is not a PEM text")))?;
        if !label.contains("PRIVATE") {
            return Err(bad_key(format!("the {alg} signing key is not a private key (`{label}`)")));
        }
        let parsed = match alg.family() {
            Family::Hmac => return Err(bad_key(format!("{alg} uses a shared secret, not a PEM key"))),
            Family::Rsa => jsonwebtoken::EncodingKey::from_rsa_pem(pem),
            Family::Ec => jsonwebtoken::EncodingKey::from_ec_pem(pem),
            Family::Ed => jsonwebtoken::EncodingKey::from_ed_pem(pem),
        };
        let key = parsed.map_err(|e| bad_key(format!("the {alg} signing key is not usable: {e}")))?;
        // Parsing the PEM does not look inside the key: one signature does.
        jsonwebtoken::crypto::sign(b"bia key check", &key, alg.to_jwt())
            .map_err(|e| bad_key(format!("the {alg} signing key cannot sign: {e}")))?;
        Ok(Self { alg, key })
    }

    /// The algorithm of the tokens it signs.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// The claims of a verified token (a JSON object), as the server middleware
/// leaves them in the call's extensions; also what a [`Signer`] signs.
///
/// ```
/// use bia::middleware::jwt::Claims;
///
/// let mut claims = Claims::new();
/// claims.insert("sub", "alice");
/// claims.insert("admin", true);
/// assert_eq!(claims.subject(), Some("alice"));
///
/// #[derive(serde::Deserialize)]
/// struct Mine { sub: String, admin: bool }
/// let mine: Mine = claims.deserialize().unwrap();
/// assert!(mine.admin && mine.sub == "alice");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims(Map<String, Value>);

impl Claims {
    /// No claims.
    pub fn new() -> Self {
        Self::default()
    }

    /// The claims of any serializable value that is a JSON object (a struct,
    /// a map); fails with 500 / `BAD_JWT_KEY` otherwise.
    pub fn from_serialize<T: Serialize>(claims: &T) -> Result<Self, Error> {
        match serde_json::to_value(claims) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(other) => Err(bad_key(format!("JWT claims must be a JSON object, not `{other}`"))),
            Err(e) => Err(bad_key(format!("JWT claims cannot be serialized: {e}"))),
        }
    }

    /// One claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Sets one claim, returning the one it replaces.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.0.insert(name.into(), value.into())
    }

    /// `sub`, when it is a string.
    pub fn subject(&self) -> Option<&str> {
        self.get("sub").and_then(Value::as_str)
    }

    /// `iss`, when it is a string.
    pub fn issuer(&self) -> Option<&str> {
        self.get("iss").and_then(Value::as_str)
    }

    /// `exp` (seconds since the Unix epoch), when it is a number.
    pub fn expires_at(&self) -> Option<u64> {
        self.get("exp").and_then(Value::as_u64)
    }

    /// All claims.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// All claims, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The claims as your own type.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.0)
    }

    /// The verified claims of the call `ctx` belongs to (`None` when the JWT
    /// middleware did not run).
    pub fn from_context(ctx: &Context) -> Option<&Claims> {
        ctx.extensions().get::<Claims>()
    }

    /// The verified claims of the server call this task is handling (`None`
    /// outside of one, or when the JWT middleware did not run).
    pub fn current() -> Option<Claims> {
        crate::context::with(|ctx| Self::from_context(ctx).cloned()).flatten()
    }
}

/// The verified claims of the current call as your own type, inside a
/// handler; `None` outside of a call, when the JWT middleware did not run,
/// or when the claims do not fit `T` (use [`Claims::current`] and
/// [`Claims::deserialize`] to see why).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Token { sub: String, #[serde(default)] roles: Vec<String> }
///
/// // Outside of a call there are none.
/// assert!(bia::middleware::jwt::claims::<Token>().is_none());
/// ```
pub fn claims<T: DeserializeOwned>() -> Option<T> {
    crate::context::with(|ctx| Claims::from_context(ctx).and_then(|c| c.deserialize().ok())).flatten()
}

/// The server middleware: verifies the bearer token of every call and hands
/// its [`Claims`] to the handler (see the [module docs](self)).
///
/// ```
/// use bia::middleware::jwt::{self, Signer, SigningKey, VerifyingKey};
///
/// let secret = "a secret of at least 32 bytes....";
/// let server = jwt::Server::new(VerifyingKey::hs256(secret).unwrap()).audience("orders");
/// let token = Signer::new(SigningKey::hs256(secret).unwrap())
///     .subject("alice")
///     .audience("orders")
///     .sign()
///     .unwrap();
/// assert_eq!(server.verify(&token).unwrap().subject(), Some("alice"));
///
/// let err = server.verify("not.a.token").unwrap_err();
/// assert_eq!((err.code(), err.reason(), err.message()), (401, "UNAUTHORIZED", "Token is invalid"));
/// ```
#[derive(Clone)]
pub struct Server {
    key: VerifyingKey,
    validation: jsonwebtoken::Validation,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("alg", &self.key.alg)
            .field("leeway_secs", &self.validation.leeway)
            .field("issuers", &self.validation.iss)
            .field("audiences", &self.validation.aud)
            .field("require_exp", &self.validation.required_spec_claims.contains("exp"))
            .finish()
    }
}

impl Server {
    /// Verifies tokens with `key` (and only with its algorithm); `exp`
    /// required, 5 s leeway, any issuer and audience.
    pub fn new(key: VerifyingKey) -> Self {
        let mut validation = jsonwebtoken::Validation::new(key.alg.to_jwt());
        validation.leeway = DEFAULT_LEEWAY.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        // Without a configured audience, `aud` is not checked (jsonwebtoken
        // would refuse every token that has one).
        validation.validate_aud = false;
        Self { key, validation }
    }

    /// The clock skew tolerated on `exp` and `nbf` (whole seconds).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.validation.leeway = leeway.as_secs();
        self
    }

    /// Accepts tokens from this issuer (`iss`); call again to accept several.
    /// Once set, a token without `iss` is refused.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.validation.iss.get_or_insert_with(Default::default).insert(issuer.into());
        self.validation.required_spec_claims.insert("iss".into());
        self
    }

    /// Accepts tokens for this audience (`aud`); call again to accept
    /// several. Once set, a token without `aud` is refused.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.validation.aud.get_or_insert_with(Default::default).insert(audience.into());
        self.validation.validate_aud = true;
        self.validation.required_spec_claims.insert("aud".into());
        self
    }

    /// Whether a token must carry `exp` (default `true`; a present `exp` is
    /// always checked).
    #[must_use]
    pub fn require_exp(mut self, required: bool) -> Self {
        if required {
            self.validation.required_spec_claims.insert("exp".into());
        } else {
            self.validation.required_spec_claims.remove("exp");
        }
        self
    }

    /// Verifies one token (without the `Bearer ` prefix) and returns its
    /// claims, or the 401 the middleware would answer.
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        // The header names the algorithm; only the key's own is accepted,
        // before anything else is looked at (`none`, algorithm confusion).
        match header_alg(token) {
            None => return Err(refuse(TOKEN_INVALID)),
            Some(alg) if alg != self.key.alg.as_str() => {
                return Err(refuse(WRONG_METHOD).with_cause(format!("token signed with `{alg}`")));
            }
            Some(_) => {}
        }
        jsonwebtoken::decode::<Map<String, Value>>(token, &self.key.key, &self.validation)
            .map(|data| Claims(data.claims))
            .map_err(verify_error)
    }

    /// The token of a call: `Authorization: Bearer <token>` (scheme in any
    /// case), from the HTTP headers or the gRPC metadata.
    fn bearer(ctx: &Context) -> Option<&str> {
        let value = ctx.request_header(AUTHORIZATION.as_str())?;
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }
}

/// The `alg` of a token's header; `None` when the header is not a JSON
/// object with a string `alg`.
fn header_alg(token: &str) -> Option<String> {
    let (header, _) = token.split_once('.')?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?;
    match serde_json::from_slice::<Value>(&bytes).ok()? {
        Value::Object(mut map) => match map.remove("alg")? {
            Value::String(alg) => Some(alg),
            _ => None,
        },
        _ => None,
    }
}

fn verify_error(e: jsonwebtoken::errors::Error) -> Error {
    use jsonwebtoken::errors::ErrorKind as K;
    let message = match e.kind() {
        K::ExpiredSignature => TOKEN_EXPIRED,
        K::ImmatureSignature => TOKEN_NOT_YET_VALID,
        K::InvalidAlgorithm | K::InvalidAlgorithmName | K::UnsupportedAlgorithm | K::MissingAlgorithm => WRONG_METHOD,
        K::InvalidToken
        | K::InvalidSignature
        | K::Base64(_)
        | K::Json(_)
        | K::Utf8(_)
        | K::MissingRequiredClaim(_)
        | K::InvalidClaimFormat(_)
        | K::InvalidIssuer
        | K::InvalidAudience
        | K::InvalidSubject => TOKEN_INVALID,
        _ => PARSE_FAIL,
    };
    refuse(message).with_cause(e)
}

impl Middleware for Server {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        if !ctx.is_server() {
            return Box::pin(std::future::ready(Err(refuse(WRONG_CONTEXT))));
        }
        let verified = match Self::bearer(ctx) {
            None => Err(refuse(MISSING_TOKEN)),
            Some(token) => self.verify(token),
        };
        match verified {
            Ok(claims) => {
                ctx.extensions_mut().insert(claims);
                next.run(ctx, req)
            }
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}

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

impl Middleware for Client {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        if ctx.is_server() {
            return Box::pin(std::future::ready(Err(refuse(WRONG_CONTEXT))));
        }
        let value = match &self.source {
            Source::Fixed(v) => Ok(v.clone()),
            Source::Signed(signer) => {
                signer.sign().and_then(|t| bearer_value(&t).map_err(|e| refuse(SIGN_FAIL).with_cause(e)))
            }
        };
        match value {
            Ok(v) => {
                ctx.request_headers_mut().insert(AUTHORIZATION, v);
                next.run(ctx, req)
            }
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "unit-test secret, 32 bytes long!";

    fn server() -> Server {
        Server::new(VerifyingKey::hs256(SECRET).unwrap())
    }

    fn signer() -> Signer {
        Signer::new(SigningKey::hs256(SECRET).unwrap())
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn valid_token_gives_its_claims() {
        let token = signer().subject("alice").claim("n", 3).sign().unwrap();
        let claims = server().verify(&token).unwrap();
        assert_eq!(claims.subject(), Some("alice"));
        assert_eq!(claims.get("n"), Some(&Value::from(3)));
        assert!(claims.expires_at().is_some());
    }

    #[test]
    fn refusals_carry_kratos_messages() {
        let now = jsonwebtoken::get_current_timestamp();
        let expired = signer().claim("exp", now - 3600).sign().unwrap();
        assert_eq!(server().verify(&expired).unwrap_err().message(), TOKEN_EXPIRED);
        let early = signer().claim("nbf", now + 3600).sign().unwrap();
        assert_eq!(server().verify(&early).unwrap_err().message(), TOKEN_NOT_YET_VALID);
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&format!(r#"{{"exp":{}}}"#, now + 60)));
        assert_eq!(server().verify(&none).unwrap_err().message(), WRONG_METHOD);
        let hs384 = Signer::new(SigningKey::hmac(Algorithm::Hs384, SECRET).unwrap()).sign().unwrap();
        assert_eq!(server().verify(&hs384).unwrap_err().message(), WRONG_METHOD);
        let other = Signer::new(SigningKey::hs256("another secret").unwrap()).sign().unwrap();
        let err = server().verify(&other).unwrap_err();
        assert_eq!((err.code(), err.reason(), err.message()), (401, REASON, TOKEN_INVALID));
        for junk in ["", "abc", "a.b.c", "....", "e30.e30.e30"] {
            assert_eq!(server().verify(junk).unwrap_err().message(), TOKEN_INVALID, "{junk:?}");
        }
        let fresh = signer().sign().unwrap();
        assert!(server().verify(&fresh).is_ok());
    }

    #[test]
    fn exp_requirement_issuer_and_audience() {
        let now = jsonwebtoken::get_current_timestamp();
        let mut bare = Claims::new();
        bare.insert("sub", "x");
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
        let no_exp = jsonwebtoken::encode(&jsonwebtoken::Header::default(), bare.as_map(), &key).unwrap();
        assert_eq!(server().verify(&no_exp).unwrap_err().message(), TOKEN_INVALID);
        assert!(server().require_exp(false).verify(&no_exp).is_ok());

        let strict = server().issuer("https://a").audience("orders");
        let good = signer().issuer("https://a").audience("orders").sign().unwrap();
        assert!(strict.verify(&good).is_ok());
        for bad in [
            signer().issuer("https://b").audience("orders").sign().unwrap(),
            signer().issuer("https://a").audience("users").sign().unwrap(),
            signer().audience("orders").sign().unwrap(),
        ] {
            assert_eq!(strict.verify(&bad).unwrap_err().message(), TOKEN_INVALID);
        }
        // Without a configured audience, a token's `aud` is not a reason to refuse.
        assert!(server().verify(&good).is_ok());
        // Leeway: expired 3 s ago passes with the default 5 s, not with 0.
        let just = signer().claim("exp", now - 3).sign().unwrap();
        assert!(server().verify(&just).is_ok());
        assert_eq!(server().leeway(Duration::ZERO).verify(&just).unwrap_err().message(), TOKEN_EXPIRED);
    }

    #[test]
    fn bad_keys_are_clear_errors() {
        for err in [
            VerifyingKey::hs256("").unwrap_err(),
            VerifyingKey::hmac(Algorithm::Rs256, "x").unwrap_err(),
            VerifyingKey::from_pem(Algorithm::Hs256, "-----BEGIN PUBLIC KEY-----").unwrap_err(),
            VerifyingKey::rs256_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").unwrap_err(),
            VerifyingKey::rs256_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").unwrap_err(),
            SigningKey::rs256_pem("garbage").unwrap_err(),
            SigningKey::es256_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").unwrap_err(),
            Client::bearer("bad\ntoken").unwrap_err(),
            Claims::from_serialize(&[1, 2]).unwrap_err(),
        ] {
            assert_eq!((err.code(), err.reason()), (500, CONFIG_REASON), "{err}");
        }
        assert!("none".parse::<Algorithm>().is_err());
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
        }
    }

    #[test]
    fn bearer_parsing() {
        let mut ctx = Context::new("/a.v1.A/B", crate::context::Kind::Http, crate::context::Side::Server);
        assert_eq!(Server::bearer(&ctx), None);
        for (value, want) in [
            ("Bearer abc", Some("abc")),
            ("bearer  abc ", Some("abc")),
            ("BEARER abc", Some("abc")),
            ("Basic abc", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("abc", None),
        ] {
            ctx.set_request_header("authorization", value);
            assert_eq!(Server::bearer(&ctx), want, "{value:?}");
        }
    }
}
