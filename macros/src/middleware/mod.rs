//! `#[bia::middleware]`: an `async fn(ctx, req, next)` becomes a function
//! returning a `bia::middleware::Middleware`; on an `impl` block, its
//! `async fn handle(&self, ctx, req, next)` implements it for the type (whose
//! fields carry configuration).

mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::driver::{Family, ItemKind};
use crate::error_store::ErrorSink;

/// `#[bia::middleware]` in the driver.
pub struct MiddlewareMacro;

/// The two items the attribute goes on.
pub enum MiddlewareItem {
    Fn(syn::ItemFn),
    Impl(syn::ItemImpl),
}

impl ItemKind for MiddlewareItem {
    fn select(item: syn::Item) -> Option<Self> {
        match item {
            syn::Item::Fn(f) => Some(MiddlewareItem::Fn(f)),
            syn::Item::Impl(i) => Some(MiddlewareItem::Impl(i)),
            _ => None,
        }
    }
}

impl ToTokens for MiddlewareItem {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            MiddlewareItem::Fn(f) => f.to_tokens(tokens),
            MiddlewareItem::Impl(i) => i.to_tokens(tokens),
        }
    }
}

impl Family for MiddlewareMacro {
    type Item = MiddlewareItem;
    type Raw = parse::RawMiddleware;
    type Model = model::Middleware;
    const WHERE: &'static str = "#[bia::middleware] goes on an `async fn(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage>`, or on an `impl` block with such an `async fn handle(&self, ...)`";

    fn parse(attr: TokenStream, _: &MiddlewareItem, errors: &ErrorSink<'_>) -> Self::Raw {
        parse::parse(attr, errors)
    }

    fn check(raw: Self::Raw, item: &MiddlewareItem, errors: &ErrorSink<'_>) -> Option<Self::Model> {
        model::check(raw, item, errors)
    }

    fn expand(model: &Self::Model, item: &MiddlewareItem) -> TokenStream {
        match item {
            MiddlewareItem::Fn(f) => expand::expand_fn(model, f),
            MiddlewareItem::Impl(i) => expand::expand_impl(model, i),
        }
    }
}
