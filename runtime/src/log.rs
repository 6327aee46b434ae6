//! Logging through `tracing`: human-readable text (colored on a terminal) or
//! one JSON object per line, a level from config, and the service name,
//! version and id on every line.
//!
//! ```no_run
//! let info = bia::App::new("user-service").version("v1.0.0").info().clone();
//! bia::log::init(&bia::log::LogConf { level: "info".into(), format: bia::log::LogFormat::Json }, &info).unwrap();
//! tracing::info!("ready");
//! // {"service.name":"user-service","service.version":"v1.0.0","service.id":"…","timestamp":…,"level":"INFO","fields":{"message":"ready"},…}
//! ```

use std::fmt;

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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogConf {
    /// A level (`info`) or an `EnvFilter` directive (`info,sqlx=warn`).
    #[serde(default = "default_level")]
    pub level: String,
    /// `text` (default) or `json`.
    #[serde(default)]
    pub format: LogFormat,
}

fn default_level() -> String {
    "info".to_owned()
}

impl Default for LogConf {
    fn default() -> Self {
        Self { level: default_level(), format: LogFormat::Text }
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

/// Installs the global subscriber. Fails on an invalid level and when a
/// subscriber is already installed.
pub fn init(conf: &LogConf, info: &AppInfo) -> Result<(), Error> {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_new(&conf.level).map_err(|e| {
        Error::internal_server(
            crate::error::reason::CONFIG,
            format!("invalid log level `{}`: {e}; use trace, debug, info, warn or error", conf.level),
        )
    })?;
    let text_prefix = format!("service.name={} service.version={} service.id={} ", info.name, info.version, info.id);
    let service_fields = format!(
        "\"service.name\":{},\"service.version\":{},\"service.id\":{}",
        json_string(&info.name),
        json_string(&info.version),
        json_string(&info.id)
    );
    let result = if conf.format == LogFormat::Json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .fmt_fields(JsonFields::new())
            .event_format(JsonLine { service_fields })
            .with_writer(std::io::stdout)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .event_format(WithService {
                inner: tracing_subscriber::fmt::format().with_ansi(std::io::stdout().is_terminal()),
                text_prefix,
            })
            .with_writer(std::io::stdout)
            .try_init()
    };
    result
        .map_err(|e| Error::internal_server(crate::error::reason::LOG_INIT, format!("cannot install the logger: {e}")))
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
}
