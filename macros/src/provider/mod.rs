//! `#[bia::provider]`: a constructor becomes a registered provider. It
//! implements `bia::wire::ProvidedBy<marker>` for its output (so the
//! compiler can check its consumers), checks its own inputs, and submits a
//! registry entry with a build function to `inventory`.

mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::driver::Family;
use crate::error_store::ErrorSink;

/// `#[bia::provider]` in the driver.
pub struct ProviderMacro;

impl Family for ProviderMacro {
    type Item = syn::ItemFn;
    type Raw = parse::RawProvider;
    type Model = model::Provider;
    const WHERE: &'static str = "#[bia::provider] goes on a constructor function: `[async] fn new_x(a: &A, b: Arc<B>) -> X` (or `Result<X, E>`, `(X, Cleanup)`, `Result<(X, Cleanup), E>`)";

    fn parse(attr: TokenStream, _: &syn::ItemFn, errors: &ErrorSink<'_>) -> Self::Raw {
        parse::parse(attr, errors)
    }

    fn check(raw: Self::Raw, item: &syn::ItemFn, errors: &ErrorSink<'_>) -> Option<Self::Model> {
        model::check(raw, item, errors)
    }

    fn expand(model: &Self::Model, item: &syn::ItemFn) -> TokenStream {
        expand::expand(item, model)
    }
}
