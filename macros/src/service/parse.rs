//! Syntax -> raw arguments of `#[bia::service]` and each method's `#[rpc]`.

use proc_macro2::{Span, TokenStream};

use crate::common::parse::lit_str;
use crate::error_store::ErrorSink;
use crate::symbol;

/// The arguments of `#[bia::service(...)]`.
#[derive(Default)]
pub struct ServiceArgs {
    pub package: Option<syn::LitStr>,
    pub name: Option<syn::LitStr>,
    pub krate: Option<syn::LitStr>,
    pub json: Option<syn::LitStr>,
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

pub fn parse(attr: TokenStream, _: &syn::ItemTrait, errors: &ErrorSink<'_>) -> ServiceArgs {
    let mut args = ServiceArgs::default();
    let parser = syn::meta::parser(|meta| {
        let once = |slot: &Option<syn::LitStr>, meta: &syn::meta::ParseNestedMeta<'_>| match slot {
            Some(_) => Err(meta.error("this argument is given twice; keep one")),
            None => lit_str(meta).map(Some),
        };
        if meta.path.is_ident(symbol::PACKAGE) {
            args.package = once(&args.package, &meta)?;
        } else if meta.path.is_ident(symbol::NAME) {
            args.name = once(&args.name, &meta)?;
        } else if meta.path.is_ident(symbol::CRATE) {
            args.krate = once(&args.krate, &meta)?;
        } else if meta.path.is_ident(symbol::JSON) {
            args.json = once(&args.json, &meta)?;
        } else {
            return Err(meta.error(
                "unknown #[bia::service] argument; expected `package = \"..\"`, `name = \"..\"`, `json = \"snake_case\"` or `crate = \"..\"`",
            ));
        }
        Ok(())
    });
    errors.ok(syn::parse::Parser::parse2(parser, attr));
    args
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
        if rule.body.is_some() {
            return Err(meta.error("`body` is given twice; keep one"));
        }
        rule.body = Some(lit_str(&meta)?);
        Ok(())
    } else if meta.path.is_ident(symbol::RESPONSE_BODY) {
        if rule.response_body.is_some() {
            return Err(meta.error("`response_body` is given twice; keep one"));
        }
        rule.response_body = Some(lit_str(&meta)?);
        Ok(())
    } else if meta.path.is_ident(symbol::NAME) && top {
        if rule.name.is_some() {
            return Err(meta.error("`name` is given twice; keep one"));
        }
        rule.name = Some(lit_str(&meta)?);
        Ok(())
    } else if meta.path.is_ident(symbol::IDEMPOTENT) {
        if !top {
            return Err(meta.error(
                "`idempotent` marks the whole method; put it in the top-level #[rpc(..)], not in additional_bindings",
            ));
        }
        if rule.idempotent.is_some() {
            return Err(meta.error("`idempotent` is given twice; keep one"));
        }
        if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
            return Err(meta.error("`idempotent` is a flag and takes no value: write `#[rpc(idempotent)]`"));
        }
        rule.idempotent = Some(meta.path.get_ident().expect("ident").span());
        Ok(())
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
pub fn parse_rpc(attr: &syn::Attribute) -> syn::Result<RawRule> {
    let mut rule = RawRule { span: Some(attr_span(attr)), ..Default::default() };
    if let syn::Meta::Path(_) = attr.meta {
        return Ok(rule);
    }
    attr.parse_nested_meta(|meta| parse_rule_meta(meta, &mut rule, true))?;
    Ok(rule)
}

fn attr_span(attr: &syn::Attribute) -> Span {
    use syn::spanned::Spanned;
    attr.span()
}
