//! What the `#[validate(...)]` rules of `#[bia::message]` call. Not public
//! API: generated code reaches it through `bia::__private::validate`.
//!
//! A message with rules implements [`Message::validate_at`], which checks its
//! fields in declaration order below a [`FieldPath`] and stops at the first
//! [`Violation`]; [`Message::validate`] turns that into the 400 `VALIDATOR`
//! error. Nothing here allocates unless a rule fails.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::sync::OnceLock;

use super::message::{Enumeration, Message};
use crate::error::reason::VALIDATOR as REASON;
use crate::error::Error;

/// Where a checked value sits in the message, rendered only when a rule fails
/// (`user.email`, `tags[2]`, `labels["a"]`). Proto (snake_case) field names.
#[derive(Clone, Copy)]
pub struct FieldPath<'a> {
    parent: Option<&'a FieldPath<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Field(&'static str),
    Index(usize),
    Key(&'a dyn fmt::Debug),
}

impl fmt::Debug for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl<'a> FieldPath<'a> {
    /// The message itself.
    pub const ROOT: FieldPath<'static> = FieldPath { parent: None, seg: Seg::Root };

    /// The field `name` of the message here.
    pub fn field(&'a self, name: &'static str) -> FieldPath<'a> {
        FieldPath { parent: Some(self), seg: Seg::Field(name) }
    }

    /// Element `i` of the repeated field here.
    pub fn index(&'a self, i: usize) -> FieldPath<'a> {
        FieldPath { parent: Some(self), seg: Seg::Index(i) }
    }

    /// The value under `key` of the map field here.
    pub fn key(&'a self, key: &'a dyn fmt::Debug) -> FieldPath<'a> {
        FieldPath { parent: Some(self), seg: Seg::Key(key) }
    }

    /// The dotted path: `user.email`, `tags[2]`, `labels["a"]`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        if let Some(p) = self.parent {
            p.write(out);
        }
        match self.seg {
            Seg::Root => {}
            Seg::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Seg::Key(k) => {
                let _ = write!(out, "[{k:?}]");
            }
        }
    }
}

/// The first rule a message broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the field (proto names).
    pub field: String,
    /// The rule: `length`, `range`, `pattern`, `email`, `required`.
    pub rule: &'static str,
    /// What the value must be, e.g. `must be a valid email address`.
    pub description: Cow<'static, str>,
}

impl Violation {
    /// A violation of `rule` by the value at `at`.
    pub fn new(at: &FieldPath<'_>, rule: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        Self { field: at.render(), rule, description: description.into() }
    }

    /// The 400 / `VALIDATOR` error of a violation found in message `message`:
    /// `invalid CreateUserRequest.user.email: must be a valid email address`,
    /// with metadata `field` and `rule`.
    pub fn into_error(self, message: &str) -> Error {
        let text = if self.field.is_empty() {
            format!("invalid {message}: {}", self.description)
        } else {
            format!("invalid {message}.{}: {}", self.field, self.description)
        };
        Error::bad_request(REASON, text).with_metadata("field", self.field).with_metadata("rule", self.rule)
    }
}

/// What the generated `Message::validate` calls.
pub fn run<M: Message>(m: &M) -> Result<(), Error> {
    m.validate_at(&FieldPath::ROOT).map_err(|v| v.into_error(M::NAME))
}

/// A value `length(..)` measures.
#[diagnostic::on_unimplemented(
    message = "`length` does not apply to `{Self}` values",
    label = "has no length",
    note = "`length(min = .., max = ..)` counts the characters of a String, the bytes of Vec<u8> or bytes::Bytes, \
            the items of a Vec<T> and the entries of a map; use `range(min = .., max = ..)` for numbers"
)]
pub trait Length {
    /// The length and its unit (`character`, `byte`).
    fn length(&self) -> (usize, &'static str);
}

impl Length for String {
    fn length(&self) -> (usize, &'static str) {
        (self.chars().count(), "character")
    }
}

impl Length for Vec<u8> {
    fn length(&self) -> (usize, &'static str) {
        (self.len(), "byte")
    }
}

impl Length for bytes::Bytes {
    fn length(&self) -> (usize, &'static str) {
        (self.len(), "byte")
    }
}

/// A number `range(..)` bounds.
#[diagnostic::on_unimplemented(
    message = "`range` does not apply to `{Self}` values",
    label = "not a number",
    note = "`range(min = .., max = ..)` bounds i32, i64, u32, u64, f32 and f64 fields; \
            use `length(min = .., max = ..)` for strings, bytes and repeated fields"
)]
pub trait Bounded: Copy + PartialOrd + fmt::Display {}

impl Bounded for i32 {}
impl Bounded for i64 {}
impl Bounded for u32 {}
impl Bounded for u64 {}
impl Bounded for f32 {}
impl Bounded for f64 {}

/// Text `pattern` and `email` check.
#[diagnostic::on_unimplemented(
    message = "`pattern` and `email` check strings, not `{Self}` values",
    label = "not a String",
    note = "put `pattern = \"..\"` and `email` on String fields (or on the elements of a Vec<String> with `each(..)`)"
)]
pub trait Text {
    /// The text.
    fn text(&self) -> &str;
}

impl Text for String {
    fn text(&self) -> &str {
        self
    }
}

/// A value `required` can find unset.
#[diagnostic::on_unimplemented(
    message = "`required` does not apply to `{Self}` values",
    label = "always has a value",
    note = "`required` applies to Option<T> and oneof fields (must be set), String, bytes, Vec and map fields \
            (must not be empty) and #[bia::enumeration] enums (must not be the zero value); a message field \
            that is not an Option is always present: make it Option<T> to require it"
)]
pub trait Required {
    /// `None` when set; what it must be otherwise.
    fn unset(&self) -> Option<Cow<'static, str>>;
}

impl Required for String {
    fn unset(&self) -> Option<Cow<'static, str>> {
        self.is_empty().then_some(Cow::Borrowed("must not be empty"))
    }
}

impl Required for Vec<u8> {
    fn unset(&self) -> Option<Cow<'static, str>> {
        self.is_empty().then_some(Cow::Borrowed("must not be empty"))
    }
}

impl Required for bytes::Bytes {
    fn unset(&self) -> Option<Cow<'static, str>> {
        self.is_empty().then_some(Cow::Borrowed("must not be empty"))
    }
}

impl<E: Enumeration> Required for E {
    fn unset(&self) -> Option<Cow<'static, str>> {
        (self.to_i32() == 0).then(|| Cow::Owned(format!("is required (not {})", self.as_str_name())))
    }
}

/// A message `nested` validates.
#[diagnostic::on_unimplemented(
    message = "`nested` needs a #[bia::message] field, and `{Self}` is not one",
    label = "not a message",
    note = "`nested` checks the rules of the field's own message; remove it from scalar and enum fields"
)]
pub trait Nested {
    /// Checks the rules of the message below `at`.
    fn validate_nested(&self, at: &FieldPath<'_>) -> Result<(), Violation>;
}

impl<M: Message> Nested for M {
    fn validate_nested(&self, at: &FieldPath<'_>) -> Result<(), Violation> {
        self.validate_at(at)
    }
}

fn plural(n: usize, unit: &str) -> String {
    match (n, unit.strip_suffix('y')) {
        (1, _) => format!("{n} {unit}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {unit}s"),
    }
}

fn count_text(min: Option<usize>, max: Option<usize>, unit: &str) -> String {
    match (min, max) {
        (Some(a), Some(b)) if a == b => format!("exactly {}", plural(a, unit)),
        (Some(a), Some(b)) => format!("between {a} and {}", plural(b, unit)),
        (Some(a), None) => format!("at least {}", plural(a, unit)),
        (None, Some(b)) => format!("at most {}", plural(b, unit)),
        // No bound never fails; kept for exhaustiveness.
        (None, None) => "any length".to_owned(),
    }
}

fn check_count(n: usize, min: Option<usize>, max: Option<usize>, unit: &str, at: &FieldPath<'_>, long: bool) -> Res {
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        let text = count_text(min, max, unit);
        let text = if long { format!("must be {text} long") } else { format!("must have {text}") };
        return Err(Violation::new(at, "length", text));
    }
    Ok(())
}

type Res = Result<(), Violation>;

/// `length(..)` of a string or bytes value.
pub fn length<T: Length + ?Sized>(v: &T, min: Option<usize>, max: Option<usize>, at: &FieldPath<'_>) -> Res {
    let (n, unit) = v.length();
    check_count(n, min, max, unit, at, true)
}

/// `length(..)` of a repeated (`item`) or map (`entry`) field.
pub fn count(n: usize, min: Option<usize>, max: Option<usize>, unit: &str, at: &FieldPath<'_>) -> Res {
    check_count(n, min, max, unit, at, false)
}

/// `range(..)`: `lower`/`upper` are `(bound, inclusive)`. NaN fails every
/// bound.
pub fn range<T: Bounded>(v: &T, lower: Option<(T, bool)>, upper: Option<(T, bool)>, at: &FieldPath<'_>) -> Res {
    let v = *v;
    let low_ok = lower.is_none_or(|(b, inclusive)| if inclusive { v >= b } else { v > b });
    let high_ok = upper.is_none_or(|(b, inclusive)| if inclusive { v <= b } else { v < b });
    if low_ok && high_ok {
        return Ok(());
    }
    let text = match (lower, upper) {
        (Some((a, true)), Some((b, true))) => format!("must be between {a} and {b}"),
        _ => {
            let low = lower.map(|(b, inc)| if inc { format!("at least {b}") } else { format!("greater than {b}") });
            let high = upper.map(|(b, inc)| if inc { format!("at most {b}") } else { format!("less than {b}") });
            let parts: Vec<String> = low.into_iter().chain(high).collect();
            format!("must be {}", parts.join(" and "))
        }
    };
    Err(Violation::new(at, "range", text))
}

/// A `pattern = ".."` compiled once, on first use.
pub struct Pattern {
    source: &'static str,
    regex: OnceLock<Option<regex_lite::Regex>>,
}

impl Pattern {
    /// A pattern (the macro has already checked that it compiles).
    pub const fn new(source: &'static str) -> Self {
        Self { source, regex: OnceLock::new() }
    }
}

/// `pattern = ".."`: the regex matches somewhere in the value (anchor it with
/// `^...$` to match the whole value).
pub fn pattern<T: Text + ?Sized>(v: &T, p: &Pattern, at: &FieldPath<'_>) -> Res {
    let re = p.regex.get_or_init(|| regex_lite::Regex::new(p.source).ok());
    match re {
        Some(re) if re.is_match(v.text()) => Ok(()),
        Some(_) => Err(Violation::new(at, "pattern", format!("must match the pattern `{}`", p.source))),
        // The macro compiles every pattern with the same regex-lite: unreachable
        // in practice, and reported rather than panicking.
        None => Err(Violation::new(at, "pattern", format!("cannot be checked: invalid pattern `{}`", p.source))),
    }
}

/// `email`: see [`is_email`].
pub fn email<T: Text + ?Sized>(v: &T, at: &FieldPath<'_>) -> Res {
    if is_email(v.text()) {
        Ok(())
    } else {
        Err(Violation::new(at, "email", "must be a valid email address"))
    }
}

/// The WHATWG HTML "valid email address" (what `<input type=email>`
/// accepts): `local@domain`, the local part of `A-Z a-z 0-9 .!#$%&'*+/=?^_\`{|}~-`,
/// the domain of dot-separated labels of letters, digits and `-` (1 to 63
/// characters, no `-` first or last); plus the RFC 5321 limits of 64
/// characters for the local part and 254 for the address.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    const LOCAL_EXTRA: &[u8] = b".!#$%&'*+/=?^_`{|}~-";
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || LOCAL_EXTRA.contains(&b));
    let domain_ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    local_ok && domain_ok && s.len() <= 254
}

/// `required` on an `Option` or oneof field.
pub fn present(set: bool, at: &FieldPath<'_>) -> Res {
    if set {
        Ok(())
    } else {
        Err(Violation::new(at, "required", "is required"))
    }
}

/// `required` on a repeated or map field.
pub fn not_empty(len: usize, at: &FieldPath<'_>) -> Res {
    if len > 0 {
        Ok(())
    } else {
        Err(Violation::new(at, "required", "must not be empty"))
    }
}

/// `required` on a string, bytes or enum field.
pub fn required<T: Required + ?Sized>(v: &T, at: &FieldPath<'_>) -> Res {
    match v.unset() {
        None => Ok(()),
        Some(text) => Err(Violation::new(at, "required", text)),
    }
}

/// `nested`: the rules of a message field, below its path.
pub fn nested<T: Nested + ?Sized>(v: &T, at: &FieldPath<'_>) -> Res {
    v.validate_nested(at)
}

/// Checks every element of a repeated field (`tags[2]`).
pub fn each_item<T>(items: &[T], at: &FieldPath<'_>, mut check: impl FnMut(&T, &FieldPath<'_>) -> Res) -> Res {
    for (i, v) in items.iter().enumerate() {
        check(v, &at.index(i))?;
    }
    Ok(())
}

/// Checks every value of a map field (`labels["a"]`).
pub fn each_value<'m, K: fmt::Debug + 'm, V: 'm>(
    entries: impl IntoIterator<Item = (&'m K, &'m V)>,
    at: &FieldPath<'_>,
    mut check: impl FnMut(&V, &FieldPath<'_>) -> Res,
) -> Res {
    for (k, v) in entries {
        check(v, &at.key(k))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_only_on_demand() {
        let root = FieldPath::ROOT;
        let user = root.field("user");
        let tags = user.field("tags");
        let two = tags.index(2);
        assert_eq!(two.render(), "user.tags[2]");
        let key = String::from("a\"b");
        let labels = root.field("labels");
        assert_eq!(labels.key(&key).field("name").render(), r#"labels["a\"b"].name"#);
        assert_eq!(labels.key(&7).render(), "labels[7]");
        assert_eq!(root.render(), "");
    }

    #[test]
    fn emails_follow_the_whatwg_definition() {
        for ok in ["a@b", "ann.lee+tag@example.com", "x_y@sub-1.example.co", "!#$%&'*+/=?^_`{|}~-@a.b"] {
            assert!(is_email(ok), "{ok}");
        }
        let long_local = format!("{}@a.b", "a".repeat(65));
        let long_label = format!("a@{}.com", "b".repeat(64));
        let long_total = format!("a@{}", vec!["b".repeat(60); 5].join("."));
        for bad in [
            "",
            "a",
            "@b",
            "a@",
            "a@@b",
            "a b@c",
            "a@b..c",
            "a@-b.c",
            "a@b-.c",
            "a@b_c",
            "a@b.",
            "\"a\"@b",
            "ä@b.c",
            &long_local,
            &long_label,
            &long_total,
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn texts_name_the_bound() {
        let at = FieldPath::ROOT;
        let f = at.field("n");
        assert_eq!(range(&5, Some((1, true)), Some((4, true)), &f).unwrap_err().description, "must be between 1 and 4");
        assert_eq!(range(&0.0, Some((0.0, false)), None, &f).unwrap_err().description, "must be greater than 0");
        assert_eq!(
            range(&1.0, Some((0.0, true)), Some((1.0, false)), &f).unwrap_err().description,
            "must be at least 0 and less than 1"
        );
        assert!(range(&f64::NAN, Some((0.0, true)), None, &f).is_err());
        assert!(range(&f64::NAN, None, Some((0.0, true)), &f).is_err());
        assert!(range(&u64::MAX, Some((0, true)), None, &f).is_ok());
        assert_eq!(
            length(&"é".to_string(), Some(2), None, &f).unwrap_err().description,
            "must be at least 2 characters long"
        );
        assert_eq!(length(&vec![1u8, 2], None, Some(1), &f).unwrap_err().description, "must be at most 1 byte long");
        assert_eq!(count(0, Some(1), Some(1), "item", &f).unwrap_err().description, "must have exactly 1 item");
        let v = Violation::new(&f, "range", "must be positive");
        let e = v.into_error("M");
        assert_eq!((e.code(), e.reason(), e.message()), (400, "VALIDATOR", "invalid M.n: must be positive"));
        assert_eq!(e.metadata().get("field").map(String::as_str), Some("n"));
        assert_eq!(e.metadata().get("rule").map(String::as_str), Some("range"));
    }

    #[test]
    fn patterns_compile_once_and_search() {
        static P: Pattern = Pattern::new("^[a-z]+$");
        let f = FieldPath::ROOT;
        assert!(pattern(&"abc".to_string(), &P, &f).is_ok());
        assert_eq!(pattern(&"ab1".to_string(), &P, &f).unwrap_err().description, "must match the pattern `^[a-z]+$`");
        static BAD: Pattern = Pattern::new("(");
        assert_eq!(pattern(&"x".to_string(), &BAD, &f).unwrap_err().rule, "pattern");
    }
}
