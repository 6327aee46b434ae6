//! The google.api.http binding rules, both ways: a [`Route`] (one per
//! `#[rpc]` binding, generated) says which part of a request fills which
//! field; the server binds a request into its message with it ([`bind`]),
//! and the client builds the request from a message with the same route
//! ([`Route::pick`], [`Route::url`]).
//!
//! A custom verb (`/v1/<name=users/*>:undelete`, google.api.http's
//! `Template = "/" Segments [ Verb ]`) ends a template as the literal
//! `:undelete`. As in grpc-gateway, the verb is found in the path as sent:
//! the last segment of the raw path ends with `:` and the verb, and what
//! comes before it is the last variable's value. A `:` inside a value is
//! sent percent-encoded (`%3A`), so it is never taken for the separator, and
//! decodes into the value.

use axum::body::Body;
use axum::extract::FromRequestParts;
use bytes::Bytes;
use http::header;
use http_body_util::BodyExt as _;

use super::codec::{codec_error, json_error};
use super::handler::ServiceConfig;
use super::http_body::{from_http_body, is_http_body, is_http_body_field, request_body};
use super::multipart::bind_multipart;
use super::negotiate::{bind_form, body_format, decode_protobuf, merge_protobuf_field, BodyFormat};
use crate::codec::{Message, QueryWriter};
use crate::error::reason::{CODEC, MISSING_PATH_PARAM, NO_MATCHING_ROUTE, PAYLOAD_TOO_LARGE};
use crate::error::Error;
use crate::transport::dispatch::FastRoute;

/// Which part of a request fills the request message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum BodyRule {
    /// No body: fields not in the path come from the query.
    None,
    /// `body = "*"`: the whole message from the body.
    All,
    /// `body = "field"`: that field from the body, the rest from the query.
    Field(&'static str),
}

/// One piece of a variable's pattern (`<name=shelves/*>`).
#[derive(Debug, Clone, Copy)]
#[doc(hidden)]
pub enum PatternSeg {
    /// Literal text.
    Lit(&'static str),
    /// A captured path segment (`*`), by capture name.
    Capture(&'static str),
    /// The captured rest of the path (`**`), by capture name.
    CaptureRest(&'static str),
}

/// Whether `value` fits a variable's pattern (the client picks the binding
/// whose patterns the request's values fit, as grpc-gateway clients do).
fn fits(pattern: &[PatternSeg], value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    if let [PatternSeg::Capture(_)] | [PatternSeg::CaptureRest(_)] = pattern {
        return true;
    }
    let mut segs = value.split('/');
    for p in pattern {
        match p {
            PatternSeg::Lit("/") => {}
            PatternSeg::Lit(l) => {
                if segs.next() != Some(*l) {
                    return false;
                }
            }
            PatternSeg::Capture(_) => {
                if segs.next().is_none_or(str::is_empty) {
                    return false;
                }
            }
            PatternSeg::CaptureRest(_) => return segs.next().is_some_and(|s| !s.is_empty()),
        }
    }
    segs.next().is_none()
}

/// One piece of a path template.
#[derive(Debug, Clone, Copy)]
#[doc(hidden)]
pub enum PathSeg {
    /// Literal text. After the last variable, only a custom verb
    /// (`:cancel`): the one literal that does not start with `/`.
    Lit(&'static str),
    /// A field bound from the path; `slash` when its value may contain `/`.
    Var { field: &'static str, pattern: &'static [PatternSeg], slash: bool },
}

/// One HTTP binding of an operation, generated per `#[rpc]` rule.
#[derive(Debug)]
#[doc(hidden)]
pub struct Route {
    pub operation: &'static str,
    pub method: &'static str,
    /// The axum route path (`/v1/user/{id}`).
    pub axum_path: &'static str,
    pub template: &'static [PathSeg],
    pub body: BodyRule,
    pub response_body: Option<&'static str>,
    /// Top-level and dotted fields the path and body bind (not sent as query).
    pub bound: &'static [&'static str],
}

impl Route {
    /// The custom verb that follows a captured segment at the end of the
    /// route (`cancel` of `/v1/<id>:cancel`), which the server has to tell
    /// apart from the captured value in the same path segment. `None`
    /// without a verb, and for a verb after literal text
    /// (`/v1/users:batchGet`, `/v1/<name=users/*/profile>:get`), which is
    /// plain text of its axum route.
    pub(super) fn verb(&self) -> Option<&'static str> {
        match self.template {
            [.., PathSeg::Var { pattern: [.., PatternSeg::Capture(_) | PatternSeg::CaptureRest(_)], .. }, PathSeg::Lit(l)] => {
                l.strip_prefix(':')
            }
            _ => None,
        }
    }

    /// Whether binding reads the path variables straight from the request
    /// path ([`bind_simple_path`]): each a whole segment, at most
    /// [`SIMPLE_VARS`] of them. Others need the path parameters axum's
    /// router makes.
    pub(super) fn binds_simply(&self) -> bool {
        let vars = self.template.iter().filter(|s| matches!(s, PathSeg::Var { .. })).count();
        vars <= SIMPLE_VARS
            && self.template.iter().all(|s| match s {
                PathSeg::Lit(_) => true,
                PathSeg::Var { pattern, slash, .. } => !slash && matches!(pattern, [PatternSeg::Capture(_)]),
            })
    }

    /// The first of `routes` whose path patterns the request's values fit
    /// (as grpc-gateway clients pick among `additional_bindings`).
    pub(crate) fn pick<'r, M: Message>(routes: &[&'r Route], req: &M) -> Result<&'r Route, Error> {
        routes
            .iter()
            .find(|r| {
                r.template.iter().all(|s| match s {
                    PathSeg::Lit(_) => true,
                    PathSeg::Var { field, pattern, .. } => fits(pattern, &req.param(field).unwrap_or_default()),
                })
            })
            .copied()
            .ok_or_else(|| {
                Error::bad_request(
                    NO_MATCHING_ROUTE,
                    format!("the path fields of the request fit no HTTP binding of {}", routes[0].operation),
                )
            })
    }

    /// `base` followed by the path with the request's values and, when the
    /// body does not take the whole message, the query of the fields left.
    pub(crate) fn url<M: Message>(&self, base: &str, req: &M) -> Result<String, Error> {
        let mut url = String::with_capacity(base.len() + 32);
        url.push_str(base);
        for seg in self.template {
            match seg {
                PathSeg::Lit(l) => url.push_str(l),
                PathSeg::Var { field, slash, .. } => {
                    let value = req.param(field).unwrap_or_default();
                    if value.is_empty() {
                        return Err(Error::bad_request(
                            MISSING_PATH_PARAM,
                            format!("`{field}` is empty but is part of the path of {}", self.operation),
                        ));
                    }
                    let set = if *slash { PATH_WITH_SLASH } else { PATH_SEGMENT };
                    url.extend(percent_encoding::utf8_percent_encode(&value, set));
                }
            }
        }
        if self.body != BodyRule::All {
            let mut q = QueryWriter::default();
            req.write_query("", self.bound, &mut q);
            if let Some(q) = q.finish() {
                url.push('?');
                url.push_str(&q);
            }
        }
        Ok(url)
    }
}

/// What a path segment's value is percent-encoded with.
const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// The same for a variable whose pattern spans segments (`<name=shelves/*>`).
const PATH_WITH_SLASH: &percent_encoding::AsciiSet = &PATH_SEGMENT.remove(b'/');

async fn read_body(body: Body, limit: usize) -> Result<Bytes, Error> {
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(Error::payload_too_large(PAYLOAD_TOO_LARGE, format!("request body is larger than {limit} bytes")))
        }
        Err(e) => Err(Error::bad_request(CODEC, format!("cannot read request body: {e}"))),
    }
}

/// Binds an HTTP request into the request message: body, then query, then
/// path (path wins).
pub(super) async fn bind<Req: Message>(
    route: &Route,
    cfg: &ServiceConfig,
    parts: &mut http::request::Parts,
    body: Body,
) -> Result<Req, Error> {
    // A route without a body rule reads no body: its length is not looked at.
    let declared = match route.body {
        BodyRule::None => None,
        _ => parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok()),
    };
    if let Some(len) = declared {
        if len > cfg.max_body {
            return Err(Error::payload_too_large(
                PAYLOAD_TOO_LARGE,
                format!("request body is larger than {} bytes", cfg.max_body),
            ));
        }
    }
    let mut msg = Req::default();
    match route.body {
        BodyRule::None => {}
        BodyRule::All => {
            let bytes = read_body(body, cfg.max_body).await?;
            // An `HttpBody` request takes the body as it is, any type.
            if is_http_body::<Req>() {
                return from_http_body(request_body(&parts.headers, bytes))
                    .ok_or_else(|| codec_error("", "the request is not an HttpBody".into()));
            }
            // No body: an empty message, whatever the content type says.
            match body_format(&parts.headers, &bytes) {
                _ if bytes.is_empty() => {}
                Ok(BodyFormat::Json) if bytes.iter().all(u8::is_ascii_whitespace) => {}
                Ok(BodyFormat::Json) => {
                    let mut de = serde_json::Deserializer::from_slice(&bytes);
                    msg = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error("", e))?;
                    de.end().map_err(|e| codec_error("", format!("invalid JSON body: {e}")))?;
                }
                Ok(BodyFormat::Protobuf) => msg = decode_protobuf(&bytes)?,
                Ok(BodyFormat::Form) => bind_form(&mut msg, None, &bytes)?,
                // Boxed: its state (multer's) would otherwise make every
                // call's future larger, past the allocator's fast sizes.
                Ok(BodyFormat::Multipart(boundary)) => {
                    Box::pin(bind_multipart(&mut msg, bytes, boundary, cfg.max_part)).await?
                }
                Err(e) => return Err(e),
            }
        }
        BodyRule::Field(field) => {
            let bytes = read_body(body, cfg.max_body).await?;
            let raw = Req::FIELDS.iter().find(|f| f.name == field).is_some_and(|f| is_http_body_field(f.nested));
            match body_format(&parts.headers, &bytes) {
                // An `HttpBody` field takes the body as it is, any type.
                _ if raw => {
                    let encoded = prost::Message::encode_to_vec(&request_body(&parts.headers, bytes));
                    merge_protobuf_field(&mut msg, field, &encoded)?;
                }
                _ if bytes.is_empty() => {}
                Ok(BodyFormat::Json) if bytes.iter().all(u8::is_ascii_whitespace) => {}
                Ok(BodyFormat::Json) => {
                    let mut de = serde_json::Deserializer::from_slice(&bytes);
                    let mut track = serde_path_to_error::Track::new();
                    let res = msg.merge_json_field(field, serde_path_to_error::Deserializer::new(&mut de, &mut track));
                    if let Err(e) = res {
                        return Err(json_error(field, serde_path_to_error::Error::new(track.path(), e)));
                    }
                    de.end().map_err(|e| codec_error(field, format!("invalid JSON body: {e}")))?;
                }
                Ok(BodyFormat::Protobuf) => merge_protobuf_field(&mut msg, field, &bytes)?,
                Ok(BodyFormat::Form) => bind_form(&mut msg, Some(field), &bytes)?,
                Ok(BodyFormat::Multipart(_)) => {
                    return Err(codec_error(
                        field,
                        format!(
                        "multipart/form-data bodies are read for `body = \"*\"` rules; this one takes `{field}` alone"
                    ),
                    ))
                }
                Err(e) => return Err(e),
            }
        }
    }
    bind_params(route, parts, msg).await
}

/// Binds the query (unless the body is the whole message) and the path
/// variables into `msg` (path wins).
/// The most path variables [`bind_simple_path`] binds.
const SIMPLE_VARS: usize = 4;

/// A generated binding for the server's dispatch table
/// (`transport/dispatch.rs`): served by `handler` there when binding needs
/// nothing of axum's router (its path variables bound straight from the
/// path, no custom verb after one); else the router serves it and the
/// table only knows its path.
#[doc(hidden)]
pub fn fast_route<H, F>(route: &'static Route, handler: H) -> FastRoute
where
    H: FnOnce(axum::extract::Request) -> F + Clone + Send + Sync + 'static,
    F: std::future::Future<Output = axum::response::Response> + Send + 'static,
{
    // A verb after a captured segment: the router's capture runs to the end
    // of the path, verb and all (such paths take `router_route` anyway).
    if route.binds_simply() && route.verb().is_none() {
        FastRoute::served(route.axum_path, route.method, handler)
    } else {
        router_route(route)
    }
}

/// A generated binding the router serves, for the dispatch table
/// (bindings told apart by a custom verb).
#[doc(hidden)]
pub fn router_route(route: &'static Route) -> FastRoute {
    FastRoute::router_only(route.axum_path, route.method)
}

pub(super) async fn bind_params<Req: Message>(
    route: &Route,
    parts: &mut http::request::Parts,
    mut msg: Req,
) -> Result<Req, Error> {
    if route.body != BodyRule::All {
        if let Some(query) = parts.uri.query() {
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                if route.bound.contains(&&*k) {
                    continue;
                }
                msg.bind_param(&k, &v).map_err(|e| codec_error(&k, format!("invalid query parameter `{k}`: {e}")))?;
            }
        }
    }
    if route.template.iter().any(|s| matches!(s, PathSeg::Var { .. })) {
        if let Some(bound) = bind_simple_path(route, parts.uri.path(), &mut msg) {
            return bound.map(|()| msg);
        }
        let params = axum::extract::RawPathParams::from_request_parts(parts, &())
            .await
            .map_err(|e| codec_error("", format!("invalid path: {e}")))?;
        let verb = route.verb();
        for (i, seg) in route.template.iter().enumerate() {
            let PathSeg::Var { field, pattern, .. } = seg else { continue };
            let mut value = String::new();
            for p in *pattern {
                match p {
                    PatternSeg::Lit(l) => value.push_str(l),
                    PatternSeg::Capture(name) | PatternSeg::CaptureRest(name) => {
                        if let Some((_, v)) = params.iter().find(|(k, _)| k == name) {
                            value.push_str(v);
                        }
                    }
                }
            }
            // axum's last capture runs to the end of the path, verb and all
            // (decoded; a verb has no `%`, so it reads the same).
            if let (Some(verb), true) = (verb, i + 2 == route.template.len()) {
                let len = value.strip_suffix(verb).and_then(|v| v.strip_suffix(':')).map(str::len);
                value.truncate(len.ok_or_else(|| codec_error(field, format!("the path does not end with `:{verb}`")))?);
            }
            match msg.bind_param(field, &value) {
                Ok(true) => {}
                Ok(false) => return Err(codec_error(field, format!("path parameter `{field}` names no field"))),
                Err(e) => return Err(codec_error(field, format!("invalid path parameter `{field}`: {e}"))),
            }
        }
    }
    Ok(msg)
}

/// Binds the path variables of a template whose variables are each one
/// whole segment (`/v1/user/{id}`, the common case) straight from the
/// request path, without axum's parameter list. `None` when the template or
/// the path is anything else (the caller then goes through
/// `RawPathParams`, which also gives the same errors).
fn bind_simple_path<M: Message>(route: &Route, path: &str, msg: &mut M) -> Option<Result<(), Error>> {
    if !route.binds_simply() {
        return None;
    }
    // First check the whole path against the template, then bind: a path
    // that does not fit binds nothing here.
    let mut values: [(&str, &str); SIMPLE_VARS] = [("", ""); SIMPLE_VARS];
    let mut n = 0;
    // A verb ends the last segment: the last value stops before it.
    let (mut rest, template) = match route.verb() {
        Some(verb) => (path.strip_suffix(verb)?.strip_suffix(':')?, &route.template[..route.template.len() - 1]),
        None => (path, route.template),
    };
    for seg in template {
        match seg {
            PathSeg::Lit(l) => rest = rest.strip_prefix(l)?,
            PathSeg::Var { field, .. } => {
                let end = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
                if end == 0 || n == values.len() {
                    return None;
                }
                values[n] = (field, &rest[..end]);
                n += 1;
                rest = &rest[end..];
            }
        }
    }
    if !rest.is_empty() {
        return None;
    }
    let mut decoded: [std::borrow::Cow<'_, str>; SIMPLE_VARS] = Default::default();
    for (d, (_, raw)) in decoded.iter_mut().zip(&values[..n]) {
        *d = if raw.as_bytes().contains(&b'%') {
            percent_encoding::percent_decode_str(raw).decode_utf8().ok()?
        } else {
            std::borrow::Cow::Borrowed(raw)
        };
    }
    for ((field, _), value) in values[..n].iter().zip(&decoded) {
        match msg.bind_param(field, value) {
            Ok(true) => {}
            Ok(false) => return Some(Err(codec_error(field, format!("path parameter `{field}` names no field")))),
            Err(e) => return Some(Err(codec_error(field, format!("invalid path parameter `{field}`: {e}")))),
        }
    }
    Some(Ok(()))
}
