//! The logging middleware writes one line per stream, at its end, with the
//! operation, the code and reason it ended with, and its messages each way.
//! (Its own test binary: the subscriber here is the process-wide one.)

use std::sync::{Arc, Mutex};

use bia::middleware::logging::Logging;
use bia::stream::Streaming;
use bia_tests::streams::*;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn one_line_per_stream_with_its_end_and_its_messages() {
    let buf = Buffer::default();
    let writer = buf.clone();
    tracing_subscriber::fmt().json().with_writer(move || writer.clone()).init();
    let app = start_counter_with(MemoryCounter::default(), |s| s.middleware(Logging::server())).await;
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();
    let (got, _) = collect(grpc.count(CountRequest { count: 3, ..Default::default() }).await.unwrap()).await;
    assert_eq!(got.len(), 3);
    let tick = |n| Tick { n, text: String::new() };
    assert_eq!(http.sum(Streaming::iter(vec![tick(1), tick(2)])).await.unwrap().count, 2);
    let (_, end) =
        collect(http.count(CountRequest { count: 5, fail_at: 3, ..Default::default() }).await.unwrap()).await;
    assert!(end.is_some());
    app.running.stop().await.unwrap();

    let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["operation"].as_str().is_some_and(|o| o.starts_with("/stream.v1.Counter/")))
        .map(|v| v["fields"].clone())
        .collect();
    assert_eq!(lines.len(), 3, "one line per stream:\n{out}");
    let line = |kind: &str, op: &str| {
        lines
            .iter()
            .find(|l| l["kind"] == kind && l["operation"] == format!("/stream.v1.Counter/{op}"))
            .unwrap_or_else(|| panic!("no {kind} {op} line in:\n{out}"))
            .clone()
    };
    let count = line("grpc", "Count");
    assert_eq!((count["code"].as_u64(), count["messages_out"].as_u64()), (Some(200), Some(3)), "{count}");
    let sum = line("http", "Sum");
    assert_eq!((sum["code"].as_u64(), sum["messages_in"].as_u64()), (Some(200), Some(2)), "{sum}");
    let failed = line("http", "Count");
    assert_eq!((failed["code"].as_u64(), failed["reason"].as_str()), (Some(409), Some("TOO_FAR")), "{failed}");
    assert_eq!(failed["messages_out"].as_u64(), Some(2), "{failed}");
}
