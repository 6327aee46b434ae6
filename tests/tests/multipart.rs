//! `multipart/form-data` uploads (`bia::transport::http::UploadedFile`) sent
//! by curl's `-F`: files into their fields (one, or several under one name),
//! the other parts bound as form keys, the path as usual; the limits per
//! part and in total answered with 413 and the Bia error body; bad bodies
//! with 400; the same method over gRPC.

use std::net::SocketAddr;

use bia::prelude::*;
use bia::transport::http::UploadedFile;

#[bia::message(package = "photos.v1")]
pub struct AddPhotosRequest {
    pub album: String,
    pub caption: String,
    pub rating: i32,
    pub cover: Option<UploadedFile>,
    pub photos: Vec<UploadedFile>,
}

#[bia::message(package = "photos.v1")]
pub struct Added {
    pub album: String,
    pub caption: String,
    pub rating: i32,
    /// `filename:content_type:size` of the cover, then of each photo.
    pub files: Vec<String>,
}

#[bia::service(package = "photos.v1")]
pub trait Photos: Send + Sync + 'static {
    #[rpc(post = "/v1/albums/<album>/photos", body = "*")]
    async fn add_photos(&self, req: AddPhotosRequest) -> bia::Result<Added>;
}

struct Album;

impl Photos for Album {
    async fn add_photos(&self, req: AddPhotosRequest) -> bia::Result<Added> {
        let describe = |f: &UploadedFile| format!("{}:{}:{}", f.filename, f.content_type, f.data.len());
        let files = req.cover.iter().chain(&req.photos).map(describe).collect();
        Ok(Added { album: req.album, caption: req.caption, rating: req.rating, files })
    }
}

/// curl's status and body, or `None` without curl (a failure under
/// `BIA_REQUIRE_EXTERNAL=1`).
fn curl(args: &[&str]) -> Option<(u16, serde_json::Value)> {
    let out = bia_tests::curl(&[&["-w", "\n%{http_code}"], args].concat())?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    Some((code.parse().unwrap(), serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_bind_files_and_fields_within_limits() {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let server = PhotosServer::new(Album).max_part_size(64 * 1024).max_body_size(160 * 1024);
    let app = App::new("photos")
        .signals(false)
        .http(HttpServer::new(any).service(server.clone()))
        .grpc(GrpcServer::new(any).service(server));
    let app = bia_tests::start(app).await;
    let url = format!("{}/v1/albums/summer/photos", app.http_url());
    let tmp = std::env::temp_dir().join(format!("bia-multipart-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let file = |name: &str, size: usize| {
        let path = tmp.join(name);
        std::fs::write(&path, (0..size).map(|i| (i % 251) as u8).collect::<Vec<u8>>()).unwrap();
        path.display().to_string()
    };
    let (cover, a, b) = (file("cover.png", 1000), file("a.jpg", 2000), file("b.bin", 0));

    let Some((code, added)) = curl(&[
        "-F",
        "caption=Sea & sun",
        "-F",
        "rating=5",
        "-F",
        &format!("cover=@{cover};type=image/png"),
        "-F",
        &format!("photos=@{a};type=image/jpeg"),
        "-F",
        &format!("photos=@{b}"),
        "-F",
        "submit=Upload",
        &url,
    ]) else {
        return;
    };
    assert_eq!(code, 200, "{added}");
    assert_eq!(
        added,
        serde_json::json!({
            "album": "summer", "caption": "Sea & sun", "rating": 5,
            "files": ["cover.png:image/png:1000", "a.jpg:image/jpeg:2000", "b.bin:application/octet-stream:0"],
        })
    );

    // A part past its limit, a body past the total: 413 with the error body.
    let big = file("big.bin", 65 * 1024);
    let (code, err) = curl(&["-F", &format!("cover=@{big}"), &url]).unwrap();
    assert_eq!((code, &err["reason"], &err["metadata"]["field"]), (413, &"PAYLOAD_TOO_LARGE".into(), &"cover".into()));
    let parts: Vec<String> = (0..3).map(|i| format!("photos=@{}", file(&format!("p{i}"), 60 * 1024))).collect();
    let mut args: Vec<&str> = parts.iter().flat_map(|p| ["-F", p.as_str()]).collect();
    args.push(&url);
    let (code, err) = curl(&args).unwrap();
    assert_eq!((code, &err["reason"]), (413, &"PAYLOAD_TOO_LARGE".into()), "{err}");

    // A file for a text field, a bad number, a torn body: 400.
    let (code, err) = curl(&["-F", &format!("caption=@{cover}"), &url]).unwrap();
    assert_eq!((code, &err["reason"], &err["metadata"]["field"]), (400, &"CODEC".into(), &"caption".into()));
    let (code, err) = curl(&["-F", "rating=lots", &url]).unwrap();
    assert_eq!((code, &err["metadata"]["field"]), (400, &"rating".into()));
    let (code, err) = curl(&[
        "-H",
        "content-type: multipart/form-data; boundary=XYZ",
        "--data-binary",
        "--XYZ\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nunfinished",
        &url,
    ])
    .unwrap();
    assert_eq!((code, &err["reason"]), (400, &"CODEC".into()), "{err}");

    // gRPC: the same method, UploadedFile an ordinary message.
    let grpc = PhotosGrpcClient::connect(app.grpc_url()).await.unwrap();
    let photo = UploadedFile { filename: "x.gif".into(), content_type: "image/gif".into(), data: vec![1, 2, 3].into() };
    let req = AddPhotosRequest { album: "g".into(), photos: vec![photo], ..Default::default() };
    assert_eq!(grpc.add_photos(req).await.unwrap().files, ["x.gif:image/gif:3"]);

    // The document offers multipart/form-data, files as binary parts.
    let doc = bia::schema::OpenApi::new("Photos", "1").service::<PhotosServer<()>>().document();
    let form = &doc["paths"]["/v1/albums/{album}/photos"]["post"]["requestBody"]["content"]["multipart/form-data"];
    assert_eq!(form["schema"]["properties"]["cover"], serde_json::json!({"type": "string", "format": "binary"}));
    assert_eq!(form["schema"]["properties"]["photos"]["items"]["format"], "binary", "{form}");
    assert!(form["schema"]["properties"]["caption"].is_object(), "{form}");
    std::fs::remove_dir_all(&tmp).ok();
    app.running.stop().await.unwrap();
}
