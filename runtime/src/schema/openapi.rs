//! `Schema` -> an OpenAPI 3.1 document (JSON Schema 2020-12) of the HTTP
//! half of services: every binding the HTTP server serves, with the JSON
//! the proto3 codec writes and reads.
//!
//! What the document states, and why:
//!
//! * **Operations.** One per HTTP binding (the `#[rpc]` rule, its
//!   `additional_bindings`, or the default `POST /pkg.Svc/Method` with the
//!   whole message as the body). `operationId` is the method's name
//!   (`GetUser`), `Service_Method` when two services of the document share
//!   it, with `_2`, `_3`... for additional bindings. One tag per service.
//! * **Parameters.** Path variables by their field (`{user.id}`), a
//!   pattern such as `shelves/*` as a `pattern`, a custom verb (`:undelete`)
//!   kept in the path. When the body rule is not `*`, every field the path
//!   and body leave that a query value can hold is a query parameter, by
//!   its proto name: nested fields as `a.b`, repeated ones as `x=1&x=2`.
//! * **Schemas.** As Bia's proto3 JSON codec writes them: JSON names (proto
//!   names for a `json = "snake_case"` service), 64-bit integers as strings,
//!   bytes as base64, enums by name, the well-known types in their JSON
//!   forms, maps as `additionalProperties`, a oneof as `oneOf` (at most one
//!   member, exactly one when required), `Option` as `null` allowed, every
//!   message a component referenced by `$ref` (so recursion needs nothing
//!   more), `#[validate(..)]` rules as keywords. The codec also reads more
//!   than it writes (proto names, numbers for 64-bit integers and enums,
//!   `null` for any field): the document states what it writes.
//! * **Media types.** Bodies and replies are `application/json`; a body
//!   that is one flat message (no message or map fields) also
//!   `application/x-www-form-urlencoded`, bound as the query is; a reply
//!   of the whole message also `application/x-protobuf` (asked for with
//!   `Accept`). A protobuf request body is accepted too, and said so in the
//!   body's description rather than as a media type: a JSON Schema cannot
//!   describe it, and a fuzzer would fill it with random bytes.
//! * **Errors.** Every operation's `default` response is the Bia error body
//!   (`bia.Error`); the reasons of the [`errors`](OpenApi::errors) given are
//!   listed with it.
//! * **Streams.** A server stream answers `text/event-stream` (one `data:`
//!   event per message) or, when asked, `application/x-ndjson`; a stream of
//!   `google.api.HttpBody` replies is a download of any content type. Client
//!   and bidirectional streams are WebSockets over HTTP, which OpenAPI cannot
//!   describe: they are left out of `paths` and listed in the document's
//!   `x-bia-websockets` extension; those with a `body` rule are uploads (a
//!   plain request whose body is read as it arrives) and documented as such.
//! * **Security.** Operations the [`bearer`](OpenApi::bearer) predicate
//!   names declare the `bearer` (JWT) scheme and a `401` reply.
//!
//! ```
//! #[bia::message(package = "hello.v1")]
//! pub struct HelloRequest { pub name: String }
//! #[bia::message(package = "hello.v1")]
//! pub struct HelloReply { pub message: String }
//!
//! #[bia::service(package = "hello.v1")]
//! pub trait Greeter: Send + Sync + 'static {
//!     /// Says hello.
//!     #[rpc(get = "/hello/<name>")]
//!     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! }
//!
//! let doc = bia::schema::OpenApi::new("Greeter", "1.0.0").service::<GreeterServer<()>>().document();
//! let op = &doc["paths"]["/hello/{name}"]["get"];
//! assert_eq!(op["operationId"], "SayHello");
//! assert_eq!(op["summary"], "Says hello.");
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use prost_types::field_descriptor_proto::Type;
use serde_json::{json, Map, Value};

use super::{DescribeErrors, DescribeService, FieldDef, Label, MessageDef, MethodDef, ReasonDef, Rule, Schema};
use super::{SchemaBuilder, ServiceDef, TypeRef};

// In this folder beside this file (the layering test keeps folders acyclic).
#[path = "openapi_paths.rs"]
mod paths;
#[path = "openapi_schemas.rs"]
mod schemas;

use schemas::*;

/// The component name of the Bia error body.
pub const ERROR_SCHEMA: &str = "bia.Error";

/// The name of the bearer security scheme.
pub const BEARER_SCHEME: &str = "bearer";
type Predicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The settings and services of an OpenAPI document, and the document.
///
/// An [`HttpServer`](crate::transport::http::HttpServer) serves the
/// document of its services at `/openapi.json` and `/openapi.yaml` with
/// the settings it was given; the same value exports it from code.
///
/// ```
/// #[bia::message(package = "user.v1")]
/// pub struct GetUserRequest { pub id: String }
/// #[bia::message(package = "user.v1")]
/// pub struct GetUserReply { pub name: String }
/// #[bia::errors(domain = "user.v1")]
/// pub enum UserError { #[error(code = 404)] UserNotFound }
///
/// #[bia::service(package = "user.v1", name = "User")]
/// pub trait UserApi: Send + Sync + 'static {
///     #[rpc(get = "/v1/user/<id>")]
///     async fn get_user(&self, req: GetUserRequest) -> bia::Result<GetUserReply>;
/// }
///
/// let api = bia::schema::OpenApi::new("Users", "1.0.0")
///     .service::<UserApiServer<()>>()
///     .errors::<UserError>()
///     .bearer(|operation| operation == UserApiOperation::GET_USER);
/// let json = api.to_json();
/// assert!(json.contains(r#""openapi":"3.1.0""#));
/// assert!(api.to_yaml().contains("/v1/user/{id}:"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct OpenApi {
    title: Option<String>,
    version: Option<String>,
    description: String,
    servers: Vec<String>,
    describe: Vec<fn(&mut SchemaBuilder)>,
    errors: Vec<(&'static str, &'static [ReasonDef])>,
    bearer: Option<Predicate>,
}

impl fmt::Debug for OpenApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenApi")
            .field("title", &self.title)
            .field("version", &self.version)
            .field("servers", &self.servers)
            .field("services", &self.describe.len())
            .field("errors", &self.errors.iter().map(|e| e.0).collect::<Vec<_>>())
            .field("bearer", &self.bearer.is_some())
            .finish()
    }
}

impl Default for OpenApi {
    /// No title or version yet: an App's name and version fill them in
    /// when it serves the document, `"API"` and `"0.0.0"` otherwise.
    fn default() -> Self {
        Self {
            title: None,
            version: None,
            description: String::new(),
            servers: Vec::new(),
            describe: Vec::new(),
            errors: Vec::new(),
            bearer: None,
        }
    }
}

impl OpenApi {
    /// A document titled `title`, of API version `version` (`info`).
    ///
    /// ```
    /// let doc = bia::schema::OpenApi::new("Users", "1.2.0").document();
    /// assert_eq!(doc["info"]["version"], "1.2.0");
    /// ```
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Self { title: Some(title.into()), version: Some(version.into()), ..Self::default() }
    }

    /// The document's `info.description` (Markdown).
    ///
    /// ```
    /// let doc = bia::schema::OpenApi::new("Users", "1").description("Who is who.").document();
    /// assert_eq!(doc["info"]["description"], "Who is who.");
    /// ```
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// Adds a server URL (`servers`), such as `https://api.example.com`.
    ///
    /// ```
    /// let doc = bia::schema::OpenApi::new("Users", "1").server("http://127.0.0.1:8000").document();
    /// assert_eq!(doc["servers"][0]["url"], "http://127.0.0.1:8000");
    /// ```
    pub fn server(mut self, url: impl Into<String>) -> Self {
        self.servers.push(url.into());
        self
    }

    /// Adds a generated service (`FooServer<()>` names it without a value).
    ///
    /// ```
    /// # #[bia::message(package = "a.v1")] pub struct Req { pub id: String }
    /// # #[bia::service(package = "a.v1")]
    /// # pub trait Things: Send + Sync + 'static { async fn get(&self, req: Req) -> bia::Result<Req>; }
    /// let doc = bia::schema::OpenApi::new("Things", "1").service::<ThingsServer<()>>().document();
    /// assert!(doc["paths"]["/a.v1.Things/Get"]["post"].is_object());
    /// ```
    pub fn service<S: DescribeService>(self) -> Self {
        self.describe(S::describe)
    }

    /// Adds what `describe` registers (a service's `DescribeService::describe`).
    ///
    /// ```
    /// # #[bia::message(package = "a.v1")] pub struct Req { pub id: String }
    /// # #[bia::service(package = "a.v1")]
    /// # pub trait Things: Send + Sync + 'static { async fn get(&self, req: Req) -> bia::Result<Req>; }
    /// use bia::schema::DescribeService as _;
    /// let doc = bia::schema::OpenApi::new("Things", "1").describe(ThingsServer::<()>::describe).document();
    /// assert_eq!(doc["tags"][0]["name"], "a.v1.Things");
    /// ```
    pub fn describe(mut self, describe: fn(&mut SchemaBuilder)) -> Self {
        if !self.describe.contains(&describe) {
            self.describe.push(describe);
        }
        self
    }

    /// Lists the reasons of a `#[bia::errors]` enum with the error body.
    ///
    /// ```
    /// #[bia::errors(domain = "user.v1")]
    /// pub enum UserError { #[error(code = 404)] UserNotFound }
    ///
    /// let doc = bia::schema::OpenApi::new("Users", "1").errors::<UserError>().document();
    /// let reason = &doc["components"]["schemas"]["bia.Error"]["properties"]["reason"];
    /// assert_eq!(reason["examples"][0], "USER_NOT_FOUND");
    /// ```
    pub fn errors<E: DescribeErrors>(mut self) -> Self {
        if !self.errors.iter().any(|(d, r)| *d == E::DOMAIN && std::ptr::eq(*r, E::REASONS)) {
            self.errors.push((E::DOMAIN, E::REASONS));
        }
        self
    }

    /// The operations (`/pkg.Service/Method`) for which `guarded` is true
    /// need a bearer token (a JWT middleware guards them): they declare the
    /// `bearer` security scheme and a `401` reply.
    ///
    /// The middleware chain decides per call, from a call's context, so the
    /// document cannot learn it by itself: give it the same rule the chain's
    /// selector uses.
    ///
    /// ```
    /// # #[bia::message(package = "a.v1")] pub struct Req { pub id: String }
    /// # #[bia::service(package = "a.v1")]
    /// # pub trait Things: Send + Sync + 'static { async fn get(&self, req: Req) -> bia::Result<Req>; }
    /// let doc = bia::schema::OpenApi::new("Things", "1")
    ///     .service::<ThingsServer<()>>()
    ///     .bearer(|op| op == ThingsOperation::GET)
    ///     .document();
    /// assert_eq!(doc["paths"]["/a.v1.Things/Get"]["post"]["security"][0]["bearer"], serde_json::json!([]));
    /// ```
    pub fn bearer(mut self, guarded: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.bearer = Some(Arc::new(guarded));
        self
    }

    /// Sets the title and version where they are not set yet (an App's
    /// name and version).
    pub(crate) fn or_info(mut self, title: &str, version: &str) -> Self {
        self.title.get_or_insert_with(|| title.to_owned());
        if !version.is_empty() {
            self.version.get_or_insert_with(|| version.to_owned());
        }
        self
    }

    /// The title set (or filled in by [`or_info`](Self::or_info)), if any.
    #[cfg_attr(not(feature = "docs"), allow(dead_code))]
    pub(crate) fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The schema of the services added (what `proto` exports).
    ///
    /// ```
    /// let api = bia::schema::OpenApi::new("Nothing", "1");
    /// assert_eq!(api.schema().services().count(), 0);
    /// ```
    pub fn schema(&self) -> Schema {
        Schema::from_fns(&self.describe)
    }

    /// The document of the services added.
    ///
    /// ```
    /// let doc = bia::schema::OpenApi::new("Nothing", "1").document();
    /// assert_eq!(doc["openapi"], "3.1.0");
    /// assert_eq!(doc["paths"], serde_json::json!({}));
    /// ```
    pub fn document(&self) -> Value {
        self.document_of(&Schema::from_fns(&self.describe))
    }

    /// The document of `schema`'s services (and of those added).
    ///
    /// ```
    /// # #[bia::message(package = "a.v1")] pub struct Req { pub id: String }
    /// # #[bia::service(package = "a.v1")]
    /// # pub trait Things: Send + Sync + 'static { async fn get(&self, req: Req) -> bia::Result<Req>; }
    /// let schema = ThingsServer::<()>::schema();
    /// let doc = bia::schema::OpenApi::new("Things", "1").document_of(&schema);
    /// assert!(doc["components"]["schemas"]["a.v1.Req"].is_object());
    /// ```
    pub fn document_of(&self, schema: &Schema) -> Value {
        let merged;
        let schema = if self.describe.is_empty() {
            schema
        } else {
            let mut b = SchemaBuilder::default();
            for d in &self.describe {
                d(&mut b);
            }
            let mut all = b.build();
            all.merge(schema);
            merged = all;
            &merged
        };
        Writer { api: self, schema }.document()
    }

    /// The document as JSON text.
    pub fn to_json(&self) -> String {
        self.document().to_string()
    }

    /// The document as pretty-printed JSON text.
    pub fn to_json_pretty(&self) -> String {
        pretty(&self.document())
    }

    /// The document as YAML text.
    pub fn to_yaml(&self) -> String {
        yaml(&self.document())
    }

    /// Writes the document to `path`: YAML when the name ends in `.yaml`
    /// or `.yml`, pretty JSON otherwise.
    ///
    /// ```no_run
    /// bia::schema::OpenApi::new("Users", "1").write("openapi.yaml")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        let path = path.as_ref();
        let text = match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => self.to_yaml(),
            _ => self.to_json_pretty(),
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)
    }
}

/// `doc` as pretty-printed JSON with a final newline.
pub(crate) fn pretty(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("a JSON value always serializes");
    s.push('\n');
    s
}

/// `doc` as YAML.
pub(crate) fn yaml(doc: &Value) -> String {
    // A `serde_json::Value` has string keys and finite numbers only.
    serde_yaml::to_string(doc).expect("a JSON value always converts to YAML")
}

impl Schema {
    /// Adds what `other` has and `self` lacks.
    fn merge(&mut self, other: &Schema) {
        for (k, v) in &other.messages {
            self.messages.entry(k).or_insert_with(|| v.clone());
        }
        for (k, v) in &other.enums {
            self.enums.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &other.services {
            self.services.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &other.well_known {
            self.well_known.entry(k).or_insert(v);
        }
    }
}

/// The JSON field names a schema is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Style {
    /// lowerCamelCase JSON names (the default).
    Json,
    /// The proto names (`json = "snake_case"` services).
    Proto,
}

impl Style {
    fn of(s: &ServiceDef) -> Self {
        if s.snake_case {
            Style::Proto
        } else {
            Style::Json
        }
    }
    fn name(self, f: &FieldDef) -> &'static str {
        match self {
            Style::Json => f.json_name,
            Style::Proto => f.name,
        }
    }
    fn component(self, full_name: &str) -> String {
        match self {
            Style::Json => full_name.to_owned(),
            Style::Proto => format!("{full_name}_snake"),
        }
    }
}

/// A doc comment as the macros keep it: one space after `///` per line.
fn clean_doc(doc: &str) -> String {
    let lines: Vec<&str> = doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end()).collect();
    lines.join("\n").trim().to_owned()
}

/// The first paragraph of a doc, on one line.
fn summary(doc: &str) -> String {
    doc.split("\n\n").next().unwrap_or("").split('\n').map(str::trim).collect::<Vec<_>>().join(" ")
}

fn reference(component: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{component}") })
}

/// `schema` that also allows `null`.
fn nullable(mut schema: Value) -> Value {
    if let Some(obj) = schema.as_object_mut() {
        if let Some(Value::String(t)) = obj.get("type") {
            let t = t.clone();
            obj.insert("type".to_owned(), json!([t, "null"]));
            return schema;
        }
    }
    json!({ "anyOf": [schema, { "type": "null" }] })
}

fn insert(schema: &mut Value, key: &str, value: Value) {
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(key.to_owned(), value);
    }
}

struct Writer<'a> {
    api: &'a OpenApi,
    schema: &'a Schema,
}

impl Writer<'_> {
    fn document(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("openapi".into(), json!("3.1.0"));
        let mut info = Map::new();
        info.insert("title".into(), json!(self.api.title.as_deref().unwrap_or("API")));
        info.insert("version".into(), json!(self.api.version.as_deref().unwrap_or("0.0.0")));
        if !self.api.description.is_empty() {
            info.insert("description".into(), json!(self.api.description));
        }
        doc.insert("info".into(), Value::Object(info));
        if !self.api.servers.is_empty() {
            let servers: Vec<Value> = self.api.servers.iter().map(|u| json!({ "url": u })).collect();
            doc.insert("servers".into(), json!(servers));
        }
        let tags: Vec<Value> = self
            .schema
            .services()
            .map(|s| {
                let mut t = Map::new();
                t.insert("name".into(), json!(format!("{}.{}", s.package, s.name)));
                let d = clean_doc(s.doc);
                if !d.is_empty() {
                    t.insert("description".into(), json!(d));
                }
                Value::Object(t)
            })
            .collect();
        doc.insert("tags".into(), json!(tags));
        let (paths, websockets, any_bearer) = self.paths();
        doc.insert("paths".into(), Value::Object(paths));
        let mut components = Map::new();
        components.insert("schemas".into(), Value::Object(self.components()));
        components.insert("responses".into(), json!({ "Error": self.error_response() }));
        if any_bearer {
            components.insert(
                "securitySchemes".into(),
                json!({ BEARER_SCHEME: { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } }),
            );
        }
        doc.insert("components".into(), Value::Object(components));
        if !websockets.is_empty() {
            doc.insert("x-bia-websockets".into(), json!(websockets));
        }
        Value::Object(doc)
    }

    fn error_response(&self) -> Value {
        json!({
            "description": "The Bia error body: `code` is the HTTP status, `reason` says what went wrong (UPPER_SNAKE_CASE).",
            "content": { "application/json": { "schema": reference(ERROR_SCHEMA) } }
        })
    }

    fn error_schema(&self) -> Value {
        let mut reason = json!({ "type": "string", "description": "Why the call failed, in UPPER_SNAKE_CASE." });
        let mut listed: Vec<Value> = Vec::new();
        let mut lines = Vec::new();
        for (domain, reasons) in &self.api.errors {
            for r in reasons.iter() {
                listed.push(json!(r.reason));
                let doc = summary(&clean_doc(r.doc));
                let doc = if doc.is_empty() { String::new() } else { format!(": {doc}") };
                lines.push(format!("- `{}` ({}, {domain}){doc}", r.reason, r.code));
            }
        }
        if !listed.is_empty() {
            insert(&mut reason, "examples", json!(listed));
            let d =
                format!("Why the call failed, in UPPER_SNAKE_CASE. The services' own reasons:\n\n{}", lines.join("\n"));
            insert(&mut reason, "description", json!(d));
        }
        json!({
            "type": "object",
            "description": "The error body of every failed call (Kratos' `errors.Error`).",
            "properties": {
                "code": { "type": "integer", "minimum": 100, "maximum": 599, "description": "The HTTP status code." },
                "reason": reason,
                "message": { "type": "string", "description": "What a person reads." },
                "metadata": { "type": "object", "additionalProperties": { "type": "string" } }
            },
            "required": ["code", "reason", "message", "metadata"]
        })
    }

    fn components(&self) -> Map<String, Value> {
        let mut out = Map::new();
        // Each message in the styles of the services that use it.
        let mut used: BTreeMap<&str, BTreeSet<Style>> = BTreeMap::new();
        for s in self.schema.services() {
            let style = Style::of(s);
            let mut todo: Vec<&str> = s.methods.iter().flat_map(|m| [m.input, m.output]).collect();
            while let Some(name) = todo.pop() {
                let Some(m) = self.schema.message(name) else { continue };
                if used.entry(name).or_default().insert(style) {
                    todo.extend(m.fields.iter().filter(|f| f.ty.ty == Type::Message).filter_map(|f| f.ty.type_name));
                }
            }
        }
        for (full, m) in self.schema.messages() {
            // A message no service reaches (the schema of messages alone) is written as JSON names.
            let styles = used.get(full).cloned().unwrap_or_else(|| BTreeSet::from([Style::Json]));
            for style in styles {
                out.insert(style.component(full), self.message_schema(m, style));
            }
        }
        for (full, e) in self.schema.enums() {
            let names: Vec<&str> = e.values.iter().map(|(n, _)| *n).collect();
            let mut schema = json!({ "type": "string", "enum": names });
            if let Some(doc) = enum_doc(e) {
                insert(&mut schema, "description", json!(doc));
            }
            out.insert(full.to_owned(), schema);
        }
        out.insert(ERROR_SCHEMA.to_owned(), self.error_schema());
        out
    }
}
