//! Procedural macros of Bia. Use them through the `bia` crate
//! (`#[bia::service]`, `#[bia::message]`, ...), which documents them.
//!
//! Each macro family lives in its own folder and is split the same way:
//! `parse` (syntax -> raw attributes), `model` (checked model, every error
//! spanned at the user's token) and `expand*` (model -> tokens).

mod case;
mod common;
mod error_store;
mod errors;
mod message;
mod middleware;
mod provider;
mod service;
mod symbol;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// See `bia::message`.
#[proc_macro_attribute]
pub fn message(attr: TokenStream, item: TokenStream) -> TokenStream {
    message::message(attr.into(), item.into()).into()
}

/// See `bia::enumeration`.
#[proc_macro_attribute]
pub fn enumeration(attr: TokenStream, item: TokenStream) -> TokenStream {
    message::enumeration::enumeration(attr.into(), item.into()).into()
}

/// See `bia::oneof`.
#[proc_macro_attribute]
pub fn oneof(attr: TokenStream, item: TokenStream) -> TokenStream {
    message::oneof::oneof(attr.into(), item.into()).into()
}

/// See `bia::service`.
#[proc_macro_attribute]
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    service::service(attr.into(), item.into()).into()
}

/// See `bia::middleware::middleware`.
#[proc_macro_attribute]
pub fn middleware(attr: TokenStream, item: TokenStream) -> TokenStream {
    middleware::middleware(attr.into(), item.into()).into()
}

/// See `bia::provider`.
#[proc_macro_attribute]
pub fn provider(attr: TokenStream, item: TokenStream) -> TokenStream {
    provider::provider(attr.into(), item.into()).into()
}

/// See `bia::errors`.
#[proc_macro_attribute]
pub fn errors(attr: TokenStream, item: TokenStream) -> TokenStream {
    errors::errors(attr.into(), item.into()).into()
}

/// `#[rpc]` only means something inside a `#[bia::service]` trait, which
/// removes it; anywhere else this reports the misuse.
#[proc_macro_attribute]
pub fn rpc(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut out: proc_macro2::TokenStream = item.into();
    out.extend(
        syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[rpc] only works on a method of a trait annotated with #[bia::service]; add #[bia::service(package = \"..\")] to the trait",
        )
        .to_compile_error(),
    );
    out.into()
}
