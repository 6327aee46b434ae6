//! The JSON log line: tracing-subscriber's JSON format, field for field,
//! written in one pass into one buffer.
//!
//! Hand-written because tracing-subscriber's own formatter costs more than
//! everything else in a call's default middleware: it reads each span's
//! fields back from their stored JSON text into a `serde_json::Value` and
//! writes them out again (for `span`, and again for every entry of
//! `spans`), its `JsonFields` collects a span's fields into a map of
//! `serde_json::Value`s (and parses the stored object back whenever a field
//! is recorded later), and its event fields go through serde one by one.
//! Here a line is written into a buffer this thread keeps, as its fields are
//! visited, and handed to the writer in one piece; a span's stored text is
//! copied in as it is.

use std::cell::Cell;
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::middleware::call_ids;

/// The JSON line of an event: tracing-subscriber's JSON format, field for
/// field (`timestamp`, `level`, `fields`, `target`, `span` and `spans`),
/// after the service's own fields. The time is humantime's RFC 3339 with
/// microseconds, tracing-subscriber's form, without its padded `fmt`
/// arguments (2,100 instructions a line, measured, against about 300).
pub(super) struct JsonLine {
    /// `"service.name":…,"service.version":…,"service.id":…`, escaped once.
    pub(super) service_fields: String,
}

impl<S> FormatEvent<S, JsonFieldsOfBia> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFieldsOfBia>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Buf::take();
        let out = &mut line.0;
        out.push('{');
        out.push_str(&self.service_fields);
        out.push_str(",\"timestamp\":\"");
        // Writing into a `String` does not fail.
        let _ = write!(out, "{}", humantime::format_rfc3339_micros(std::time::SystemTime::now()));
        out.push_str("\",\"level\":\"");
        out.push_str(meta.level().as_str());
        out.push_str("\",\"fields\":");
        let mut fields = JsonObject::open(out, Values::Event);
        event.record(&mut fields);
        fields.close();
        out.push_str(",\"target\":");
        push_json_str(out, meta.target());
        let current = event.parent().and_then(|id| ctx.span(id)).or_else(|| ctx.lookup_current());
        // The server call's `rpc` entry, when the trace middleware hands it
        // over instead of making a span: the root of `spans`, and `span`
        // when the handler is in no span of its own.
        call_ids::with_current(|call| {
            if current.is_none() && call.is_none() {
                return;
            }
            out.push_str(",\"span\":");
            // The call's entry is written once, and copied when it is both.
            let mut entry = None;
            match (&current, call) {
                (Some(span), _) => push_span(out, span),
                (None, Some(call)) => {
                    let start = out.len();
                    push_call(out, call);
                    entry = Some(start..out.len());
                }
                (None, None) => {}
            }
            out.push_str(",\"spans\":[");
            let mut first = true;
            if let Some(call) = call {
                match entry {
                    // SAFETY: the range is a whole entry this line just
                    // wrote (valid UTF-8), appended again as it is.
                    Some(range) => unsafe { out.as_mut_vec().extend_from_within(range) },
                    None => push_call(out, call),
                }
                first = false;
            }
            if let Some(scope) = ctx.lookup_current().map(|s| s.scope()) {
                for span in scope.from_root() {
                    if !std::mem::replace(&mut first, false) {
                        out.push(',');
                    }
                    push_span(out, &span);
                }
            }
            out.push(']');
        });
        out.push_str("}\n");
        writer.write_str(out)
    }
}

/// A span as tracing-subscriber's JSON shows it: its fields (the object
/// [`JsonFieldsOfBia`] stored), then `name`.
fn push_span<S>(out: &mut String, span: &SpanRef<'_, S>)
where
    S: for<'a> LookupSpan<'a>,
{
    let ext = span.extensions();
    let stored = ext.get::<FormattedFields<JsonFieldsOfBia>>().map(|f| f.fields.as_str());
    match stored.map(str::trim).and_then(|f| f.strip_suffix('}')).filter(|f| f.len() > 1) {
        Some(open) => {
            out.push_str(open);
            out.push_str(",\"name\":");
        }
        None => out.push_str("{\"name\":"),
    }
    push_json_str(out, span.metadata().name());
    out.push('}');
}

/// A call's `rpc` entry, as the trace middleware's span shows it.
fn push_call(out: &mut String, call: &call_ids::CallIds) {
    out.push('{');
    if let Some((trace_id, span_id)) = call.ids {
        out.push_str("\"trace.id\":\"");
        push_hex(out, &trace_id.to_bytes());
        out.push_str("\",\"span.id\":\"");
        push_hex(out, &span_id.to_bytes());
        out.push_str("\",");
    }
    out.push_str("\"operation\":");
    push_json_str(out, &call.operation);
    out.push_str(",\"name\":\"rpc\"}");
}

/// Lower-case hex, as the ids' `Display` writes them (at most 16 bytes).
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 32];
    for (pair, b) in hex.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
    let len = 2 * bytes.len().min(16);
    // SAFETY: hex digits are ASCII.
    out.push_str(unsafe { std::str::from_utf8_unchecked(&hex[..len]) });
}

/// How the fields of spans and of events are formatted in JSON: one
/// object, written as the fields are visited, with the values
/// tracing-subscriber's `JsonFields` (spans) and tracing-serde (events)
/// write. Keys come in the order they are recorded (`JsonFields` sorts
/// them; a JSON object has no order).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct JsonFieldsOfBia;

impl<'writer> FormatFields<'writer> for JsonFieldsOfBia {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut buf = Buf::take();
        let mut object = JsonObject::open(&mut buf.0, Values::Span);
        fields.record(&mut object);
        object.close();
        writer.write_str(&buf.0)
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        // An object with fields is reopened (its `}` off, a comma before the
        // new ones); an empty one is written again.
        let out = &mut current.fields;
        let reopen = out.len() > 2 && out.ends_with('}');
        let mut object = if reopen {
            out.pop();
            JsonObject { out, first: false, values: Values::Span }
        } else {
            out.clear();
            JsonObject::open(out, Values::Span)
        };
        fields.record(&mut object);
        object.close();
        Ok(())
    }
}

thread_local! {
    /// The buffer the last line or span of this thread was written in.
    static SPARE: Cell<String> = const { Cell::new(String::new()) };
}

/// A buffer taken from this thread's spare and given back when dropped, so
/// a line allocates nothing once its thread has written one. A line made
/// while another is being written on the same thread (a `Debug` that logs)
/// gets a buffer of its own.
struct Buf(String);

/// Larger buffers are not kept.
const SPARE_MAX: usize = 64 * 1024;

impl Buf {
    fn take() -> Buf {
        Buf(SPARE.try_with(Cell::take).unwrap_or_default())
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        if self.0.capacity() <= SPARE_MAX {
            let mut spare = std::mem::take(&mut self.0);
            spare.clear();
            let _ = SPARE.try_with(|s| s.set(spare));
        }
    }
}

/// Whose values [`JsonObject`] writes: `JsonFields`' (bytes as an array of
/// numbers, `r#` off a raw identifier's name) or tracing-serde's (bytes as
/// tracing's `Debug` of them).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Values {
    Span,
    Event,
}

/// A JSON object being written, one field per visit.
struct JsonObject<'a> {
    out: &'a mut String,
    first: bool,
    values: Values,
}

impl<'a> JsonObject<'a> {
    fn open(out: &'a mut String, values: Values) -> Self {
        out.push('{');
        Self { out, first: true, values }
    }

    fn close(self) {
        self.out.push('}');
    }

    /// Writes `name` as the next key. A field's name is an identifier
    /// almost always: written as it is once a look says it needs no escape.
    fn key(&mut self, name: &str) -> &mut String {
        let first = std::mem::replace(&mut self.first, false);
        if name.bytes().any(|b| NEEDS_ESCAPE[usize::from(b)]) {
            if !first {
                self.out.push(',');
            }
            push_json_str(self.out, name);
            self.out.push(':');
        } else {
            self.out.reserve(name.len() + 4);
            self.out.push_str(if first { "\"" } else { ",\"" });
            self.out.push_str(name);
            self.out.push_str("\":");
        }
        self.out
    }
}

impl Visit for JsonObject<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let out = self.key(field.name());
        // serde_json's form: ryu's shortest for a finite number, else `null`.
        match value.is_finite() {
            true => out.push_str(ryu::Buffer::new().format_finite(value)),
            false => out.push_str("null"),
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field.name()).push_str(itoa::Buffer::new().format(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field.name()).push_str(itoa::Buffer::new().format(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field.name()).push_str(if value { "true" } else { "false" });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let out = self.key(field.name());
        push_json_str(out, value);
    }

    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        let span = self.values == Values::Span;
        let out = self.key(field.name());
        out.push_str(if span { "[" } else { "\"[" });
        for (i, b) in value.iter().enumerate() {
            match (span, i) {
                (_, 0) => {}
                (true, _) => out.push(','),
                (false, _) => out.push(' '),
            }
            if span {
                out.push_str(itoa::Buffer::new().format(*b));
            } else {
                let _ = write!(out, "{b:02x}");
            }
        }
        out.push_str(if span { "]" } else { "]\"" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        let name = match self.values {
            Values::Span => name.strip_prefix("r#").unwrap_or(name),
            Values::Event => name,
        };
        let out = self.key(name);
        out.push('"');
        let _ = write!(Escaping(out), "{value:?}");
        out.push('"');
    }
}

/// Writes what it is given as the inside of a JSON string (a `Debug`
/// value formatted straight into the line, no `String` in between).
struct Escaping<'a>(&'a mut String);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        push_escaped(self.0, s);
        Ok(())
    }
}

/// `s` as a JSON string.
pub(super) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    push_escaped(out, s);
    out.push('"');
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether one of the eight bytes of `w` needs escaping: below 0x20, a
/// quote or a backslash (the exact tests of "Bit Twiddling Hacks": a zero
/// byte, a byte less than n <= 128).
#[inline]
fn word_needs_escape(w: u64) -> bool {
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS != 0;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS != 0;
    control || has_zero(w ^ (ONES * u64::from(b'"'))) || has_zero(w ^ (ONES * u64::from(b'\\')))
}

/// The bytes JSON escapes: control characters, `"` and `\`.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// `s` as the inside of a JSON string, escaped as serde_json escapes it
/// (`"`, `\`, control characters; the rest as it is): the runs between
/// escapes found eight bytes at a time, then byte by byte, and copied
/// whole.
fn push_escaped(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    loop {
        while let Some(word) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            if word_needs_escape(word) {
                break;
            }
            i += 8;
        }
        while i < bytes.len() && !NEEDS_ESCAPE[usize::from(bytes[i])] {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else { break };
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            _ => "",
        };
        // An ASCII byte: never inside a multi-byte character.
        out.push_str(&s[start..i]);
        if short.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(short);
        }
        i += 1;
        start = i;
    }
    out.push_str(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut samples: Vec<String> = (0u8..=0x7f).map(|b| format!("ab{}cdefghij{}", b as char, b as char)).collect();
        samples.extend(
            ["", "plain ascii, longer than eight bytes", "é😀\u{7f}\u{80}\"\\", "\"\"\"\"\"\"\"\"\"\""]
                .map(String::from),
        );
        // Every position of one escaped byte inside a run, across the word boundary.
        for at in 0..20 {
            let mut s: String = "x".repeat(20);
            s.insert(at, '\u{1}');
            samples.push(s);
        }
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2_000 {
            let len = (seed % 40) as usize;
            let s: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    char::from_u32((seed % 0x3000) as u32).unwrap_or('?')
                })
                .collect();
            samples.push(s);
        }
        for s in samples {
            let mut ours = String::new();
            push_json_str(&mut ours, &s);
            assert_eq!(ours, serde_json::to_string(&s).unwrap(), "{s:?}");
        }
    }
}
