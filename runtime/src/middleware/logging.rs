//! Logging: one `tracing` event per call, on servers and on clients.
//!
//! As Kratos' `logging.Server(logger)` / `logging.Client(logger)`, every call
//! logs these fields (target `bia::middleware::logging`):
//!
//! | field       | value                                                            |
//! |-------------|------------------------------------------------------------------|
//! | `kind`      | the transport, `http` or `grpc` ([`Context::kind`])              |
//! | `component` | `server` or `client` ([`Context::side`])                         |
//! | `operation` | `/package.Service/Method` (or a hand-written route's template)   |
//! | `args`      | the request as JSON, through the [`Redact`] hook                 |
//! | `code`      | the HTTP status: `200` on success, the error's code otherwise    |
//! | `reason`    | the error's reason (empty on success)                            |
//! | `latency`   | seconds, as a float                                              |
//! | `error`     | the error's message (only on failure)                            |
//!
//! Kratos names these two the other way round (`kind` = server/client,
//! `component` = transport); Bia keeps `kind` for the transport everywhere,
//! as in [`Context::kind`] and the metrics labels.
//!
//! Level: `INFO` on success, `ERROR` on any failure (as Kratos, which logs at
//! error level whenever the call returned an error);
//! [`Logging::warn_on_client_errors`] logs 4xx failures at `WARN` instead.
//!
//! ```no_run
//! use bia::middleware::logging::{Logging, MaskFields};
//! use bia::middleware::recovery::Recovery;
//!
//! # async fn run() -> bia::Result<()> {
//! bia::App::new("user-service")
//!     .middleware(Recovery::new())
//!     .middleware(Logging::server().redact(MaskFields::new(["password", "token"])))
//!     .run()
//!     .await
//! # }
//! ```
//!
//! A line, with `bia::log`'s JSON format:
//!
//! ```text
//! {"timestamp":"…","level":"ERROR","fields":{"kind":"grpc","component":"server",
//!  "operation":"/user.v1.User/Login","args":"{\"name\":\"ann\",\"password\":\"***\"}",
//!  "code":404,"reason":"USER_NOT_FOUND","latency":0.000412,"error":"no user ann"},
//!  "target":"bia::middleware::logging"}
//! ```

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{AnyMessage, Context, Next};

/// Turns a request into the `args` field of a log line, masking what must
/// not be logged.
///
/// Implemented by [`ShowJson`] (the default), [`MaskFields`] and closures:
///
/// ```
/// use bia::middleware::logging::Logging;
/// use bia::middleware::AnyMessage;
///
/// // Log only the message type.
/// let _ = Logging::server().redact(|req: &AnyMessage| req.type_name().to_owned());
/// ```
pub trait Redact: Send + Sync + 'static {
    /// The text logged as `args` for `req`.
    fn redact(&self, req: &AnyMessage) -> String;
}

impl<F> Redact for F
where
    F: Fn(&AnyMessage) -> String + Send + Sync + 'static,
{
    fn redact(&self, req: &AnyMessage) -> String {
        self(req)
    }
}

/// Logs the request's JSON as it is (the default [`Redact`]).
///
/// ```
/// # #[bia::message(package = "doc.v1")] pub struct Hi { pub name: String }
/// use bia::middleware::logging::{Redact, ShowJson};
/// use bia::middleware::AnyMessage;
///
/// assert_eq!(ShowJson.redact(&AnyMessage::new(Hi { name: "Ann".into() })), r#"{"name":"Ann"}"#);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ShowJson;

impl Redact for ShowJson {
    fn redact(&self, req: &AnyMessage) -> String {
        req.to_json()
    }
}

/// Replaces the values of the named fields with `***`, at any depth (in
/// nested messages, lists and maps), whatever their type.
///
/// Names match ignoring case and underscores, so `api_key` also masks the
/// proto3 JSON name `apiKey`.
///
/// ```
/// use bia::middleware::logging::MaskFields;
///
/// let mask = MaskFields::new(["password", "api_key"]);
/// assert_eq!(
///     mask.apply(r#"{"user":"ann","password":"hunter2","keys":[{"apiKey":"k1","name":"ci"}]}"#),
///     r#"{"user":"ann","password":"***","keys":[{"apiKey":"***","name":"ci"}]}"#
/// );
/// ```
#[derive(Debug, Clone)]
pub struct MaskFields {
    names: HashSet<String>,
    mask: String,
}

impl MaskFields {
    /// Masks these fields.
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self { names: names.into_iter().map(|n| normalize(n.as_ref())).collect(), mask: "***".to_owned() }
    }

    /// Writes `mask` instead of `***`.
    ///
    /// ```
    /// use bia::middleware::logging::MaskFields;
    ///
    /// let mask = MaskFields::new(["pin"]).mask("<hidden>");
    /// assert_eq!(mask.apply(r#"{"pin":1234}"#), r#"{"pin":"<hidden>"}"#);
    /// ```
    #[must_use]
    pub fn mask(mut self, mask: impl Into<String>) -> Self {
        self.mask = mask.into();
        self
    }

    /// Masks a JSON text, keeping the order of its members (text that is
    /// not JSON is returned unchanged).
    pub fn apply(&self, json: &str) -> String {
        match serde_json::from_str::<Json>(json) {
            Ok(mut v) => {
                self.walk(&mut v);
                serde_json::to_string(&v).unwrap_or_else(|_| json.to_owned())
            }
            Err(_) => json.to_owned(),
        }
    }

    fn walk(&self, v: &mut Json) {
        match v {
            Json::Object(members) => {
                for (k, v) in members.iter_mut() {
                    if self.names.contains(&normalize(k)) {
                        *v = Json::Scalar(serde_json::Value::String(self.mask.clone()));
                    } else {
                        self.walk(v);
                    }
                }
            }
            Json::Array(items) => items.iter_mut().for_each(|v| self.walk(v)),
            Json::Scalar(_) => {}
        }
    }
}

/// A JSON value whose objects keep their members' order (`serde_json::Value`
/// sorts them), so a masked line reads like the request.
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    Scalar(serde_json::Value),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Scalar(serde_json::Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Scalar(serde_json::Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(member) = map.next_entry::<String, Json>()? {
            members.push(member);
        }
        Ok(Json::Object(members))
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Json::Array(items) => items.serialize(s),
            Json::Scalar(v) => v.serialize(s),
        }
    }
}

impl Redact for MaskFields {
    fn redact(&self, req: &AnyMessage) -> String {
        self.apply(&req.to_json())
    }
}

fn normalize(name: &str) -> String {
    name.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect()
}

/// The logging middleware (see the [module docs](self)).
///
/// One type for both sides: the `component` field comes from the call's
/// context, so [`Logging::server`] and [`Logging::client`] (the Kratos
/// spellings) build the same thing.
///
/// ```
/// use bia::middleware::logging::{Logging, MaskFields};
///
/// let server = Logging::server().redact(MaskFields::new(["password"]));
/// let client = Logging::client().warn_on_client_errors(true);
/// # let _ = (server, client);
/// ```
#[must_use]
#[derive(Clone)]
pub struct Logging {
    redact: Arc<dyn Redact>,
    warn_client_errors: bool,
}

impl fmt::Debug for Logging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logging").field("warn_client_errors", &self.warn_client_errors).finish_non_exhaustive()
    }
}

impl Default for Logging {
    fn default() -> Self {
        Self::new()
    }
}

impl Logging {
    /// Logs every call, arguments as plain JSON.
    ///
    /// ```
    /// let _app = bia::App::new("demo").middleware(bia::middleware::logging::Logging::new());
    /// ```
    pub fn new() -> Self {
        Self { redact: Arc::new(ShowJson), warn_client_errors: false }
    }

    /// For a server (same as [`Logging::new`]).
    pub fn server() -> Self {
        Self::new()
    }

    /// For a client (same as [`Logging::new`]).
    pub fn client() -> Self {
        Self::new()
    }

    /// How requests become the `args` field (mask secrets here).
    ///
    /// ```
    /// use bia::middleware::logging::{Logging, MaskFields};
    ///
    /// let _ = Logging::server().redact(MaskFields::new(["password", "token"]));
    /// ```
    pub fn redact(mut self, redact: impl Redact) -> Self {
        self.redact = Arc::new(redact);
        self
    }

    /// Logs failures with a 4xx code at `WARN` rather than `ERROR` (off by
    /// default, as in Kratos).
    ///
    /// ```
    /// // A client that expects 404s: they are not errors worth paging for.
    /// let _ = bia::middleware::logging::Logging::client().warn_on_client_errors(true);
    /// ```
    pub fn warn_on_client_errors(mut self, on: bool) -> Self {
        self.warn_client_errors = on;
        self
    }
}

#[bia_macros::middleware(crate = "crate")]
impl Logging {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> crate::Result<AnyMessage> {
        let start = Instant::now();
        let args = self.redact.redact(&req);
        let res = next.run(ctx, req).await;
        let latency = start.elapsed().as_secs_f64();
        let kind = ctx.kind().as_str();
        let component = ctx.side().as_str();
        let operation = ctx.operation();
        // A stream's line also counts its messages each way (absent on unary calls).
        let stats = ctx.stream();
        let (messages_in, messages_out) = (stats.map(|s| s.received()), stats.map(|s| s.sent()));
        match &res {
            Ok(_) => tracing::info!(
                kind,
                component,
                operation,
                args,
                code = 200u16,
                reason = "",
                latency,
                messages_in,
                messages_out
            ),
            Err(e) => {
                let (code, reason, error) = (e.code(), e.reason(), e.message());
                if self.warn_client_errors && (400..500).contains(&code) {
                    tracing::warn!(
                        kind,
                        component,
                        operation,
                        args,
                        code,
                        reason,
                        latency,
                        error,
                        messages_in,
                        messages_out
                    );
                } else {
                    tracing::error!(
                        kind,
                        component,
                        operation,
                        args,
                        code,
                        reason,
                        latency,
                        error,
                        messages_in,
                        messages_out
                    );
                }
            }
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_at_any_depth_and_keeps_everything_else() {
        let mask = MaskFields::new(["Password", "session_token"]);
        let json = r#"{"z":1,"password":{"nested":true},"list":[{"sessionToken":"s"},2.5,null,"x"],"a":"18446744073709551615"}"#;
        assert_eq!(
            mask.apply(json),
            r#"{"z":1,"password":"***","list":[{"sessionToken":"***"},2.5,null,"x"],"a":"18446744073709551615"}"#
        );
        assert_eq!(mask.apply("not json"), "not json");
        assert_eq!(mask.apply(r#""GET /v1/raw""#), r#""GET /v1/raw""#);
        assert_eq!(MaskFields::new(Vec::<String>::new()).apply(r#"{"b":1,"a":2}"#), r#"{"b":1,"a":2}"#);
    }
}
