//! The server middleware: checks the bearer token of every call.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use http::header::AUTHORIZATION;
use serde_json::{Map, Value};

use super::keys::VerifyingKey;
use super::{
    refuse, Claims, DEFAULT_LEEWAY, MISSING_TOKEN, PARSE_FAIL, TOKEN_EXPIRED, TOKEN_INVALID, TOKEN_NOT_YET_VALID,
    WRONG_CONTEXT, WRONG_METHOD,
};
use crate::error::Error;
use crate::middleware::{AnyMessage, Context};

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

impl Server {
    fn check(&self, ctx: &mut Context, _req: &AnyMessage) -> Result<(), Error> {
        if !ctx.is_server() {
            return Err(refuse(WRONG_CONTEXT));
        }
        let claims = match Self::bearer(ctx) {
            None => return Err(refuse(MISSING_TOKEN)),
            Some(token) => self.verify(token)?,
        };
        ctx.extensions_mut().insert(claims);
        Ok(())
    }
}

guard!(Server);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Kind, Side};

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
