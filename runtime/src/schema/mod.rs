//! The schema of services and messages, derived from the same macro model that
//! generates the code: a `FileDescriptorSet` (gRPC reflection) and `.proto`
//! text with `google.api.http` options (code generation in other languages).
//!
//! ```
//! #[bia::message(package = "hello.v1")]
//! pub struct HelloRequest { pub name: String }
//! #[bia::message(package = "hello.v1")]
//! pub struct HelloReply { pub message: String }
//!
//! #[bia::service(package = "hello.v1")]
//! pub trait Greeter: Send + Sync + 'static {
//!     #[rpc(get = "/hello/<name>")]
//!     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! }
//!
//! let schema = bia::schema::Schema::of::<GreeterServer<()>>();
//! let proto = schema.proto_files();
//! assert!(proto[0].1.contains("rpc SayHello(HelloRequest) returns (HelloReply)"));
//! assert!(proto[0].1.contains(r#"get: "/hello/{name}""#));
//! assert_eq!(schema.file_descriptor_set().file[0].package(), "hello.v1");
//! ```

mod descriptor;
mod int_pattern;
mod openapi;
mod proto;

use std::collections::{BTreeMap, BTreeSet};

use prost_types::field_descriptor_proto::Type;

pub use descriptor::well_known_files;
pub(crate) use openapi::{pretty as openapi_pretty, yaml as openapi_yaml};
pub use openapi::{OpenApi, BEARER_SCHEME, ERROR_SCHEMA};

/// A service whose schema can be described (implemented by generated servers).
pub trait DescribeService {
    /// `package.Service`.
    const SERVICE_NAME: &'static str;
    /// Registers the service, its messages and enums.
    fn describe(b: &mut SchemaBuilder);
}

/// The type of a field as the schema sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    /// The proto type.
    pub ty: Type,
    /// `package.Name` for messages and enums.
    pub type_name: Option<&'static str>,
    /// The file that defines a well-known type.
    pub well_known_file: Option<&'static str>,
}

impl TypeRef {
    /// A scalar.
    pub fn scalar(ty: Type) -> Self {
        Self { ty, type_name: None, well_known_file: None }
    }
    /// A message.
    pub fn message(full_name: &'static str) -> Self {
        Self { ty: Type::Message, type_name: Some(full_name), well_known_file: None }
    }
    /// An enum.
    pub fn enumeration(full_name: &'static str) -> Self {
        Self { ty: Type::Enum, type_name: Some(full_name), well_known_file: None }
    }
    /// A well-known message such as `google.protobuf.Timestamp`.
    pub fn well_known(full_name: &'static str, file: &'static str) -> Self {
        Self { ty: Type::Message, type_name: Some(full_name), well_known_file: Some(file) }
    }
    /// A well-known enum (`google.protobuf.NullValue`).
    pub fn well_known_enum(full_name: &'static str, file: &'static str) -> Self {
        Self { ty: Type::Enum, type_name: Some(full_name), well_known_file: Some(file) }
    }
}

/// How a field repeats or is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Implicit presence (`T`).
    Singular,
    /// Explicit presence (`Option<T>`): proto3 `optional` for scalars.
    Optional,
    /// `repeated`.
    Repeated,
    /// `map<K, V>`.
    Map,
}

/// One field of a message.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// The proto (snake_case) name.
    pub name: &'static str,
    /// The JSON name.
    pub json_name: &'static str,
    /// The tag.
    pub number: u32,
    /// Presence or repetition.
    pub label: Label,
    /// The value type (for maps, the value of an entry).
    pub ty: TypeRef,
    /// The key type of a map.
    pub key: Option<TypeRef>,
    /// The oneof this field is a member of.
    pub oneof: Option<&'static str>,
    /// Doc comment.
    pub doc: &'static str,
    /// The field's `#[validate(..)]` rules (the OpenAPI document states them).
    pub rules: Vec<Rule>,
}

/// One `#[validate(..)]` rule of a field, as the schema states it.
///
/// ```
/// use bia::schema::Rule;
///
/// #[bia::message(package = "demo.v1")]
/// pub struct Signup {
///     #[validate(length(min = 3, max = 20))]
///     pub name: String,
/// }
///
/// let schema = bia::schema::Schema::from_fns(&[<Signup as bia::Message>::describe]);
/// let (_, m) = schema.messages().next().unwrap();
/// assert_eq!(m.fields[0].rules, vec![Rule::Length { min: Some(3), max: Some(20) }]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Rule {
    /// Characters of a string, bytes, items of a list or entries of a map.
    Length {
        /// At least.
        min: Option<usize>,
        /// At most.
        max: Option<usize>,
    },
    /// Bounds of a number: `(bound, inclusive)`.
    Range {
        /// The lower bound.
        min: Option<(f64, bool)>,
        /// The upper bound.
        max: Option<(f64, bool)>,
    },
    /// A regular expression the string contains a match of.
    Pattern(&'static str),
    /// An email address.
    Email,
    /// Set: `Some`, a non-empty string, list or map, or a oneof with a member set.
    Required,
    /// Rules of every item of a list or value of a map.
    Each(Vec<Rule>),
}

/// One reason of a `#[bia::errors]` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonDef {
    /// `UPPER_SNAKE_CASE` reason.
    pub reason: &'static str,
    /// HTTP status code.
    pub code: u16,
    /// Doc comment of the variant.
    pub doc: &'static str,
}

/// An error enum whose reasons can be described (implemented by
/// `#[bia::errors]` enums).
///
/// ```
/// use bia::schema::DescribeErrors;
///
/// #[bia::errors(domain = "user.v1")]
/// pub enum UserError {
///     /// No user has this id.
///     #[error(code = 404)]
///     UserNotFound,
/// }
///
/// assert_eq!(UserError::REASONS[0].reason, "USER_NOT_FOUND");
/// assert_eq!(UserError::REASONS[0].code, 404);
/// ```
pub trait DescribeErrors {
    /// The domain of the errors.
    const DOMAIN: &'static str;
    /// Every reason, in declaration order.
    const REASONS: &'static [ReasonDef];
}

/// A message.
#[derive(Debug, Clone)]
pub struct MessageDef {
    /// Package.
    pub package: &'static str,
    /// Name.
    pub name: &'static str,
    /// Fields in declaration order.
    pub fields: Vec<FieldDef>,
    /// Reserved tags.
    pub reserved: Vec<u32>,
    /// Doc comment.
    pub doc: &'static str,
}

/// An enum.
#[derive(Debug, Clone)]
pub struct EnumDef {
    /// Package.
    pub package: &'static str,
    /// Name.
    pub name: &'static str,
    /// Names and numbers.
    pub values: Vec<(&'static str, i32)>,
    /// Doc comment.
    pub doc: &'static str,
    /// The doc comment of each value (as `values`; may be shorter).
    pub value_docs: Vec<&'static str>,
}

/// One HTTP binding of a method (`google.api.HttpRule`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRule {
    /// `GET`, `POST`, ... (upper case).
    pub method: &'static str,
    /// The path template in google.api.http syntax: `/v1/user/{id}`.
    pub path: &'static str,
    /// `""`, `"*"` or a field name.
    pub body: &'static str,
    /// `""` or a field name.
    pub response_body: &'static str,
}

/// One method of a service.
#[derive(Debug, Clone)]
pub struct MethodDef {
    /// PascalCase name.
    pub name: &'static str,
    /// `package.Name` of the request message.
    pub input: &'static str,
    /// `package.Name` of the reply message.
    pub output: &'static str,
    /// The client sends a stream of requests.
    pub client_streaming: bool,
    /// The server sends a stream of replies.
    pub server_streaming: bool,
    /// HTTP bindings; the first is the main rule.
    pub http: Vec<HttpRule>,
    /// Doc comment.
    pub doc: &'static str,
}

/// A service.
#[derive(Debug, Clone)]
pub struct ServiceDef {
    /// Package.
    pub package: &'static str,
    /// Name.
    pub name: &'static str,
    /// Methods.
    pub methods: Vec<MethodDef>,
    /// Doc comment.
    pub doc: &'static str,
    /// The HTTP replies use the proto (snake_case) field names
    /// (`#[bia::service(json = "snake_case")]`).
    pub snake_case: bool,
}

/// Collects services, messages and enums.
#[derive(Debug, Default)]
pub struct SchemaBuilder {
    messages: BTreeMap<&'static str, MessageDef>,
    in_progress: BTreeSet<&'static str>,
    enums: BTreeMap<String, EnumDef>,
    services: BTreeMap<String, ServiceDef>,
    well_known: BTreeMap<&'static str, &'static str>,
}

impl SchemaBuilder {
    /// Starts describing a message; `false` when it is already known (stop).
    pub fn begin_message(&mut self, full_name: &'static str) -> bool {
        !self.messages.contains_key(full_name) && self.in_progress.insert(full_name)
    }
    /// Finishes a message started with [`SchemaBuilder::begin_message`].
    pub fn add_message(&mut self, full_name: &'static str, def: MessageDef) {
        self.in_progress.remove(full_name);
        self.messages.insert(full_name, def);
    }
    /// Adds an enum.
    pub fn add_enum(&mut self, def: EnumDef) {
        self.enums.insert(format!("{}.{}", def.package, def.name), def);
    }
    /// Adds a service.
    pub fn add_service(&mut self, def: ServiceDef) {
        self.services.insert(format!("{}.{}", def.package, def.name), def);
    }
    /// Notes a well-known type used whole (a method's request or reply, such
    /// as `google.protobuf.Empty`): its file is imported, nothing is defined.
    pub fn add_well_known(&mut self, full_name: &'static str, file: &'static str) {
        self.well_known.insert(full_name, file);
    }
    /// The finished schema.
    pub fn build(self) -> Schema {
        Schema { messages: self.messages, enums: self.enums, services: self.services, well_known: self.well_known }
    }
}

/// Services, messages and enums, grouped by package into files.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    messages: BTreeMap<&'static str, MessageDef>,
    enums: BTreeMap<String, EnumDef>,
    services: BTreeMap<String, ServiceDef>,
    /// Well-known messages used whole, and the files that define them.
    well_known: BTreeMap<&'static str, &'static str>,
}

impl Schema {
    /// The schema of one service.
    pub fn of<S: DescribeService>() -> Self {
        let mut b = SchemaBuilder::default();
        S::describe(&mut b);
        b.build()
    }

    /// The schema of several services.
    pub fn from_fns(describe: &[fn(&mut SchemaBuilder)]) -> Self {
        let mut b = SchemaBuilder::default();
        for d in describe {
            d(&mut b);
        }
        b.build()
    }

    /// Names of the services, `package.Service`.
    pub fn service_names(&self) -> impl Iterator<Item = &str> {
        self.services.keys().map(String::as_str)
    }

    /// The services.
    pub fn services(&self) -> impl Iterator<Item = &ServiceDef> {
        self.services.values()
    }

    /// The messages, by full name.
    pub fn messages(&self) -> impl Iterator<Item = (&str, &MessageDef)> {
        self.messages.iter().map(|(k, v)| (*k, v))
    }

    /// A message by full name (`user.v1.UserInfo`).
    pub fn message(&self, full_name: &str) -> Option<&MessageDef> {
        self.messages.get(full_name)
    }

    /// The enums, by full name.
    pub fn enums(&self) -> impl Iterator<Item = (&str, &EnumDef)> {
        self.enums.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// An enum by full name.
    pub fn enumeration(&self, full_name: &str) -> Option<&EnumDef> {
        self.enums.get(full_name)
    }

    /// Packages, sorted.
    fn packages(&self) -> BTreeSet<&'static str> {
        let mut p = BTreeSet::new();
        p.extend(self.messages.values().map(|m| m.package));
        p.extend(self.enums.values().map(|e| e.package));
        p.extend(self.services.values().map(|s| s.package));
        p
    }

    /// The file that holds a package's definitions: `user.v1` -> `user/v1.proto`.
    pub fn file_name(package: &str) -> String {
        format!("{}.proto", package.replace('.', "/"))
    }

    fn package_of(&self, full_name: &str) -> Option<&'static str> {
        if let Some(m) = self.messages.get(full_name) {
            return Some(m.package);
        }
        self.enums.get(full_name).map(|e| e.package)
    }

    /// The files a package's file imports, sorted.
    fn imports(&self, package: &str) -> (BTreeSet<String>, bool) {
        let mut deps = BTreeSet::new();
        let mut http = false;
        let add = |t: &TypeRef, deps: &mut BTreeSet<String>| {
            if let Some(f) = t.well_known_file.or_else(|| t.type_name.and_then(|n| self.well_known.get(n).copied())) {
                deps.insert(f.to_owned());
            } else if let Some(name) = t.type_name {
                if let Some(p) = self.package_of(name) {
                    if p != package {
                        deps.insert(Self::file_name(p));
                    }
                }
            }
        };
        for m in self.messages.values().filter(|m| m.package == package) {
            for f in &m.fields {
                add(&f.ty, &mut deps);
                if let Some(k) = &f.key {
                    add(k, &mut deps);
                }
            }
        }
        for s in self.services.values().filter(|s| s.package == package) {
            for m in &s.methods {
                add(&TypeRef::message(m.input), &mut deps);
                add(&TypeRef::message(m.output), &mut deps);
                http |= !m.http.is_empty();
            }
        }
        (deps, http)
    }
}

/// The PascalCase name of a map entry message: `label_counts` -> `LabelCountsEntry`.
pub(crate) fn map_entry_name(field: &str) -> String {
    let mut out = camel(field, true);
    out.push_str("Entry");
    out
}

/// `snake_case` to lowerCamelCase (protoc's default JSON name of a field)
/// or, with `upper`, to PascalCase.
pub(crate) fn camel(name: &str, upper: bool) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = upper;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
