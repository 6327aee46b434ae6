//! google.api.http path templates: `/v1/user/<id>` (or `{id}`), nested
//! `<user.id>`, patterns `<name=shelves/*>`, `<path=**>`, and a custom verb
//! after the last segment (`/v1/<name=users/*>:undelete`, `/v1/users:batchGet`).

/// One piece of a variable's pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternSeg {
    Lit(String),
    Star,
    DoubleStar,
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Lit(String),
    Var { field: String, pattern: Vec<PatternSeg> },
}

/// A parsed template and its renderings.
#[derive(Debug, Clone)]
pub struct Template {
    pub segs: Vec<Seg>,
    /// The custom verb after the last segment (`undelete` of `..:undelete`).
    pub verb: Option<String>,
}

fn valid_field_path(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(crate::common::model::valid_proto_ident)
}

fn valid_literal(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()+,;=@%".contains(c))
}

/// Checks a custom verb (google.api.http's `Verb = ":" LITERAL`). Stricter
/// than a literal segment in two ways, both so that the server can find the
/// verb in the raw request path by its text alone: no `:` (one `:` separates
/// the path from its verb, so `/v1/a:b:c` is never ambiguous) and no `%`
/// (the verb reads the same before and after percent-decoding).
fn check_verb(verb: &str) -> Result<(), String> {
    let why = if verb.is_empty() {
        return Err("empty custom verb: write a verb after `:` like `:cancel`, or remove the `:`".to_owned());
    } else if verb.contains('/') {
        "contains `/`: a verb comes after the last segment, and `:` may appear only before it"
    } else if verb.contains(['<', '{', '>', '}']) {
        "holds a path variable: a verb is literal text, and a variable comes before it (`/v1/<id>:cancel`)"
    } else if verb.contains('*') {
        "contains `*`: a verb is literal text, not a pattern"
    } else if verb.contains(['?', '#']) {
        return Err("a path template has no query or fragment; the query binds the remaining fields".to_owned());
    } else if verb.contains(':') {
        "contains a second `:`: one `:` separates the path from its verb"
    } else if verb.contains('%') || !valid_literal(verb) {
        "has characters a verb cannot hold: use letters, digits and `-._~!$&'()+,;=@` (no `%` escapes)"
    } else {
        return Ok(());
    };
    Err(format!("custom verb `:{verb}` {why}"))
}

impl Template {
    /// Parses a template; the error says what is wrong and how to write it.
    pub fn parse(path: &str) -> Result<Template, String> {
        if !path.starts_with('/') {
            return Err(format!("an HTTP path starts with `/`: write \"/{}\"", path.trim_start_matches('/')));
        }
        let mut segs = Vec::new();
        let mut lit = String::new();
        let mut chars = path.char_indices().peekable();
        let mut fields = Vec::<String>::new();
        let mut verb = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '<' | '{' => {
                    let close = if c == '<' { '>' } else { '}' };
                    if !lit.ends_with('/') {
                        return Err(format!("a path variable must be a whole segment, right after `/` (at byte {i})"));
                    }
                    let mut body = String::new();
                    let mut closed = false;
                    for (_, c2) in chars.by_ref() {
                        if c2 == close {
                            closed = true;
                            break;
                        }
                        body.push(c2);
                    }
                    if !closed {
                        return Err(format!("unclosed path variable `{c}{body}`: add `{close}`"));
                    }
                    if let Some(&(_, next)) = chars.peek() {
                        if next != '/' && next != ':' {
                            return Err(format!("a path variable must be a whole segment; `{next}` follows `{c}{body}{close}` (after a variable comes `/` or a custom verb like `:cancel`)"));
                        }
                    }
                    let (field, pattern) = match body.split_once('=') {
                        Some((f, p)) => (f.trim().to_owned(), Self::parse_pattern(p.trim())?),
                        None => (body.trim().to_owned(), vec![PatternSeg::Star]),
                    };
                    if !valid_field_path(&field) {
                        return Err(format!("`{field}` is not a field name; a path variable names a request field like `<id>` or `<user.id>`"));
                    }
                    if fields.contains(&field) {
                        return Err(format!("field `{field}` appears twice in the path"));
                    }
                    fields.push(field.clone());
                    segs.push(Seg::Lit(std::mem::take(&mut lit)));
                    segs.push(Seg::Var { field, pattern });
                }
                '>' | '}' => return Err(format!("unexpected `{c}` at byte {i}")),
                '?' | '#' => {
                    return Err(
                        "a path template has no query or fragment; the query binds the remaining fields".to_owned()
                    )
                }
                ':' => {
                    // The verb is the rest of the template; it follows a
                    // whole segment (a literal or a variable), never `/`.
                    let rest = &path[i + 1..];
                    if lit.ends_with('/') {
                        return Err(format!("`:{rest}` follows `/`: a custom verb comes right after the last segment, as in `/v1/users:{rest}` or `/v1/<id>:{rest}`"));
                    }
                    check_verb(rest)?;
                    verb = Some(rest.to_owned());
                    break;
                }
                _ => lit.push(c),
            }
        }
        if !lit.is_empty() {
            segs.push(Seg::Lit(lit));
        }
        for s in &segs {
            if let Seg::Lit(l) = s {
                if l.contains("//") {
                    return Err("empty path segment (`//`)".to_owned());
                }
                if !l.split('/').all(valid_literal) {
                    return Err(format!("`{l}` has characters a path segment cannot hold"));
                }
            }
        }
        let vars: Vec<usize> =
            segs.iter().enumerate().filter(|(_, s)| matches!(s, Seg::Var { .. })).map(|(i, _)| i).collect();
        for (n, &i) in vars.iter().enumerate() {
            if let Seg::Var { pattern, field } = &segs[i] {
                if pattern.contains(&PatternSeg::DoubleStar) && (n + 1 != vars.len() || i + 1 != segs.len()) {
                    return Err(format!("`**` in `{field}` matches the rest of the path, so it must come last"));
                }
            }
        }
        segs.retain(|s| !matches!(s, Seg::Lit(l) if l.is_empty()));
        Ok(Template { segs, verb })
    }

    fn parse_pattern(p: &str) -> Result<Vec<PatternSeg>, String> {
        let mut out = Vec::new();
        let parts: Vec<&str> = p.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            match *part {
                "*" => out.push(PatternSeg::Star),
                "**" if i + 1 == parts.len() => out.push(PatternSeg::DoubleStar),
                "**" => return Err("`**` must end its pattern".to_owned()),
                l if !l.is_empty() && valid_literal(l) && !l.contains('*') => out.push(PatternSeg::Lit(l.to_owned())),
                _ => {
                    return Err(format!(
                        "invalid pattern `{p}`: use literal segments, `*` and a final `**`, like `shelves/*`"
                    ))
                }
            }
        }
        if !out.iter().any(|s| matches!(s, PatternSeg::Star | PatternSeg::DoubleStar)) {
            return Err(format!("pattern `{p}` captures nothing; add a `*` segment"));
        }
        Ok(out)
    }

    /// The fields the path binds.
    pub fn fields(&self) -> Vec<&str> {
        self.segs
            .iter()
            .filter_map(|s| match s {
                Seg::Var { field, .. } => Some(field.as_str()),
                Seg::Lit(_) => None,
            })
            .collect()
    }

    /// google.api.http syntax: `/v1/{name=shelves/*}/books/{id}`.
    pub fn google(&self) -> String {
        let mut out = String::new();
        for s in &self.segs {
            match s {
                Seg::Lit(l) => out.push_str(l),
                Seg::Var { field, pattern } if pattern == &[PatternSeg::Star] => {
                    out.push('{');
                    out.push_str(field);
                    out.push('}');
                }
                Seg::Var { field, pattern } => {
                    out.push('{');
                    out.push_str(field);
                    out.push('=');
                    let parts: Vec<String> = pattern
                        .iter()
                        .map(|p| match p {
                            PatternSeg::Lit(l) => l.clone(),
                            PatternSeg::Star => "*".to_owned(),
                            PatternSeg::DoubleStar => "**".to_owned(),
                        })
                        .collect();
                    out.push_str(&parts.join("/"));
                    out.push('}');
                }
            }
        }
        if let Some(v) = &self.verb {
            out.push(':');
            out.push_str(v);
        }
        out
    }

    /// The template ends in a captured segment and a custom verb
    /// (`/v1/<id>:cancel`, `/v1/<name=users/*>:undelete`): the verb shares
    /// the last path segment with a captured value, so the server tells
    /// them apart at run time (`http_transport::select`) on an axum route
    /// without the verb. After literal text (`/v1/users:batchGet`,
    /// `/v1/<name=users/*/profile>:get`) the verb is plain text of the route.
    pub fn verb_after_capture(&self) -> bool {
        let captured =
            |pattern: &[PatternSeg]| matches!(pattern.last(), Some(PatternSeg::Star | PatternSeg::DoubleStar));
        self.verb.is_some() && matches!(self.segs.last(), Some(Seg::Var { pattern, .. }) if captured(pattern))
    }

    /// The capture name of the `n`-th wildcard of the whole path. Names are
    /// positional so routes of the same shape (a GET and a DELETE of
    /// `/v1/user/<id>` and `/v1/user/<user_id>`) share one axum route.
    pub fn capture_name(n: usize) -> String {
        format!("p{n}")
    }

    /// The axum route path: `/v1/shelves/{p0}/books/{p1}`, `{*p0}` for `**`;
    /// a verb after literal text is part of it (`/v1/users:batchGet`), one
    /// after a capture is not (`/v1/{p0}` for `/v1/<id>:cancel`).
    pub fn axum(&self) -> String {
        let mut out = String::new();
        let mut n = 0;
        for s in &self.segs {
            match s {
                Seg::Lit(l) => out.push_str(l),
                Seg::Var { pattern, .. } => {
                    let parts: Vec<String> = pattern
                        .iter()
                        .map(|p| match p {
                            PatternSeg::Lit(l) => l.clone(),
                            PatternSeg::Star => {
                                n += 1;
                                format!("{{{}}}", Self::capture_name(n - 1))
                            }
                            PatternSeg::DoubleStar => {
                                n += 1;
                                format!("{{*{}}}", Self::capture_name(n - 1))
                            }
                        })
                        .collect();
                    out.push_str(&parts.join("/"));
                }
            }
        }
        if let (Some(v), false) = (&self.verb, self.verb_after_capture()) {
            out.push(':');
            out.push_str(v);
        }
        out
    }

    /// The route with variables blanked, for finding duplicates.
    pub fn shape(&self) -> String {
        let mut out = String::new();
        for s in &self.segs {
            match s {
                Seg::Lit(l) => out.push_str(l),
                Seg::Var { pattern, .. } => {
                    for p in pattern {
                        match p {
                            PatternSeg::Lit(l) => out.push_str(l),
                            PatternSeg::Star => out.push_str("{}"),
                            PatternSeg::DoubleStar => out.push_str("{**}"),
                        }
                        out.push('/');
                    }
                    out.pop();
                }
            }
        }
        if let Some(v) = &self.verb {
            out.push(':');
            out.push_str(v);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let t = Template::parse("/v1/user/<id>").unwrap();
        assert_eq!(t.google(), "/v1/user/{id}");
        assert_eq!(t.axum(), "/v1/user/{p0}");
        let t = Template::parse("/v1/{name=shelves/*}/books/<book.id>").unwrap();
        assert_eq!(t.google(), "/v1/{name=shelves/*}/books/{book.id}");
        assert_eq!(t.axum(), "/v1/shelves/{p0}/books/{p1}");
        assert_eq!(t.fields(), vec!["name", "book.id"]);
        let t = Template::parse("/files/<path=**>").unwrap();
        assert_eq!(t.axum(), "/files/{*p0}");
        assert!(Template::parse("v1").is_err());
        assert!(Template::parse("/v1/<a=**>/x").is_err());
        assert!(Template::parse("/v1/x<id>").is_err());
        assert!(Template::parse("/v1/<id").is_err());
        assert!(Template::parse("/v1/<1d>").is_err());
    }

    #[test]
    fn custom_verbs() {
        let t = Template::parse("/v1/<name=users/*>:undelete").unwrap();
        assert_eq!(t.verb.as_deref(), Some("undelete"));
        assert_eq!(t.google(), "/v1/{name=users/*}:undelete");
        assert_eq!(t.axum(), "/v1/users/{p0}");
        assert_eq!(t.shape(), "/v1/users/{}:undelete");
        assert!(t.verb_after_capture());
        let t = Template::parse("/v1/users:batchGet").unwrap();
        assert_eq!(t.segs, vec![Seg::Lit("/v1/users".to_owned())]);
        assert_eq!((t.google(), t.axum()), ("/v1/users:batchGet".to_owned(), "/v1/users:batchGet".to_owned()));
        assert!(!t.verb_after_capture());
        let t = Template::parse("/v1/{parent=shelves/*}/books:search").unwrap();
        assert_eq!(t.google(), "/v1/{parent=shelves/*}/books:search");
        assert_eq!(t.axum(), "/v1/shelves/{p0}/books:search");
        let t = Template::parse("/v1/<id>:cancel").unwrap();
        assert_eq!(
            (t.google(), t.axum(), t.fields()),
            ("/v1/{id}:cancel".to_owned(), "/v1/{p0}".to_owned(), vec!["id"])
        );
        let t = Template::parse("/v1/<name=users/*/profile>:get").unwrap();
        assert_eq!(
            (t.google(), t.axum()),
            ("/v1/{name=users/*/profile}:get".to_owned(), "/v1/users/{p0}/profile:get".to_owned())
        );
        assert!(!t.verb_after_capture());
        let t = Template::parse("/files/<path=**>:stat").unwrap();
        assert_eq!((t.google(), t.axum()), ("/files/{path=**}:stat".to_owned(), "/files/{*p0}".to_owned()));
        // A verb is not a duplicate of the same route without it.
        assert_ne!(Template::parse("/v1/<id>").unwrap().shape(), Template::parse("/v1/<a>:cancel").unwrap().shape());
        for bad in [
            "/v1/<id>:",
            "/v1/users:",
            "/v1/users/:cancel",
            "/:cancel",
            "/v1/<id>:batch/get",
            "/v1/a:b/c",
            "/v1/<id>:*",
            "/v1/users:<verb>",
            "/v1/users:{verb}",
            "/v1/<id>:a:b",
            "/v1/<id>:can%63el",
            "/v1/<id>:can cel",
            "/v1/<id>:cancel?x=1",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }
}
