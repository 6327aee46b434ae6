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
//! * **Errors.** Every operation's `default` response is the Bia error body
//!   (`bia.Error`); the reasons of the [`errors`](OpenApi::errors) given are
//!   listed with it.
//! * **Streams.** A server stream answers `text/event-stream` (one `data:`
//!   event per message) or, when asked, `application/x-ndjson`. Client and
//!   bidirectional streams are WebSockets over HTTP, which OpenAPI cannot
//!   describe: they are left out of `paths` and listed in the document's
//!   `x-bia-websockets` extension.
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

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use prost_types::field_descriptor_proto::Type;
use serde_json::{json, Map, Value};

use super::int_pattern::int_range_pattern;
use super::{DescribeErrors, DescribeService, FieldDef, Label, MessageDef, MethodDef, ReasonDef, Rule, Schema};
use super::{SchemaBuilder, ServiceDef, TypeRef};

/// The component name of the Bia error body.
pub const ERROR_SCHEMA: &str = "bia.Error";

/// The name of the bearer security scheme.
pub const BEARER_SCHEME: &str = "bearer";

/// How deep query parameters follow nested messages (`a.b.c...`): a
/// recursive message stops here, as it does at the first repeat.
const MAX_QUERY_DEPTH: usize = 8;

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

/// One HTTP binding as the server serves it.
struct Binding<'a> {
    method: String,
    path: Cow<'a, str>,
    body: &'a str,
    response_body: &'a str,
}

fn bindings<'a>(s: &ServiceDef, m: &'a MethodDef) -> Vec<Binding<'a>> {
    if m.http.is_empty() {
        // The default route: `POST /pkg.Svc/Method`, the whole message as
        // the body (a client stream's WebSocket opens with a GET there).
        let path = Cow::Owned(format!("/{}.{}/{}", s.package, s.name, m.name));
        let method = if m.client_streaming { "get" } else { "post" };
        return vec![Binding { method: method.to_owned(), path, body: "*", response_body: "" }];
    }
    m.http
        .iter()
        .map(|r| Binding {
            method: r.method.to_ascii_lowercase(),
            path: Cow::Borrowed(r.path),
            body: r.body,
            response_body: r.response_body,
        })
        .collect()
}

/// A path template's pieces: literal text and variables.
enum PathPart<'a> {
    Lit(&'a str),
    /// `{field}` or `{field=pattern}`.
    Var {
        field: &'a str,
        pattern: Option<&'a str>,
    },
}

fn parse_path(path: &str) -> Vec<PathPart<'_>> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(PathPart::Lit(&rest[..open]));
        }
        let Some(close) = rest[open..].find('}') else {
            out.push(PathPart::Lit(&rest[open..]));
            return out;
        };
        let inner = &rest[open + 1..open + close];
        out.push(match inner.split_once('=') {
            Some((field, pattern)) => PathPart::Var { field, pattern: Some(pattern) },
            None => PathPart::Var { field: inner, pattern: None },
        });
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(PathPart::Lit(rest));
    }
    out
}

/// An OpenAPI path with its variables' names left out: `/v1/user/{}`.
fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_var = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_var = true;
                out.push_str("{}");
            }
            '}' => in_var = false,
            c if !in_var => out.push(c),
            _ => {}
        }
    }
    out
}

/// Gives the path parameters (in path order) the variable names of
/// `path`, the first path of their shape; each says the field it binds.
fn rename_path_params(params: &mut [Value], path: &str) {
    let names = path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name));
    for (param, name) in params.iter_mut().filter(|p| p["in"] == "path").zip(names) {
        let field = param["name"].as_str().unwrap_or_default().to_owned();
        if field == name {
            continue;
        }
        let note = format!("The `{field}` field.");
        let description = match param["description"].as_str() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
            _ => note,
        };
        insert(param, "name", json!(name));
        insert(param, "description", json!(description));
    }
}

/// A variable's pattern (`shelves/*`, `files/**`) as a regular expression
/// of its value.
fn pattern_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    for (i, seg) in pattern.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match seg {
            "*" => out.push_str("[^/]+"),
            "**" => out.push_str(".+"),
            lit => {
                for c in lit.chars() {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        out.push(c);
                    } else {
                        out.push('\\');
                        out.push(c);
                    }
                }
            }
        }
    }
    out.push('$');
    out
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

fn is_64_bit(t: Type) -> bool {
    matches!(t, Type::Int64 | Type::Uint64 | Type::Sint64 | Type::Fixed64 | Type::Sfixed64)
}

/// Whether a value of this type can be read from one path or query value.
fn is_param_value(t: &TypeRef) -> bool {
    match t.ty {
        Type::Message => matches!(
            t.type_name,
            Some(
                "google.protobuf.Timestamp"
                    | "google.protobuf.Duration"
                    | "google.protobuf.FieldMask"
                    | "google.protobuf.DoubleValue"
                    | "google.protobuf.FloatValue"
                    | "google.protobuf.Int64Value"
                    | "google.protobuf.UInt64Value"
                    | "google.protobuf.Int32Value"
                    | "google.protobuf.UInt32Value"
                    | "google.protobuf.BoolValue"
                    | "google.protobuf.StringValue"
                    | "google.protobuf.BytesValue"
            )
        ),
        Type::Enum => t.type_name != Some("google.protobuf.NullValue"),
        Type::Group => false,
        _ => true,
    }
}

fn scalar_schema(t: Type) -> Value {
    match t {
        Type::Double | Type::Float => {
            let format = if t == Type::Double { "double" } else { "float" };
            json!({
                "anyOf": [
                    { "type": "number", "format": format },
                    { "type": "string", "enum": ["NaN", "Infinity", "-Infinity"] }
                ]
            })
        }
        Type::Int32 | Type::Sint32 | Type::Sfixed32 => json!({ "type": "integer", "format": "int32" }),
        Type::Uint32 | Type::Fixed32 => {
            json!({ "type": "integer", "format": "uint32", "minimum": 0, "maximum": u32::MAX })
        }
        // Strings: a pattern bounds them (see `int_pattern`).
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => json!({
            "type": "string",
            "format": "int64",
            "pattern": int_range_pattern(i64::MIN.into(), i64::MAX.into()),
        }),
        Type::Uint64 | Type::Fixed64 => json!({
            "type": "string",
            "format": "uint64",
            "pattern": int_range_pattern(0, u64::MAX.into()),
        }),
        Type::Bool => json!({ "type": "boolean" }),
        Type::String => json!({ "type": "string" }),
        Type::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
        Type::Group | Type::Message | Type::Enum => json!({}),
    }
}

/// The JSON form of a well-known message, or `None` for another message.
fn well_known_schema(name: &str) -> Option<Value> {
    let wrapper = |t: Type| {
        let mut s = scalar_schema(t);
        insert(&mut s, "description", json!(format!("A `{name}`: its value alone.")));
        s
    };
    Some(match name {
        "google.protobuf.Timestamp" => json!({ "type": "string", "format": "date-time" }),
        "google.protobuf.Duration" => json!({
            "type": "string",
            "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$",
            "description": "A duration in seconds with up to nine fractional digits, such as `1.5s`."
        }),
        "google.protobuf.FieldMask" => json!({
            "type": "string",
            "description": "Field paths separated by commas, in lowerCamelCase: `displayName,address.zipCode`."
        }),
        "google.protobuf.Struct" => json!({ "type": "object", "additionalProperties": true }),
        "google.protobuf.Value" => json!({ "description": "Any JSON value." }),
        "google.protobuf.ListValue" => json!({ "type": "array", "items": true }),
        "google.protobuf.Empty" => json!({ "type": "object", "properties": {} }),
        "google.protobuf.Any" => json!({
            "type": "object",
            "properties": { "@type": { "type": "string", "description": "`type.googleapis.com/` and the message's full name." } },
            "required": ["@type"],
            "additionalProperties": true,
            "description": "A message of any type: `@type` names it, the other properties are its fields (a well-known type's JSON form is under `value`)."
        }),
        "google.protobuf.DoubleValue" => wrapper(Type::Double),
        "google.protobuf.FloatValue" => wrapper(Type::Float),
        "google.protobuf.Int64Value" => wrapper(Type::Int64),
        "google.protobuf.UInt64Value" => wrapper(Type::Uint64),
        "google.protobuf.Int32Value" => wrapper(Type::Int32),
        "google.protobuf.UInt32Value" => wrapper(Type::Uint32),
        "google.protobuf.BoolValue" => wrapper(Type::Bool),
        "google.protobuf.StringValue" => wrapper(Type::String),
        "google.protobuf.BytesValue" => wrapper(Type::Bytes),
        _ => return None,
    })
}

/// Applies `rules` to the schema of one value (`ty`'s) or of the whole
/// field (`label`'s: a list, a map).
fn apply_rules(schema: &mut Value, rules: &[Rule], label: Label, ty: &TypeRef, notes: &mut Vec<String>) {
    for r in rules {
        match r {
            Rule::Length { min, max } => {
                let (lo, hi) = match label {
                    Label::Repeated => ("minItems", "maxItems"),
                    Label::Map => ("minProperties", "maxProperties"),
                    _ if ty.ty == Type::String => ("minLength", "maxLength"),
                    _ => {
                        // Bytes: the rule counts bytes, the JSON is base64.
                        notes.push(length_note(*min, *max, "bytes"));
                        continue;
                    }
                };
                if let Some(v) = min {
                    insert(schema, lo, json!(v));
                }
                if let Some(v) = max {
                    insert(schema, hi, json!(v));
                }
            }
            Rule::Range { min, max } => {
                if is_64_bit(ty.ty) {
                    // The JSON is a string: the pattern takes the bounds, and a
                    // note says them, as keywords for numbers would not apply.
                    let (mut lo, mut hi): (i128, i128) = if matches!(ty.ty, Type::Uint64 | Type::Fixed64) {
                        (0, u64::MAX.into())
                    } else {
                        (i64::MIN.into(), i64::MAX.into())
                    };
                    if let Some((v, inc)) = min {
                        let v = if *inc { v.ceil() } else { v.floor() + 1.0 };
                        lo = lo.max(v as i128);
                    }
                    if let Some((v, inc)) = max {
                        let v = if *inc { v.floor() } else { v.ceil() - 1.0 };
                        hi = hi.min(v as i128);
                    }
                    if lo <= hi {
                        insert(schema, "pattern", json!(int_range_pattern(lo, hi)));
                    }
                    let mut parts = Vec::new();
                    if let Some((v, inc)) = min {
                        parts.push(format!("{} {v}", if *inc { "at least" } else { "more than" }));
                    }
                    if let Some((v, inc)) = max {
                        parts.push(format!("{} {v}", if *inc { "at most" } else { "less than" }));
                    }
                    notes.push(format!("Must be {}.", parts.join(" and ")));
                    continue;
                }
                let target = number_part(schema);
                if let Some((v, inc)) = min {
                    insert(target, if *inc { "minimum" } else { "exclusiveMinimum" }, number(*v));
                }
                if let Some((v, inc)) = max {
                    insert(target, if *inc { "maximum" } else { "exclusiveMaximum" }, number(*v));
                }
            }
            Rule::Pattern(p) => insert(schema, "pattern", json!(p)),
            Rule::Email => insert(schema, "format", json!("email")),
            Rule::Required => match label {
                Label::Repeated => insert(schema, "minItems", json!(1)),
                Label::Map => insert(schema, "minProperties", json!(1)),
                Label::Singular if ty.ty == Type::String && schema.get("minLength").is_none() => {
                    insert(schema, "minLength", json!(1))
                }
                _ => {}
            },
            Rule::Each(inner) => {
                let key = if label == Label::Map { "additionalProperties" } else { "items" };
                if let Some(item) = schema.get_mut(key) {
                    apply_rules(item, inner, Label::Singular, ty, notes);
                }
            }
        }
    }
}

/// Whether a field must be sent: `required`, or a rule its default value
/// (what an absent field reads as in proto3) fails, such as a pattern that
/// `""` does not match, `email`, a least length or a range without zero.
fn is_required(f: &FieldDef) -> bool {
    if f.label == Label::Optional {
        // Absent is `None`, which the rules leave alone.
        return f.rules.contains(&Rule::Required);
    }
    let text = matches!(f.ty.ty, Type::String | Type::Bytes);
    let number = !text && !matches!(f.ty.ty, Type::Message | Type::Enum | Type::Group | Type::Bool);
    f.rules.iter().any(|r| match r {
        Rule::Required => true,
        Rule::Length { min: Some(min), .. } => *min > 0,
        Rule::Email => f.label == Label::Singular && text,
        Rule::Pattern(p) => {
            f.label == Label::Singular && text && regex_lite::Regex::new(p).is_ok_and(|re| !re.is_match(""))
        }
        Rule::Range { min, max } if f.label == Label::Singular && number => {
            let above = min.is_some_and(|(v, inc)| if inc { v > 0.0 } else { v >= 0.0 });
            let below = max.is_some_and(|(v, inc)| if inc { v < 0.0 } else { v <= 0.0 });
            above || below
        }
        _ => false,
    })
}

/// An enum's description: its doc comment, then its documented values as a
/// list (`- `NAME`: what it means.`).
fn enum_doc(e: &super::EnumDef) -> Option<String> {
    let values: Vec<String> = e
        .values
        .iter()
        .zip(&e.value_docs)
        .map(|((name, _), doc)| (name, clean_doc(doc)))
        .filter(|(_, doc)| !doc.is_empty())
        .map(|(name, doc)| format!("- `{name}`: {}", doc.replace('\n', " ")))
        .collect();
    let doc = clean_doc(e.doc);
    let text = match (doc.is_empty(), values.is_empty()) {
        (true, true) => return None,
        (false, true) => doc,
        (true, false) => values.join("\n"),
        (false, false) => format!("{doc}\n\n{}", values.join("\n")),
    };
    Some(text)
}

/// A description and the notes of its rules, as paragraphs.
fn with_notes(mut doc: String, notes: Vec<String>) -> String {
    for n in notes.into_iter().filter(|n| !n.is_empty()) {
        doc = if doc.is_empty() { n } else { format!("{doc}\n\n{n}") };
    }
    doc
}

fn length_note(min: Option<usize>, max: Option<usize>, unit: &str) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("From {a} to {b} {unit}."),
        (Some(a), None) => format!("At least {a} {unit}."),
        (None, Some(b)) => format!("At most {b} {unit}."),
        (None, None) => String::new(),
    }
}

/// The part of a float's schema (`anyOf` number or special string) that
/// holds the number.
fn number_part(schema: &mut Value) -> &mut Value {
    let is_any_of = schema.get("anyOf").is_some();
    if is_any_of {
        return &mut schema["anyOf"][0];
    }
    schema
}

/// A bound as JSON: an integer when it is one.
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
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

    /// The services' styles, the operation ids, and the paths.
    fn paths(&self) -> (Map<String, Value>, Vec<Value>, bool) {
        // A method name two services share is qualified by the service.
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for s in self.schema.services() {
            for m in &s.methods {
                *seen.entry(m.name).or_default() += 1;
            }
        }
        let mut ids: BTreeSet<String> = BTreeSet::new();
        let mut paths: Map<String, Value> = Map::new();
        let mut websockets = Vec::new();
        let mut any_bearer = false;
        // Path shape (`/v1/user/{}`) -> the first path of that shape.
        let mut shapes: BTreeMap<String, String> = BTreeMap::new();
        for s in self.schema.services() {
            let style = Style::of(s);
            let tag = format!("{}.{}", s.package, s.name);
            for m in &s.methods {
                let operation = format!("/{tag}/{}", m.name);
                let bearer = self.api.bearer.as_ref().is_some_and(|g| g(&operation));
                let base = if seen[m.name] > 1 { format!("{}_{}", s.name, m.name) } else { m.name.to_owned() };
                for (i, b) in bindings(s, m).iter().enumerate() {
                    let mut id = if i == 0 { base.clone() } else { format!("{base}_{}", i + 1) };
                    while ids.contains(&id) {
                        id.push('_');
                    }
                    ids.insert(id.clone());
                    if m.client_streaming {
                        websockets.push(self.websocket(&operation, &id, &tag, m, b, style, bearer));
                        any_bearer |= bearer;
                        continue;
                    }
                    let (mut path, mut params) = self.path_params(m, &b.path);
                    // OpenAPI holds templates that differ only in their variables'
                    // names to be one path (`/v1/user/{id}` and `/v1/user/{user.id}`):
                    // the first one's names name the variables of the others.
                    match shapes.get(&path_shape(&path)) {
                        Some(first) if *first != path => {
                            rename_path_params(&mut params, first);
                            path.clone_from(first);
                        }
                        Some(_) => {}
                        None => {
                            shapes.insert(path_shape(&path), path.clone());
                        }
                    }
                    let op = self.operation(&id, &tag, m, b, style, params, bearer);
                    any_bearer |= bearer;
                    let entry = paths.entry(path).or_insert_with(|| json!({}));
                    insert(entry, &b.method, op);
                }
            }
        }
        (paths, websockets, any_bearer)
    }

    /// The OpenAPI path of a template and its path parameters.
    fn path_params(&self, m: &MethodDef, path: &str) -> (String, Vec<Value>) {
        let mut out = String::new();
        let mut params = Vec::new();
        for part in parse_path(path) {
            match part {
                PathPart::Lit(l) => out.push_str(l),
                PathPart::Var { field, pattern } => {
                    out.push('{');
                    out.push_str(field);
                    out.push('}');
                    let (mut schema, mut description) = match self.field_at(m.input, field) {
                        Some(f) => {
                            let mut notes = Vec::new();
                            let schema = self.param_schema(f, &mut notes);
                            (schema, with_notes(clean_doc(f.doc), notes))
                        }
                        None => (json!({ "type": "string" }), String::new()),
                    };
                    if let Some(p) = pattern.filter(|p| *p != "*") {
                        insert(&mut schema, "pattern", json!(pattern_regex(p)));
                        let note = format!("Matches `{p}` (`*` is one path segment, `**` the rest of the path).");
                        description = if description.is_empty() { note } else { format!("{description}\n\n{note}") };
                    }
                    let mut param = json!({ "name": field, "in": "path", "required": true, "schema": schema });
                    if !description.is_empty() {
                        insert(&mut param, "description", json!(description));
                    }
                    params.push(param);
                }
            }
        }
        (out, params)
    }

    /// The field at a dotted path (`user.id`) of a message.
    fn field_at(&self, message: &str, path: &str) -> Option<&FieldDef> {
        let mut msg = self.schema.message(message)?;
        let mut parts = path.split('.').peekable();
        while let Some(name) = parts.next() {
            let f = msg.fields.iter().find(|f| f.name == name)?;
            if parts.peek().is_none() {
                return Some(f);
            }
            msg = self.schema.message(f.ty.type_name?)?;
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &self,
        id: &str,
        tag: &str,
        m: &MethodDef,
        b: &Binding<'_>,
        style: Style,
        mut params: Vec<Value>,
        bearer: bool,
    ) -> Value {
        let mut op = Map::new();
        op.insert("tags".into(), json!([tag]));
        op.insert("operationId".into(), json!(id));
        let doc = clean_doc(m.doc);
        if !doc.is_empty() {
            let sum = summary(&doc);
            if sum != doc {
                op.insert("description".into(), json!(doc));
            }
            op.insert("summary".into(), json!(sum));
        }
        if b.body != "*" {
            let mut bound: Vec<String> = parse_path(&b.path)
                .into_iter()
                .filter_map(|p| match p {
                    PathPart::Var { field, .. } => Some(field.to_owned()),
                    PathPart::Lit(_) => None,
                })
                .collect();
            if !b.body.is_empty() {
                bound.push(b.body.to_owned());
            }
            if let Some(msg) = self.schema.message(m.input) {
                let mut stack = vec![m.input];
                self.query_params(msg, "", &bound, &mut stack, &mut params);
            }
        }
        if !params.is_empty() {
            op.insert("parameters".into(), json!(params));
        }
        if !b.body.is_empty() {
            let schema = if b.body == "*" {
                self.message_ref(m.input, style)
            } else {
                match self.field_at(m.input, b.body) {
                    Some(f) => self.field_schema(f, style, &mut Vec::new()),
                    None => json!({}),
                }
            };
            // Required when a field in it must be sent: an empty body reads as
            // the message with every field absent.
            let required = if b.body == "*" {
                self.schema
                    .message(m.input)
                    .is_some_and(|msg| msg.fields.iter().any(|f| f.oneof.is_none() && is_required(f)))
            } else {
                self.field_at(m.input, b.body).is_some_and(is_required)
            };
            op.insert(
                "requestBody".into(),
                json!({ "required": required, "content": { "application/json": { "schema": schema } } }),
            );
        }
        let reply = if b.response_body.is_empty() {
            self.message_ref(m.output, style)
        } else {
            match self.field_at(m.output, b.response_body) {
                Some(f) => self.field_schema(f, style, &mut Vec::new()),
                None => json!({}),
            }
        };
        let ok = if m.server_streaming {
            json!({
                "description": "A stream of replies: one server-sent event (`data:`) per message, a `: heartbeat` comment while idle, and an error that ends the stream as a last `event: error` with the error body. With `Accept: application/x-ndjson`, one JSON line per message (`{\"result\": ...}`) and a last `{\"error\": ...}` line for an error.",
                "content": {
                    "text/event-stream": { "schema": { "type": "string" } },
                    "application/x-ndjson": {
                        "schema": {
                            "description": "One line of the stream.",
                            "oneOf": [
                                { "type": "object", "properties": { "result": reply }, "required": ["result"] },
                                { "type": "object", "properties": { "error": reference(ERROR_SCHEMA) }, "required": ["error"] }
                            ]
                        }
                    }
                }
            })
        } else {
            json!({ "description": "OK", "content": { "application/json": { "schema": reply } } })
        };
        let mut responses = Map::new();
        responses.insert("200".into(), ok);
        if bearer {
            responses.insert(
                "401".into(),
                json!({
                    "description": "The bearer token is missing or invalid (reason `UNAUTHORIZED`).",
                    "content": { "application/json": { "schema": reference(ERROR_SCHEMA) } }
                }),
            );
            op.insert("security".into(), json!([{ BEARER_SCHEME: [] }]));
        }
        responses.insert("default".into(), json!({ "$ref": "#/components/responses/Error" }));
        op.insert("responses".into(), Value::Object(responses));
        Value::Object(op)
    }

    #[allow(clippy::too_many_arguments)]
    fn websocket(
        &self,
        operation: &str,
        id: &str,
        tag: &str,
        m: &MethodDef,
        b: &Binding<'_>,
        style: Style,
        bearer: bool,
    ) -> Value {
        let (path, _) = self.path_params(m, &b.path);
        let kind = if m.server_streaming { "bidirectional" } else { "client" };
        let mut ws = json!({
            "operation": operation,
            "operationId": id,
            "tag": tag,
            "path": path,
            "method": "get",
            "description": format!(
                "A {kind} stream over a WebSocket (a GET upgrade on this path): one JSON request message per text frame, an empty text frame to end the stream; each reply arrives as `{{\"result\": ...}}`, an error as `{{\"error\": ...}}` before a close with code 4000 + status."
            ),
            "request": self.message_ref(m.input, style),
            "reply": self.message_ref(m.output, style),
        });
        let doc = clean_doc(m.doc);
        if !doc.is_empty() {
            insert(&mut ws, "summary", json!(summary(&doc)));
        }
        if bearer {
            insert(&mut ws, "security", json!([{ BEARER_SCHEME: [] }]));
        }
        ws
    }

    /// The query parameters of `msg`'s fields under `prefix`, but those in
    /// `bound` (the path's and the body's).
    fn query_params(
        &self,
        msg: &MessageDef,
        prefix: &str,
        bound: &[String],
        stack: &mut Vec<&'static str>,
        out: &mut Vec<Value>,
    ) {
        for f in &msg.fields {
            let name = format!("{prefix}{}", f.name);
            if bound.contains(&name) {
                continue;
            }
            match f.label {
                Label::Map => continue,
                Label::Repeated if !is_param_value(&f.ty) => continue,
                _ => {}
            }
            if is_param_value(&f.ty) {
                let mut notes = Vec::new();
                let schema = self.param_schema(f, &mut notes);
                let mut p = json!({ "name": name, "in": "query", "schema": schema });
                if f.label == Label::Repeated {
                    insert(&mut p, "style", json!("form"));
                    insert(&mut p, "explode", json!(true));
                }
                // Only a top-level field can be required: a nested one is
                // absent with its message.
                if prefix.is_empty() && f.oneof.is_none() && is_required(f) {
                    insert(&mut p, "required", json!(true));
                }
                let doc = with_notes(clean_doc(f.doc), notes);
                if !doc.is_empty() {
                    insert(&mut p, "description", json!(doc));
                }
                out.push(p);
                continue;
            }
            // A nested message: its fields as `name.field`, once per path.
            let Some(inner_name) = f.ty.type_name else { continue };
            let Some(inner) = self.schema.message(inner_name) else { continue };
            if f.label == Label::Repeated || stack.contains(&inner_name) || stack.len() >= MAX_QUERY_DEPTH {
                continue;
            }
            stack.push(inner_name);
            self.query_params(inner, &format!("{name}."), bound, stack, out);
            stack.pop();
        }
    }

    /// The schema of a field read from one path or query value: its value
    /// and rules (`Required` aside: a parameter's own `required` says it).
    fn param_schema(&self, f: &FieldDef, notes: &mut Vec<String>) -> Value {
        let mut schema = if f.label == Label::Optional {
            let mut schema = self.value_schema(&f.ty, Style::Json);
            let rules: Vec<Rule> = f.rules.iter().filter(|r| **r != Rule::Required).cloned().collect();
            apply_rules(&mut schema, &rules, Label::Singular, &f.ty, notes);
            schema
        } else {
            self.field_schema(f, Style::Json, notes)
        };
        if let Some(obj) = schema.as_object_mut() {
            obj.remove("description");
        }
        schema
    }

    fn message_ref(&self, full_name: &str, style: Style) -> Value {
        match well_known_schema(full_name) {
            Some(s) => s,
            None => reference(&style.component(full_name)),
        }
    }

    /// The schema of one value of type `t`.
    fn value_schema(&self, t: &TypeRef, style: Style) -> Value {
        match t.ty {
            Type::Message => {
                let name = t.type_name.unwrap_or_default();
                self.message_ref(name, style)
            }
            Type::Enum => match t.type_name {
                Some("google.protobuf.NullValue") => json!({ "type": "null" }),
                Some(name) => reference(name),
                None => json!({ "type": "string" }),
            },
            other => scalar_schema(other),
        }
    }

    /// The schema of a field: its value, list or map, presence and rules.
    fn field_schema(&self, f: &FieldDef, style: Style, notes: &mut Vec<String>) -> Value {
        let value = self.value_schema(&f.ty, style);
        let mut schema = match f.label {
            Label::Singular | Label::Optional => value,
            Label::Repeated => json!({ "type": "array", "items": value }),
            Label::Map => {
                let mut m = json!({ "type": "object", "additionalProperties": value });
                if let Some(k) = &f.key {
                    let keys = match k.ty {
                        Type::Bool => Some(json!({ "enum": ["true", "false"] })),
                        Type::String => None,
                        _ => Some(json!({ "pattern": "^-?[0-9]+$" })),
                    };
                    if let Some(keys) = keys {
                        insert(&mut m, "propertyNames", keys);
                    }
                }
                m
            }
        };
        // A `$ref` keeps its own description: a field's goes beside it.
        if schema.get("$ref").is_some() && (!f.rules.is_empty()) {
            schema = json!({ "allOf": [schema] });
        }
        apply_rules(&mut schema, &f.rules, f.label, &f.ty, notes);
        let required = f.rules.contains(&Rule::Required);
        if f.label == Label::Optional && !required {
            schema = nullable(schema);
        }
        let mut doc = clean_doc(f.doc);
        for n in notes.iter().filter(|n| !n.is_empty()) {
            doc = if doc.is_empty() { n.clone() } else { format!("{doc}\n\n{n}") };
        }
        if !doc.is_empty() {
            insert(&mut schema, "description", json!(doc));
        }
        schema
    }

    fn message_schema(&self, m: &MessageDef, style: Style) -> Value {
        let mut props = Map::new();
        let mut required = Vec::new();
        let mut oneofs: Vec<(&str, Vec<&str>, bool)> = Vec::new();
        for f in &m.fields {
            let name = style.name(f);
            let mut notes = Vec::new();
            let mut schema = self.field_schema(f, style, &mut notes);
            let req = f.rules.contains(&Rule::Required) || (f.oneof.is_none() && is_required(f));
            if let Some(o) = f.oneof {
                match oneofs.iter_mut().find(|(n, _, _)| *n == o) {
                    Some((_, members, r)) => {
                        members.push(name);
                        *r |= req;
                    }
                    None => oneofs.push((o, vec![name], req)),
                }
                if req {
                    // The oneof's rule, stated by `oneOf` below.
                    if let Some(obj) = schema.as_object_mut() {
                        obj.remove("minLength");
                    }
                }
            } else if req {
                required.push(name);
            }
            props.insert(name.to_owned(), schema);
        }
        let mut s = Map::new();
        s.insert("type".into(), json!("object"));
        let doc = clean_doc(m.doc);
        if !doc.is_empty() {
            s.insert("description".into(), json!(doc));
        }
        s.insert("properties".into(), Value::Object(props));
        if !required.is_empty() {
            s.insert("required".into(), json!(required));
        }
        let mut constraints: Vec<Value> = oneofs
            .iter()
            .map(|(_, members, req)| {
                let mut branches: Vec<Value> = members.iter().map(|n| json!({ "required": [n] })).collect();
                if !req {
                    branches.push(json!({ "not": { "anyOf": branches.clone() } }));
                }
                json!({ "oneOf": branches })
            })
            .collect();
        match constraints.len() {
            0 => {}
            1 => {
                let one = constraints.remove(0);
                s.insert("oneOf".into(), one["oneOf"].clone());
            }
            _ => {
                s.insert("allOf".into(), json!(constraints));
            }
        }
        if !oneofs.is_empty() {
            let names: Vec<String> = oneofs
                .iter()
                .map(|(o, members, req)| {
                    let which = if *req { "exactly one" } else { "at most one" };
                    format!(
                        "`{o}`: {which} of {}",
                        members.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                    )
                })
                .collect();
            s.insert("x-bia-oneofs".into(), json!(names));
        }
        Value::Object(s)
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
