//! [`Claims`]: what a verified token says, as handlers read it.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::bad_key;
use crate::context::Context;
use crate::error::Error;

/// The claims of a verified token (a JSON object), as the server middleware
/// leaves them in the call's extensions; also what a [`Signer`](super::Signer) signs.
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
pub struct Claims(pub(super) Map<String, Value>);

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
