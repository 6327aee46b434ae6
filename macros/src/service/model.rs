//! Raw trait and `#[rpc]` attributes -> a checked service model. Every check
//! lives here and reports at the user's token.

use std::collections::BTreeMap;

use proc_macro2::Span;
use syn::spanned::Spanned;

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
    All,
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

/// One checked method.
pub struct Method {
    pub ident: syn::Ident,
    pub rpc_name: String,
    pub operation: String,
    pub req_pat: Box<syn::Pat>,
    pub req_ty: syn::Type,
    pub rep_ty: syn::Type,
    pub output: syn::Type,
    /// The method returns `bia::Error` (so clients can implement the trait).
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

/// `bia::Result<T>` or `Result<T, E>` -> `T`, the whole type, and whether
/// the error is `bia::Error`.
fn reply_type(ret: &syn::ReturnType) -> Result<(syn::Type, syn::Type, bool), syn::Error> {
    let hint = "an rpc method returns `bia::Result<Reply>` (or `Result<Reply, E>` with `E: Into<bia::Error>`)";
    let syn::ReturnType::Type(_, ty) = ret else {
        return Err(syn::Error::new(ret.span(), format!("missing return type: {hint}")));
    };
    if let syn::Type::ImplTrait(_) = &**ty {
        return Err(syn::Error::new_spanned(
            ty,
            format!("`impl Trait` return types (streams) are not supported yet: {hint}"),
        ));
    }
    let syn::Type::Path(p) = &**ty else {
        return Err(syn::Error::new_spanned(ty, hint));
    };
    let last = p.path.segments.last().expect("non-empty path");
    if last.ident != "Result" {
        return Err(syn::Error::new_spanned(ty, hint));
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return Err(syn::Error::new_spanned(ty, hint));
    };
    let types: Vec<&syn::Type> = args
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [rep] | [rep, _] => {
            if let syn::Type::ImplTrait(_) = rep {
                return Err(syn::Error::new(
                    rep.span(),
                    "server streaming (`impl Stream`) is not supported yet; return a message",
                ));
            }
            message_type(rep, "reply")?;
            let bia_error = match types.get(1) {
                None => true,
                Some(syn::Type::Path(e)) => e.path.segments.last().is_some_and(|s| s.ident == "Error"),
                Some(_) => false,
            };
            Ok(((*rep).clone(), (**ty).clone(), bia_error))
        }
        _ => Err(syn::Error::new_spanned(ty, hint)),
    }
}

/// Method names the generated server, clients and operation constants use.
const GENERATED_NAMES: [&str; 13] = [
    "new",
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
    let body = match &rule.body {
        None => Body::None,
        Some(b) if b.value() == symbol::WHOLE_MESSAGE => Body::All,
        Some(b) => Body::Field(field_name(b, errors, symbol::BODY)?, b.span()),
    };
    if !matches!(body, Body::None) && matches!(method.as_str(), "GET" | "HEAD") {
        errors.error(
            rule.body.as_ref().expect("set"),
            format!("a {method} request has no body; remove `body` or use post/put/patch"),
        );
        return None;
    }
    if let Body::Field(f, span) = &body {
        if template.fields().iter().any(|p| p.split('.').next() == Some(f.as_str())) {
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
    let Signature { req_pat, req_ty, rep_ty, output, bia_error } = check_signature(sig, errors)?;
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
    let mut check = |rule: &RawRule| check_rule(rule, errors, routes, &method_name, sig.ident.span());
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
            let lit = syn::LitStr::new(&operation, sig.ident.span());
            let raw = RawRule {
                pattern: Some(("POST".to_owned(), lit, sig.ident.span())),
                body: Some(syn::LitStr::new(symbol::WHOLE_MESSAGE, sig.ident.span())),
                ..Default::default()
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
        req_pat,
        req_ty,
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
    rep_ty: syn::Type,
    output: syn::Type,
    bia_error: bool,
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
    let (req_pat, req_ty) = match rest.as_slice() {
        [syn::FnArg::Typed(t)] => {
            if let Err(e) = message_type(&t.ty, "request") {
                errors.push(e);
            }
            (t.pat.clone(), (*t.ty).clone())
        }
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
    let (rep_ty, output, bia_error) = errors.ok(reply_type(&sig.output))?;
    Some(Signature { req_pat, req_ty, rep_ty, output, bia_error })
}
