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
//! * Keys: one [`VerifyingKey`] (a secret, a PEM, a JWK), or the keys of a
//!   JWKS URL, selected by `kid`, cached and refreshed ([`Jwks`],
//!   [`Server::jwks`]); [`ServerConfig`] reads either from a config section
//!   (`secret`, `public_key_file` or `jwks_url`).
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
//!   [cause](crate::Error::cause) (logged, never sent). No error, cause or
//!   `Debug` output quotes a secret or a key.
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

mod claims;
mod client;
mod config;
mod jwks;
mod keys;
mod server;

use std::time::Duration;

pub use claims::{claims, Claims};
pub use client::{Client, Signer};
pub use config::ServerConfig;
pub use jwks::Jwks;
pub use keys::{Algorithm, SigningKey, VerifyingKey};
pub use server::Server;

use crate::error::Error;

/// The reason of every JWT refusal (Kratos' `UNAUTHORIZED`).
pub use crate::error::reason::UNAUTHORIZED as REASON;

/// The reason of a configuration error (a key that cannot be used).
use crate::error::reason::BAD_JWT_KEY as CONFIG_REASON;

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

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use serde_json::Value;

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
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
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
}
