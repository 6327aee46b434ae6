//! Pieces every macro family shares: the `crate = "..."` override, doc
//! comments, and the inert attributes a macro strips from the user's item.

/// The path generated code uses for the runtime crate: `::bia` unless the
/// user renamed it with `crate = "..."`.
pub fn crate_path(krate: Option<&syn::LitStr>, errors: &mut crate::error_store::Errors) -> syn::Path {
    match krate {
        Some(lit) => match lit.parse::<syn::Path>() {
            Ok(p) => p,
            Err(_) => {
                errors.error(lit, "`crate` must be a path, like `crate = \"::bia\"`");
                syn::parse_quote!(::bia)
            }
        },
        None => syn::parse_quote!(::bia),
    }
}

/// The text of the `///` doc comments in `attrs`.
pub fn docs(attrs: &[syn::Attribute]) -> String {
    let mut out = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident(crate::symbol::DOC) {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &nv.value {
                out.push(s.value());
            }
        }
    }
    out.join("\n")
}

/// Whether `path` is a valid proto package (`user.v1`) or empty.
pub fn valid_package(p: &str) -> bool {
    p.is_empty() || p.split('.').all(valid_proto_ident)
}

/// Whether `s` is a valid proto identifier.
pub fn valid_proto_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `key = "string"`.
pub fn lit_str(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<syn::LitStr> {
    meta.value()?.parse()
}

/// Parses the annotated item as `T`; when it is something else, returns the
/// item unchanged with `message` as a compile error, so nothing cascades.
pub fn parse_item<T: syn::parse::Parse>(
    item: proc_macro2::TokenStream,
    message: &str,
) -> Result<T, proc_macro2::TokenStream> {
    syn::parse2(item.clone()).map_err(|_| {
        let mut out = item;
        out.extend(syn::Error::new(proc_macro2::Span::call_site(), message).to_compile_error());
        out
    })
}
