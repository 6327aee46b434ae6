//! The deadline of a call, and its wire form on gRPC (`grpc-timeout`).
//!
//! One type for both ends: a server sets it from its configured timeout and
//! the caller's `grpc-timeout` (whichever is sooner), a client
//! [`Timeout`](crate::middleware::timeout::Timeout) sets it for the call it
//! wraps, and the gRPC client transport sends what is left of it as
//! `grpc-timeout`. It lives in the call's [`Context`](super::Context)
//! extensions; a client called from inside a handler finds the server call's
//! deadline there too (through [`with`](super::with)).

use std::time::Duration;

use tokio::time::Instant;

use super::Context;

/// The gRPC header that carries a call's budget to the server.
pub(crate) const GRPC_TIMEOUT: &str = "grpc-timeout";

/// When a call must be done by (in the context's extensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Deadline(pub(crate) Instant);

impl Deadline {
    /// `budget` from now; `None` when that is past the end of time.
    pub(crate) fn after(budget: Duration) -> Option<Self> {
        Instant::now().checked_add(budget).map(Deadline)
    }

    /// The deadline of the call `ctx` describes, if any.
    pub(crate) fn of(ctx: &Context) -> Option<Self> {
        ctx.extensions().get::<Deadline>().copied()
    }

    /// The deadline of `ctx`'s call, else that of the server call being
    /// handled on this task (the client call inherits it).
    pub(crate) fn of_call_or_server(ctx: &Context) -> Option<Self> {
        Self::of(ctx).or_else(|| super::with(Self::of).flatten())
    }

    /// The time left, zero once it has passed.
    pub(crate) fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// The `grpc-timeout` value that says what is left (see [`encode`]).
    pub(crate) fn to_grpc_timeout(self) -> String {
        encode(self.remaining())
    }
}

/// Parses a `grpc-timeout` value: at most 8 digits and a unit (`H`, `M`,
/// `S`, `m`, `u`, `n`), as the gRPC spec defines it.
pub(crate) fn parse(v: &str) -> Option<Duration> {
    // Bytes, not `str` slicing: the last character may be more than one
    // byte (a panic the fuzzer found), and only ASCII digits count (`+5S`
    // is no timeout, though `u64::from_str` reads `+5`).
    let (&unit, digits) = v.as_bytes().split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

/// `grpc-timeout` per the gRPC spec: at most 8 digits and a unit. The
/// coarsest unit that says it exactly (`250m`, `2S`), else the finest that
/// fits, rounded up (so the server never gets less than the client waits).
pub(crate) fn encode(d: Duration) -> String {
    const MAX: u128 = 99_999_999;
    const UNITS: [(u128, char); 6] = [
        (1, 'n'),
        (1_000, 'u'),
        (1_000_000, 'm'),
        (1_000_000_000, 'S'),
        (60_000_000_000, 'M'),
        (3_600_000_000_000, 'H'),
    ];
    let nanos = d.as_nanos();
    if let Some((size, unit)) = UNITS.iter().rev().find(|(size, _)| nanos.is_multiple_of(*size) && nanos / size <= MAX)
    {
        return format!("{}{unit}", nanos / size);
    }
    match UNITS.iter().find(|(size, _)| nanos.div_ceil(*size) <= MAX) {
        Some((size, unit)) => format!("{}{unit}", nanos.div_ceil(*size)),
        None => format!("{MAX}H"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_parsing() {
        assert_eq!(parse("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("5"), None);
        assert_eq!(parse("123456789S"), None);
        assert_eq!(parse("1x"), None);
        assert_eq!(parse("99999999H"), Some(Duration::from_secs(99_999_999 * 3600)));
    }

    #[test]
    fn grpc_timeout_refuses_what_is_not_ascii_digits_and_a_unit() {
        // Found by the fuzzer (fuzz/regressions/grpc_timeout): a last
        // character of more than one byte panicked.
        assert_eq!(parse("\u{3e3}"), None);
        assert_eq!(parse("1\u{3e3}"), None);
        assert_eq!(parse("\u{3e3}S"), None);
        assert_eq!(parse("+5S"), None);
        assert_eq!(parse("-5S"), None);
        assert_eq!(parse(" 5S"), None);
        assert_eq!(parse("S"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn grpc_timeout_encoding() {
        assert_eq!(encode(Duration::from_millis(250)), "250m");
        assert_eq!(encode(Duration::from_secs(2)), "2S");
        assert_eq!(encode(Duration::from_secs(120)), "2M");
        assert_eq!(encode(Duration::from_secs(7200)), "2H");
        assert_eq!(encode(Duration::from_nanos(1500)), "1500n");
        assert_eq!(encode(Duration::ZERO), "0H");
        // Not exact in 8 digits: the finest unit that fits, rounded up.
        assert_eq!(encode(Duration::from_nanos(12_345_678_901)), "12345679u");
        assert_eq!(encode(Duration::from_nanos(123_456_789_123)), "123457m");
        assert_eq!(encode(Duration::from_secs(u64::MAX)), "99999999H");
        assert_eq!(encode(Duration::from_secs(86_400 * 365)), "8760H");
        for d in [Duration::from_millis(1), Duration::from_nanos(123_456_789_123), Duration::from_secs(3)] {
            assert!(parse(&encode(d)).is_some_and(|back| back >= d), "{d:?}");
        }
    }
}
