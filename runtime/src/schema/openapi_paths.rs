//! The paths of the document: one operation per HTTP binding, its path,
//! query and body parameters, its replies; WebSocket streams listed aside.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::*;

/// `google.api.HttpBody`: a body of any type, as it is.
const HTTP_BODY: &str = "google.api.HttpBody";
/// A file of a `multipart/form-data` body.
const UPLOADED_FILE: &str = "bia.v1.UploadedFile";

/// How deep query parameters follow nested messages (`a.b.c...`): a
/// recursive message stops here, as it does at the first repeat.
pub(super) const MAX_QUERY_DEPTH: usize = 8;

/// One HTTP binding as the server serves it.
pub(super) struct Binding<'a> {
    method: String,
    path: Cow<'a, str>,
    body: &'a str,
    response_body: &'a str,
}

pub(super) fn bindings<'a>(s: &ServiceDef, m: &'a MethodDef) -> Vec<Binding<'a>> {
    if m.http.is_empty() {
        // The default route: `POST /pkg.Svc/Method`, the whole message as
        // the body (a client stream's WebSocket opens with a GET there).
        let path = Cow::Owned(format!("/{}.{}/{}", s.package, s.name, m.name));
        let (method, body) = if m.client_streaming { ("get", "") } else { ("post", "*") };
        return vec![Binding { method: method.to_owned(), path, body, response_body: "" }];
    }
    m.http
        .iter()
        .map(|r| Binding {
            method: r.method.to_ascii_lowercase(),
            path: Cow::Borrowed(r.path),
            body: r.body,
            response_body: r.response_body,
        })
        .collect()
}

/// A path template's pieces: literal text and variables.
pub(super) enum PathPart<'a> {
    Lit(&'a str),
    /// `{field}` or `{field=pattern}`.
    Var {
        field: &'a str,
        pattern: Option<&'a str>,
    },
}

pub(super) fn parse_path(path: &str) -> Vec<PathPart<'_>> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(PathPart::Lit(&rest[..open]));
        }
        let Some(close) = rest[open..].find('}') else {
            out.push(PathPart::Lit(&rest[open..]));
            return out;
        };
        let inner = &rest[open + 1..open + close];
        out.push(match inner.split_once('=') {
            Some((field, pattern)) => PathPart::Var { field, pattern: Some(pattern) },
            None => PathPart::Var { field: inner, pattern: None },
        });
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(PathPart::Lit(rest));
    }
    out
}

/// An OpenAPI path with its variables' names left out: `/v1/user/{}`.
pub(super) fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_var = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_var = true;
                out.push_str("{}");
            }
            '}' => in_var = false,
            c if !in_var => out.push(c),
            _ => {}
        }
    }
    out
}

/// Gives the path parameters (in path order) the variable names of
/// `path`, the first path of their shape; each says the field it binds.
pub(super) fn rename_path_params(params: &mut [Value], path: &str) {
    let names = path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name));
    for (param, name) in params.iter_mut().filter(|p| p["in"] == "path").zip(names) {
        let field = param["name"].as_str().unwrap_or_default().to_owned();
        if field == name {
            continue;
        }
        let note = format!("The `{field}` field.");
        let description = match param["description"].as_str() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
            _ => note,
        };
        insert(param, "name", json!(name));
        insert(param, "description", json!(description));
    }
}

/// A variable's pattern (`shelves/*`, `files/**`) as a regular expression
/// of its value.
pub(super) fn pattern_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    for (i, seg) in pattern.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match seg {
            "*" => out.push_str("[^/]+"),
            "**" => out.push_str(".+"),
            lit => {
                for c in lit.chars() {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        out.push(c);
                    } else {
                        out.push('\\');
                        out.push(c);
                    }
                }
            }
        }
    }
    out.push('$');
    out
}

impl Writer<'_> {
    /// The services' styles, the operation ids, and the paths.
    pub(super) fn paths(&self) -> (Map<String, Value>, Vec<Value>, bool) {
        // A method name two services share is qualified by the service.
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for s in self.schema.services() {
            for m in &s.methods {
                *seen.entry(m.name).or_default() += 1;
            }
        }
        let mut ids: BTreeSet<String> = BTreeSet::new();
        let mut paths: Map<String, Value> = Map::new();
        let mut websockets = Vec::new();
        let mut any_bearer = false;
        // Path shape (`/v1/user/{}`) -> the first path of that shape.
        let mut shapes: BTreeMap<String, String> = BTreeMap::new();
        for s in self.schema.services() {
            let style = Style::of(s);
            let tag = format!("{}.{}", s.package, s.name);
            for m in &s.methods {
                let operation = format!("/{tag}/{}", m.name);
                let bearer = self.api.bearer.as_ref().is_some_and(|g| g(&operation));
                let base = if seen[m.name] > 1 { format!("{}_{}", s.name, m.name) } else { m.name.to_owned() };
                for (i, b) in bindings(s, m).iter().enumerate() {
                    let mut id = if i == 0 { base.clone() } else { format!("{base}_{}", i + 1) };
                    while ids.contains(&id) {
                        id.push('_');
                    }
                    ids.insert(id.clone());
                    // A client stream without a body rule is a WebSocket; with
                    // one, an upload (a plain request, below).
                    if m.client_streaming && b.body.is_empty() {
                        websockets.push(self.websocket(&operation, &id, &tag, m, b, style, bearer));
                        any_bearer |= bearer;
                        continue;
                    }
                    let (mut path, mut params) = self.path_params(m, &b.path);
                    // OpenAPI holds templates that differ only in their variables'
                    // names to be one path (`/v1/user/{id}` and `/v1/user/{user.id}`):
                    // the first one's names name the variables of the others.
                    match shapes.get(&path_shape(&path)) {
                        Some(first) if *first != path => {
                            rename_path_params(&mut params, first);
                            path.clone_from(first);
                        }
                        Some(_) => {}
                        None => {
                            shapes.insert(path_shape(&path), path.clone());
                        }
                    }
                    let op = self.operation(&id, &tag, m, b, style, params, bearer);
                    any_bearer |= bearer;
                    let entry = paths.entry(path).or_insert_with(|| json!({}));
                    insert(entry, &b.method, op);
                }
            }
        }
        (paths, websockets, any_bearer)
    }

    /// The OpenAPI path of a template and its path parameters.
    pub(super) fn path_params(&self, m: &MethodDef, path: &str) -> (String, Vec<Value>) {
        let mut out = String::new();
        let mut params = Vec::new();
        for part in parse_path(path) {
            match part {
                PathPart::Lit(l) => out.push_str(l),
                PathPart::Var { field, pattern } => {
                    out.push('{');
                    out.push_str(field);
                    out.push('}');
                    let (mut schema, mut description) = match self.field_at(m.input, field) {
                        Some(f) => {
                            let mut notes = Vec::new();
                            let schema = self.param_schema(f, &mut notes);
                            (schema, with_notes(clean_doc(f.doc), notes))
                        }
                        None => (json!({ "type": "string" }), String::new()),
                    };
                    if let Some(p) = pattern.filter(|p| *p != "*") {
                        insert(&mut schema, "pattern", json!(pattern_regex(p)));
                        let note = format!("Matches `{p}` (`*` is one path segment, `**` the rest of the path).");
                        description = if description.is_empty() { note } else { format!("{description}\n\n{note}") };
                    }
                    let mut param = json!({ "name": field, "in": "path", "required": true, "schema": schema });
                    if !description.is_empty() {
                        insert(&mut param, "description", json!(description));
                    }
                    params.push(param);
                }
            }
        }
        (out, params)
    }

    /// The field at a dotted path (`user.id`) of a message.
    pub(super) fn field_at(&self, message: &str, path: &str) -> Option<&FieldDef> {
        let mut msg = self.schema.message(message)?;
        let mut parts = path.split('.').peekable();
        while let Some(name) = parts.next() {
            let f = msg.fields.iter().find(|f| f.name == name)?;
            if parts.peek().is_none() {
                return Some(f);
            }
            msg = self.schema.message(f.ty.type_name?)?;
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn operation(
        &self,
        id: &str,
        tag: &str,
        m: &MethodDef,
        b: &Binding<'_>,
        style: Style,
        mut params: Vec<Value>,
        bearer: bool,
    ) -> Value {
        let mut op = Map::new();
        op.insert("tags".into(), json!([tag]));
        op.insert("operationId".into(), json!(id));
        let doc = clean_doc(m.doc);
        if !doc.is_empty() {
            let sum = summary(&doc);
            if sum != doc {
                op.insert("description".into(), json!(doc));
            }
            op.insert("summary".into(), json!(sum));
        }
        if b.body != "*" {
            let mut bound: Vec<String> = parse_path(&b.path)
                .into_iter()
                .filter_map(|p| match p {
                    PathPart::Var { field, .. } => Some(field.to_owned()),
                    PathPart::Lit(_) => None,
                })
                .collect();
            if !b.body.is_empty() {
                bound.push(b.body.to_owned());
            }
            if let Some(msg) = self.schema.message(m.input) {
                let mut stack = vec![m.input];
                self.query_params(msg, "", &bound, &mut stack, &mut params);
            }
        }
        if !params.is_empty() {
            op.insert("parameters".into(), json!(params));
        }
        if !b.body.is_empty() {
            let schema = if b.body == "*" {
                self.message_ref(m.input, style)
            } else {
                match self.field_at(m.input, b.body) {
                    Some(f) => self.field_schema(f, style, &mut Vec::new()),
                    None => json!({}),
                }
            };
            // Required when a field in it must be sent: an empty body reads as
            // the message with every field absent.
            let required = if b.body == "*" {
                self.schema
                    .message(m.input)
                    .is_some_and(|msg| msg.fields.iter().any(|f| f.oneof.is_none() && is_required(f)))
            } else {
                self.field_at(m.input, b.body).is_some_and(is_required)
            };
            // A form binds like the query: offered where the body is one flat
            // message (no message or map fields), which a form can carry.
            let mut content = Map::new();
            // `google.api.HttpBody` is the body itself, of any type.
            let raw = if b.body == "*" {
                m.input == HTTP_BODY
            } else {
                self.field_at(m.input, b.body).is_some_and(|f| f.ty.type_name == Some(HTTP_BODY))
            };
            let flat = !raw
                && b.body == "*"
                && self
                    .schema
                    .message(m.input)
                    .is_some_and(|msg| msg.fields.iter().all(|f| f.ty.ty != Type::Message && f.key.is_none()));
            if flat {
                content.insert("application/x-www-form-urlencoded".into(), json!({ "schema": schema.clone() }));
            }
            // A message with `UploadedFile` fields takes `multipart/form-data`:
            // its files as binary parts, its scalar fields as text parts.
            let message = if b.body == "*" { self.schema.message(m.input) } else { None };
            if let Some(msg) = message.filter(|msg| msg.fields.iter().any(|f| f.ty.type_name == Some(UPLOADED_FILE))) {
                let mut properties = Map::new();
                for f in &msg.fields {
                    let part = if f.ty.type_name == Some(UPLOADED_FILE) {
                        let file = json!({ "type": "string", "format": "binary" });
                        if f.label == Label::Repeated {
                            json!({ "type": "array", "items": file })
                        } else {
                            file
                        }
                    } else if f.ty.ty != Type::Message && f.key.is_none() {
                        self.field_schema(f, style, &mut Vec::new())
                    } else {
                        continue;
                    };
                    properties.insert(f.name.into(), part);
                }
                content.insert(
                    "multipart/form-data".into(),
                    json!({ "schema": { "type": "object", "properties": Value::Object(properties) } }),
                );
            }
            if raw {
                content.insert("*/*".into(), json!({ "schema": { "type": "string", "format": "binary" } }));
            } else {
                content.insert("application/json".into(), json!({ "schema": schema }));
            }
            // Protobuf cannot be described by a JSON Schema: said in words
            // rather than as a media type a fuzzer would fill with bytes.
            let protobuf = if raw && m.client_streaming {
                " The body as it is, of any content type, read as it arrives: each chunk is one message of the stream (a `google.api.HttpBody`), the path and query bound into every one.".to_owned()
            } else if raw {
                " The body as it is, of any content type (a `google.api.HttpBody`).".to_owned()
            } else if b.body == "*" {
                format!(" Also `application/x-protobuf`: the `{}` message in the protobuf encoding.", m.input)
            } else {
                String::new()
            };
            op.insert(
                "requestBody".into(),
                json!({
                    "required": required,
                    "description": if raw { protobuf.trim().to_owned() } else { format!("The request in proto3 JSON.{protobuf}") },
                    "content": Value::Object(content),
                }),
            );
        }
        let reply = if b.response_body.is_empty() {
            self.message_ref(m.output, style)
        } else {
            match self.field_at(m.output, b.response_body) {
                Some(f) => self.field_schema(f, style, &mut Vec::new()),
                None => json!({}),
            }
        };
        let ok = if m.server_streaming && m.output == HTTP_BODY {
            let about = "The bytes of the replies as they come (a stream of `google.api.HttpBody`), with the first one's content type; an error after the first reply aborts the response.";
            json!({
                "description": "OK",
                "content": { "*/*": { "schema": { "type": "string", "format": "binary", "description": about } } }
            })
        } else if m.server_streaming {
            json!({
                "description": "A stream of replies: one server-sent event (`data:`) per message, a `: heartbeat` comment while idle, and an error that ends the stream as a last `event: error` with the error body. With `Accept: application/x-ndjson`, one JSON line per message (`{\"result\": ...}`) and a last `{\"error\": ...}` line for an error.",
                "content": {
                    "text/event-stream": { "schema": { "type": "string" } },
                    "application/x-ndjson": {
                        "schema": {
                            "description": "One line of the stream.",
                            "oneOf": [
                                { "type": "object", "properties": { "result": reply }, "required": ["result"] },
                                { "type": "object", "properties": { "error": reference(ERROR_SCHEMA) }, "required": ["error"] }
                            ]
                        }
                    }
                }
            })
        } else if b.response_body.is_empty() && m.output == HTTP_BODY {
            let about = "The reply as it is, with its own content type (a `google.api.HttpBody`).";
            json!({
                "description": "OK",
                "content": { "*/*": { "schema": { "type": "string", "format": "binary", "description": about } } }
            })
        } else {
            let mut content = Map::new();
            content.insert("application/json".into(), json!({ "schema": reply }));
            // Asked for with `Accept`; a reply of one field stays JSON.
            if b.response_body.is_empty() {
                let about = format!("The `{}` message in the protobuf encoding.", m.output);
                content.insert(
                    "application/x-protobuf".into(),
                    json!({ "schema": { "type": "string", "format": "binary", "description": about } }),
                );
            }
            json!({ "description": "OK", "content": Value::Object(content) })
        };
        let mut responses = Map::new();
        responses.insert("200".into(), ok);
        if bearer {
            responses.insert(
                "401".into(),
                json!({
                    "description": "The bearer token is missing or invalid (reason `UNAUTHORIZED`).",
                    "content": { "application/json": { "schema": reference(ERROR_SCHEMA) } }
                }),
            );
            op.insert("security".into(), json!([{ BEARER_SCHEME: [] }]));
        }
        responses.insert("default".into(), json!({ "$ref": "#/components/responses/Error" }));
        op.insert("responses".into(), Value::Object(responses));
        Value::Object(op)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn websocket(
        &self,
        operation: &str,
        id: &str,
        tag: &str,
        m: &MethodDef,
        b: &Binding<'_>,
        style: Style,
        bearer: bool,
    ) -> Value {
        let (path, _) = self.path_params(m, &b.path);
        let kind = if m.server_streaming { "bidirectional" } else { "client" };
        let mut ws = json!({
            "operation": operation,
            "operationId": id,
            "tag": tag,
            "path": path,
            "method": "get",
            "description": format!(
                "A {kind} stream over a WebSocket (a GET upgrade on this path): one JSON request message per text frame, an empty text frame to end the stream; each reply arrives as `{{\"result\": ...}}`, an error as `{{\"error\": ...}}` before a close with code 4000 + status."
            ),
            "request": self.message_ref(m.input, style),
            "reply": self.message_ref(m.output, style),
        });
        let doc = clean_doc(m.doc);
        if !doc.is_empty() {
            insert(&mut ws, "summary", json!(summary(&doc)));
        }
        if bearer {
            insert(&mut ws, "security", json!([{ BEARER_SCHEME: [] }]));
        }
        ws
    }

    /// The query parameters of `msg`'s fields under `prefix`, but those in
    /// `bound` (the path's and the body's).
    pub(super) fn query_params(
        &self,
        msg: &MessageDef,
        prefix: &str,
        bound: &[String],
        stack: &mut Vec<&'static str>,
        out: &mut Vec<Value>,
    ) {
        for f in &msg.fields {
            let name = format!("{prefix}{}", f.name);
            if bound.contains(&name) {
                continue;
            }
            match f.label {
                Label::Map => continue,
                Label::Repeated if !is_param_value(&f.ty) => continue,
                _ => {}
            }
            if is_param_value(&f.ty) {
                let mut notes = Vec::new();
                let schema = self.param_schema(f, &mut notes);
                let mut p = json!({ "name": name, "in": "query", "schema": schema });
                if f.label == Label::Repeated {
                    insert(&mut p, "style", json!("form"));
                    insert(&mut p, "explode", json!(true));
                }
                // Only a top-level field can be required: a nested one is
                // absent with its message.
                if prefix.is_empty() && f.oneof.is_none() && is_required(f) {
                    insert(&mut p, "required", json!(true));
                }
                let doc = with_notes(clean_doc(f.doc), notes);
                if !doc.is_empty() {
                    insert(&mut p, "description", json!(doc));
                }
                out.push(p);
                continue;
            }
            // A nested message: its fields as `name.field`, once per path.
            let Some(inner_name) = f.ty.type_name else { continue };
            let Some(inner) = self.schema.message(inner_name) else { continue };
            if f.label == Label::Repeated || stack.contains(&inner_name) || stack.len() >= MAX_QUERY_DEPTH {
                continue;
            }
            stack.push(inner_name);
            self.query_params(inner, &format!("{name}."), bound, stack, out);
            stack.pop();
        }
    }

    /// The schema of a field read from one path or query value: its value
    /// and rules (`Required` aside: a parameter's own `required` says it).
    pub(super) fn param_schema(&self, f: &FieldDef, notes: &mut Vec<String>) -> Value {
        let mut schema = if f.label == Label::Optional {
            let mut schema = self.value_schema(&f.ty, Style::Json);
            let rules: Vec<Rule> = f.rules.iter().filter(|r| **r != Rule::Required).cloned().collect();
            apply_rules(&mut schema, &rules, Label::Singular, &f.ty, notes);
            schema
        } else {
            self.field_schema(f, Style::Json, notes)
        };
        if let Some(obj) = schema.as_object_mut() {
            obj.remove("description");
        }
        schema
    }
}
