//! Syntax -> the raw argument of `#[bia::middleware(crate = "..")]`, its only
//! one.

use proc_macro2::TokenStream;

use super::MiddlewareItem;
use crate::common::parse::crate_only;
use crate::error_store::ErrorSink;

pub struct RawMiddleware {
    pub krate: Option<syn::LitStr>,
}

pub fn parse(attr: TokenStream, _: &MiddlewareItem, errors: &ErrorSink<'_>) -> RawMiddleware {
    let unknown = "unknown #[bia::middleware] argument; the only one is `crate = \"path\"`";
    RawMiddleware { krate: crate_only(attr, errors, unknown) }
}
