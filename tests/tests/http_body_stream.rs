//! Streams of `google.api.HttpBody` over HTTP: a server stream as a download
//! (the replies' bytes as one chunked body, the first one's content type),
//! a client stream with a `body` rule as an upload read as it arrives (one
//! message per chunk, path bound into each), a bidirectional one both ways;
//! by curl, by the generated HTTP client and, as the ordinary messages they
//! are, over gRPC. Backpressure (a handler that does not read stops the
//! sender), a broken upload, an error before and after a download's first
//! chunk, and the OpenAPI document.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bia::prelude::*;
use bia::stream::{Stream, StreamExt as _, Streaming};
use bia::transport::http::HttpBody;
use bytes::Bytes;

#[bia::message(package = "files.v1")]
pub struct FileName {
    pub name: String,
    /// Bytes per chunk of a download.
    pub chunk: u32,
}

#[bia::message(package = "files.v1")]
pub struct FileChunk {
    pub name: String,
    pub file: Option<HttpBody>,
}

#[bia::message(package = "files.v1")]
pub struct Stored {
    pub name: String,
    pub size: i64,
    pub chunks: i64,
    pub content_type: String,
}

#[bia::service(package = "files.v1")]
pub trait Files: Send + Sync + 'static {
    /// A stored file, in chunks.
    #[rpc(get = "/v1/files/<name>")]
    async fn download(&self, req: FileName) -> bia::Result<impl Stream<Item = bia::Result<HttpBody>>>;
    /// Stores a file as it arrives.
    #[rpc(put = "/v1/files/<name>", body = "file")]
    async fn upload(&self, req: Streaming<FileChunk>) -> bia::Result<Stored>;
    /// Each chunk back, upper-cased, as it comes.
    #[rpc(post = "/v1/shout", body = "*")]
    async fn shout(&self, req: Streaming<HttpBody>) -> bia::Result<impl Stream<Item = bia::Result<HttpBody>>>;
    /// The running size of an upload, one event per chunk.
    #[rpc(post = "/v1/progress/<name>", body = "file")]
    async fn progress(&self, req: Streaming<FileChunk>) -> bia::Result<impl Stream<Item = bia::Result<Stored>>>;
}

#[derive(Default)]
struct Store {
    files: Mutex<HashMap<String, HttpBody>>,
    /// How uploads ended: `ok` or the error's reason.
    ends: Mutex<Vec<String>>,
    /// Chunks an upload to `slow` read before it waits.
    slow_read: AtomicUsize,
    /// Opens the gate of an upload to `slow`.
    gate: tokio::sync::Notify,
}

impl Files for Arc<Store> {
    async fn download(&self, req: FileName) -> bia::Result<impl Stream<Item = bia::Result<HttpBody>>> {
        let chunk = req.chunk.max(1) as usize;
        if req.name == "endless" {
            let tick = HttpBody {
                content_type: "text/plain".into(),
                data: Bytes::from_static(b"tick\n"),
                ..Default::default()
            };
            return Ok(Streaming::from_stream(bia::stream::unfold((), move |()| {
                let tick = tick.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Some((tick, ()))
                }
            })));
        }
        let items: Vec<bia::Result<HttpBody>> = match req.name.as_str() {
            // A chunk, then an error: the download breaks off.
            "broken" => vec![
                Ok(HttpBody {
                    content_type: "text/plain".into(),
                    data: Bytes::from_static(b"first "),
                    ..Default::default()
                }),
                Err(bia::Error::internal_server("DISK", "the disk failed")),
            ],
            // An error before the first chunk: an error response.
            "failing" => vec![Err(bia::Error::service_unavailable("DISK", "the disk is away"))],
            name => {
                let file = self.files.lock().unwrap().get(name).cloned();
                let file = file.ok_or_else(|| bia::Error::not_found("NO_FILE", name.to_owned()))?;
                let pieces: Vec<Bytes> = file.data.chunks(chunk).map(|c| file.data.slice_ref(c)).collect();
                pieces
                    .into_iter()
                    .map(|data| Ok(HttpBody { content_type: file.content_type.clone(), data, ..Default::default() }))
                    .collect()
            }
        };
        Ok(Streaming::new(bia::stream::iter(items)))
    }

    async fn upload(&self, mut req: Streaming<FileChunk>) -> bia::Result<Stored> {
        let mut stored = Stored::default();
        let mut data = Vec::new();
        while let Some(item) = req.next().await {
            let chunk = match item {
                Ok(chunk) => chunk,
                Err(e) => {
                    self.ends.lock().unwrap().push(e.reason().to_owned());
                    return Err(e);
                }
            };
            if chunk.name == "slow" && stored.chunks == 0 {
                self.slow_read.store(1, Ordering::SeqCst);
                self.gate.notified().await;
            }
            let file = chunk.file.unwrap_or_default();
            stored.name = chunk.name;
            stored.content_type = file.content_type;
            stored.chunks += 1;
            data.extend_from_slice(&file.data);
        }
        stored.size = data.len() as i64;
        let body = HttpBody { content_type: stored.content_type.clone(), data: data.into(), ..Default::default() };
        self.files.lock().unwrap().insert(stored.name.clone(), body);
        self.ends.lock().unwrap().push("ok".into());
        Ok(stored)
    }

    async fn shout(&self, req: Streaming<HttpBody>) -> bia::Result<impl Stream<Item = bia::Result<HttpBody>>> {
        Ok(req.map(|item| {
            item.map(|b| HttpBody {
                content_type: b.content_type,
                data: b.data.to_ascii_uppercase().into(),
                ..Default::default()
            })
        }))
    }

    async fn progress(&self, req: Streaming<FileChunk>) -> bia::Result<impl Stream<Item = bia::Result<Stored>>> {
        Ok(req.scan(Stored::default(), |total, item| {
            let out = item.map(|chunk| {
                let file = chunk.file.unwrap_or_default();
                total.name = chunk.name;
                total.size += file.data.len() as i64;
                total.chunks += 1;
                total.content_type = file.content_type;
                total.clone()
            });
            std::future::ready(Some(out))
        }))
    }
}

struct Running {
    app: bia_tests::TestApp,
    store: Arc<Store>,
    tmp: std::path::PathBuf,
}

async fn start() -> Running {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let store = Arc::new(Store::default());
    let server = FilesServer::new(store.clone());
    let app = App::new("files")
        .signals(false)
        .stop_timeout(Duration::from_millis(600))
        .http(HttpServer::new(any).service(server.clone()))
        .grpc(GrpcServer::new(any).service(server));
    let app = bia_tests::start(app).await;
    let tmp = std::env::temp_dir().join(format!("bia-http-body-stream-{}-{}", std::process::id(), app.http.port()));
    std::fs::create_dir_all(&tmp).unwrap();
    Running { app, store, tmp }
}

/// Bytes of every value, not text.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_uploads_and_downloads_files_larger_than_the_body_limit() {
    let Running { app, store, tmp } = start().await;
    let url = app.http_url();
    // 9 MiB: more than the 4 MiB limit of a whole body.
    let data = pattern(9 * 1024 * 1024 + 17);
    let file = tmp.join("big.bin");
    std::fs::write(&file, &data).unwrap();
    let Some(out) = bia_tests::curl(&[
        "-sS",
        "-T",
        file.to_str().unwrap(),
        "-H",
        "content-type: application/x-tar",
        &format!("{url}/v1/files/big.bin"),
    ]) else {
        return;
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stored["name"], "big.bin");
    assert_eq!(stored["size"], data.len().to_string());
    assert_eq!(stored["contentType"], "application/x-tar");
    let chunks: i64 = stored["chunks"].as_str().unwrap().parse().unwrap();
    assert!(chunks > 1, "{stored}");

    // Back in chunks of 64 KiB: one chunked body, with the file's type.
    let got = tmp.join("got.bin");
    let out = bia_tests::curl(&[
        "-sS",
        "-D",
        "-",
        "-o",
        got.to_str().unwrap(),
        &format!("{url}/v1/files/big.bin?chunk=65536"),
    ])
    .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(out.status.success(), "{head}");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: application/x-tar"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(std::fs::read(&got).unwrap() == data, "the download differs from the upload");

    // An error before the first chunk is an error response.
    let out = bia_tests::curl(&["-sS", "-i", &format!("{url}/v1/files/none")]).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 404"), "{text}");
    assert!(text.contains(r#""reason":"NO_FILE""#), "{text}");
    let out = bia_tests::curl(&["-sS", "-i", &format!("{url}/v1/files/failing")]).unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("HTTP/1.1 503"));

    // An error after it aborts the transfer: curl sees a cut body (exit 18),
    // not a whole file.
    let out = std::process::Command::new("curl").args(["-sS", &format!("{url}/v1/files/broken")]).output().unwrap();
    assert_eq!(out.status.code(), Some(18), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"first ");

    // Raw in, raw out: every chunk upper-cased as it comes.
    let text = tmp.join("text.txt");
    std::fs::write(&text, "hello, raw streams\n".repeat(5000)).unwrap();
    let out = bia_tests::curl(&[
        "-sS",
        "-i",
        "--data-binary",
        &format!("@{}", text.display()),
        "-H",
        "content-type: text/plain",
        &format!("{url}/v1/shout"),
    ])
    .unwrap();
    let reply = String::from_utf8_lossy(&out.stdout);
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    assert!(head.to_lowercase().contains("content-type: text/plain"), "{head}");
    assert_eq!(body, "HELLO, RAW STREAMS\n".repeat(5000));

    // Progress as server-sent events, one per chunk read.
    let out = bia_tests::curl(&[
        "-sS",
        "--data-binary",
        &format!("@{}", file.display()),
        "-H",
        "content-type: application/octet-stream",
        &format!("{url}/v1/progress/big.bin"),
    ])
    .unwrap();
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(events.len() > 1, "{events:?}");
    assert_eq!(events.last().unwrap()["size"], data.len().to_string());
    assert_eq!(events.last().unwrap()["name"], "big.bin");

    assert_eq!(store.ends.lock().unwrap().as_slice(), ["ok"]);
    std::fs::remove_dir_all(&tmp).ok();
    app.running.stop().await.unwrap();
}

fn chunks(name: &str, content_type: &str, parts: &[&'static [u8]]) -> Vec<FileChunk> {
    parts
        .iter()
        .map(|p| FileChunk {
            name: name.into(),
            file: Some(HttpBody {
                content_type: content_type.into(),
                data: Bytes::from_static(p),
                ..Default::default()
            }),
        })
        .collect()
}

async fn collect<T>(mut s: Streaming<T>) -> (Vec<T>, Option<bia::Error>) {
    let mut items = Vec::new();
    while let Some(item) = s.next().await {
        match item {
            Ok(v) => items.push(v),
            Err(e) => return (items, Some(e)),
        }
    }
    (items, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_clients_stream_http_bodies_both_ways_and_grpc_sees_messages() {
    let Running { app, store, tmp } = start().await;
    let http = FilesHttpClient::new(app.http_url()).unwrap();
    let grpc = FilesGrpcClient::connect(app.grpc_url()).await.unwrap();

    // Upload over HTTP: the name from the first chunk's path, the bytes of all.
    let stored = http.upload(Streaming::iter(chunks("h.csv", "text/csv", &[b"a,b\n", b"1,2\n", b"3,4\n"]))).await;
    let stored = stored.unwrap();
    assert_eq!((stored.name.as_str(), stored.size, stored.content_type.as_str()), ("h.csv", 12, "text/csv"));
    // Over gRPC: the same method, each chunk a message.
    let stored = grpc.upload(Streaming::iter(chunks("g.csv", "text/csv", &[b"x\n", b"y\n"]))).await.unwrap();
    assert_eq!((stored.name.as_str(), stored.size, stored.chunks), ("g.csv", 4, 2));

    // Download: HTTP reads the chunked body as HttpBody messages (however
    // the network splits it), gRPC gets one message per chunk.
    let (got, end) = collect(http.download(FileName { name: "h.csv".into(), chunk: 4 }).await.unwrap()).await;
    assert!(end.is_none(), "{end:?}");
    assert!(got.iter().all(|b| b.content_type == "text/csv"));
    assert_eq!(got.iter().flat_map(|b| b.data.to_vec()).collect::<Vec<u8>>(), b"a,b\n1,2\n3,4\n");
    let (got, _) = collect(grpc.download(FileName { name: "h.csv".into(), chunk: 4 }).await.unwrap()).await;
    assert_eq!(got.len(), 3);

    // Errors: before the first chunk, the call fails with it; after it,
    // HTTP sees the download break off, gRPC the error itself.
    let err = match http.download(FileName { name: "none".into(), chunk: 1 }).await {
        Err(e) => e,
        Ok(s) => collect(s).await.1.expect("an error"),
    };
    assert_eq!((err.code(), err.reason()), (404, "NO_FILE"));
    let (got, end) = collect(http.download(FileName { name: "broken".into(), chunk: 1 }).await.unwrap()).await;
    assert_eq!(got.iter().flat_map(|b| b.data.to_vec()).collect::<Vec<u8>>(), b"first ");
    assert!(end.is_some(), "a cut download must not end as a whole one");
    let (_, end) = collect(grpc.download(FileName { name: "broken".into(), chunk: 1 }).await.unwrap()).await;
    assert_eq!(end.unwrap().reason(), "DISK");

    // Both ways raw, through the HTTP client.
    let parts = vec![
        HttpBody { content_type: "text/plain".into(), data: Bytes::from_static(b"abc"), ..Default::default() },
        HttpBody { content_type: "text/plain".into(), data: Bytes::from_static(b"def"), ..Default::default() },
    ];
    let (got, end) = collect(http.shout(Streaming::iter(parts)).await.unwrap()).await;
    assert!(end.is_none(), "{end:?}");
    assert_eq!(got.iter().flat_map(|b| b.data.to_vec()).collect::<Vec<u8>>(), b"ABCDEF");
    // An upload with events back.
    let (events, end) =
        collect(http.progress(Streaming::iter(chunks("p", "a/b", &[b"12", b"345"]))).await.unwrap()).await;
    assert!(end.is_none(), "{end:?}");
    assert_eq!(events.last().unwrap().size, 5);

    // A client whose stream fails mid-upload breaks it off: the handler
    // sees the stream end with STREAM_CLOSED, and nothing is stored.
    let (tx, rx) = Streaming::channel(1);
    let call = tokio::spawn({
        let http = http.clone();
        async move { http.upload(rx).await }
    });
    tx.send(Ok(chunks("cut.bin", "a/b", &[b"part one"]).remove(0))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    tx.send(Err(bia::Error::internal_server("GONE", "the source failed"))).await.unwrap();
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.reason(), "GONE", "{err:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !store.ends.lock().unwrap().iter().any(|e| e == "STREAM_CLOSED") {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", store.ends.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!store.files.lock().unwrap().contains_key("cut.bin"));
    std::fs::remove_dir_all(&tmp).ok();
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_does_not_read_holds_the_sender_back() {
    let Running { app, store, tmp } = start().await;
    let http = FilesHttpClient::new(app.http_url()).unwrap();
    // 64 MiB offered in 64 KiB chunks, counted as the client takes them.
    const CHUNK: usize = 64 * 1024;
    const TOTAL: usize = 1024;
    let taken = Arc::new(AtomicUsize::new(0));
    let source = {
        let taken = taken.clone();
        let data = Bytes::from(pattern(CHUNK));
        Streaming::from_stream(bia::stream::iter(0..TOTAL).map(move |_| {
            taken.fetch_add(1, Ordering::SeqCst);
            FileChunk {
                name: "slow".into(),
                file: Some(HttpBody { content_type: "a/b".into(), data: data.clone(), ..Default::default() }),
            }
        }))
    };
    let call = tokio::spawn(async move { http.upload(source).await });
    // The handler reads one chunk and waits: the sender stops once the
    // socket's buffers are full, far short of the whole upload.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.slow_read.load(Ordering::SeqCst) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the handler never got a chunk");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut last = usize::MAX;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let now = taken.load(Ordering::SeqCst);
        if now == last {
            break;
        }
        last = now;
    }
    let held = taken.load(Ordering::SeqCst);
    assert!(held < TOTAL / 2, "the client sent {held} of {TOTAL} chunks to a handler that read one");
    store.gate.notify_one();
    let stored = tokio::time::timeout(Duration::from_secs(60), call).await.unwrap().unwrap().unwrap();
    assert_eq!(stored.size as usize, CHUNK * TOTAL);
    std::fs::remove_dir_all(&tmp).ok();
    app.running.stop().await.unwrap();
}

#[test]
fn the_document_says_downloads_and_uploads() {
    let doc = bia::schema::OpenApi::new("Files", "1").service::<FilesServer<()>>().document();
    let paths = &doc["paths"];
    let get = &paths["/v1/files/{name}"]["get"]["responses"]["200"]["content"]["*/*"];
    assert!(get["schema"]["description"].as_str().unwrap().contains("first one's content type"), "{paths}");
    let put = &paths["/v1/files/{name}"]["put"]["requestBody"];
    assert!(put["content"]["*/*"].is_object(), "{paths}");
    assert!(put["description"].as_str().unwrap().contains("as it arrives"), "{put}");
    assert!(paths["/v1/shout"]["post"]["responses"]["200"]["content"]["*/*"].is_object(), "{paths}");
    assert!(paths["/v1/progress/{name}"]["post"]["responses"]["200"]["content"]["text/event-stream"].is_object());
    assert!(doc.get("x-bia-websockets").is_none(), "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_stop_ends_uploads_and_downloads_in_flight_after_the_stop_timeout() {
    let Running { app, store, tmp } = start().await;
    let http = FilesHttpClient::new(app.http_url()).unwrap();
    // An upload whose handler waits for more than the stop allows.
    let (tx, rx) = Streaming::channel(1);
    tx.send(Ok(chunks("slow", "a/b", &[b"one"]).remove(0))).await.unwrap();
    let upload = tokio::spawn({
        let http = http.clone();
        async move { http.upload(rx).await }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.slow_read.load(Ordering::SeqCst) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the handler never got a chunk");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A download that never ends.
    let mut download = http.download(FileName { name: "endless".into(), chunk: 0 }).await.unwrap();
    assert!(download.next().await.unwrap().is_ok());

    let started = std::time::Instant::now();
    let stop = tokio::spawn(app.running.stop());
    let end = tokio::time::timeout(Duration::from_secs(5), upload).await.expect("the upload ends").unwrap();
    let end = end.expect_err("the stop ends the upload");
    assert_eq!((end.code(), end.reason()), (503, "STOPPING"), "{end:?}");
    let (_, end) = tokio::time::timeout(Duration::from_secs(5), collect(download)).await.expect("the download ends");
    assert!(end.is_some(), "a download the stop cut must not end as a whole one");
    stop.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(started.elapsed() >= Duration::from_millis(500), "{:?}", started.elapsed());
    drop(tx);
    std::fs::remove_dir_all(&tmp).ok();
}
