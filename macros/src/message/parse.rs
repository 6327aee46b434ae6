//! Syntax -> raw attributes of `#[bia::message]` and its `#[field]`s.

use proc_macro2::TokenStream;

use crate::common::parse::{docs, each_attr, is_flag, lit_str, once, proto_args, ProtoArgs, ProtoExtra};
use crate::error_store::ErrorSink;
use crate::symbol;

/// One field as written.
pub struct RawField {
    pub ident: syn::Ident,
    pub ty: syn::Type,
    pub tag: Option<syn::LitInt>,
    pub json_name: Option<syn::LitStr>,
    pub encoding: Option<syn::Ident>,
    /// `#[field(oneof)]`: an `Option<T>` where `T` is a `#[bia::oneof]` enum.
    pub oneof: Option<proc_macro2::Span>,
    /// The `#[validate(...)]` rules, in the order written.
    pub rules: Vec<RawRule>,
    pub doc: String,
}

/// One `#[validate(...)]` rule as written.
pub struct RawRule {
    /// The rule's keyword (`length`, `email`, ...), for spans and messages.
    pub name: syn::Ident,
    pub kind: RawRuleKind,
}

pub enum RawRuleKind {
    /// `length(min = N, max = N)`.
    Length {
        min: Option<syn::LitInt>,
        max: Option<syn::LitInt>,
    },
    /// `range(min = X, max = X, gt = X, lt = X)`.
    Range {
        min: Option<syn::Lit>,
        max: Option<syn::Lit>,
        gt: Option<syn::Lit>,
        lt: Option<syn::Lit>,
    },
    /// `pattern = "regex"`.
    Pattern(syn::LitStr),
    Email,
    Required,
    Nested,
    /// `each(rule, ...)`.
    Each(Vec<RawRule>),
}

/// The whole message as written.
pub struct RawMessage {
    pub args: ProtoArgs,
    pub fields: Vec<RawField>,
    pub doc: String,
}

pub fn parse(attr: TokenStream, item: &syn::ItemStruct, errors: &ErrorSink<'_>) -> RawMessage {
    let args = proto_args(attr, errors, "message", ProtoExtra::Reserved);
    // A tuple struct is the model's to reject; its fields are not read.
    let fields = match &item.fields {
        syn::Fields::Named(n) => n.named.iter().map(|f| field(f, errors)).collect(),
        syn::Fields::Unit | syn::Fields::Unnamed(_) => Vec::new(),
    };
    RawMessage { args, fields, doc: docs(&item.attrs) }
}

fn field(f: &syn::Field, errors: &ErrorSink<'_>) -> RawField {
    let mut raw = RawField {
        ident: f.ident.clone().expect("named field"),
        ty: f.ty.clone(),
        tag: None,
        json_name: None,
        encoding: None,
        oneof: None,
        rules: Vec::new(),
        doc: docs(&f.attrs),
    };
    for attr in f.attrs.iter().filter(|a| a.path().is_ident(symbol::VALIDATE)) {
        errors.ok(parse_rules(attr, &mut raw.rules));
    }
    each_attr(&f.attrs, symbol::FIELD, errors, |meta| {
        if meta.path.is_ident(symbol::TAG) {
            once(&mut raw.tag, &meta, "`tag`", |m| m.value()?.parse())?;
        } else if meta.path.is_ident(symbol::JSON_NAME) {
            let name = lit_str(&meta)?;
            if name.value().is_empty() || name.value().contains(|c: char| c.is_whitespace() || c == '"') {
                return Err(syn::Error::new(name.span(), "a JSON name is a non-empty word, like `userId`"));
            }
            raw.json_name = Some(name);
        } else if meta.path.is_ident(symbol::ONEOF) {
            raw.oneof = Some(meta.path.get_ident().expect("ident").span());
        } else if let Some(ident) = meta.path.get_ident().filter(|i| symbol::ENCODINGS.iter().any(|(n, _, _)| i == n)) {
            if raw.encoding.is_some() {
                return Err(meta.error("a field has one encoding; remove one of them"));
            }
            raw.encoding = Some(ident.clone());
        } else {
            let names: Vec<&str> = symbol::ENCODINGS.iter().map(|(n, _, _)| *n).collect();
            return Err(meta.error(format!(
                "unknown #[field] argument; expected `tag = N`, `json_name = \"..\"`, `oneof` or an encoding ({})",
                names.join(", ")
            )));
        }
        Ok(())
    });
    raw
}

const RULES_EXPECTED: &str = "expected `length(min = .., max = ..)`, `range(min = .., max = ..)`, \
    `pattern = \"..\"`, `email`, `required`, `nested` or `each(..)`";

/// Parses one `#[validate(...)]` attribute into `out`.
fn parse_rules(attr: &syn::Attribute, out: &mut Vec<RawRule>) -> syn::Result<()> {
    if !matches!(attr.meta, syn::Meta::List(_)) {
        return Err(syn::Error::new_spanned(
            attr,
            format!("#[validate] lists rules: #[validate(email)]; {RULES_EXPECTED}"),
        ));
    }
    attr.parse_nested_meta(|meta| {
        out.push(parse_rule(&meta, true)?);
        Ok(())
    })
}

fn no_arguments(meta: &syn::meta::ParseNestedMeta<'_>, name: &syn::Ident) -> syn::Result<()> {
    if is_flag(meta) {
        Ok(())
    } else {
        Err(meta.error(format!("`{name}` takes no arguments; write just `{name}`")))
    }
}

fn parse_rule(meta: &syn::meta::ParseNestedMeta<'_>, top: bool) -> syn::Result<RawRule> {
    let Some(name) = meta.path.get_ident().cloned() else {
        return Err(meta.error(format!("unknown #[validate] rule; {RULES_EXPECTED}")));
    };
    let kind = match name.to_string().as_str() {
        symbol::LENGTH => {
            let (mut min, mut max) = (None, None);
            meta.parse_nested_meta(|m| {
                let slot = if m.path.is_ident(symbol::MIN) {
                    &mut min
                } else if m.path.is_ident(symbol::MAX) {
                    &mut max
                } else {
                    return Err(m.error("unknown `length` bound; expected `min = N` or `max = N` (counts)"));
                };
                once(slot, &m, "this bound", |m| m.value()?.parse())
            })?;
            RawRuleKind::Length { min, max }
        }
        symbol::RANGE => {
            let (mut min, mut max, mut gt, mut lt) = (None, None, None, None);
            meta.parse_nested_meta(|m| {
                let slot = if m.path.is_ident(symbol::MIN) {
                    &mut min
                } else if m.path.is_ident(symbol::MAX) {
                    &mut max
                } else if m.path.is_ident(symbol::GT) {
                    &mut gt
                } else if m.path.is_ident(symbol::LT) {
                    &mut lt
                } else {
                    return Err(m.error(
                        "unknown `range` bound; expected `min = X`, `max = X` (inclusive), `gt = X` or `lt = X` (exclusive)",
                    ));
                };
                once(slot, &m, "this bound", |m| {
                    let lit: syn::Lit = m.value()?.parse()?;
                    if !matches!(lit, syn::Lit::Int(_) | syn::Lit::Float(_)) {
                        return Err(syn::Error::new(lit.span(), "a `range` bound is a number, like `0`, `-5` or `1.5`"));
                    }
                    Ok(lit)
                })
            })?;
            RawRuleKind::Range { min, max, gt, lt }
        }
        symbol::PATTERN => RawRuleKind::Pattern(lit_str(meta)?),
        symbol::EMAIL => {
            no_arguments(meta, &name)?;
            RawRuleKind::Email
        }
        symbol::REQUIRED => {
            no_arguments(meta, &name)?;
            RawRuleKind::Required
        }
        symbol::NESTED => {
            no_arguments(meta, &name)?;
            RawRuleKind::Nested
        }
        symbol::EACH if top => {
            let mut inner = Vec::new();
            meta.parse_nested_meta(|m| {
                inner.push(parse_rule(&m, false)?);
                Ok(())
            })?;
            RawRuleKind::Each(inner)
        }
        symbol::EACH => {
            return Err(meta.error("`each(..)` cannot be nested: its rules already apply to every element"));
        }
        _ => return Err(meta.error(format!("unknown #[validate] rule `{name}`; {RULES_EXPECTED}"))),
    };
    Ok(RawRule { name, kind })
}
