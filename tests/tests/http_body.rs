//! `google.api.HttpBody` (`bia::transport::http::HttpBody`) on the HTTP API:
//! uploads taken as they are (the whole request, or the field a `body` rule
//! names, the rest bound from the path), downloads answered with their own
//! bytes and content type, by curl; the same methods over gRPC with HttpBody
//! as the ordinary message it is; the OpenAPI document saying `*/*`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use bia::prelude::*;
use bia::transport::http::HttpBody;

#[bia::message(package = "files.v1")]
pub struct GetFileRequest {
    pub name: String,
}

#[bia::message(package = "files.v1")]
pub struct PutFileRequest {
    pub name: String,
    pub file: Option<HttpBody>,
}

#[bia::message(package = "files.v1")]
pub struct Stored {
    pub name: String,
    pub size: i64,
    pub content_type: String,
}

#[bia::service(package = "files.v1")]
pub trait Files: Send + Sync + 'static {
    /// A file, with its content type.
    #[rpc(get = "/v1/files/<name>")]
    async fn get_file(&self, req: GetFileRequest) -> bia::Result<HttpBody>;
    /// Stores the body under `name`.
    #[rpc(put = "/v1/files/<name>", body = "file")]
    async fn put_file(&self, req: PutFileRequest) -> bia::Result<Stored>;
    /// Stores the whole request body as `upload`.
    #[rpc(post = "/v1/upload", body = "*")]
    async fn upload(&self, req: HttpBody) -> bia::Result<Stored>;
}

#[derive(Default)]
struct Store(Mutex<HashMap<String, HttpBody>>);

impl Store {
    fn put(&self, name: String, body: HttpBody) -> Stored {
        let stored =
            Stored { name: name.clone(), size: body.data.len() as i64, content_type: body.content_type.clone() };
        self.0.lock().unwrap().insert(name, body);
        stored
    }
}

impl Files for Store {
    async fn get_file(&self, req: GetFileRequest) -> bia::Result<HttpBody> {
        self.0.lock().unwrap().get(&req.name).cloned().ok_or_else(|| bia::Error::not_found("NO_FILE", req.name))
    }
    async fn put_file(&self, req: PutFileRequest) -> bia::Result<Stored> {
        Ok(self.put(req.name, req.file.unwrap_or_default()))
    }
    async fn upload(&self, req: HttpBody) -> bia::Result<Stored> {
        Ok(self.put("upload".into(), req))
    }
}

/// curl's reply body and the lines of its head (lowercased), or `None`
/// without curl (a failure under `BIA_REQUIRE_EXTERNAL=1`).
fn curl(args: &[&str]) -> Option<(String, Vec<u8>)> {
    let out = bia_tests::curl(&[&["-i"], args].concat())?;
    let mut rest = out.stdout.as_slice();
    loop {
        let split = rest.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
        let head = String::from_utf8_lossy(&rest[..split]).to_lowercase();
        rest = &rest[split + 4..];
        // An upload's `100 Continue` comes first.
        if !head.starts_with("http/1.1 100") {
            return Some((head, rest.to_vec()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_bodies_in_and_out_as_they_are() {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let server = FilesServer::new(Store::default());
    let app = App::new("files")
        .signals(false)
        .http(HttpServer::new(any).service(server.clone()))
        .grpc(GrpcServer::new(any).service(server));
    let app = bia_tests::start(app).await;
    let url = app.http_url();
    let tmp = std::env::temp_dir().join(format!("bia-http-body-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // Bytes that are no JSON and no UTF-8: an image, say.
    let png: Vec<u8> = [&b"\x89PNG\r\n\x1a\n"[..], &(0..=255u8).collect::<Vec<_>>()].concat();
    let file = tmp.join("photo.png");
    std::fs::write(&file, &png).unwrap();

    // PUT: the body into the `file` field, the name from the path.
    let Some((head, body)) =
        curl(&["-T", file.to_str().unwrap(), "-H", "content-type: image/png", &format!("{url}/v1/files/photo.png")])
    else {
        return;
    };
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let stored: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(stored, serde_json::json!({"name": "photo.png", "size": "264", "contentType": "image/png"}));

    // GET: the same bytes back, with their content type.
    let (head, body) = curl(&[&format!("{url}/v1/files/photo.png")]).unwrap();
    assert!(head.contains("content-type: image/png"), "{head}");
    assert_eq!(body, png);

    // POST: the whole request as the message, of any type; an empty type
    // reads back as application/octet-stream.
    let (_, body) =
        curl(&["-H", "content-type: text/csv", "--data-binary", "a,b\n1,2\n", &format!("{url}/v1/upload")]).unwrap();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["contentType"], "text/csv");
    let (head, body) = curl(&[&format!("{url}/v1/files/upload")]).unwrap();
    assert!(head.contains("content-type: text/csv"), "{head}");
    assert_eq!(body, b"a,b\n1,2\n");
    let (_, _) =
        curl(&["-X", "PUT", "-H", "content-type:", "--data-binary", "x", &format!("{url}/v1/files/bare")]).unwrap();
    let (head, _) = curl(&[&format!("{url}/v1/files/bare")]).unwrap();
    assert!(head.contains("content-type: application/octet-stream"), "{head}");
    // JSON stays raw too: HttpBody takes the body as it is.
    let (_, body) =
        curl(&["-X", "PUT", "-H", "content-type: application/json", "-d", r#"{"x":1}"#, &format!("{url}/v1/files/j")])
            .unwrap();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["size"], "7");

    // The generated HTTP client sends and reads the bodies as they are.
    let http = FilesHttpClient::new(url.clone()).unwrap();
    let got = http.get_file(GetFileRequest { name: "photo.png".into() }).await.unwrap();
    assert_eq!((got.content_type.as_str(), got.data.as_ref()), ("image/png", png.as_slice()));
    let csv = HttpBody { content_type: "text/csv".into(), data: "a,b\n".into(), ..Default::default() };
    let stored = http.put_file(PutFileRequest { name: "c.csv".into(), file: Some(csv.clone()) }).await.unwrap();
    assert_eq!((stored.size, stored.content_type.as_str()), (4, "text/csv"));
    assert_eq!(http.get_file(GetFileRequest { name: "c.csv".into() }).await.unwrap(), csv);
    let stored = http.upload(csv).await.unwrap();
    assert_eq!((stored.name.as_str(), stored.size), ("upload", 4));
    let err = http.get_file(GetFileRequest { name: "none".into() }).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (404, "NO_FILE"));

    // gRPC: HttpBody is an ordinary message.
    let grpc = FilesGrpcClient::connect(app.grpc_url()).await.unwrap();
    let got = grpc.get_file(GetFileRequest { name: "photo.png".into() }).await.unwrap();
    assert_eq!((got.content_type.as_str(), got.data.as_ref()), ("image/png", png.as_slice()));
    let err = grpc.get_file(GetFileRequest { name: "none".into() }).await.unwrap_err();
    assert_eq!(err.reason(), "NO_FILE");

    // The document says the bodies are of any type.
    let doc = bia::schema::OpenApi::new("Files", "1").service::<FilesServer<()>>().document();
    let paths = &doc["paths"];
    assert!(paths["/v1/files/{name}"]["get"]["responses"]["200"]["content"]["*/*"].is_object(), "{paths}");
    assert!(paths["/v1/files/{name}"]["put"]["requestBody"]["content"]["*/*"].is_object(), "{paths}");
    assert!(paths["/v1/upload"]["post"]["requestBody"]["content"]["*/*"].is_object(), "{paths}");

    // The exported `.proto` files (HttpBody in `google/api`) compile with protoc.
    let proto_dir = tmp.join("proto");
    let mut names = Vec::new();
    for (name, text) in FilesServer::<()>::schema().proto_files() {
        let path = proto_dir.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        names.push(name);
    }
    assert!(names.iter().any(|n| n.starts_with("google/api")), "{names:?}");
    match std::process::Command::new("python3")
        .args(["-m", "grpc_tools.protoc", &format!("-I{}", proto_dir.display()), "-o/dev/null"])
        .args(&names)
        .output()
    {
        Ok(out) if out.status.code() == Some(0) => {
            assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr))
        }
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let missing = stderr.contains("No module named");
            assert!(missing && std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"), "protoc: {stderr}");
        }
        Err(e) => assert_ne!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref(), Ok("1"), "python3: {e}"),
    }
    std::fs::remove_dir_all(&tmp).ok();
    app.running.stop().await.unwrap();
}
