//! [`ServerConfig`]: the server middleware's keys and checks as a config
//! section.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::jwks::Jwks;
use super::keys::VerifyingKey;
use super::{bad_key, Algorithm, Server};
use crate::error::Error;
use crate::tls::ClientTls;

/// The `jwt` section of a config file: where the verifying keys come from
/// (one of `secret`, `public_key_file`, `jwks_url`) and what tokens must
/// carry. [`build`](ServerConfig::build) makes the [`Server`] middleware.
///
/// ```yaml
/// jwt:
///   secret: ${JWT_SECRET}            # HS256 (or `algorithm: HS384`...)
///   # public_key_file: keys/auth.pem # or a public key / certificate PEM (`algorithm: RS256` by default)
///   # jwks_url: https://auth:8443/.well-known/jwks.json  # or a JWKS
///   # jwks_tls: { ca: /etc/bia/tls/auth-ca.crt }        # for https: (default: the system's CAs)
///   # jwks_refresh: 5m               # fetched again this often
///   # jwks_min_refresh: 10s          # at most one fetch per 10 s for unknown `kid`s
///   # jwks_timeout: 5s
///   issuer: https://auth.example.com # optional
///   audience: orders                 # optional
///   leeway: 5s
/// ```
///
/// Its `Debug` hides the secret.
///
/// ```
/// use bia::middleware::jwt::ServerConfig;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let conf: ServerConfig = bia::config::Loader::new()
///     .embedded("jwt.yaml", "secret: ${JWT_SECRET:a secret of at least 32 bytes....}\naudience: orders\n")
///     .env_prefix(None)
///     .load()
///     .unwrap();
/// assert!(!format!("{conf:?}").contains("a secret"));
/// let auth = conf.build().await.unwrap();
/// # let _ = auth;
///
/// let none = ServerConfig::default().build().await.unwrap_err();
/// assert_eq!(none.reason(), "BAD_JWT_KEY");
/// # }
/// ```
#[derive(Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The algorithm of `secret` (default `HS256`) or `public_key_file`
    /// (default `RS256`); the keys of a JWKS carry their own.
    pub algorithm: Option<String>,
    /// An HMAC shared secret.
    pub secret: String,
    /// A public key (`PUBLIC KEY`, `RSA PUBLIC KEY`) or `CERTIFICATE` PEM file.
    pub public_key_file: Option<PathBuf>,
    /// A JWKS URL (`https://` or `http://`); its keys are fetched by `build`
    /// (an unreachable JWKS fails it), then refreshed (see [`Jwks`]).
    pub jwks_url: Option<String>,
    /// TLS for an `https://` `jwks_url`: whom to trust (the system's CA
    /// certificates by default), a client certificate, a server name (see
    /// [`ClientTls`]).
    pub jwks_tls: Option<ClientTls>,
    /// How often the JWKS is fetched again (default 5 min).
    #[serde(with = "humantime_serde")]
    pub jwks_refresh: Option<Duration>,
    /// The shortest gap between two fetches tokens with an unknown `kid`
    /// cause (default 10 s).
    #[serde(with = "humantime_serde")]
    pub jwks_min_refresh: Option<Duration>,
    /// How long one JWKS fetch may take (default 5 s).
    #[serde(with = "humantime_serde")]
    pub jwks_timeout: Option<Duration>,
    /// The `iss` tokens must carry.
    pub issuer: Option<String>,
    /// The `aud` tokens must carry.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf` (default 5 s).
    #[serde(with = "humantime_serde")]
    pub leeway: Option<Duration>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = if self.secret.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("ServerConfig")
            .field("algorithm", &self.algorithm)
            .field("secret", &secret)
            .field("public_key_file", &self.public_key_file)
            .field("jwks_url", &self.jwks_url.as_deref().map(super::jwks::shown_url))
            .field("jwks_tls", &self.jwks_tls)
            .field("jwks_refresh", &self.jwks_refresh)
            .field("jwks_min_refresh", &self.jwks_min_refresh)
            .field("jwks_timeout", &self.jwks_timeout)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .finish()
    }
}

impl ServerConfig {
    /// The server middleware this section describes; with `jwks_url`, the
    /// key set is fetched first. Fails with 500 / `BAD_JWT_KEY` when no key
    /// source or more than one is set, or the key cannot be used; the error
    /// never quotes a secret or a key.
    ///
    /// ```no_run
    /// # async fn run(conf: bia::middleware::jwt::ServerConfig) -> bia::Result<()> {
    /// let app = bia::App::new("orders").middleware(conf.build().await?);
    /// # let _ = app; Ok(()) }
    /// ```
    pub async fn build(&self) -> Result<Server, Error> {
        let algorithm = |default: Algorithm| match &self.algorithm {
            Some(name) => name.parse::<Algorithm>(),
            None => Ok(default),
        };
        let sources = [!self.secret.is_empty(), self.public_key_file.is_some(), self.jwks_url.is_some()];
        let mut server = match sources {
            [true, false, false] => Server::new(VerifyingKey::hmac(algorithm(Algorithm::Hs256)?, &self.secret)?),
            [false, true, false] => {
                let path = self.public_key_file.as_deref().unwrap_or_else(|| unreachable!("checked above"));
                let pem = std::fs::read(path)
                    .map_err(|e| bad_key(format!("the JWT public key file {} cannot be read: {e}", path.display())))?;
                Server::new(VerifyingKey::from_pem(algorithm(Algorithm::Rs256)?, pem)?)
            }
            [false, false, true] => {
                let url = self.jwks_url.as_deref().unwrap_or_else(|| unreachable!("checked above"));
                let mut jwks = match &self.jwks_tls {
                    Some(tls) => Jwks::with_tls(url, tls.clone())?,
                    None => Jwks::new(url)?,
                };
                if let Some(every) = self.jwks_refresh {
                    jwks = jwks.refresh_interval(every);
                }
                if let Some(gap) = self.jwks_min_refresh {
                    jwks = jwks.min_refresh_interval(gap);
                }
                if let Some(timeout) = self.jwks_timeout {
                    jwks = jwks.timeout(timeout);
                }
                jwks.fetch().await?;
                Server::jwks(jwks)
            }
            _ => {
                return Err(bad_key(
                    "the JWT config needs exactly one of `secret`, `public_key_file` and `jwks_url`".to_owned(),
                ))
            }
        };
        if let Some(issuer) = &self.issuer {
            server = server.issuer(issuer);
        }
        if let Some(audience) = &self.audience {
            server = server.audience(audience);
        }
        if let Some(leeway) = self.leeway {
            server = server.leeway(leeway);
        }
        Ok(server)
    }
}
