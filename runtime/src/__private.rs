//! What generated code calls. Not public API: names and signatures here change
//! without notice. Generated code reaches every dependency through this module,
//! so a user crate depends on `bia` alone.

pub use ::axum;
pub use ::bytes;
pub use ::http;
pub use ::inventory;
pub use ::prost;
pub use ::serde;
pub use ::tonic;

pub use crate::codec;
pub use crate::codec::message::{field_path_kind, split_key};
pub use crate::codec::validate;
pub use crate::codec::{
    field_error, map, optional, repeated, singular, Codec, EnumCodec, FieldMeta, Key, MapSeed, MapSer, MessageCodec,
    OptionalSeed, OptionalSer, ProtoType, QueryWriter, RepeatedSeed, RepeatedSer, SingularSeed, SingularSer,
};
pub use crate::codec::{snake_case_output, tags_overlap, Oneof};
pub use crate::middleware::stream::Sink;
pub use crate::schema::{
    DescribeErrors, DescribeService, EnumDef, FieldDef, HttpRule, Label, MessageDef, MethodDef, ReasonDef, Rule,
    SchemaBuilder, ServiceDef,
};
pub use crate::stream::Streaming;
pub use crate::transport::grpc::{self as grpc, CallConfig, GrpcClient};
pub use crate::transport::http::{
    self as http_transport, upload_body, BodyRule, HttpClient, PathSeg, PatternSeg, Route, ServiceConfig,
};
pub use crate::transport::server::{EndStreams, StreamsEnd};
pub use crate::wire::scope as wire;

/// Adds a service-level middleware to both transports' configs (generated
/// `FooServer::middleware` calls this).
pub fn add_service_middleware(grpc: &mut CallConfig, http: &mut ServiceConfig, m: impl crate::middleware::Middleware) {
    let m: std::sync::Arc<dyn crate::middleware::Middleware> = std::sync::Arc::new(m);
    grpc.chain.push(m.clone());
    http.chain.push(m);
}

/// The field description of the schema for one field (generated code calls this).
pub fn field_def<C: Codec<T>, T>(
    b: &mut SchemaBuilder,
    name: &'static str,
    json_name: &'static str,
    number: u32,
    label: Label,
    doc: &'static str,
) -> FieldDef {
    FieldDef { name, json_name, number, label, ty: C::describe(b), key: None, oneof: None, doc, rules: Vec::new() }
}

/// The field description of a oneof member (generated code calls this).
pub fn oneof_member_def<C: Codec<T>, T>(
    b: &mut SchemaBuilder,
    name: &'static str,
    json_name: &'static str,
    number: u32,
    oneof: &'static str,
    doc: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        json_name,
        number,
        label: Label::Singular,
        ty: C::describe(b),
        key: None,
        oneof: Some(oneof),
        doc,
        rules: Vec::new(),
    }
}

/// The field description of a map field (generated code calls this).
pub fn map_field_def<KC: Codec<K>, K, VC: Codec<V>, V>(
    b: &mut SchemaBuilder,
    name: &'static str,
    json_name: &'static str,
    number: u32,
    doc: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        json_name,
        number,
        label: Label::Map,
        ty: VC::describe(b),
        key: Some(KC::describe(b)),
        oneof: None,
        doc,
        rules: Vec::new(),
    }
}

/// `def` with its `#[validate(..)]` rules (generated code calls this for a
/// field that has some).
pub fn with_rules(mut def: FieldDef, rules: Vec<crate::schema::Rule>) -> FieldDef {
    def.rules = rules;
    def
}

/// Marks the oneof `name` of a message's fields as required (one member
/// must be set): each member carries [`Rule::Required`](crate::schema::Rule).
pub fn require_oneof(fields: &mut [FieldDef], name: &str) {
    for f in fields.iter_mut().filter(|f| f.oneof == Some(name)) {
        f.rules.push(crate::schema::Rule::Required);
    }
}

/// Skips an unknown field (generated `merge_field` calls this).
#[inline]
pub fn skip_field(
    wire_type: prost::encoding::WireType,
    tag: u32,
    buf: &mut impl bytes::Buf,
    ctx: prost::encoding::DecodeContext,
) -> Result<(), prost::DecodeError> {
    prost::encoding::skip_field(wire_type, tag, buf, ctx)
}

/// Error of `serialize_json_field` for a name that is no field.
pub fn no_such_field<E: serde::ser::Error>(message: &str, field: &str) -> E {
    E::custom(format!("{message} has no field `{field}`"))
}

/// Error of `merge_json_field` for a name that is no field.
pub fn no_such_field_de<E: serde::de::Error>(message: &str, field: &str) -> E {
    E::custom(format!("{message} has no field `{field}`"))
}
