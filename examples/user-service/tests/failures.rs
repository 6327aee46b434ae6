//! The failure matrix on the user-service process: what it promises when
//! something it depends on fails while it serves (README, "Reliability").

use std::io::Read as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use user_service::api::*;

mod support;

use support::*;

/// `log_lines_dropped_total{reason}` from a scrape of `/metrics`.
async fn dropped_lines(svc: &Service, reason: &str) -> u64 {
    let (status, text) = get(&format!("{}/metrics", svc.http_url())).await;
    assert_eq!(status, 200, "{text}");
    let series = format!("log_lines_dropped_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .unwrap_or_else(|| panic!("no {series} in the scrape:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

/// `n` calls that each log a line, each answered within a second.
async fn calls_each_answered(http: &UserApiHttpClient, id: &str, n: usize) {
    for i in 0..n {
        let started = Instant::now();
        let user = http.get_user(GetUserRequest { id: id.to_owned() }).await.unwrap();
        assert_eq!(user.user.unwrap().id, id);
        assert!(started.elapsed() < Duration::from_secs(1), "call {i} took {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn a_log_sink_nobody_reads_drops_lines_counted_and_calls_go_on_until_it_reads_again() {
    let dir = temp_dir("log-unread");
    // A small queue, so that a few thousand lines overflow it (with the
    // default of 16,384 lines it takes that many more).
    let mut svc = Service::start_with(&dir, &[("BIA_LOG__QUEUE", "64".to_owned())]).await;
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let id = http
        .create_user(CreateUserRequest { name: "ann".into(), email: "ann@example.com".into() })
        .await
        .unwrap()
        .user
        .unwrap()
        .id;

    // Nobody reads the pipe: it fills (64 KiB), then the writer's batch, then
    // the queue; the calls are not slowed and the lost lines are counted.
    calls_each_answered(&http, &id, 2_000).await;
    let lost = dropped_lines(&svc, "queue_full").await;
    assert!(lost > 1_000, "{lost} lines counted as dropped");
    assert_eq!(dropped_lines(&svc, "write_failed").await, 0);

    // The reader comes back: lines are written again.
    let mut pipe = svc.child.stdout.take().unwrap();
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = out.clone();
    std::thread::spawn(move || {
        let mut buf = [0; 65536];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let marker = format!("after-the-reader-came-back-{}", Instant::now().elapsed().as_nanos());
        let e = http.get_user(GetUserRequest { id: marker.clone() }).await.unwrap_err();
        assert_eq!(e.reason(), "VALIDATOR");
        tokio::time::sleep(Duration::from_millis(100)).await;
        if String::from_utf8_lossy(&out.lock().unwrap()).contains(&marker) {
            break;
        }
        assert!(Instant::now() < deadline, "no line written within 20 s of the pipe being read again");
    }
    svc.sigterm();
    let (status, _) = svc.wait_exit();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn a_log_sink_that_went_away_counts_the_lines_it_lost_and_calls_go_on() {
    let dir = temp_dir("log-closed");
    let mut svc = Service::start(&dir).await;
    // The reader of the pipe goes away: every write fails (EPIPE).
    drop(svc.child.stdout.take());
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let id = http
        .create_user(CreateUserRequest { name: "bo".into(), email: "bo@example.com".into() })
        .await
        .unwrap()
        .user
        .unwrap()
        .id;
    calls_each_answered(&http, &id, 200).await;
    // The writer counts a batch when it fails, so the count may trail the calls.
    let deadline = Instant::now() + Duration::from_secs(10);
    while dropped_lines(&svc, "write_failed").await < 200 {
        assert!(Instant::now() < deadline, "lines lost to a closed pipe not counted within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(dropped_lines(&svc, "queue_full").await, 0);
    svc.sigterm();
    let (status, _) = svc.wait_exit();
    assert!(status.success(), "a closed stdout does not fail the stop: {status}");
}

/// Sends `GET path` on `stream` (closing it after the reply) and returns the
/// status, or `None` when no reply came within `wait`.
fn exchange(mut stream: std::net::TcpStream, path: &str, wait: Duration) -> Option<u16> {
    use std::io::Write as _;
    stream.set_read_timeout(Some(wait)).unwrap();
    stream.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut reply = Vec::new();
    match stream.read_to_end(&mut reply) {
        Ok(_) if reply.len() >= 12 => std::str::from_utf8(&reply[9..12]).ok()?.parse().ok(),
        _ => None,
    }
}

#[tokio::test]
async fn out_of_file_descriptors_new_connections_wait_open_ones_are_served_and_it_recovers_logging_once() {
    let dir = temp_dir("fds");
    let (http_port, grpc_port) = (free_port(), free_port());
    let log = std::fs::File::create(dir.join("service.log")).unwrap();
    // A low descriptor limit, set by the shell the service is started from.
    let child = std::process::Command::new("sh")
        .args(["-c", "ulimit -n 128 && exec \"$0\"", BIN])
        .current_dir(&dir)
        .env("USER_SERVICE_DB", format!("sqlite://{}/users.db?mode=rwc", dir.display()))
        .env("BIA_LOG__FORMAT", "json")
        .env("BIA_SERVER__HTTP__ADDR", format!("127.0.0.1:{http_port}"))
        .env("BIA_SERVER__GRPC__ADDR", format!("127.0.0.1:{grpc_port}"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut svc = Service { child, http_port, grpc_port };
    svc.wait_ready().await;
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let id = http.create_user(CreateUserRequest { name: "cy".into(), email: "cy@example.com".into() }).await.unwrap();
    let path = format!("/v1/user/{}", id.user.unwrap().id);
    drop(http);

    // Idle connections until the service is out of descriptors: the ones it
    // accepted are open, the rest wait in its listen backlog.
    let addr = ("127.0.0.1", http_port);
    let mut held: Vec<std::net::TcpStream> = (0..200).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    let read_log = || std::fs::read_to_string(dir.join("service.log")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !read_log().contains("accepting connections fails") {
        assert!(Instant::now() < deadline, "no accept failure logged within 15 s:\n{}", read_log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A connection it had accepted is served.
    let first = held.remove(0);
    let served = tokio::task::spawn_blocking({
        let path = path.clone();
        move || exchange(first, &path, Duration::from_secs(5))
    });
    assert_eq!(served.await.unwrap(), Some(200), "an open connection is served while accepts fail");
    // A new one waits (it is in the backlog, not refused), for as long as
    // the descriptors are out: seconds of retries, one line logged.
    let waiting = std::net::TcpStream::connect(addr).unwrap();
    let pending = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        (exchange(waiting, "/readyz", Duration::from_secs(20)), started.elapsed())
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!pending.is_finished(), "a new connection was served while descriptors were out");

    // Descriptors free up: the waiting connection is served, new ones too.
    drop(held);
    let (status, waited) = pending.await.unwrap();
    assert_eq!(status, Some(200), "the waiting connection is served once descriptors free up");
    assert!(waited >= Duration::from_secs(2), "{waited:?}");
    assert_eq!(get(&format!("{}/readyz", svc.http_url())).await.0, 200);

    svc.sigterm();
    let (status, _) = svc.wait_exit();
    assert!(status.success(), "{status}");
    let log = read_log();
    let lines = |text: &str| log.lines().filter(|l| l.contains(text)).count();
    assert_eq!(lines("accepting connections fails"), 1, "one line for seconds of failures:\n{log}");
    assert_eq!(lines("accepting connections again"), 1, "{log}");
    assert!(log.contains("Too many open files"), "{log}");
}

/// Where the test sends the frames of a request body.
type Upload = tokio::sync::mpsc::Sender<Result<hyper::body::Frame<bytes::Bytes>, std::convert::Infallible>>;

/// A gRPC `CreateUser` over a raw HTTP/2 client whose request message is
/// sent only when `tx` sends it (an upload in flight); its reply's
/// `grpc-status` and `grpc-message` (headers or trailers).
fn grpc_upload(url: &str) -> (Upload, tokio::task::JoinHandle<(String, String)>) {
    use http_body_util::BodyExt as _;
    let client =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).http2_only(true).build_http();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let req = http::Request::post(format!("{url}/user.v1.User/CreateUser"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(http_body_util::StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(rx)))
        .unwrap();
    let call = tokio::spawn(async move {
        let res = client.request(req).await.unwrap();
        let headers = res.headers().clone();
        let collected = res.into_body().collect().await.unwrap();
        let trailers = collected.trailers().cloned().unwrap_or_default();
        let field = |name: &str| {
            let v = headers.get(name).or_else(|| trailers.get(name));
            v.map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
        };
        (field("grpc-status"), field("grpc-message"))
    });
    (tx, call)
}

/// A `POST /v1/user` on a raw connection, its head and `sent` bytes of its
/// body written.
async fn http_upload(port: u16, body: &[u8], sent: usize) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /v1/user HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..sent]).await.unwrap();
    s
}

async fn read_reply(mut s: tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut reply)).await.unwrap().unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn sigterm_ends_what_outlives_the_stop_timeout_with_unavailable_lets_the_rest_finish_and_exits_zero() {
    use bia::stream::StreamExt as _;
    use tokio::io::AsyncWriteExt as _;
    let dir = temp_dir("stop");
    // Calls may take 30 s here, longer than the stop timeout.
    let env = [
        ("BIA_SERVER__STOP_TIMEOUT", "2s".to_owned()),
        ("BIA_SERVER__HTTP__TIMEOUT", "30s".to_owned()),
        ("BIA_SERVER__GRPC__TIMEOUT", "30s".to_owned()),
    ];
    let svc = Service::start_with(&dir, &env).await;
    let http = UserApiHttpClient::new(svc.http_url()).unwrap();
    let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();

    // In flight when the stop begins: a stream on each transport, an upload on
    // each that never finishes, and one on each that finishes in time.
    let mut over_grpc = grpc.watch_users(WatchUsersRequest {}).await.unwrap();
    let mut over_sse = http.watch_users(WatchUsersRequest {}).await.unwrap();
    let body = br#"{"name":"late","email":"late@example.com"}"#;
    let never = http_upload(svc.http_port, body, 10).await;
    let mut in_time = http_upload(svc.http_port, br#"{"name":"on-time","email":"on-time@example.com"}"#, 10).await;
    let (never_grpc, never_grpc_call) = grpc_upload(&svc.grpc_url());
    let (in_time_grpc, in_time_grpc_call) = grpc_upload(&svc.grpc_url());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stop = Instant::now();
    svc.sigterm();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Within the stop timeout: these finish with success.
    in_time.write_all(&br#"{"name":"on-time","email":"on-time@example.com"}"#[10..]).await.unwrap();
    let reply = read_reply(in_time).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let msg = prost::Message::encode_to_vec(&CreateUserRequest { name: "g".into(), email: "g@example.com".into() });
    let mut frame = vec![0u8];
    frame.extend((msg.len() as u32).to_be_bytes());
    frame.extend(msg);
    in_time_grpc.send(Ok(hyper::body::Frame::data(frame.into()))).await.unwrap();
    drop(in_time_grpc);
    assert_eq!(in_time_grpc_call.await.unwrap().0, "0", "the gRPC upload that finished in time succeeds");

    // Past it: each ends with 503 / Unavailable, reason STOPPING.
    let reply = read_reply(never).await;
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(reply.contains(r#""reason":"STOPPING""#), "the Bia error body: {reply}");
    assert!(stop.elapsed() >= Duration::from_secs(2), "ended before the stop timeout: {:?}", stop.elapsed());
    let (status, message) = never_grpc_call.await.unwrap();
    assert_eq!(status, "14", "Unavailable: {message}");
    drop(never_grpc);
    for (transport, stream) in [("grpc", &mut over_grpc), ("sse", &mut over_sse)] {
        // The users created in time come first.
        let e = loop {
            match tokio::time::timeout(Duration::from_secs(10), stream.next()).await.unwrap() {
                Some(Ok(event)) => assert_eq!(event.kind, UserEventKind::Created),
                Some(Err(e)) => break e,
                None => panic!("{transport}: the stream closed without its end"),
            }
        };
        assert_eq!((e.code(), e.reason()), (503, "STOPPING"), "{transport}: {e}");
    }
    let (status, _) = svc.wait_exit();
    assert!(status.success(), "{status}");
}

/// Writers creating users, half over HTTP and half over gRPC, until stopped:
/// each success is recorded (the write the service accepted), each failure
/// must be a 503 `DATABASE_UNAVAILABLE`, and no call may outlive the
/// service's 1 s deadline.
struct WriteLoad {
    stop: Arc<std::sync::atomic::AtomicBool>,
    seen: Arc<Seen>,
    writers: Vec<tokio::task::JoinHandle<()>>,
}

#[derive(Default)]
struct Seen {
    created: Mutex<Vec<(String, String)>>,
    unavailable: std::sync::atomic::AtomicUsize,
    unexpected: Mutex<Vec<String>>,
}

impl WriteLoad {
    async fn start(svc: &Service, writers: usize) -> WriteLoad {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = Arc::new(Seen::default());
        let http = UserApiHttpClient::new(svc.http_url()).unwrap();
        let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
        let writers = (0..writers)
            .map(|w| {
                let (stop, seen, http, grpc) = (stop.clone(), seen.clone(), http.clone(), grpc.clone());
                tokio::spawn(async move {
                    // Bounded: at most 5,000 calls per writer.
                    for i in 0..5_000 {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        let email = format!("w{w}-{i}@example.com");
                        let req = CreateUserRequest { name: format!("w{w}-{i}"), email: email.clone() };
                        let started = Instant::now();
                        let res = if w % 2 == 0 { http.create_user(req).await } else { grpc.create_user(req).await };
                        let took = started.elapsed();
                        if took > Duration::from_millis(1_300) {
                            seen.unexpected.lock().unwrap().push(format!("a call took {took:?}"));
                        }
                        match res {
                            Ok(rep) => seen.created.lock().unwrap().push((rep.user.unwrap().id, email)),
                            Err(e) if e.code() == 503 && UserError::is_database_unavailable(&e) => {
                                seen.unavailable.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(20)).await;
                            }
                            Err(e) => seen.unexpected.lock().unwrap().push(format!("{e} after {took:?}")),
                        }
                    }
                })
            })
            .collect();
        WriteLoad { stop, seen, writers }
    }

    fn created(&self) -> usize {
        self.seen.created.lock().unwrap().len()
    }

    fn unavailable(&self) -> usize {
        self.seen.unavailable.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits (bounded) until `n` more writes than now succeeded.
    async fn wait_created(&self, n: usize, why: &str) {
        let target = self.created() + n;
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.created() < target {
            assert!(Instant::now() < deadline, "{why}: {} writes, {} unavailable", self.created(), self.unavailable());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the writers; checks that every failure was the expected one and
    /// that every accepted write is in the database, read back through the
    /// service.
    async fn finish(self, svc: &Service) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for w in self.writers {
            w.await.unwrap();
        }
        let unexpected = self.seen.unexpected.lock().unwrap().clone();
        assert!(unexpected.is_empty(), "{unexpected:#?}");
        let created = self.seen.created.lock().unwrap().clone();
        let grpc = UserApiGrpcClient::connect(svc.grpc_url()).await.unwrap();
        for (id, email) in &created {
            let user = grpc
                .get_user(GetUserRequest { id: id.clone() })
                .await
                .unwrap_or_else(|e| panic!("user {id} ({email}) got a success reply and is not in the database: {e}"));
            assert_eq!(&user.user.unwrap().email, email);
        }
    }
}

#[tokio::test]
async fn a_sqlite_file_locked_by_another_writer_is_a_fast_503_then_writes_resume_and_none_accepted_is_lost() {
    use sqlx::Connection as _;
    let dir = temp_dir("sqlite-locked");
    let svc = Service::start(&dir).await;
    let load = WriteLoad::start(&svc, 4).await;
    load.wait_created(20, "no writes before the lock").await;

    // Another process's writer takes the database's write lock and keeps it.
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}/users.db", dir.display())).await.unwrap();
    sqlx::Executor::execute(&mut other, "BEGIN EXCLUSIVE").await.unwrap();
    let (created, unavailable) = (load.created(), load.unavailable());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(load.unavailable() >= unavailable + 4, "writes while locked did not fail with 503");
    assert!(load.created() <= created + 4, "writes went through a locked database");

    sqlx::Executor::execute(&mut other, "ROLLBACK").await.unwrap();
    other.close().await.unwrap();
    load.wait_created(20, "writes did not resume once the lock was gone").await;
    load.finish(&svc).await;
}

#[tokio::test]
async fn postgres_stopped_under_load_is_a_fast_503_then_back_without_a_restart_and_no_accepted_write_is_lost() {
    let Some(mut pg) = Postgres::start("failures") else {
        return Postgres::missing("the Postgres failure test");
    };
    let dir = temp_dir("postgres-away");
    let svc = Service::start_with(&dir, &[("USER_SERVICE_DB", pg.url())]).await;
    let load = WriteLoad::start(&svc, 4).await;
    load.wait_created(20, "no writes before the stop").await;

    pg.stop();
    let unavailable = load.unavailable();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let created = load.created();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(load.unavailable() >= unavailable + 4, "writes while the database was away did not fail with 503");
    assert_eq!(load.created(), created, "writes succeeded with the database stopped");

    pg.restart();
    load.wait_created(20, "writes did not resume once the database was back").await;
    load.finish(&svc).await;
}
