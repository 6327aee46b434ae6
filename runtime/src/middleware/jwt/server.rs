//! The server middleware: checks the bearer token of every call.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use http::header::AUTHORIZATION;
use serde_json::{Map, Value};

use super::jwks::{Jwks, KeySet};
use super::keys::VerifyingKey;
use super::{
    refuse, Algorithm, Claims, DEFAULT_LEEWAY, MISSING_TOKEN, PARSE_FAIL, TOKEN_EXPIRED, TOKEN_INVALID,
    TOKEN_NOT_YET_VALID, WRONG_CONTEXT, WRONG_METHOD,
};
use crate::error::Error;
use crate::middleware::{AnyMessage, BoxFuture, Context, Middleware, Next};

/// The server middleware: verifies the bearer token of every call and hands
/// its [`Claims`] to the handler (see the [module docs](super)).
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
    keys: Keys,
    validation: jsonwebtoken::Validation,
}

/// Where the verifying keys come from.
#[derive(Clone)]
enum Keys {
    One(VerifyingKey),
    Set(Jwks),
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("Server");
        match &self.keys {
            Keys::One(key) => f.field("alg", &key.alg),
            Keys::Set(jwks) => f.field("jwks", jwks),
        };
        f.field("leeway_secs", &self.validation.leeway)
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
        let validation = Self::validation(key.alg);
        Self { keys: Keys::One(key), validation }
    }

    /// Verifies tokens with the keys of a JWKS, each key with its own
    /// algorithm, selected by the token's `kid`; a token naming a `kid` the
    /// cache lacks makes the middleware fetch the set again (rate-limited,
    /// see [`Jwks`]). The other settings are those of [`Server::new`].
    ///
    /// ```
    /// use bia::middleware::jwt::{self, Jwks};
    ///
    /// let jwks = Jwks::new("http://127.0.0.1:8080/.well-known/jwks.json").unwrap();
    /// let server = jwt::Server::jwks(jwks).audience("orders");
    /// // Nothing fetched yet: `verify` (which never fetches) refuses.
    /// assert_eq!(server.verify("a.b.c").unwrap_err().code(), 401);
    /// ```
    pub fn jwks(jwks: Jwks) -> Self {
        // The algorithm is set per key at verification.
        Self { keys: Keys::Set(jwks), validation: Self::validation(Algorithm::Rs256) }
    }

    fn validation(alg: Algorithm) -> jsonwebtoken::Validation {
        let mut validation = jsonwebtoken::Validation::new(alg.to_jwt());
        validation.leeway = DEFAULT_LEEWAY.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        // Without a configured audience, `aud` is not checked (jsonwebtoken
        // would refuse every token that has one).
        validation.validate_aud = false;
        validation
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
    /// claims, or the 401 the middleware would answer. With a [`Jwks`], only
    /// the keys held now are used (the middleware also fetches the set again
    /// for an unknown `kid`).
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        match &self.keys {
            Keys::One(key) => self.verify_with(token, Header::of(token), key, &self.validation),
            Keys::Set(jwks) => self.verify_in(token, &jwks.current()).into_result(),
        }
    }

    /// Verifies `token` with the key of a set its `kid` names.
    fn verify_in(&self, token: &str, set: &KeySet) -> Verdict {
        let Keys::Set(jwks) = &self.keys else { unreachable!("a key set is only searched for a Jwks server") };
        let Some(header) = Header::of(token) else { return Verdict::Done(Err(refuse(TOKEN_INVALID))) };
        match set.find(header.kid.as_deref()) {
            Some(key) => {
                // One key, one algorithm (jsonwebtoken wants the key's family).
                let mut validation = self.validation.clone();
                validation.algorithms = vec![key.alg.to_jwt()];
                Verdict::Done(self.verify_with(token, Some(header), key, &validation))
            }
            None => {
                let refused = refuse(TOKEN_INVALID).with_cause(set.miss(header.kid.as_deref(), jwks));
                // Without a `kid`, only an empty set may change by fetching.
                if header.kid.is_some() || set.is_empty() {
                    Verdict::Unknown(refused)
                } else {
                    Verdict::Done(Err(refused))
                }
            }
        }
    }

    /// Verifies `token`, whose `header` was read, with `key`.
    fn verify_with(
        &self,
        token: &str,
        header: Option<Header>,
        key: &VerifyingKey,
        validation: &jsonwebtoken::Validation,
    ) -> Result<Claims, Error> {
        // The header names the algorithm; only the key's own is accepted,
        // before anything else is looked at (`none`, algorithm confusion).
        match header.map(|h| h.alg) {
            None => return Err(refuse(TOKEN_INVALID)),
            Some(alg) if alg != key.alg.as_str() => {
                return Err(refuse(WRONG_METHOD).with_cause(format!("token signed with `{}`", alg.escape_debug())));
            }
            Some(_) => {}
        }
        jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, validation)
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

/// What [`Server::verify_in`] found.
enum Verdict {
    /// Verified or refused.
    Done(Result<Claims, Error>),
    /// Refused: the set lacks the token's key, which a fetch may bring.
    Unknown(Error),
}

impl Verdict {
    fn into_result(self) -> Result<Claims, Error> {
        match self {
            Verdict::Done(result) => result,
            Verdict::Unknown(refused) => Err(refused),
        }
    }
}

/// What the middleware reads of a token's header before verifying it.
struct Header {
    alg: String,
    kid: Option<String>,
}

impl Header {
    /// `None` when the header is not a JSON object with a string `alg`.
    fn of(token: &str) -> Option<Self> {
        let (header, _) = token.split_once('.')?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?;
        let Value::Object(mut map) = serde_json::from_slice::<Value>(&bytes).ok()? else { return None };
        let Value::String(alg) = map.remove("alg")? else { return None };
        let kid = match map.remove("kid") {
            Some(Value::String(kid)) => Some(kid),
            _ => None,
        };
        Some(Self { alg, kid })
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
        let refuse_now =
            |e: Error| -> BoxFuture<'a, Result<AnyMessage, Error>> { Box::pin(std::future::ready(Err(e))) };
        if !ctx.is_server() {
            return refuse_now(refuse(WRONG_CONTEXT));
        }
        let Some(token) = Self::bearer(ctx) else { return refuse_now(refuse(MISSING_TOKEN)) };
        let verified = match &self.keys {
            Keys::One(key) => self.verify_with(token, Header::of(token), key, &self.validation),
            Keys::Set(jwks) => match self.verify_in(token, &jwks.current()) {
                Verdict::Done(result) => result,
                // An unknown `kid`: fetch the set again (rate-limited), then
                // look once more. Only this path pays for a future of its own.
                Verdict::Unknown(_) => {
                    let token = token.to_owned();
                    return Box::pin(async move {
                        let set = jwks.refresh_for_unknown_kid().await;
                        let claims = self.verify_in(&token, &set).into_result()?;
                        ctx.extensions_mut().insert(claims);
                        next.run(ctx, req).await
                    });
                }
            },
        };
        match verified {
            Ok(claims) => {
                ctx.extensions_mut().insert(claims);
                next.run(ctx, req)
            }
            Err(e) => refuse_now(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Kind, Side};

    #[test]
    fn header_parsing() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let h = Header::of(&format!("{}.e30.x", b64(r#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#))).unwrap();
        assert_eq!((h.alg.as_str(), h.kid.as_deref()), ("ES256", Some("k1")));
        let h = Header::of(&format!("{}.e30.x", b64(r#"{"alg":"RS256","kid":7}"#))).unwrap();
        assert_eq!((h.alg.as_str(), h.kid), ("RS256", None));
        for bad in ["", "abc", "e30.e30.e30", &format!("{}.e30.x", b64(r#"{"alg":1}"#)), &format!("{}.x", b64("[]"))] {
            assert!(Header::of(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn bearer_parsing() {
        let mut ctx = Context::new("/a.v1.A/B", Kind::Http, Side::Server);
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
