//! The keys of the JWT middleware: the [`Algorithm`] a key fixes, and the
//! [`VerifyingKey`] and [`SigningKey`] made from a shared secret, a PEM or a
//! JWK.
//!
//! No error made here quotes a key: a secret or a private key never reaches
//! a log line through one.

use std::fmt;
use std::str::FromStr;

use super::bad_key;
use crate::error::Error;

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
pub(super) enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

impl Algorithm {
    pub(super) const ALL: [Algorithm; 12] = [
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

    pub(super) fn family(self) -> Family {
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

    pub(super) fn to_jwt(self) -> jsonwebtoken::Algorithm {
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

/// The first `-----BEGIN <label>-----` of a PEM text; only a label of the
/// form PEM labels have (`RSA PUBLIC KEY`), so that no other text of the key
/// can end up in an error.
fn pem_label(pem: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(pem).ok()?;
    let rest = &text[text.find("-----BEGIN ")? + "-----BEGIN ".len()..];
    let label = &rest[..rest.find("-----")?];
    let plausible = !label.is_empty()
        && label.len() <= 40
        && label.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ');
    plausible.then_some(label)
}

/// What a `jsonwebtoken` error says about a key, without the parts that can
/// quote it (a base64 error names a byte of the key, a JSON error a value).
pub(super) fn key_error_text(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::Base64(_) => "it is not valid base64".to_owned(),
        K::Json(_) => "it is not valid JSON".to_owned(),
        K::Utf8(_) => "it is not UTF-8".to_owned(),
        _ => e.to_string(),
    }
}

/// Fails when the build links no `jsonwebtoken` crypto backend, or two
/// (another crate turned on `aws_lc_rs` next to Bia's `rust_crypto`):
/// `jsonwebtoken` would panic on the first token.
fn check_backend() -> Result<(), Error> {
    match jsonwebtoken::crypto::CryptoProvider::try_get_default() {
        Some(_) => Ok(()),
        None => Err(bad_key(
            "jsonwebtoken has no single crypto backend: another crate turned on its `aws_lc_rs` feature next to \
             Bia's `rust_crypto`; call jsonwebtoken::crypto::CryptoProvider::install_default at start"
                .to_owned(),
        )),
    }
}

/// Which half of a key pair a constructor expects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Verifying,
    Signing,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Verifying => "verifying",
            Role::Signing => "signing",
        }
    }
}

/// The checks both kinds of key make on a shared secret.
fn check_secret(alg: Algorithm, role: Role, secret: &[u8]) -> Result<(), Error> {
    if alg.family() != Family::Hmac {
        let pem = if role == Role::Verifying { "a public key PEM" } else { "a private key PEM" };
        return Err(bad_key(format!("{alg} needs {pem}, not a shared secret")));
    }
    if secret.is_empty() {
        return Err(bad_key(format!("the {alg} secret is empty")));
    }
    Ok(())
}

/// A `jsonwebtoken` key parser of one family.
type PemParser<K> = fn(&[u8]) -> jsonwebtoken::errors::Result<K>;

/// Parses a PEM key for `alg` with the parser of its family (`[rsa, ec,
/// ed]`), after checking that it is a PEM of the half `role` expects.
fn parse_pem<K>(alg: Algorithm, role: Role, pem: &[u8], parsers: [PemParser<K>; 3]) -> Result<K, Error> {
    let what = role.as_str();
    let label = pem_label(pem).ok_or_else(|| bad_key(format!("the {alg} {what} key is not a PEM text")))?;
    match (role, label.contains("PRIVATE")) {
        (Role::Verifying, true) => {
            return Err(bad_key(format!(
                "the {alg} verifying key is a private key (`{label}`): give the public key or certificate"
            )))
        }
        (Role::Signing, false) => {
            return Err(bad_key(format!("the {alg} signing key is not a private key (`{label}`)")))
        }
        _ => {}
    }
    let [rsa, ec, ed] = parsers;
    let parse = match alg.family() {
        Family::Hmac => return Err(bad_key(format!("{alg} uses a shared secret, not a PEM key"))),
        Family::Rsa => rsa,
        Family::Ec => ec,
        Family::Ed => ed,
    };
    check_backend()?;
    parse(pem).map_err(|e| bad_key(format!("the {alg} {what} key is not usable: {}", key_error_text(&e))))
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
    pub(super) alg: Algorithm,
    pub(super) key: jsonwebtoken::DecodingKey,
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
        check_secret(alg, Role::Verifying, secret)?;
        check_backend()?;
        let key = jsonwebtoken::DecodingKey::from_secret(secret)
            .map_err(|e| bad_key(format!("the {alg} secret is not usable: {}", key_error_text(&e))))?;
        Ok(Self { alg, key })
    }

    /// A public key (or certificate) PEM for an RSA, ECDSA or EdDSA
    /// algorithm. Fails for an HMAC algorithm, a private key, or a key of
    /// another type or curve.
    pub fn from_pem(alg: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        use jsonwebtoken::DecodingKey as D;
        let key = parse_pem(alg, Role::Verifying, pem.as_ref(), [D::from_rsa_pem, D::from_ec_pem, D::from_ed_pem])?;
        Self::checked(alg, key)
    }

    /// A public key from one JWK (RFC 7517), as a JWKS lists them: `RSA`
    /// (`RS256/384/512`, `PS256/384/512`), `EC` on P-256 (`ES256`) or P-384
    /// (`ES384`), `OKP` Ed25519 (`EdDSA`).
    ///
    /// The key's algorithm is its `alg`; without one, the curve's (`ES256`,
    /// `ES384`, `EdDSA`) or, for RSA, `RS256`. Refused: a shared secret
    /// (`kty: oct`: a secret is never published), an encryption key
    /// (`use: enc`), an `alg` that does not fit the key, other curves.
    ///
    /// ```
    /// use bia::middleware::jwt::{Algorithm, SigningKey, VerifyingKey};
    ///
    /// # let pem = include_str!("../../../../tests/fixtures/jwt/es256_private.pem");
    /// let jwk = SigningKey::es256_pem(pem).unwrap().public_jwk("k1").unwrap();
    /// assert_eq!(VerifyingKey::from_jwk(&jwk).unwrap().algorithm(), Algorithm::Es256);
    ///
    /// let secret = serde_json::json!({"kty": "oct", "k": "c2VjcmV0"});
    /// assert_eq!(VerifyingKey::from_jwk(&secret).unwrap_err().reason(), "BAD_JWT_KEY");
    /// ```
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<Self, Error> {
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone())
            .map_err(|_| bad_key("the JWK is not a JSON object with a `kty` and its fields".to_owned()))?;
        Self::from_parsed_jwk(&jwk)
    }

    fn from_parsed_jwk(jwk: &jsonwebtoken::jwk::Jwk) -> Result<Self, Error> {
        use jsonwebtoken::jwk::PublicKeyUse;
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            return Err(bad_key("the JWK is an encryption key (`use: enc`)".to_owned()));
        }
        let alg = jwk_algorithm(jwk)?;
        check_backend()?;
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk)
            .map_err(|e| bad_key(format!("the {alg} JWK is not usable: {}", key_error_text(&e))))?;
        Self::checked(alg, key)
    }

    /// `key` for `alg`, after the checks its parser does not make.
    fn checked(alg: Algorithm, key: jsonwebtoken::DecodingKey) -> Result<Self, Error> {
        // A PEM says "EC key" but not which curve; a JWK's coordinates may
        // have any length: check the point's size.
        if let jsonwebtoken::DecodingKeyKind::SecretOrDer(point) = key.kind() {
            let sizes: &[usize] = match alg {
                Algorithm::Es256 => &[33, 65],
                Algorithm::Es384 => &[49, 97],
                Algorithm::EdDsa => &[32],
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
    pub(super) alg: Algorithm,
    pub(super) key: jsonwebtoken::EncodingKey,
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
        check_secret(alg, Role::Signing, secret)?;
        check_backend()?;
        let key = jsonwebtoken::EncodingKey::from_secret(secret)
            .map_err(|e| bad_key(format!("the {alg} secret is not usable: {}", key_error_text(&e))))?;
        Ok(Self { alg, key })
    }

    /// A private key PEM for an RSA, ECDSA or EdDSA algorithm.
    pub fn from_pem(alg: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        use jsonwebtoken::EncodingKey as E;
        let key = parse_pem(alg, Role::Signing, pem.as_ref(), [E::from_rsa_pem, E::from_ec_pem, E::from_ed_pem])?;
        // Parsing the PEM does not look inside the key: one signature does.
        jsonwebtoken::crypto::sign(b"bia key check", &key, alg.to_jwt())
            .map_err(|e| bad_key(format!("the {alg} signing key cannot sign: {}", key_error_text(&e))))?;
        Ok(Self { alg, key })
    }

    /// The algorithm of the tokens it signs.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public half of this key as a JWK named `kid` (with `alg` and
    /// `use: sig`), to publish in a JWKS that servers verify with (see
    /// [`Jwks`](super::Jwks)). Fails for an HMAC secret: it has no public
    /// half, and is never published.
    ///
    /// ```
    /// use bia::middleware::jwt::SigningKey;
    ///
    /// # let pem = include_str!("../../../../tests/fixtures/jwt/rs256_private.pem");
    /// let jwk = SigningKey::rs256_pem(pem).unwrap().public_jwk("2024-06").unwrap();
    /// assert_eq!((jwk["kty"].as_str(), jwk["kid"].as_str(), jwk["alg"].as_str()), (Some("RSA"), Some("2024-06"), Some("RS256")));
    /// assert!(jwk.get("d").is_none()); // no private part
    ///
    /// assert!(SigningKey::hs256("a secret of at least 32 bytes....").unwrap().public_jwk("k").is_err());
    /// ```
    pub fn public_jwk(&self, kid: impl Into<String>) -> Result<serde_json::Value, Error> {
        if self.alg.family() == Family::Hmac {
            return Err(bad_key(format!("an {} secret has no public half to publish", self.alg)));
        }
        let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&self.key, self.alg.to_jwt())
            .map_err(|e| bad_key(format!("the {} key has no usable public half: {}", self.alg, key_error_text(&e))))?;
        jwk.common.key_id = Some(kid.into());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        serde_json::to_value(&jwk).map_err(|e| bad_key(format!("the JWK cannot be written: {e}")))
    }
}

/// The algorithm a JWK's key is for: its `alg`, checked against the key,
/// or the one its type implies.
fn jwk_algorithm(jwk: &jsonwebtoken::jwk::Jwk) -> Result<Algorithm, Error> {
    use jsonwebtoken::jwk::{AlgorithmParameters as P, EllipticCurve as C};
    let implied = match &jwk.algorithm {
        P::RSA(_) => Algorithm::Rs256,
        P::EllipticCurve(p) if p.curve == C::P256 => Algorithm::Es256,
        P::EllipticCurve(p) if p.curve == C::P384 => Algorithm::Es384,
        P::OctetKeyPair(p) if p.curve == C::Ed25519 => Algorithm::EdDsa,
        P::EllipticCurve(_) | P::OctetKeyPair(_) => return Err(bad_key("the JWK's curve is not supported".to_owned())),
        P::OctetKey(_) => {
            return Err(bad_key("the JWK is a shared secret (`kty: oct`): only public keys are accepted".to_owned()))
        }
        _ => return Err(bad_key("the JWK's key type is not supported".to_owned())),
    };
    let Some(named) = jwk.common.key_algorithm else { return Ok(implied) };
    let alg = jsonwebtoken::Algorithm::try_from(named)
        .ok()
        .and_then(|a| Algorithm::ALL.into_iter().find(|ours| ours.to_jwt() == a))
        .ok_or_else(|| bad_key("the JWK's `alg` is not a signature algorithm Bia supports".to_owned()))?;
    // An RSA key serves any RS/PS algorithm; a curve fixes its algorithm.
    let fits = if implied.family() == Family::Rsa { alg.family() == Family::Rsa } else { alg == implied };
    if !fits {
        return Err(bad_key(format!("the JWK's `alg` {alg} does not fit its key ({implied})")));
    }
    Ok(alg)
}
