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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use serde::Deserialize;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::app::AppInfo;
use crate::error::Error;

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
static WRITE_FAILED: AtomicU64 = AtomicU64::new(0);

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

/// The writer thread's end of the queue: standard output, one `write` for
/// all the lines the queue held, and never an error back to the thread (a
/// failed write counts the lines it lost into `write_failed` and the next
/// batch tries again). Hand-written instead of a `std::io::BufWriter`,
/// which on a failed write cannot tell how many lines were lost.
struct Batches<W> {
    out: W,
    buf: Vec<u8>,
}

/// A batch is written when the queue is empty or it reaches this size.
const BATCH_BYTES: usize = 64 * 1024;

impl<W: std::io::Write> Batches<W> {
    fn new(out: W) -> Self {
        Self { out, buf: Vec::with_capacity(BATCH_BYTES) }
    }

    fn write_batch(&mut self) {
        let mut written = 0;
        while written < self.buf.len() {
            match self.out.write(&self.buf[written..]) {
                Ok(0) => break,
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let lost = &self.buf[written..];
        if !lost.is_empty() {
            let lines = lost.iter().filter(|&&b| b == b'\n').count().max(1);
            WRITE_FAILED.fetch_add(lines as u64, Ordering::Relaxed);
        }
        let _ = self.out.flush();
        self.buf.clear();
    }
}

impl<W: std::io::Write> std::io::Write for Batches<W> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(line);
        if self.buf.len() >= BATCH_BYTES {
            self.write_batch();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.write_batch();
        Ok(())
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

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The JSON line of an event, written in one pass: tracing-subscriber's
/// JSON format, field for field (`timestamp`, `level`, `fields`, `target`,
/// `span` and `spans`), after the service's own fields. Hand-written
/// because tracing-subscriber's own formatter reads each span's fields back
/// from their stored JSON text into a `serde_json::Value` and writes them
/// out again, for `span` and again for every entry of `spans` (about a
/// quarter of what a log line cost, measured); here the stored text is
/// copied into the line as it is.
struct JsonLine {
    service_fields: String,
}

impl<S> FormatEvent<S, JsonFields> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        use tracing_subscriber::fmt::time::FormatTime as _;
        let meta = event.metadata();
        writer.write_char('{')?;
        writer.write_str(&self.service_fields)?;
        writer.write_str(",\"timestamp\":\"")?;
        tracing_subscriber::fmt::time::SystemTime.format_time(&mut writer)?;
        write!(writer, "\",\"level\":\"{}\",\"fields\":", meta.level())?;
        let fields = serde_json::to_string(&tracing_serde::fields::AsMap::field_map(event)).map_err(|_| fmt::Error)?;
        writer.write_str(&fields)?;
        writer.write_str(",\"target\":")?;
        write_json_str(&mut writer, meta.target())?;
        let current = event.parent().and_then(|id| ctx.span(id)).or_else(|| ctx.lookup_current());
        if let Some(span) = current {
            writer.write_str(",\"span\":")?;
            write_span(&mut writer, &span)?;
            writer.write_str(",\"spans\":[")?;
            if let Some(scope) = ctx.lookup_current().map(|s| s.scope()) {
                for (i, span) in scope.from_root().enumerate() {
                    if i > 0 {
                        writer.write_char(',')?;
                    }
                    write_span(&mut writer, &span)?;
                }
            }
            writer.write_char(']')?;
        }
        writer.write_str("}\n")
    }
}

/// A span as tracing-subscriber's JSON shows it: its fields (as the JSON
/// object `JsonFields` stored, keys sorted), then `name`.
fn write_span<S>(writer: &mut Writer<'_>, span: &tracing_subscriber::registry::SpanRef<'_, S>) -> fmt::Result
where
    S: for<'a> LookupSpan<'a>,
{
    let ext = span.extensions();
    let stored = ext.get::<tracing_subscriber::fmt::FormattedFields<JsonFields>>().map(|f| f.fields.as_str());
    match stored.map(str::trim).and_then(|f| f.strip_suffix('}')).filter(|f| f.len() > 1) {
        Some(open) => {
            writer.write_str(open)?;
            writer.write_str(",\"name\":")?;
        }
        None => writer.write_str("{\"name\":")?,
    }
    write_json_str(writer, span.metadata().name())?;
    writer.write_char('}')
}

fn write_json_str(writer: &mut Writer<'_>, s: &str) -> fmt::Result {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f) {
        writer.write_char('"')?;
        writer.write_str(s)?;
        return writer.write_char('"');
    }
    writer.write_str(&json_string(s))
}

use tracing_subscriber::fmt::format::JsonFields;

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
    let service_fields = format!(
        "\"service.name\":{},\"service.version\":{},\"service.id\":{}",
        json_string(&info.name),
        json_string(&info.version),
        json_string(&info.id)
    );
    let (writer, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(conf.queue)
        .lossy(true)
        .thread_name("bia-log")
        .finish(Batches::new(std::io::stdout()));
    let queue_full = writer.error_counter();
    let result = if conf.format == LogFormat::Json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .fmt_fields(JsonFields::new())
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
    }

    #[test]
    fn json_lines_are_tracing_subscribers_field_for_field() {
        let (ours, theirs) = (Lines::default(), Lines::default());
        let writer = ours.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(JsonFields::new())
            .event_format(JsonLine { service_fields: "\"service.name\":\"svc\"".into() })
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, emit);
        let writer = theirs.clone();
        let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
        tracing::subscriber::with_default(subscriber, emit);

        let raw = String::from_utf8(ours.0.lock().unwrap().clone()).unwrap();
        assert!(raw.lines().all(|l| l.starts_with("{\"service.name\":\"svc\",\"timestamp\":\"")), "{raw}");
        let (ours, theirs) = (ours.parsed(), theirs.parsed());
        assert_eq!(ours.len(), 4);
        assert_eq!(ours, theirs);
    }

    /// Takes `room` bytes, then fails every write (a pipe whose reader went away).
    struct Closing {
        room: usize,
        taken: Vec<u8>,
        writes: usize,
    }

    impl std::io::Write for Closing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.writes += 1;
            if self.room == 0 {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.taken.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_batch_is_one_write_and_a_failed_write_counts_the_lines_it_lost() {
        use std::io::Write as _;
        let mut out = Batches::new(Closing { room: 1 << 20, taken: Vec::new(), writes: 0 });
        for i in 0..100 {
            out.write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        assert_eq!(out.out.writes, 0, "nothing is written before the queue is empty");
        out.flush().unwrap();
        assert_eq!(out.out.writes, 1);
        assert_eq!(out.out.taken.iter().filter(|&&b| b == b'\n').count(), 100);

        // The reader takes a line and a half, then goes away: the half line
        // and the two after it are lost, and the next batch too.
        let before = WRITE_FAILED.load(Ordering::Relaxed);
        let mut out = Batches::new(Closing { room: 12, taken: Vec::new(), writes: 0 });
        for line in ["first 1\n", "second 2\n", "third 3\n", "fourth4\n"] {
            out.write_all(line.as_bytes()).unwrap();
        }
        out.flush().unwrap();
        assert_eq!(out.out.taken, b"first 1\nseco");
        // Other tests of this binary may count too; none fail writes.
        assert_eq!(WRITE_FAILED.load(Ordering::Relaxed) - before, 3);
        out.write_all(b"fifth 5\n").unwrap();
        out.flush().expect("a failed write is not the worker's error");
        assert_eq!(WRITE_FAILED.load(Ordering::Relaxed) - before, 4);
        assert!(out.buf.is_empty(), "a lost batch is not kept");
    }

    #[test]
    fn a_queue_of_zero_lines_is_refused() {
        let info = crate::App::new("svc").info().clone();
        let err = init(&LogConf { queue: 0, ..Default::default() }, &info).unwrap_err();
        assert_eq!(err.reason(), "CONFIG");
        assert!(err.message().contains("log.queue"), "{err}");
    }
}
