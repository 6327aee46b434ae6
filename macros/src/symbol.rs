//! Attribute keywords, in one place.

/// `#[bia::message(...)]`, `#[bia::enumeration(...)]`, `#[bia::service(...)]`.
pub const PACKAGE: &str = "package";
pub const NAME: &str = "name";
pub const CRATE: &str = "crate";
pub const RESERVED: &str = "reserved";
pub const JSON: &str = "json";

/// `#[field(...)]` on message fields.
pub const FIELD: &str = "field";
pub const TAG: &str = "tag";
pub const JSON_NAME: &str = "json_name";
pub const ONEOF: &str = "oneof";

/// `#[value(...)]` on enum variants.
pub const VALUE: &str = "value";

/// `#[rpc(...)]` on service methods.
pub const RPC: &str = "rpc";
pub const VERBS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
pub const CUSTOM: &str = "custom";
pub const METHOD: &str = "method";
pub const PATH: &str = "path";
pub const BODY: &str = "body";
pub const RESPONSE_BODY: &str = "response_body";
pub const ADDITIONAL_BINDINGS: &str = "additional_bindings";

/// `#[bia::errors(...)]`.
pub const DOMAIN: &str = "domain";
pub const DEFAULT_CODE: &str = "default_code";
pub const ERROR: &str = "error";
pub const CODE: &str = "code";
pub const MESSAGE: &str = "message";

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
