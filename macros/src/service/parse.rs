//! Syntax -> raw arguments of `#[bia::service]` and each method's `#[rpc]`.

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned as _;

use crate::common::parse::{docs, is_flag, lit_str, once, proto_args, ProtoArgs, ProtoExtra};
use crate::error_store::ErrorSink;
use crate::symbol;

/// The trait as written.
pub struct RawService {
    pub args: ProtoArgs,
    /// One per trait item, in the trait's order.
    pub methods: Vec<RawMethod>,
    pub doc: String,
}

/// What the parser reads of one trait item.
pub struct RawMethod {
    /// Each `#[rpc(..)]` on it; the model allows one.
    pub rpcs: Vec<RawRpc>,
    pub doc: String,
}

/// One `#[rpc(..)]`.
pub struct RawRpc {
    /// The attribute, for errors about it as a whole.
    pub attr: syn::Attribute,
    /// `None` when it did not parse (the error is reported already).
    pub rule: Option<RawRule>,
}

/// One HTTP rule as written: `get = ".."`, `custom(method = .., path = ..)`,
/// `body`, `response_body`, `additional_bindings(..)`.
#[derive(Default)]
pub struct RawRule {
    /// (method, path, the token naming the method)
    pub pattern: Option<(String, syn::LitStr, Span)>,
    pub body: Option<syn::LitStr>,
    pub response_body: Option<syn::LitStr>,
    pub additional: Vec<RawRule>,
    pub name: Option<syn::LitStr>,
    /// `idempotent`, where it was written (top-level rule only).
    pub idempotent: Option<Span>,
    pub span: Option<Span>,
}

pub fn parse(attr: TokenStream, item: &syn::ItemTrait, errors: &ErrorSink<'_>) -> RawService {
    let args = proto_args(attr, errors, "service", ProtoExtra::Json);
    let methods = item
        .items
        .iter()
        .map(|it| match it {
            syn::TraitItem::Fn(f) => RawMethod { rpcs: rpcs(&f.attrs, errors), doc: docs(&f.attrs) },
            _ => RawMethod { rpcs: Vec::new(), doc: String::new() },
        })
        .collect();
    RawService { args, methods, doc: docs(&item.attrs) }
}

fn rpcs(attrs: &[syn::Attribute], errors: &ErrorSink<'_>) -> Vec<RawRpc> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident(symbol::RPC))
        .map(|attr| RawRpc { attr: attr.clone(), rule: errors.ok(parse_rpc(attr)) })
        .collect()
}

fn parse_rule_meta(meta: syn::meta::ParseNestedMeta<'_>, rule: &mut RawRule, top: bool) -> syn::Result<()> {
    let set_pattern = |rule: &mut RawRule, method: String, path: syn::LitStr, span: Span| {
        if let Some((prev, _, _)) = &rule.pattern {
            return Err(syn::Error::new(
                span,
                format!("this method already maps to {prev}; one rule has one verb, add more with `additional_bindings(..)`"),
            ));
        }
        rule.pattern = Some((method, path, span));
        Ok(())
    };
    if let Some(verb) = symbol::VERBS.iter().find(|v| meta.path.is_ident(v)) {
        let span = meta.path.get_ident().expect("ident").span();
        let path = lit_str(&meta)?;
        set_pattern(rule, verb.to_uppercase(), path, span)
    } else if meta.path.is_ident(symbol::CUSTOM) {
        let span = meta.path.get_ident().expect("ident").span();
        let mut method = None;
        let mut path = None;
        meta.parse_nested_meta(|inner| {
            if inner.path.is_ident(symbol::METHOD) {
                method = Some(lit_str(&inner)?);
            } else if inner.path.is_ident(symbol::PATH) {
                path = Some(lit_str(&inner)?);
            } else {
                return Err(inner.error("unknown custom(..) argument; expected `method = \"..\"` and `path = \"..\"`"));
            }
            Ok(())
        })?;
        let (Some(method), Some(path)) = (method, path) else {
            return Err(syn::Error::new(span, "custom(..) needs both `method = \"HEAD\"` and `path = \"/..\"`"));
        };
        set_pattern(rule, method.value().to_uppercase(), path, method.span())
    } else if meta.path.is_ident(symbol::BODY) {
        once(&mut rule.body, &meta, "`body`", lit_str)
    } else if meta.path.is_ident(symbol::RESPONSE_BODY) {
        once(&mut rule.response_body, &meta, "`response_body`", lit_str)
    } else if meta.path.is_ident(symbol::NAME) && top {
        once(&mut rule.name, &meta, "`name`", lit_str)
    } else if meta.path.is_ident(symbol::IDEMPOTENT) {
        if !top {
            return Err(meta.error(
                "`idempotent` marks the whole method; put it in the top-level #[rpc(..)], not in additional_bindings",
            ));
        }
        once(&mut rule.idempotent, &meta, "`idempotent`", |m| match is_flag(m) {
            true => Ok(m.path.get_ident().expect("ident").span()),
            false => Err(m.error("`idempotent` is a flag and takes no value: write `#[rpc(idempotent)]`")),
        })
    } else if meta.path.is_ident(symbol::ADDITIONAL_BINDINGS) && top {
        let mut extra = RawRule { span: Some(meta.path.get_ident().expect("ident").span()), ..Default::default() };
        meta.parse_nested_meta(|inner| parse_rule_meta(inner, &mut extra, false))?;
        rule.additional.push(extra);
        Ok(())
    } else {
        let extra = if top { ", `additional_bindings(..)`, `name = \"..\"`, `idempotent`" } else { "" };
        Err(meta.error(format!(
            "unknown #[rpc] argument; expected one of `get`, `post`, `put`, `patch`, `delete` = \"/path\", `custom(method = .., path = ..)`, `body = \"..\"`, `response_body = \"..\"`{extra}"
        )))
    }
}

/// Parses one `#[rpc(...)]`.
fn parse_rpc(attr: &syn::Attribute) -> syn::Result<RawRule> {
    let mut rule = RawRule { span: Some(attr.span()), ..Default::default() };
    if let syn::Meta::Path(_) = attr.meta {
        return Ok(rule);
    }
    attr.parse_nested_meta(|meta| parse_rule_meta(meta, &mut rule, true))?;
    Ok(rule)
}
