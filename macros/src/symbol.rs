//! Every keyword an attribute parser compares with, in one place, so a
//! keyword is spelled once and a reader finds the whole vocabulary here.

/// `#[bia::message(...)]`, `#[bia::enumeration(...)]`, `#[bia::service(...)]`.
pub const PACKAGE: &str = "package";
pub const NAME: &str = "name";
pub const RESERVED: &str = "reserved";
pub const JSON: &str = "json";
/// The values of `json = ".."`.
pub const SNAKE_CASE: &str = "snake_case";
pub const CAMEL_CASE: &str = "camelCase";

/// `crate = "path"`: every macro takes it.
pub const CRATE: &str = "crate";

/// `#[field(...)]` on message fields and oneof variants.
pub const FIELD: &str = "field";
pub const TAG: &str = "tag";
pub const JSON_NAME: &str = "json_name";
pub const ONEOF: &str = "oneof";

/// `#[validate(...)]` on message fields.
pub const VALIDATE: &str = "validate";
pub const LENGTH: &str = "length";
pub const RANGE: &str = "range";
pub const PATTERN: &str = "pattern";
pub const EMAIL: &str = "email";
pub const REQUIRED: &str = "required";
pub const NESTED: &str = "nested";
pub const EACH: &str = "each";
/// The bounds of `length(..)` and `range(..)`.
pub const MIN: &str = "min";
pub const MAX: &str = "max";
pub const GT: &str = "gt";
pub const LT: &str = "lt";

/// `#[value(...)]` on enum variants.
pub const VALUE: &str = "value";

/// `#[rpc(...)]` on service methods.
pub const RPC: &str = "rpc";
pub const VERBS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
pub const CUSTOM: &str = "custom";
pub const METHOD: &str = "method";
pub const PATH: &str = "path";
pub const BODY: &str = "body";
/// `body = "*"`: the whole message.
pub const WHOLE_MESSAGE: &str = "*";
pub const RESPONSE_BODY: &str = "response_body";
pub const ADDITIONAL_BINDINGS: &str = "additional_bindings";
/// `#[rpc(idempotent)]`: the operation may be sent again (retried).
pub const IDEMPOTENT: &str = "idempotent";

/// `#[bia::errors(...)]` and `#[error(...)]` on its variants.
pub const DOMAIN: &str = "domain";
pub const DEFAULT_CODE: &str = "default_code";
pub const ERROR: &str = "error";
pub const CODE: &str = "code";
pub const MESSAGE: &str = "message";

/// `#[bia::provider(bind = dyn Trait)]`.
pub const BIND: &str = "bind";

/// The method of a `#[bia::middleware]` impl block.
pub const HANDLE: &str = "handle";

/// Rust's own attributes the macros read or write.
pub const DOC: &str = "doc";
pub const DERIVE: &str = "derive";
pub const DEFAULT: &str = "default";

/// The proto scalar encodings `#[field(...)]` may name, with the Rust type
/// each one fits and the runtime codec that writes it.
pub const ENCODINGS: [(&str, &str, &str); 15] = [
    ("int32", "i32", "Int32"),
    ("sint32", "i32", "SInt32"),
    ("sfixed32", "i32", "SFixed32"),
    ("int64", "i64", "Int64"),
    ("sint64", "i64", "SInt64"),
    ("sfixed64", "i64", "SFixed64"),
    ("uint32", "u32", "UInt32"),
    ("fixed32", "u32", "Fixed32"),
    ("uint64", "u64", "UInt64"),
    ("fixed64", "u64", "Fixed64"),
    ("float", "f32", "Float"),
    ("double", "f64", "Double"),
    ("bool", "bool", "Bool"),
    ("string", "String", "Str"),
    ("bytes", "Vec<u8>", "BytesCodec"),
];

/// The request type of a client-streaming or bidirectional method
/// (`bia::Streaming<T>`).
pub const STREAMING: &str = "Streaming";
/// The trait of a stream of replies (`impl Stream<Item = ..>`) and its item.
pub const STREAM: &str = "Stream";
pub const ITEM: &str = "Item";
