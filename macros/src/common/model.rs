//! Checks several families make the same way, each error spanned at the
//! user's token.

use std::ops::RangeInclusive;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;

use super::parse::ProtoArgs;
use crate::error_store::ErrorSink;
use crate::symbol;

/// The path generated code uses for the runtime crate: `::bia` unless the
/// user renamed it with `crate = "..."`.
pub fn crate_path(krate: Option<&syn::LitStr>, errors: &ErrorSink<'_>) -> syn::Path {
    match krate.map(|lit| (lit, lit.parse::<syn::Path>())) {
        Some((_, Ok(path))) => path,
        Some((lit, Err(_))) => {
            errors.error(lit, "`crate` must be a path, like `crate = \"::bia\"`");
            syn::parse_quote!(::bia)
        }
        None => syn::parse_quote!(::bia),
    }
}

/// Whether `p` is a valid proto package (`user.v1`) or empty.
pub fn valid_package(p: &str) -> bool {
    p.is_empty() || p.split('.').all(valid_proto_ident)
}

/// Whether `s` is a valid proto identifier.
pub fn valid_proto_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What names a proto item (message, enum, service) and reaches the runtime.
pub struct ProtoNames {
    pub krate: syn::Path,
    /// Empty without `package = ".."`.
    pub package: String,
    /// `name = ".."`, or the Rust item's name.
    pub name: String,
    /// `package.Name`, or `Name` without a package.
    pub full_name: String,
}

impl ProtoNames {
    /// Checks the `crate`, `package` and `name` arguments of the item named
    /// `ident`; `what` and `example` complete the error of an invalid name:
    /// "invalid proto {what} name; use an identifier like `{example}`".
    pub fn check(args: &ProtoArgs, ident: &syn::Ident, what: &str, example: &str, errors: &ErrorSink<'_>) -> Self {
        let krate = crate_path(args.krate.as_ref(), errors);
        let package = args.package.as_ref().map(syn::LitStr::value).unwrap_or_default();
        if let Some(lit) = args.package.as_ref().filter(|_| !valid_package(&package)) {
            errors.error(lit, "invalid proto package; use dotted identifiers like `user.v1`");
        }
        let name = match &args.name {
            Some(n) => {
                if !valid_proto_ident(&n.value()) {
                    errors.error(n, format!("invalid proto {what} name; use an identifier like `{example}`"));
                }
                n.value()
            }
            None => crate::case::unraw(ident),
        };
        let full_name = if package.is_empty() { name.clone() } else { format!("{package}.{name}") };
        ProtoNames { krate, package, name, full_name }
    }
}

/// The largest field tag protobuf allows.
pub const MAX_TAG: u32 = (1 << 29) - 1;

/// Tags protobuf keeps for its own implementation.
const PROTOBUF_RESERVED: RangeInclusive<u32> = 19000..=19999;

/// The tag `lit` names, if a field may have it.
pub fn field_tag(lit: &syn::LitInt) -> Option<u32> {
    lit.base10_parse::<u32>().ok().filter(|t| (1..=MAX_TAG).contains(t) && !PROTOBUF_RESERVED.contains(t))
}

/// The first tag from `next` on that is neither taken nor kept by protobuf.
pub fn free_tag(mut next: u32, taken: impl Fn(u32) -> bool) -> u32 {
    while taken(next) || PROTOBUF_RESERVED.contains(&next) {
        next += 1;
    }
    next
}

/// `(name, Rust type, runtime codec)` of an encoding the parser accepted.
pub fn encoding(enc: &syn::Ident) -> (&'static str, &'static str, &'static str) {
    *symbol::ENCODINGS.iter().find(|(n, _, _)| enc == n).expect("the parser accepts only known encodings")
}

/// The codec of a value: the one its encoding names, or its type's own.
pub fn codec(krate: &syn::Path, encoding: Option<&syn::Ident>, ty: &syn::Type) -> TokenStream {
    match encoding {
        Some(enc) => {
            let codec = syn::Ident::new(self::encoding(enc).2, enc.span());
            quote!(#krate::__private::codec::#codec)
        }
        None => quote_spanned!(ty.span()=> <#ty as #krate::__private::ProtoType>::Codec),
    }
}

/// What a family says of the qualifiers a plain function may not have.
pub struct FnRules {
    pub constness: &'static str,
    pub unsafety: &'static str,
    pub variadic: &'static str,
}

/// Reports `const`, `unsafe` and variadic arguments on `sig`.
pub fn fn_qualifiers(sig: &syn::Signature, rules: &FnRules, errors: &ErrorSink<'_>) {
    if let Some(c) = &sig.constness {
        errors.error(c, rules.constness);
    }
    if let Some(u) = &sig.unsafety {
        errors.error(u, rules.unsafety);
    }
    if let Some(v) = &sig.variadic {
        errors.error(v, rules.variadic);
    }
}

/// Whether a function or type has generic parameters or a `where` clause.
pub fn is_generic(generics: &syn::Generics) -> bool {
    !generics.params.is_empty() || generics.where_clause.is_some()
}
