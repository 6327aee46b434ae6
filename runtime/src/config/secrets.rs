//! Keeping secrets out of what the configuration says: redacted URLs, and
//! errors that name the key and what was expected, never a secret's value.

use std::borrow::Cow;

use figment::error::{Actual, Kind, OneOf};
use figment::value::Value;
use figment::Figment;

/// Hides the passwords of URLs and DSNs in `text`:
/// `postgres://user:pass@host/db` becomes `postgres://user:***@host/db`, the
/// Go form `user:pass@tcp(host)/db` becomes `user:***@tcp(host)/db`. Bia
/// runs its log lines and error messages that can hold a URL through it;
/// use it for your own.
///
/// ```
/// use bia::config::redact;
///
/// assert_eq!(redact("postgres://app:s3cret@db:5432/users"), "postgres://app:***@db:5432/users");
/// assert_eq!(redact("cannot open `mysql://root:pw@tcp(db:3306)/x`"), "cannot open `mysql://root:***@tcp(db:3306)/x`");
/// assert_eq!(redact("https://user@example.com/a"), "https://user@example.com/a"); // no password
/// assert_eq!(redact("nothing to hide"), "nothing to hide");
/// ```
pub fn redact(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let is_delimiter = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>');
    let mut out = String::new();
    // `text[..copied]` is in `out`, redacted.
    let mut copied = 0;
    let mut start = 0;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        if !is_delimiter(c) {
            continue;
        }
        if let Some(password) = password_range(&text[start..i]) {
            out.push_str(&text[copied..start + password.start]);
            out.push_str("***");
            copied = start + password.end;
        }
        start = i + c.len_utf8();
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Where the password of `user:password@host` is in one word of text.
fn password_range(word: &str) -> Option<std::ops::Range<usize>> {
    // The credentials run from after `scheme://` (or the word's start) to
    // the last `@`: a password may hold an unescaped `@` or `/`.
    let at = word.rfind('@')?;
    let from = word[..at].find("://").map_or(0, |i| i + 3);
    let colon = from + word[from..at].find(':')?;
    (colon + 1 < at).then_some(colon + 1..at)
}

/// Whether a key's name says its value is a secret.
pub(super) fn looks_secret(key: &str) -> bool {
    const WORDS: [&str; 9] = ["secret", "password", "passwd", "pwd", "token", "key", "credential", "private", "dsn"];
    let key = key.to_ascii_lowercase();
    WORDS.iter().any(|w| key.contains(w))
}

/// The string values of keys that look secret, anywhere in `figment`: they
/// are cut out of messages that might quote them.
pub(super) fn secret_values(figment: &Figment) -> Vec<String> {
    fn walk(key: &str, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(_, s) if looks_secret(key) && s.len() >= 3 => out.push(s.clone()),
            Value::Dict(_, dict) => dict.iter().for_each(|(k, v)| walk(k, v, out)),
            Value::Array(_, items) => items.iter().for_each(|v| walk(key, v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(data) = figment::Provider::data(figment) {
        data.values().flat_map(|dict| dict.iter()).for_each(|(k, v)| walk(k, v, &mut out));
    }
    // Longest first, so a secret that holds another is cut out whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// What kind of value a parser found, without the value.
fn kind_of(actual: &Actual) -> &'static str {
    match actual {
        Actual::Bool(_) => "a boolean",
        Actual::Unsigned(_) | Actual::Signed(_) => "an integer",
        Actual::Float(_) => "a float",
        Actual::Char(_) => "a character",
        Actual::Str(_) => "a string",
        Actual::Bytes(_) => "bytes",
        Actual::Unit => "nothing",
        Actual::Seq => "a list",
        Actual::Map => "a map",
        _ => "a value of another kind",
    }
}

/// One extraction error as text that names the key, the source and what was
/// expected, never the value.
pub(super) fn describe(figment: &Figment, e: &figment::Error, secrets: &[String]) -> String {
    let key = e.path.join(".");
    let what = match &e.kind {
        Kind::Message(_) if e.path.last().is_some_and(|k| looks_secret(k)) => {
            "the value cannot be read (the parser's message is withheld: the key looks secret)".to_owned()
        }
        Kind::Message(message) => {
            // A field's own parser may quote the value: cut it out.
            let mut message = message.clone();
            if let Ok(Value::String(_, value)) = figment.find_value(&key) {
                if !value.is_empty() && !key.is_empty() {
                    message = message.replace(&value, "<value>");
                }
            }
            for secret in secrets {
                message = message.replace(secret, "<redacted>");
            }
            redact(&message).into_owned()
        }
        Kind::InvalidType(actual, expected) => format!("expected {expected}, found {}", kind_of(actual)),
        Kind::InvalidValue(actual, expected) => format!("invalid value ({}), expected {expected}", kind_of(actual)),
        Kind::InvalidLength(len, expected) => format!("{len} items, expected {expected}"),
        Kind::UnknownVariant(_, expected) => format!("unknown variant, expected {}", OneOf(expected)),
        Kind::UnknownField(field, expected) => format!("unknown field `{field}`, expected {}", OneOf(expected)),
        Kind::MissingField(field) => format!("missing field `{field}`"),
        Kind::DuplicateField(field) => format!("duplicate field `{field}`"),
        Kind::ISizeOutOfRange(_) | Kind::USizeOutOfRange(_) => "integer out of range".to_owned(),
        Kind::Unsupported(actual) => format!("unsupported {}", kind_of(actual)),
        Kind::UnsupportedKey(actual, need) => format!("unsupported key ({}), need {need}", kind_of(actual)),
    };
    let source = e.metadata.as_ref().map(|m| m.name.to_string());
    match (key.is_empty(), source) {
        (false, Some(source)) => format!("{key} in {source}: {what}"),
        (false, None) => format!("{key}: {what}"),
        (true, Some(source)) => format!("{source}: {what}"),
        (true, None) => what,
    }
}
