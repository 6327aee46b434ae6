//! Raw trait and `#[rpc]` attributes -> a checked service model. Every check
//! lives here and reports at the user's token.

use std::collections::BTreeMap;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut as _;

use super::http_rule::Template;
use super::parse::{RawMethod, RawRule, RawService};
use crate::case;
use crate::common::model::{is_generic, valid_proto_ident, ProtoNames};
use crate::error_store::ErrorSink;
use crate::symbol;

/// Where the request message comes from.
#[derive(Debug, Clone)]
pub enum Body {
    None,
    All(Span),
    Field(String, Span),
}

/// One checked HTTP binding.
pub struct Binding {
    pub method: String,
    pub path_lit: syn::LitStr,
    pub template: Template,
    pub body: Body,
    pub response_body: Option<(String, Span)>,
}

/// How a method's messages flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One request, one reply.
    Unary,
    /// One request, a stream of replies.
    ServerStreaming,
    /// A stream of requests, one reply.
    ClientStreaming,
    /// A stream each way.
    Bidi,
}

impl Shape {
    /// The client sends a stream.
    pub fn client_streams(self) -> bool {
        matches!(self, Shape::ClientStreaming | Shape::Bidi)
    }

    /// The server sends a stream.
    pub fn server_streams(self) -> bool {
        matches!(self, Shape::ServerStreaming | Shape::Bidi)
    }
}

/// One checked method.
pub struct Method {
    pub ident: syn::Ident,
    pub rpc_name: String,
    pub operation: String,
    pub shape: Shape,
    pub req_pat: Box<syn::Pat>,
    /// The request message (of each message, for a stream).
    pub req_ty: syn::Type,
    /// The request parameter as written (`Req`, `bia::Streaming<Req>`).
    pub req_param: syn::Type,
    /// The reply message (of each message, for a stream).
    pub rep_ty: syn::Type,
    /// The return type as the trait declares it: as written, with `Send` on
    /// a reply stream (servers run it on any thread).
    pub output: syn::Type,
    /// The method returns `bia::Error` (so clients can implement the trait),
    /// and so do its reply stream's items.
    pub bia_error: bool,
    pub bindings: Vec<Binding>,
    /// Bound from the default rule (`POST /pkg.Svc/Method`), not from `#[rpc]`.
    pub default_route: bool,
    pub doc: String,
    /// `#[rpc(idempotent)]`: listed in `FooOperation::IDEMPOTENT`.
    pub idempotent: bool,
    pub attrs: Vec<syn::Attribute>,
    pub default_body: Option<syn::Block>,
}

/// The checked service.
pub struct Service {
    pub krate: syn::Path,
    pub item: syn::ItemTrait,
    pub package: String,
    pub name: String,
    pub full_name: String,
    pub snake_case: bool,
    pub methods: Vec<Method>,
    pub doc: String,
}

const NOT_A_MESSAGE: [&str; 22] = [
    "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "isize", "usize", "f32", "f64", "bool",
    "char", "str", "String", "Vec", "Option", "HashMap", "BTreeMap",
];

fn message_type(ty: &syn::Type, what: &str) -> Result<(), syn::Error> {
    let err = || {
        syn::Error::new_spanned(ty,
            format!("the {what} must be a #[bia::message] struct, taken by value (like `GetUserRequest`); wrap other values in a message"),
        )
    };
    let syn::Type::Path(p) = ty else { return Err(err()) };
    let Some(last) = p.path.segments.last() else { return Err(err()) };
    if p.qself.is_some() || NOT_A_MESSAGE.contains(&last.ident.to_string().as_str()) || !last.arguments.is_empty() {
        return Err(err());
    }
    Ok(())
}

/// What a method returns.
struct Reply {
    /// The reply message (of each message, for a stream).
    rep_ty: syn::Type,
    /// The whole return type, with `Send` added to a reply stream.
    output: syn::Type,
    /// Its errors are `bia::Error`.
    bia_error: bool,
    /// It is a stream of replies.
    streams: bool,
}

const RETURNS: &str = "an rpc method returns `bia::Result<Reply>` (or `Result<Reply, E>` with `E: Into<bia::Error>`), or for a stream of replies `bia::Result<impl Stream<Item = bia::Result<Reply>>>`";

/// `T` and `E` of `Result<T, E>` (`bia::Result<T>`: `E` is `None`).
fn result_args(ty: &syn::Type) -> Option<(&syn::Type, Option<&syn::Type>)> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    let types: Vec<&syn::Type> = args
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [t] => Some((t, None)),
        [t, e] => Some((t, Some(e))),
        _ => None,
    }
}

/// Whether an error type written in a `Result` is `bia::Error` (or left out).
fn is_bia_error(e: Option<&syn::Type>) -> bool {
    match e {
        None => true,
        Some(syn::Type::Path(e)) => e.path.segments.last().is_some_and(|s| s.ident == "Error"),
        Some(_) => false,
    }
}

/// The `Item` of `impl Stream<Item = ..>`.
fn stream_item(bounds: &syn::TypeImplTrait) -> Option<&syn::Type> {
    bounds.bounds.iter().find_map(|b| {
        let syn::TypeParamBound::Trait(t) = b else { return None };
        let last = t.path.segments.last()?;
        if last.ident != symbol::STREAM {
            return None;
        }
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::AssocType(at) if at.ident == symbol::ITEM => Some(&at.ty),
            _ => None,
        })
    })
}

fn reply_type(ret: &syn::ReturnType) -> Result<Reply, syn::Error> {
    let syn::ReturnType::Type(_, ty) = ret else {
        return Err(syn::Error::new(ret.span(), format!("missing return type: {RETURNS}")));
    };
    let Some((rep, e)) = result_args(ty) else {
        return Err(syn::Error::new_spanned(ty, RETURNS));
    };
    let syn::Type::ImplTrait(stream) = rep else {
        message_type(rep, "reply")?;
        return Ok(Reply { rep_ty: rep.clone(), output: (**ty).clone(), bia_error: is_bia_error(e), streams: false });
    };
    let Some(item) = stream_item(stream) else {
        return Err(syn::Error::new_spanned(
            stream,
            "a stream of replies is `impl Stream<Item = bia::Result<Reply>>` (the `Stream` of `bia::stream`, futures or tokio-stream)",
        ));
    };
    let Some((each, item_e)) = result_args(item) else {
        return Err(syn::Error::new_spanned(
            item,
            "each reply of a stream is a `bia::Result<Reply>` (a reply, or the error that ends the stream)",
        ));
    };
    message_type(each, "streamed reply")?;
    // Servers send the stream from whatever thread runs the call.
    let mut output = (**ty).clone();
    AddSend.visit_type_mut(&mut output);
    Ok(Reply { rep_ty: each.clone(), output, bia_error: is_bia_error(e) && is_bia_error(item_e), streams: true })
}

/// Adds `+ Send` to the `impl Stream` of a return type.
struct AddSend;

impl syn::visit_mut::VisitMut for AddSend {
    fn visit_type_impl_trait_mut(&mut self, i: &mut syn::TypeImplTrait) {
        i.bounds.push(syn::parse_quote!(::core::marker::Send));
    }
}

/// Method names the generated server, clients and operation constants use.
const GENERATED_NAMES: [&str; 20] = [
    "new",
    "max_part_size",
    "envelope",
    "protobuf",
    "decompress",
    "middleware",
    "dial",
    "sse_heartbeat",
    "connect",
    "connect_lazy",
    "from_arc",
    "get_ref",
    "max_body_size",
    "max_decoding_message_size",
    "max_encoding_message_size",
    "snake_case_json",
    "into_router",
    "all",
    "service",
    "idempotent",
];

/// Names a Rust field cannot have, even as a raw identifier.
const NOT_FIELD_NAMES: [&str; 5] = ["self", "Self", "super", "crate", "_"];

fn field_name(lit: &syn::LitStr, errors: &ErrorSink<'_>, what: &str) -> Option<String> {
    let v = lit.value();
    if valid_proto_ident(&v) && !NOT_FIELD_NAMES.contains(&v.as_str()) {
        Some(v)
    } else {
        let star = if what == symbol::BODY { ", or \"*\" for the whole message" } else { "" };
        errors.error(lit, format!("`{v}` is not a field name; `{what}` names a top-level field of the message{star}"));
        None
    }
}

fn check_rule(
    rule: &RawRule,
    shape: Shape,
    errors: &ErrorSink<'_>,
    routes: &mut BTreeMap<String, String>,
    method_name: &str,
    fallback_span: Span,
) -> Option<Binding> {
    let Some((method, path_lit, verb_span)) = &rule.pattern else {
        errors.error_at(
            rule.span.unwrap_or(fallback_span),
            "this #[rpc] names no HTTP rule; add one of `get`, `post`, `put`, `patch`, `delete` = \"/path\" or `custom(..)`",
        );
        return None;
    };
    if !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"].contains(&method.as_str()) {
        errors.error_at(
            *verb_span,
            format!("unsupported HTTP method `{method}`; custom methods may be HEAD, OPTIONS or TRACE"),
        );
        return None;
    }
    let template = match Template::parse(&path_lit.value()) {
        Ok(t) => t,
        Err(e) => {
            errors.error(path_lit, e);
            return None;
        }
    };
    if let Some(bad) = template.fields().into_iter().find(|f| f.split('.').any(|seg| NOT_FIELD_NAMES.contains(&seg))) {
        errors
            .error(path_lit, format!("`{bad}` is not a field name; a path variable names a request field like `<id>`"));
        return None;
    }
    // A client stream is a WebSocket opened with a GET, or with a `body`
    // rule an upload whose chunks fill an `HttpBody` (checked by type).
    if shape.client_streams() && rule.body.is_none() {
        if method != "GET" {
            errors.error_at(
                *verb_span,
                "a client or bidirectional stream is served over a WebSocket, which opens with a GET: use `get = \"..\"` \
                 (or, for an upload of `HttpBody` chunks, add `body = \"*\"` or `body = \"field\"`)",
            );
            return None;
        }
        if !template.fields().is_empty() {
            errors.error(
                path_lit,
                "a client stream's route has no path variables: each message of the stream carries all its fields",
            );
            return None;
        }
    }
    if let (true, Some(r)) = (shape.server_streams() || shape.client_streams(), &rule.response_body) {
        errors.error(r, "a streaming method sends whole messages: remove `response_body`");
        return None;
    }
    let body = match &rule.body {
        None => Body::None,
        Some(b) if b.value() == symbol::WHOLE_MESSAGE => Body::All(b.span()),
        Some(b) => Body::Field(field_name(b, errors, symbol::BODY)?, b.span()),
    };
    if !matches!(body, Body::None) && matches!(method.as_str(), "GET" | "HEAD") {
        errors.error(
            rule.body.as_ref().expect("set"),
            format!("a {method} request has no body; remove `body` or use post/put/patch"),
        );
        return None;
    }
    // A path variable below the body's field is the standard Update method
    // (`patch: "/v1/{book.name=shelves/*/books/*}" body: "book"`): the body
    // fills the field, then the path sets the one value inside it.
    if let Body::Field(f, span) = &body {
        if template.fields().iter().any(|p| p == f) {
            errors.error_at(*span, format!("`{f}` is bound from the path already; the body cannot bind it too"));
            return None;
        }
    }
    let response_body = match &rule.response_body {
        None => None,
        Some(r) => Some((field_name(r, errors, symbol::RESPONSE_BODY)?, r.span())),
    };
    let key = format!("{method} {}", template.shape());
    if let Some(other) = routes.insert(key.clone(), method_name.to_owned()) {
        errors.error(
            path_lit,
            format!("duplicate route `{method} {}`: `{other}` is served there already", path_lit.value()),
        );
        return None;
    }
    Some(Binding { method: method.clone(), path_lit: path_lit.clone(), template, body, response_body })
}

pub fn check(raw: RawService, item: &syn::ItemTrait, errors: &ErrorSink<'_>) -> Option<Service> {
    if is_generic(&item.generics) {
        errors.error(
            &item.generics,
            "a #[bia::service] trait cannot be generic: each method maps to one concrete proto rpc",
        );
    }
    let ProtoNames { krate, package, name, full_name } =
        ProtoNames::check(&raw.args, &item.ident, "service", "User", errors);
    let snake_case = match &raw.args.json {
        None => false,
        Some(j) if j.value() == symbol::SNAKE_CASE => true,
        Some(j) if j.value() == symbol::CAMEL_CASE => false,
        Some(j) => {
            errors.error(j, "`json` is \"camelCase\" (the proto3 default) or \"snake_case\"");
            false
        }
    };
    let mut methods = Vec::new();
    let mut routes = BTreeMap::new();
    let mut rpc_names = BTreeMap::new();
    for (it, raw) in item.items.iter().zip(raw.methods) {
        let syn::TraitItem::Fn(f) = it else {
            errors.error(
                it,
                "a #[bia::service] trait holds only rpc methods (`async fn name(&self, req: Req) -> bia::Result<Rep>`)",
            );
            continue;
        };
        // The method's own sink: a method that failed is left out.
        let Some(m) = check_method(f, raw, &full_name, &mut routes, &errors.child()) else { continue };
        if let Some(prev) = rpc_names.insert(m.rpc_name.clone(), m.ident.to_string()) {
            errors.error(&m.ident, format!("rpc name `{}` is taken by `{prev}`", m.rpc_name));
        }
        methods.push(m);
    }
    Some(Service { krate, item: item.clone(), package, name, full_name, snake_case, methods, doc: raw.doc })
}

fn check_method(
    f: &syn::TraitItemFn,
    raw: RawMethod,
    service: &str,
    routes: &mut BTreeMap<String, String>,
    errors: &ErrorSink<'_>,
) -> Option<Method> {
    let sig = &f.sig;
    let Signature { req_pat, req_ty, req_param, rep_ty, output, bia_error, shape } = check_signature(sig, errors)?;
    let rust_name = case::unraw(&sig.ident);
    if GENERATED_NAMES.contains(&rust_name.as_str()) {
        errors.error(
            &sig.ident,
            format!("`{rust_name}` is taken by a generated constructor or constant of this service; rename the method (`#[rpc(name = \"..\")]` keeps the proto rpc name)"),
        );
        return None;
    }
    let rule = match raw.rpcs.as_slice() {
        [_, second, ..] => {
            errors.error(&second.attr, "one #[rpc] per method; put extra routes in `additional_bindings(..)`");
            return None;
        }
        // A rule that did not parse has its error reported already.
        [only] => Some(only.rule.as_ref()?),
        [] => None,
    };
    let rpc_name = match rule.and_then(|r| r.name.as_ref()) {
        Some(n) if valid_proto_ident(&n.value()) => n.value(),
        Some(n) => {
            errors.error(n, "invalid rpc name; use an identifier like `GetUser`");
            return None;
        }
        None => case::pascal(&rust_name),
    };
    let operation = format!("/{service}/{rpc_name}");
    let method_name = sig.ident.to_string();
    let mut check = |rule: &RawRule| check_rule(rule, shape, errors, routes, &method_name, sig.ident.span());
    let mut bindings = Vec::new();
    let default_route = match rule {
        Some(r) if r.pattern.is_some() || r.body.is_some() || r.response_body.is_some() || !r.additional.is_empty() => {
            bindings.extend(check(r));
            for extra in &r.additional {
                if !extra.additional.is_empty() {
                    errors.error_at(extra.span.unwrap_or(sig.ident.span()), "additional_bindings cannot nest");
                }
                bindings.extend(check(extra));
            }
            false
        }
        _ => {
            // `POST /pkg.Svc/Method` with the whole message as the body; a
            // client stream opens its WebSocket with a `GET` there.
            let span = sig.ident.span();
            let lit = syn::LitStr::new(&operation, span);
            let raw = match shape.client_streams() {
                false => RawRule {
                    pattern: Some(("POST".to_owned(), lit, span)),
                    body: Some(syn::LitStr::new(symbol::WHOLE_MESSAGE, span)),
                    ..Default::default()
                },
                true => RawRule { pattern: Some(("GET".to_owned(), lit, span)), ..Default::default() },
            };
            bindings.extend(check(&raw));
            true
        }
    };
    if errors.has_errors() {
        return None;
    }
    let attrs = f.attrs.iter().filter(|a| !a.path().is_ident(symbol::RPC)).cloned().collect();
    Some(Method {
        ident: sig.ident.clone(),
        rpc_name,
        operation,
        shape,
        req_pat,
        req_ty,
        req_param,
        rep_ty,
        output,
        bia_error,
        bindings,
        default_route,
        doc: raw.doc,
        idempotent: rule.is_some_and(|r| r.idempotent.is_some()),
        attrs,
        default_body: f.default.clone(),
    })
}

/// What a method's signature says of its rpc.
struct Signature {
    req_pat: Box<syn::Pat>,
    req_ty: syn::Type,
    req_param: syn::Type,
    rep_ty: syn::Type,
    output: syn::Type,
    bia_error: bool,
    shape: Shape,
}

/// `async fn name(&self, req: Req) -> bia::Result<Rep>`, and nothing else.
fn check_signature(sig: &syn::Signature, errors: &ErrorSink<'_>) -> Option<Signature> {
    if sig.asyncness.is_none() {
        errors.error(sig.fn_token, "an rpc method must be `async fn`");
    }
    if is_generic(&sig.generics) {
        errors.error(&sig.generics, "an rpc method cannot be generic: it maps to one proto rpc");
    }
    if let Some(c) = &sig.constness {
        errors.error(c, "an rpc method cannot be `const`");
    }
    if let Some(u) = &sig.unsafety {
        errors.error(u, "an rpc method cannot be `unsafe`");
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(syn::FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() => {
        }
        Some(other) => errors.error(other, "an rpc method takes `&self` first"),
        None => errors
            .error_at(sig.paren_token.span.join(), "an rpc method takes `&self` and one request: `(&self, req: Req)`"),
    }
    let rest: Vec<&syn::FnArg> = inputs.collect();
    let (req_pat, req_ty, client_streams) = match rest.as_slice() {
        [syn::FnArg::Typed(t)] => match streamed(&t.ty) {
            Some(inner) => {
                if let Err(e) = message_type(inner, "streamed request") {
                    errors.push(e);
                }
                (t.pat.clone(), inner.clone(), true)
            }
            None => {
                if let Err(e) = message_type(&t.ty, "request") {
                    errors.push(e);
                }
                (t.pat.clone(), (*t.ty).clone(), false)
            }
        },
        [] => {
            errors.error_at(
                sig.paren_token.span.join(),
                "an rpc method takes one request message after `&self`: `(&self, req: Req)`",
            );
            return None;
        }
        [_, extra, ..] => {
            errors.error(extra, "an rpc method takes exactly one request message; put the extra values in its fields");
            return None;
        }
        [other] => {
            errors.error(other, "an rpc method takes `&self` and one request");
            return None;
        }
    };
    let req_param = match rest.as_slice() {
        [syn::FnArg::Typed(t)] => (*t.ty).clone(),
        _ => return None,
    };
    let Reply { rep_ty, output, bia_error, streams } = errors.ok(reply_type(&sig.output))?;
    let shape = match (client_streams, streams) {
        (false, false) => Shape::Unary,
        (false, true) => Shape::ServerStreaming,
        (true, false) => Shape::ClientStreaming,
        (true, true) => Shape::Bidi,
    };
    Some(Signature { req_pat, req_ty, req_param, rep_ty, output, bia_error, shape })
}

/// `T` of a request written `Streaming<T>` (`bia::Streaming<T>`).
fn streamed(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != symbol::STREAMING {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.iter().collect::<Vec<_>>().as_slice() {
            [syn::GenericArgument::Type(t)] => Some(t),
            _ => None,
        },
        _ => None,
    }
}
