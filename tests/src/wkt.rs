//! `wkt.v1.Things`: a service whose messages hold every well-known type of
//! `bia::types` (`Everything`, with a `Note` packed in its `Any`) and a
//! recursive pair (`Node` <-> `Link`, with `Vec<Node>`, `Option<Box<Node>>`
//! and a map of boxed nodes). `tests/tests/well_known.rs` checks it in Rust,
//! `tests/tests/interop_wkt.rs` from Python's protobuf and grpcio.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bia::prelude::*;
use bia::types::{
    Any, BoolValue, BytesValue, DoubleValue, Duration, Empty, FieldMask, FloatValue, Int32Value, Int64Value, ListValue,
    NullValue, StringValue, Struct, Timestamp, UInt32Value, UInt64Value, Value, ValueKind,
};

use crate::TestApp;

/// Every well-known type once.
#[bia::message(package = "wkt.v1")]
pub struct Everything {
    pub mask: Option<FieldMask>,
    pub labels: Option<Struct>,
    pub value: Value,
    pub list: Option<ListValue>,
    pub null: NullValue,
    pub any: Option<Any>,
    pub nothing: Option<Empty>,
    pub double: Option<DoubleValue>,
    pub float: Option<FloatValue>,
    pub int64: Option<Int64Value>,
    pub uint64: Option<UInt64Value>,
    pub int32: Option<Int32Value>,
    pub uint32: Option<UInt32Value>,
    pub boolean: Option<BoolValue>,
    pub string: Option<StringValue>,
    pub bytes: Option<BytesValue>,
    pub when: Option<Timestamp>,
    pub took: Option<Duration>,
    pub counts: Vec<Int64Value>,
    pub by_name: BTreeMap<String, Value>,
}

/// What an `Any` may hold.
#[bia::message(package = "wkt.v1")]
pub struct Note {
    pub text: String,
    pub stars: i64,
}

#[bia::message(package = "wkt.v1")]
pub struct ForgetRequest {
    pub id: String,
    /// A wrapper and a mask from the query.
    pub limit: Option<Int64Value>,
    pub update_mask: Option<FieldMask>,
}

/// A node of a graph: itself below (`children`, `named`), above (`parent`),
/// and through another message (`links`), with well-known types beside.
#[bia::message(package = "wkt.v1")]
pub struct Node {
    pub name: String,
    pub children: Vec<Node>,
    pub parent: Option<Box<Node>>,
    pub named: BTreeMap<String, Box<Node>>,
    pub links: Vec<Link>,
    /// Any message, a `Node` too.
    pub attached: Option<Any>,
    pub weight: Option<DoubleValue>,
}

/// An edge to another node (the other half of a mutually recursive pair).
#[bia::message(package = "wkt.v1")]
pub struct Link {
    pub label: String,
    pub target: Option<Box<Node>>,
    pub since: Option<Timestamp>,
}

/// A message's protobuf bytes, as this server encodes it.
#[bia::message(package = "wkt.v1")]
pub struct Encoded {
    pub data: Vec<u8>,
}

#[bia::service(package = "wkt.v1")]
pub trait Things: Send + Sync + 'static {
    /// Returns nothing.
    #[rpc(delete = "/v1/things/<id>")]
    async fn forget(&self, req: ForgetRequest) -> bia::Result<Empty>;
    /// Takes nothing.
    #[rpc(get = "/v1/everything")]
    async fn everything(&self, req: Empty) -> bia::Result<Everything>;
    /// As it came.
    #[rpc(post = "/v1/everything", body = "*")]
    async fn echo(&self, req: Everything) -> bia::Result<Everything>;
    /// The request's protobuf encoding: what Bia read from JSON, seen by a
    /// protobuf decoder that is not Bia's.
    #[rpc(post = "/v1/everything/encoded", body = "*")]
    async fn encode(&self, req: Everything) -> bia::Result<Encoded>;
    /// `Everything` with the note packed in its `Any` (this method also
    /// puts `Note` in the service's descriptors: a message only an `Any`
    /// holds is in no schema).
    #[rpc(post = "/v1/notes", body = "*")]
    async fn pack(&self, req: Note) -> bia::Result<Everything>;
    /// A graph, as it came.
    #[rpc(post = "/v1/nodes", body = "*")]
    async fn echo_node(&self, req: Node) -> bia::Result<Node>;
    /// A graph's protobuf encoding.
    #[rpc(post = "/v1/nodes/encoded", body = "*")]
    async fn encode_node(&self, req: Node) -> bia::Result<Encoded>;
}

/// The `Things` service: echoes, and [`sample`] for `Everything`.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllThings;

impl Things for AllThings {
    async fn forget(&self, req: ForgetRequest) -> bia::Result<Empty> {
        // The query's wrapper and mask reach the handler.
        let limit = req.limit.map(i64::from).unwrap_or(-1);
        let mask = req.update_mask.map(|m| m.paths.join("+")).unwrap_or_default();
        bia::context::with_mut(|c| c.set_reply_header("x-seen", &format!("{} {limit} {mask}", req.id)));
        Ok(Empty {})
    }
    async fn everything(&self, _: Empty) -> bia::Result<Everything> {
        Ok(sample())
    }
    async fn echo(&self, req: Everything) -> bia::Result<Everything> {
        Ok(req)
    }
    async fn encode(&self, req: Everything) -> bia::Result<Encoded> {
        Ok(Encoded { data: prost::Message::encode_to_vec(&req) })
    }
    async fn pack(&self, req: Note) -> bia::Result<Everything> {
        Ok(Everything { any: Some(bia::codec::pack(&req)), ..Default::default() })
    }
    async fn echo_node(&self, req: Node) -> bia::Result<Node> {
        Ok(req)
    }
    async fn encode_node(&self, req: Node) -> bia::Result<Encoded> {
        Ok(Encoded { data: prost::Message::encode_to_vec(&req) })
    }
}

/// The `Everything` that `Things/Everything` returns: every field set.
pub fn sample() -> Everything {
    let mut labels = Struct::default();
    labels.fields.insert("tier".into(), Value::from("gold"));
    labels.fields.insert("n".into(), Value::from(2.5));
    labels.fields.insert("ok".into(), Value::from(true));
    labels.fields.insert("none".into(), Value { kind: Some(ValueKind::NullValue(0)) });
    labels.fields.insert(
        "deep".into(),
        Value::from(vec![Value::from("a"), Value::from(BTreeMap::from([("b".to_owned(), Value::from(1.0))]))]),
    );
    Everything {
        mask: Some(FieldMask { paths: vec!["display_name".into(), "address.zip_code".into()] }),
        labels: Some(labels),
        value: Value::from("free"),
        list: Some(ListValue { values: vec![Value::from(1.0), Value::from("two")] }),
        null: NullValue::NullValue,
        any: Some(bia::codec::pack(&Note { text: "hi".into(), stars: 5 })),
        nothing: Some(Empty {}),
        double: Some(DoubleValue::from(1.5)),
        float: Some(FloatValue::from(-2.25)),
        int64: Some(Int64Value::from(-9_007_199_254_740_993)),
        uint64: Some(UInt64Value::from(u64::MAX)),
        int32: Some(Int32Value::from(0)),
        uint32: Some(UInt32Value::from(7)),
        boolean: Some(BoolValue::from(false)),
        string: Some(StringValue::from("")),
        bytes: Some(BytesValue::from(vec![0, 255])),
        when: Some(Timestamp { seconds: 1, nanos: 0 }),
        took: Some(Duration { seconds: 1, nanos: 500_000_000 }),
        counts: vec![Int64Value::from(1), Int64Value::from(2)],
        by_name: BTreeMap::from([("x".to_owned(), Value::from(vec![]))]),
    }
}

/// Serves [`AllThings`] on free loopback ports, HTTP and gRPC.
pub async fn start_things() -> TestApp {
    let server = ThingsServer::new(AllThings);
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let app = App::new("things")
        .http(HttpServer::new(any).service(server.clone()))
        .grpc(GrpcServer::new(any).service(server));
    crate::start(app).await
}
