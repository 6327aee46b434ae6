//! `#[bia::middleware]`: an `async fn(ctx, req, next)` becomes a function
//! returning a `bia::middleware::Middleware`; on an `impl` block, its
//! `async fn handle(&self, ctx, req, next)` implements it for the type (whose
//! fields carry configuration).

mod expand;
mod model;
mod parse;

use crate::driver::{Family, ItemKind};

/// `#[bia::middleware]` as the driver runs it.
pub const MACRO: Family<MiddlewareItem, parse::RawMiddleware, model::Middleware> = Family {
    goes_on: "#[bia::middleware] goes on an `async fn(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage>`, or on an `impl` block with such an `async fn handle(&self, ...)`",
    inert: &[],
    parse: parse::parse,
    check: model::check,
    expand: expand::expand,
};

/// The two items the attribute goes on.
#[derive(Clone)]
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

impl From<MiddlewareItem> for syn::Item {
    fn from(item: MiddlewareItem) -> Self {
        match item {
            MiddlewareItem::Fn(f) => syn::Item::Fn(f),
            MiddlewareItem::Impl(i) => syn::Item::Impl(i),
        }
    }
}
