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

/// Prefixes every event with the service's identity.
struct WithService<F> {
    inner: F,
    json: bool,
    text_prefix: String,
    json_fields: String,
}

impl<S, N, F> FormatEvent<S, N> for WithService<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        if !self.json {
            writer.write_str(&self.text_prefix)?;
            return self.inner.format_event(ctx, writer, event);
        }
        let mut line = String::with_capacity(256);
        self.inner.format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => {
                writer.write_char('{')?;
                writer.write_str(&self.json_fields)?;
                if !rest.starts_with('}') {
                    writer.write_char(',')?;
                }
                writer.write_str(rest)
            }
            None => writer.write_str(&line),
        }
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

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
    let json = conf.format == LogFormat::Json;
    let fmt = WithService {
        inner: tracing_subscriber::fmt::format().json().flatten_event(false),
        json,
        text_prefix: String::new(),
        json_fields: String::new(),
    };
    let text_prefix = format!("service.name={} service.version={} service.id={} ", info.name, info.version, info.id);
    let json_fields = format!(
        "\"service.name\":{},\"service.version\":{},\"service.id\":{}",
        json_string(&info.name),
        json_string(&info.version),
        json_string(&info.id)
    );
    let result = if json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .event_format(WithService { json_fields, text_prefix, ..fmt })
            .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
            .with_writer(std::io::stdout)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .event_format(WithService {
                inner: tracing_subscriber::fmt::format().with_ansi(std::io::stdout().is_terminal()),
                json: false,
                text_prefix,
                json_fields,
            })
            .with_writer(std::io::stdout)
            .try_init()
    };
    result
        .map_err(|e| Error::internal_server(crate::error::reason::LOG_INIT, format!("cannot install the logger: {e}")))
}
