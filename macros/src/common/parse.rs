//! Attribute syntax several families read the same way.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parse as _;

use crate::error_store::ErrorSink;
use crate::symbol;

/// Parses `key = "string"`.
pub fn lit_str(meta: &ParseNestedMeta<'_>) -> syn::Result<syn::LitStr> {
    meta.value()?.parse()
}

/// Parses an attribute's argument list (`#[bia::x(a = .., b)]`) one argument
/// at a time; the first error stops the list and is recorded.
pub fn args(attr: TokenStream, errors: &ErrorSink<'_>, logic: impl FnMut(ParseNestedMeta<'_>) -> syn::Result<()>) {
    errors.ok(syn::parse::Parser::parse2(syn::meta::parser(logic), attr));
}

/// Parses the argument list of every `#[name(..)]` in `attrs`; an error
/// stops that attribute only.
pub fn each_attr(
    attrs: &[syn::Attribute],
    name: &str,
    errors: &ErrorSink<'_>,
    mut logic: impl FnMut(ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(name)) {
        errors.ok(attr.parse_nested_meta(&mut logic));
    }
}

/// Fills `slot`, unless a value is there already.
pub fn once<T>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta<'_>,
    what: &str,
    value: impl FnOnce(&ParseNestedMeta<'_>) -> syn::Result<T>,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("{what} is given twice; keep one")));
    }
    *slot = Some(value(meta)?);
    Ok(())
}

/// Whether the argument `meta` names stands alone (`#[rpc(idempotent)]`),
/// with no value or list after it.
pub fn is_flag(meta: &ParseNestedMeta<'_>) -> bool {
    meta.input.is_empty() || meta.input.peek(syn::Token![,])
}

/// `crate = "path"` when it is a macro's only argument; `unknown` is the
/// error for any other.
pub fn crate_only(attr: TokenStream, errors: &ErrorSink<'_>, unknown: &str) -> Option<syn::LitStr> {
    let mut krate = None;
    args(attr, errors, |meta| {
        if meta.path.is_ident(symbol::CRATE) {
            krate = Some(lit_str(&meta)?);
            Ok(())
        } else {
            Err(meta.error(unknown))
        }
    });
    krate
}

/// The arguments the proto macros share.
#[derive(Default)]
pub struct ProtoArgs {
    pub package: Option<syn::LitStr>,
    pub name: Option<syn::LitStr>,
    pub krate: Option<syn::LitStr>,
    /// `json = ".."` (services only).
    pub json: Option<syn::LitStr>,
    /// `reserved = [..]` (messages only).
    pub reserved: Vec<syn::LitInt>,
}

/// The argument a proto macro takes beyond `package`, `name` and `crate`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ProtoExtra {
    None,
    Reserved,
    Json,
}

/// Parses `#[bia::<what>(package = "..", name = "..", crate = "..")]` and the
/// one `extra` argument the macro also takes.
pub fn proto_args(attr: TokenStream, errors: &ErrorSink<'_>, what: &str, extra: ProtoExtra) -> ProtoArgs {
    let mut out = ProtoArgs::default();
    let twice = "this argument";
    args(attr, errors, |meta| {
        if meta.path.is_ident(symbol::PACKAGE) {
            once(&mut out.package, &meta, twice, lit_str)
        } else if meta.path.is_ident(symbol::NAME) {
            once(&mut out.name, &meta, twice, lit_str)
        } else if meta.path.is_ident(symbol::CRATE) {
            once(&mut out.krate, &meta, twice, lit_str)
        } else if meta.path.is_ident(symbol::JSON) && extra == ProtoExtra::Json {
            once(&mut out.json, &meta, twice, lit_str)
        } else if meta.path.is_ident(symbol::RESERVED) && extra == ProtoExtra::Reserved {
            let value = meta.value()?;
            let content;
            syn::bracketed!(content in value);
            out.reserved.extend(content.parse_terminated(syn::LitInt::parse, syn::Token![,])?);
            Ok(())
        } else {
            let extra = match extra {
                ProtoExtra::None => "",
                ProtoExtra::Reserved => ", `reserved = [..]`",
                ProtoExtra::Json => ", `json = \"snake_case\"`",
            };
            Err(meta.error(format!(
                "unknown #[bia::{what}] argument; expected `package = \"..\"`, `name = \"..\"`{extra} or `crate = \"..\"`"
            )))
        }
    });
    out
}

/// The text of the `///` doc comments in `attrs`.
pub fn docs(attrs: &[syn::Attribute]) -> String {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident(symbol::DOC)) {
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &nv.value {
                out.push(s.value());
            }
        }
    }
    out.join("\n")
}

/// The names of the traits `#[derive(..)]`d in `attrs` (last path segment).
pub fn derived(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut have = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident(symbol::DERIVE)) {
        // A derive list rustc accepts always parses; one it rejects is
        // rustc's to report.
        let _ = attr.parse_nested_meta(|meta| {
            if let Some(last) = meta.path.segments.last() {
                have.push(last.ident.to_string());
            }
            Ok(())
        });
    }
    have
}
