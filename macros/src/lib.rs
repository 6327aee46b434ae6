//! Procedural macros of Bia. Use them through the `bia` crate
//! (`#[bia::service]`, `#[bia::message]`, ...), which documents them.
//!
//! Every macro runs the same pipeline (`driver.rs`): each family (one folder
//! per macro) parses its attribute into raw values (`parse`), checks them
//! into a model with every error spanned at the user's token (`model`), and
//! turns the model into tokens (`expand*`). This file only hands each entry
//! point to the driver and appends the errors it returns.

mod case;
mod common;
mod driver;
mod enumeration;
mod error_store;
mod errors;
mod message;
mod middleware;
mod oneof;
mod provider;
mod service;
mod symbol;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// See `bia::message`.
#[proc_macro_attribute]
pub fn message(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(&message::MACRO, attr, item)
}

/// See `bia::enumeration`.
#[proc_macro_attribute]
pub fn enumeration(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(&enumeration::MACRO, attr, item)
}

/// See `bia::oneof`.
#[proc_macro_attribute]
pub fn oneof(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(&oneof::MACRO, attr, item)
}

/// See `bia::service`.
#[proc_macro_attribute]
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(&service::MACRO, attr, item)
}

/// See `bia::middleware::middleware`.
#[proc_macro_attribute]
pub fn middleware(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(&middleware::MACRO, attr, item)
}

/// See `bia::provider`.
#[proc_macro_attribute]
pub fn provider(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(&provider::MACRO, attr, item)
}

/// See `bia::errors`.
#[proc_macro_attribute]
pub fn errors(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(&errors::MACRO, attr, item)
}

/// `#[rpc]` only means something inside a `#[bia::service]` trait, which
/// removes it; anywhere else this reports the misuse.
#[proc_macro_attribute]
pub fn rpc(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let misuse = syn::Error::new(proc_macro2::Span::call_site(), service::RPC_OUTSIDE_A_SERVICE);
    output(item.into(), vec![misuse]).into()
}

fn run<I: driver::ItemKind, R, M>(
    family: &driver::Family<I, R, M>,
    attr: TokenStream,
    item: TokenStream,
) -> TokenStream {
    let (tokens, errors) = family.run(attr.into(), item.into());
    output(tokens, errors).into()
}

/// The tokens, then each error as a `compile_error!` spanned at its token.
fn output(mut tokens: proc_macro2::TokenStream, errors: Vec<syn::Error>) -> proc_macro2::TokenStream {
    tokens.extend(errors.iter().map(syn::Error::to_compile_error));
    tokens
}
