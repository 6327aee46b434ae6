//! Regular expressions for the decimal integers of a range, as the OpenAPI
//! document's `pattern` of 64-bit integers: proto3 JSON writes them as
//! strings, so JSON Schema's `minimum` and `maximum` cannot bound them, and
//! a bare `format: int64` lets a client (or a schema fuzzer) send `""` or a
//! number past the type's end. The pattern matches exactly the canonical
//! form the codec writes (`-` only for negatives, no `+`, no leading zeros)
//! of every integer in the range, and nothing else.
//!
//! Hand-written: no crate of the field turns a range into a regex for Rust
//! (the npm `to-regex-range` does this for JavaScript), and this is short.

/// `^...$` matching the integers `lo..=hi` written in decimal. `lo <= hi`.
pub(crate) fn int_range_pattern(lo: i128, hi: i128) -> String {
    debug_assert!(lo <= hi);
    let mut alts = Vec::new();
    if lo < 0 {
        // The negatives -1..=lo are `-` and the positives 1..=-lo.
        let neg_hi = (-lo) as u128;
        let neg_lo = if hi < 0 { (-hi) as u128 } else { 1 };
        alts.extend(unsigned(neg_lo, neg_hi).into_iter().map(|a| format!("-{a}")));
    }
    if hi >= 0 {
        alts.extend(unsigned(lo.max(0) as u128, hi as u128));
    }
    if alts.len() == 1 {
        format!("^{}$", alts[0])
    } else {
        format!("^({})$", alts.join("|"))
    }
}

/// The alternatives matching `lo..=hi`, shortest numbers first; the lengths
/// every number of which is in the range share one alternative
/// (`[1-9][0-9]{1,17}`).
fn unsigned(lo: u128, hi: u128) -> Vec<String> {
    let mut alts = Vec::new();
    let (lo_len, hi_len) = (digits(lo), digits(hi));
    // Whole lengths: `full_from..=full_to` digits, every number of which is in range.
    let mut full: Option<(usize, usize)> = None;
    for len in lo_len..=hi_len {
        let first = if len == 1 { 0 } else { 10u128.pow(len as u32 - 1) };
        let last = 10u128.pow(len as u32) - 1;
        let (a, b) = (lo.max(first), hi.min(last));
        if a == first && b == last && len > 1 {
            full = Some(match full {
                Some((from, _)) => (from, len),
                None => (len, len),
            });
            continue;
        }
        flush(&mut full, &mut alts);
        same_length(&a.to_string(), &b.to_string(), &mut String::new(), &mut alts);
    }
    flush(&mut full, &mut alts);
    alts
}

fn flush(full: &mut Option<(usize, usize)>, alts: &mut Vec<String>) {
    if let Some((from, to)) = full.take() {
        let (from, to) = (from - 1, to - 1);
        alts.push(if from == to { format!("[1-9][0-9]{{{from}}}") } else { format!("[1-9][0-9]{{{from},{to}}}") });
    }
}

fn digits(v: u128) -> usize {
    v.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Alternatives for the numbers between the digit strings `lo` and `hi`
/// (same length, `lo <= hi`), each after `prefix`.
fn same_length(lo: &str, hi: &str, prefix: &mut String, out: &mut Vec<String>) {
    if lo.is_empty() {
        out.push(prefix.clone());
        return;
    }
    let (l, h) = (lo.as_bytes()[0], hi.as_bytes()[0]);
    let (lo_rest, hi_rest) = (&lo[1..], &hi[1..]);
    let n = lo_rest.len();
    let len = prefix.len();
    if l == h {
        prefix.push(l as char);
        same_length(lo_rest, hi_rest, prefix, out);
        prefix.truncate(len);
        return;
    }
    let mut start = l;
    if !lo_rest.bytes().all(|b| b == b'0') {
        prefix.push(l as char);
        same_length(lo_rest, &"9".repeat(n), prefix, out);
        prefix.truncate(len);
        start += 1;
    }
    let hi_full = hi_rest.bytes().all(|b| b == b'9');
    let end = if hi_full { h } else { h - 1 };
    if start <= end {
        let class =
            if start == end { (start as char).to_string() } else { format!("[{}-{}]", start as char, end as char) };
        out.push(match n {
            0 => format!("{prefix}{class}"),
            1 => format!("{prefix}{class}[0-9]"),
            n => format!("{prefix}{class}[0-9]{{{n}}}"),
        });
    }
    if !hi_full {
        prefix.push(h as char);
        same_length(&"0".repeat(n), hi_rest, prefix, out);
        prefix.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, s: &str) -> bool {
        regex_lite::Regex::new(pattern).unwrap().is_match(s)
    }

    /// Every number near the ends (and a sample between) matches exactly
    /// when in range; non-canonical forms never do.
    fn check(lo: i128, hi: i128) {
        let p = int_range_pattern(lo, hi);
        let mut probes: Vec<i128> = vec![0, 1, -1, 9, 10, 99, 100, -10, -99, -100, 1000];
        for edge in [lo, hi] {
            for d in -12..=12 {
                probes.push(edge + d);
            }
        }
        for k in 0..38u32 {
            let p10 = 10i128.pow(k);
            probes.extend([p10, p10 - 1, -p10, 1 - p10]);
        }
        for v in probes {
            assert_eq!(matches(&p, &v.to_string()), (lo..=hi).contains(&v), "{v} in {lo}..={hi}: {p}");
        }
        for bad in ["", "-", "+1", "01", "-0", "00", " 1", "1 ", "1e3", "1.0", "--1", "0x1"] {
            assert!(!matches(&p, bad), "{bad:?} matched {p}");
        }
    }

    #[test]
    fn the_ranges_of_the_types_and_of_rules() {
        check(i64::MIN.into(), i64::MAX.into());
        check(0, u64::MAX.into());
        check(0, i64::MAX.into());
        check(1, 100);
        check(-5, 5);
        check(-1000, -7);
        check(17, 17);
        check(123, 98_765);
        check(0, 0);
        check(10, 10_000_000_000);
    }

    #[test]
    fn whole_lengths_are_one_alternative() {
        assert_eq!(int_range_pattern(0, 999), "^([0-9]|[1-9][0-9]{1,2})$");
        assert_eq!(int_range_pattern(0, 9), "^[0-9]$");
        assert_eq!(int_range_pattern(-9, -1), "^-[1-9]$");
    }
}
