//! The fair reference (`BENCH_STACK=fair`: the hand-written servers with
//! tower-http's `TraceLayer`, JSON log lines, prometheus-client metrics and
//! tracing-opentelemetry spans) answers every case as Bia does: the
//! observability changes no reply. (A process of its own: the mode is read
//! once per process.)

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fair_reference_changes_no_reply() {
    // Before anything reads them; the log lines go nowhere.
    std::env::set_var("BENCH_STACK", "fair");
    std::env::set_var("BENCH_FAIR_LOG", "sink");
    assert!(bia_bench::fair::on());
    support::same_replies(false).await;
}
