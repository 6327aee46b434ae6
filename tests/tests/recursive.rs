//! Messages that contain themselves (`Vec<Node>`, `Option<Box<Node>>`) and
//! messages that contain each other (`Dir` -> `File` -> `Box<Dir>`): the
//! protobuf and JSON codecs, the descriptors, the exported `.proto` (compiled
//! by a real protobuf compiler), validation, and both transports.

use std::collections::HashMap;

use bia::prelude::*;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, ReflectMessage as _, Value};
use serde_json::json;

/// A node of a tree: its children below, its parent above.
#[bia::message(package = "tree.v1")]
pub struct Node {
    pub name: String,
    pub children: Vec<Node>,
    pub parent: Option<Box<Node>>,
    /// Named subtrees (a map whose values are boxed nodes).
    pub named: HashMap<String, Box<Node>>,
}

/// A directory: its files, and the directory it is in.
#[bia::message(package = "tree.v1")]
pub struct Dir {
    #[validate(length(min = 1))]
    pub name: String,
    #[validate(nested)]
    pub files: Vec<File>,
    #[validate(nested)]
    pub parent: Option<Box<Dir>>,
}

/// A file, which always knows its directory (a box that is always there).
#[bia::message(package = "tree.v1")]
pub struct File {
    #[validate(length(min = 1))]
    pub name: String,
    #[validate(nested)]
    pub dir: Box<Dir>,
}

/// How deep a tree goes and how many nodes it has.
#[bia::message(package = "tree.v1")]
pub struct Shape {
    pub depth: u32,
    pub nodes: u32,
}

#[bia::service(package = "tree.v1")]
pub trait Trees: Send + Sync + 'static {
    /// The shape of a tree (its root's name in the path).
    #[rpc(post = "/v1/trees/<name>", body = "*")]
    async fn measure(&self, req: Node) -> bia::Result<Shape>;
    /// A file, as it came.
    #[rpc(post = "/v1/files", body = "*")]
    async fn echo_file(&self, req: File) -> bia::Result<File>;
}

struct Forest;

fn shape(n: &Node) -> (u32, u32) {
    let below = n.children.iter().chain(n.named.values().map(|b| &**b)).map(shape);
    below.fold((1, 1), |(d, c), (bd, bc)| (d.max(bd + 1), c + bc))
}

impl Trees for Forest {
    async fn measure(&self, req: Node) -> bia::Result<Shape> {
        let (depth, nodes) = shape(&req);
        Ok(Shape { depth, nodes })
    }
    async fn echo_file(&self, req: File) -> bia::Result<File> {
        Ok(req)
    }
}

fn leaf(name: &str) -> Node {
    Node { name: name.into(), ..Default::default() }
}

fn tree() -> Node {
    let mut mid = leaf("mid");
    mid.children = vec![leaf("a"), leaf("b")];
    mid.parent = Some(Box::new(leaf("up")));
    let mut root = leaf("root");
    root.children = vec![mid, leaf("c")];
    root.named.insert("x".into(), Box::new(Node { children: vec![leaf("deep")], ..leaf("x") }));
    root
}

fn file() -> File {
    let home = Dir { name: "home".into(), ..Default::default() };
    let inner = Dir { name: "docs".into(), parent: Some(Box::new(home)), ..Default::default() };
    let mut dir = Dir { name: "work".into(), parent: Some(Box::new(inner)), ..Default::default() };
    dir.files =
        vec![File { name: "sibling.txt".into(), dir: Box::new(Dir { name: "w".into(), ..Default::default() }) }];
    File { name: "notes.txt".into(), dir: Box::new(dir) }
}

fn pool() -> DescriptorPool {
    let set = TreesServer::<()>::schema().file_descriptor_set();
    DescriptorPool::from_file_descriptor_set(set).expect("the served descriptors are a valid pool")
}

#[test]
fn protobuf_round_trips_and_another_implementation_reads_it() {
    let t = tree();
    let bytes = t.encode_to_vec();
    assert_eq!(Node::decode(&bytes[..]).unwrap(), t);

    // prost-reflect decodes the same bytes from the served descriptors alone.
    let desc = pool().get_message_by_name("tree.v1.Node").unwrap();
    let dynamic = DynamicMessage::decode(desc.clone(), &bytes[..]).unwrap();
    let children = dynamic.get_field_by_name("children").unwrap();
    let Value::List(children) = &*children else { panic!("children is a list") };
    assert_eq!(children.len(), 2);
    let Value::Message(mid) = &children[0] else { panic!("a child is a message") };
    assert_eq!(mid.descriptor().full_name(), "tree.v1.Node");
    let parent = mid.get_field_by_name("parent").unwrap();
    let Value::Message(parent) = &*parent else { panic!("parent is a message") };
    assert_eq!(parent.get_field_by_name("name").unwrap().as_str(), Some("up"));
    // ... and what it encodes, Bia decodes.
    assert_eq!(Node::decode(dynamic.encode_to_vec().as_slice()).unwrap(), t);

    let f = file();
    assert_eq!(File::decode(f.encode_to_vec().as_slice()).unwrap(), f);
}

#[test]
fn json_nests_as_deep_as_the_value() {
    let v = serde_json::to_value(file()).unwrap();
    assert_eq!(v["dir"]["parent"]["parent"]["name"], "home");
    assert_eq!(v["dir"]["parent"]["parent"]["parent"], json!(null));
    assert_eq!(v["dir"]["files"][0]["dir"]["name"], "w");
    let back: File = serde_json::from_value(v).unwrap();
    assert_eq!(back, file());

    let v = serde_json::to_value(tree()).unwrap();
    assert_eq!(v["children"][0]["parent"]["name"], "up");
    assert_eq!(v["named"]["x"]["children"][0]["name"], "deep");
    assert_eq!(serde_json::from_value::<Node>(v).unwrap(), tree());
}

#[test]
fn descriptors_name_the_message_itself() {
    let pool = pool();
    let node = pool.get_message_by_name("tree.v1.Node").unwrap();
    for field in ["children", "parent"] {
        let f = node.get_field_by_name(field).unwrap();
        assert_eq!(f.kind().as_message().unwrap().full_name(), "tree.v1.Node", "{field}");
    }
    assert!(node.get_field_by_name("children").unwrap().is_list());
    let named = node.get_field_by_name("named").unwrap();
    assert!(named.is_map());
    let file = pool.get_message_by_name("tree.v1.File").unwrap();
    assert_eq!(file.get_field_by_name("dir").unwrap().kind().as_message().unwrap().full_name(), "tree.v1.Dir");
    let dir = pool.get_message_by_name("tree.v1.Dir").unwrap();
    assert_eq!(dir.get_field_by_name("files").unwrap().kind().as_message().unwrap().full_name(), "tree.v1.File");
}

#[test]
fn exported_proto_compiles_with_the_cycles() {
    let schema = TreesServer::<()>::schema();
    let dir = std::env::temp_dir().join(format!("bia-recursive-{}", std::process::id()));
    schema.write_proto_files(&dir).unwrap();
    let text = std::fs::read_to_string(dir.join("tree/v1.proto")).unwrap();
    assert!(text.contains("repeated Node children = 2;"), "{text}");
    assert!(text.contains("Node parent = 3;"), "{text}");
    assert!(text.contains("map<string, Node> named = 4;"), "{text}");
    assert!(text.contains("Dir dir = 2;"), "{text}");
    let mut compiler = protox::Compiler::new([&dir]).unwrap();
    compiler.open_files(["tree/v1.proto"]).unwrap_or_else(|e| panic!("protox rejected the export: {e:?}\n{text}"));
    let _ = std::fs::remove_dir_all(&dir);
    let compiled = compiler.descriptor_pool();
    let node = compiled.get_message_by_name("tree.v1.Node").unwrap();
    assert_eq!(node.get_field_by_name("parent").unwrap().kind().as_message().unwrap().full_name(), "tree.v1.Node");
}

#[test]
fn validation_goes_down_the_boxes() {
    assert!(file().validate().is_ok());
    let mut bad = file();
    bad.dir.parent.as_mut().unwrap().parent.as_mut().unwrap().name.clear();
    let err = bad.validate().unwrap_err();
    assert_eq!(err.metadata().get("field").map(String::as_str), Some("dir.parent.parent.name"), "{err:?}");
    let mut bad = file();
    bad.dir.files[0].dir.name.clear();
    let err = bad.validate().unwrap_err();
    assert_eq!(err.metadata().get("field").map(String::as_str), Some("dir.files[0].dir.name"), "{err:?}");
}

#[tokio::test]
async fn both_transports_carry_recursive_messages() {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let server = TreesServer::new(Forest);
    let app =
        App::new("trees").http(HttpServer::new(any).service(server.clone())).grpc(GrpcServer::new(any).service(server));
    let app = bia_tests::start(app).await;
    let grpc = TreesGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = TreesHttpClient::new(app.http_url()).unwrap();
    let want = Shape { depth: 3, nodes: 7 };
    assert_eq!(grpc.measure(tree()).await.unwrap(), want);
    assert_eq!(http.measure(tree()).await.unwrap(), want);
    assert_eq!(grpc.echo_file(file()).await.unwrap(), file());
    assert_eq!(http.echo_file(file()).await.unwrap(), file());
    app.running.stop().await.unwrap();
}
