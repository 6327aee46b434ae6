//! Logging through `tracing`: human-readable text (colored on a terminal) or
//! one JSON object per line, a level from config, and the service name,
//! version and id on every line.
//!
//! ```no_run
//! let info = bia::App::new("user-service").version("v1.0.0").info().clone();
//! let conf = bia::log::LogConf { format: bia::log::LogFormat::Json, ..Default::default() };
//! let _log = bia::log::init(&conf, &info).unwrap();
//! tracing::info!("ready");
//! // {"service.name":"user-service","service.version":"v1.0.0","service.id":"…","timestamp":…,"level":"INFO","fields":{"message":"ready"},…}
//! ```
//!
//! # Off the request path
//!
//! A line is formatted on the thread that logs it and handed to a bounded
//! queue ([`LogConf::queue`] lines); one writer thread takes what the queue
//! holds and writes it to standard output in one `write`. A call never
//! waits for standard output: when the queue is full (the output is a pipe
//! nobody reads, a terminal scrolled back, a slow disk) new lines are
//! dropped, and so are lines whose write fails (the reader of a pipe went
//! away). Both are counted: [`dropped_lines`], and
//! `log_lines_dropped_total{reason="queue_full"|"write_failed"}` on every
//! [`Metrics`](crate::middleware::metrics::Metrics) registry. The
//! [`LogGuard`] that [`init`] returns writes what is still queued when it
//! is dropped (at the end of `main`), waiting at most a second.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use serde::Deserialize;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::app::AppInfo;
use crate::error::Error;

mod json;
mod writer;

use json::{JsonFieldsOfBia, JsonLine};
use writer::{Batches, WRITE_FAILED};

/// How log lines look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable text (colored when stdout is a terminal).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The `log` section of a config file.
///
/// ```
/// let conf: bia::log::LogConf = serde_json::from_str(r#"{"level":"info,sqlx=warn","format":"json"}"#).unwrap();
/// assert_eq!(conf.queue, bia::log::DEFAULT_QUEUE);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogConf {
    /// A level (`info`) or an `EnvFilter` directive (`info,sqlx=warn`).
    #[serde(default = "default_level")]
    pub level: String,
    /// `text` (default) or `json`.
    #[serde(default)]
    pub format: LogFormat,
    /// Lines waiting for the writer thread at most (default
    /// [`DEFAULT_QUEUE`]); more are dropped and counted (see the [module
    /// docs](self)). A line is a few hundred bytes, so the default holds
    /// about 8 MB at most.
    #[serde(default = "default_queue")]
    pub queue: usize,
}

/// The default of [`LogConf::queue`]: lines waiting to be written at most.
pub const DEFAULT_QUEUE: usize = 16_384;

fn default_level() -> String {
    "info".to_owned()
}

fn default_queue() -> usize {
    DEFAULT_QUEUE
}

impl Default for LogConf {
    fn default() -> Self {
        Self { level: default_level(), format: LogFormat::Text, queue: DEFAULT_QUEUE }
    }
}

/// Log lines lost so far (see the [module docs](self)); zero until
/// [`init`] has run.
///
/// ```
/// let lost = bia::log::dropped_lines();
/// assert_eq!(lost.queue_full + lost.write_failed, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DroppedLines {
    /// Lines dropped because the queue was full.
    pub queue_full: u64,
    /// Lines whose write to standard output failed.
    pub write_failed: u64,
}

/// How many log lines were lost, by reason.
pub fn dropped_lines() -> DroppedLines {
    let queue_full = QUEUE_FULL.get().map_or(0, |c| c.dropped_lines() as u64);
    DroppedLines { queue_full, write_failed: WRITE_FAILED.load(Ordering::Relaxed) }
}

static QUEUE_FULL: OnceLock<tracing_appender::non_blocking::ErrorCounter> = OnceLock::new();

fn drop_counts() -> [u64; 2] {
    let d = dropped_lines();
    [d.queue_full, d.write_failed]
}

/// Keeps the writer thread; dropping it writes what is still queued
/// (waiting at most a second) and stops the thread. Keep it until the
/// program ends: `let _log = bia::log::init(...)?;` in `main`.
///
/// ```no_run
/// # let info = bia::App::new("demo").info().clone();
/// let log = bia::log::init(&bia::log::LogConf::default(), &info).unwrap();
/// tracing::info!("the last line");
/// drop(log); // written before this returns
/// ```
#[must_use = "dropping the guard stops the log writer: keep it until the program ends"]
pub struct LogGuard {
    _worker: tracing_appender::non_blocking::WorkerGuard,
}

impl fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogGuard").finish_non_exhaustive()
    }
}

/// Prefixes every text line with the service's identity.
struct WithService<F> {
    inner: F,
    text_prefix: String,
}

impl<S, N, F> FormatEvent<S, N> for WithService<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        writer.write_str(&self.text_prefix)?;
        self.inner.format_event(ctx, writer, event)
    }
}

/// Installs the global subscriber, writing through the queue and writer
/// thread of the [module docs](self). Fails on an invalid level or queue
/// size, and when a subscriber is already installed.
///
/// ```no_run
/// # let info = bia::App::new("demo").info().clone();
/// let _log = bia::log::init(&bia::log::LogConf::default(), &info).unwrap();
/// ```
pub fn init(conf: &LogConf, info: &AppInfo) -> Result<LogGuard, Error> {
    use std::io::IsTerminal as _;
    let config_error = |message: String| Error::internal_server(crate::error::reason::CONFIG, message);
    let filter = tracing_subscriber::EnvFilter::try_new(&conf.level).map_err(|e| {
        config_error(format!("invalid log level `{}`: {e}; use trace, debug, info, warn or error", conf.level))
    })?;
    if conf.queue == 0 {
        return Err(config_error("log.queue must be at least 1 line".to_owned()));
    }
    let text_prefix = format!("service.name={} service.version={} service.id={} ", info.name, info.version, info.id);
    let mut service_fields = String::new();
    for (i, (key, value)) in
        [("service.name", &info.name), ("service.version", &info.version), ("service.id", &info.id)]
            .into_iter()
            .enumerate()
    {
        if i > 0 {
            service_fields.push(',');
        }
        json::push_json_str(&mut service_fields, key);
        service_fields.push(':');
        json::push_json_str(&mut service_fields, value);
    }
    let (writer, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(conf.queue)
        .lossy(true)
        .thread_name("bia-log")
        .finish(Batches::new(std::io::stdout()));
    let queue_full = writer.error_counter();
    let result = if conf.format == LogFormat::Json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .fmt_fields(JsonFieldsOfBia)
            .event_format(JsonLine { service_fields })
            .with_writer(writer)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .event_format(WithService {
                inner: tracing_subscriber::fmt::format().with_ansi(std::io::stdout().is_terminal()),
                text_prefix,
            })
            .with_writer(writer)
            .try_init()
    };
    result.map_err(|e| {
        Error::internal_server(crate::error::reason::LOG_INIT, format!("cannot install the logger: {e}"))
    })?;
    // Only the installed subscriber's counter: a second `init` failed above.
    let _ = QUEUE_FULL.set(queue_full);
    if conf.format == LogFormat::Json {
        // The JSON lines write the trace middleware's ids themselves.
        crate::middleware::call_ids::read_by_log();
    }
    let _ = crate::middleware::metrics::LOG_DROPS.set(drop_counts);
    Ok(LogGuard { _worker: worker })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Lines written to memory.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Lines {
        /// Runs `f` with `bia::log`'s JSON lines written here.
        fn ours(&self, f: impl FnOnce()) {
            let writer = self.clone();
            let subscriber = tracing_subscriber::fmt()
                .fmt_fields(JsonFieldsOfBia)
                .event_format(JsonLine { service_fields: "\"service.name\":\"svc\"".into() })
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::with_default(subscriber, f);
        }

        /// Runs `f` with tracing-subscriber's own JSON lines written here.
        fn theirs(&self, f: impl FnOnce()) {
            let writer = self.clone();
            let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
            tracing::subscriber::with_default(subscriber, f);
        }

        /// Each line as JSON, without what differs by design: the time, and
        /// the service's fields (tracing-subscriber has none).
        fn parsed(&self) -> Vec<serde_json::Value> {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            text.lines()
                .map(|l| {
                    let mut v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
                    let map = v.as_object_mut().unwrap();
                    for key in ["timestamp", "service.name", "service.version", "service.id"] {
                        map.remove(key);
                    }
                    v
                })
                .collect()
        }
    }

    fn emit() {
        tracing::info!(plain = true, "outside any span");
        let rpc = tracing::info_span!("rpc", operation = "/a.v1.B/C", n = 3_i64, later = tracing::field::Empty);
        let _rpc = rpc.enter();
        rpc.record("later", "recorded after \"creation\"");
        let request = tracing::info_span!("request", request_id = "r\\1\n");
        let _request = request.enter();
        tracing::info!(kind = "http", latency = 0.5, code = 200_u16, "done \"quoted\" é");
        tracing::warn!(list = ?vec![1, 2], "debug value");
        let empty = tracing::info_span!("empty");
        let _empty = empty.enter();
        tracing::error!("in a span without fields");
        // Every kind of value, in a span (recorded at creation and after)
        // and in an event, with what JSON must escape.
        let error = std::io::Error::other("disk \"full\"\t\u{1}");
        let kinds = tracing::info_span!(
            "kinds",
            r#type = ?"raw name",
            bytes = &b"\x00\x0a\xff"[..],
            nan = f64::NAN,
            big = u128::MAX,
            neg = -3_i64,
            flag = false,
            text = "tab\tnewline\nquote\"backslash\\del\u{7f}bell\u{7}é😀",
            added = tracing::field::Empty,
        );
        kinds.record("added", 1.25);
        let _kinds = kinds.enter();
        tracing::warn!(
            error = &error as &dyn std::error::Error,
            bytes = &b"\x01\xab"[..],
            big = i128::MIN,
            inf = f64::INFINITY,
            tiny = 1e-300,
            whole = 2.0,
            r#type = "event raw",
            "kinds \u{0} {}",
            "formatted"
        );
        drop(_kinds);
        let later = tracing::info_span!("later", first = 1_u8, second = tracing::field::Empty);
        later.record("second", "two");
        let _later = later.enter();
        tracing::info!("after two records");
    }

    #[test]
    fn json_lines_are_tracing_subscribers_field_for_field() {
        let (ours, theirs) = (Lines::default(), Lines::default());
        ours.ours(emit);
        theirs.theirs(emit);

        let raw = String::from_utf8(ours.0.lock().unwrap().clone()).unwrap();
        assert!(raw.lines().all(|l| l.starts_with("{\"service.name\":\"svc\",\"timestamp\":\"")), "{raw}");
        let (ours, theirs) = (ours.parsed(), theirs.parsed());
        assert_eq!(ours.len(), 6);
        for (ours, theirs) in ours.iter().zip(&theirs) {
            assert_eq!(ours, theirs);
        }
    }

    /// What a handler logs, in its call and in a span of its own.
    fn handler() {
        tracing::info!(a = 1, "in the call");
        let user = tracing::info_span!("user", step = 2);
        let _user = user.enter();
        tracing::warn!("in the handler's own span");
    }

    #[test]
    fn a_calls_ids_handed_over_read_as_the_trace_middlewares_span() {
        use crate::middleware::call_ids::{CallIds, WithCallIds};
        use opentelemetry::trace::{SpanId, TraceId};
        let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        let span_id = SpanId::from_hex("00f067aa0ba902b7").unwrap();
        for ids in [Some((trace_id, span_id)), None] {
            let (ours, theirs) = (Lines::default(), Lines::default());
            // tracing-subscriber's JSON, with the span the trace middleware
            // makes for other subscribers.
            theirs.theirs(|| {
                let rpc = match ids {
                    Some((t, s)) => tracing::error_span!("rpc", trace.id = %t, span.id = %s, operation = "/a.v1.B/C"),
                    None => tracing::error_span!("rpc", operation = "/a.v1.B/C"),
                };
                let _rpc = rpc.enter();
                tracing::info!("before");
                handler();
            });
            // Ours, handed the ids.
            ours.ours(|| {
                let call = CallIds { ids, operation: "/a.v1.B/C".into() };
                let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                runtime.block_on(WithCallIds::new(call, async {
                    tracing::info!("before");
                    handler();
                }));
                tracing::info!("after the call: no rpc entry");
            });
            let (ours, theirs) = (ours.parsed(), theirs.parsed());
            assert_eq!(ours.len(), 4);
            assert_eq!(ours[..3], theirs[..], "{ids:?}");
            assert!(ours[3].get("span").is_none() && ours[3].get("spans").is_none(), "{}", ours[3]);
        }
    }

    #[test]
    fn the_time_is_written_as_tracing_subscriber_writes_it() {
        use tracing_subscriber::fmt::time::FormatTime as _;
        let mut theirs = String::new();
        tracing_subscriber::fmt::time::SystemTime.format_time(&mut Writer::new(&mut theirs)).unwrap();
        let ours = humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string();
        // 2026-12-03T06:30:01.123456Z: the same form, the same second (or the next).
        assert_eq!(ours.len(), theirs.len(), "{ours} / {theirs}");
        let shape = |t: &str| t.chars().map(|c| if c.is_ascii_digit() { '0' } else { c }).collect::<String>();
        assert_eq!(shape(&ours), "0000-00-00T00:00:00.000000Z");
        assert_eq!(shape(&theirs), shape(&ours));
        let seconds = |t: &str| humantime::parse_rfc3339(t).unwrap();
        let apart = seconds(&ours).duration_since(seconds(&theirs)).unwrap();
        assert!(apart < std::time::Duration::from_secs(1), "{ours} / {theirs}");
    }

    #[test]
    fn a_queue_of_zero_lines_is_refused() {
        let info = crate::App::new("svc").info().clone();
        let err = init(&LogConf { queue: 0, ..Default::default() }, &info).unwrap_err();
        assert_eq!(err.reason(), "CONFIG");
        assert!(err.message().contains("log.queue"), "{err}");
    }
}
