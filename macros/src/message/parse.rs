//! Syntax -> raw attributes of `#[bia::message]` and its `#[field]`s.

use proc_macro2::TokenStream;
use syn::parse::Parse as _;

use crate::common::{docs, lit_str};
use crate::error_store::Errors;
use crate::symbol;

/// The arguments of `#[bia::message(...)]`.
#[derive(Default)]
pub struct MessageArgs {
    pub package: Option<syn::LitStr>,
    pub name: Option<syn::LitStr>,
    pub krate: Option<syn::LitStr>,
    pub reserved: Vec<syn::LitInt>,
}

/// One field as written.
pub struct RawField {
    pub ident: syn::Ident,
    pub ty: syn::Type,
    pub tag: Option<syn::LitInt>,
    pub json_name: Option<syn::LitStr>,
    pub encoding: Option<syn::Ident>,
    /// `#[field(oneof)]`: an `Option<T>` where `T` is a `#[bia::oneof]` enum.
    pub oneof: Option<proc_macro2::Span>,
    pub doc: String,
}

/// The whole message as written.
pub struct RawMessage {
    pub args: MessageArgs,
    pub fields: Vec<RawField>,
}

pub fn parse_args(attr: TokenStream, errors: &mut Errors, what: &str) -> MessageArgs {
    let mut args = MessageArgs::default();
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
        } else if meta.path.is_ident(symbol::RESERVED) && what == "message" {
            let value = meta.value()?;
            let content;
            syn::bracketed!(content in value);
            let tags = content.parse_terminated(syn::LitInt::parse, syn::Token![,])?;
            args.reserved.extend(tags);
        } else {
            let extra = if what == "message" { ", `reserved = [..]`" } else { "" };
            return Err(meta.error(format!(
                "unknown #[bia::{what}] argument; expected `package = \"..\"`, `name = \"..\"`{extra} or `crate = \"..\"`"
            )));
        }
        Ok(())
    });
    errors.ok(syn::parse::Parser::parse2(parser, attr));
    args
}

pub fn parse(attr: TokenStream, item: &syn::ItemStruct, errors: &mut Errors) -> RawMessage {
    let args = parse_args(attr, errors, "message");
    let mut fields = Vec::new();
    let named = match &item.fields {
        syn::Fields::Named(n) => n.named.iter().collect::<Vec<_>>(),
        syn::Fields::Unit => Vec::new(),
        syn::Fields::Unnamed(u) => {
            errors.error(u, "a #[bia::message] struct needs named fields (`pub id: String`), not a tuple struct");
            Vec::new()
        }
    };
    for f in named {
        let mut raw = RawField {
            ident: f.ident.clone().expect("named field"),
            ty: f.ty.clone(),
            tag: None,
            json_name: None,
            encoding: None,
            oneof: None,
            doc: docs(&f.attrs),
        };
        for attr in f.attrs.iter().filter(|a| a.path().is_ident(symbol::FIELD)) {
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(symbol::TAG) {
                    if raw.tag.is_some() {
                        return Err(meta.error("`tag` is given twice; keep one"));
                    }
                    raw.tag = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident(symbol::JSON_NAME) {
                    let name = lit_str(&meta)?;
                    if name.value().is_empty() || name.value().contains(|c: char| c.is_whitespace() || c == '"') {
                        return Err(syn::Error::new(name.span(), "a JSON name is a non-empty word, like `userId`"));
                    }
                    raw.json_name = Some(name);
                } else if meta.path.is_ident(symbol::ONEOF) {
                    raw.oneof = Some(meta.path.get_ident().expect("ident").span());
                } else if let Some(ident) = meta.path.get_ident().filter(|i| {
                    symbol::ENCODINGS.iter().any(|(n, _, _)| i == n)
                }) {
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
            if let Err(e) = res {
                errors.push(syn::Error::new(e.span(), e.to_string()));
            }
        }
        fields.push(raw);
    }
    RawMessage { args, fields }
}
