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
