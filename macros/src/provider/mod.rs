//! `#[bia::provider]`: a constructor becomes a registered provider. It
//! implements `bia::wire::ProvidedBy<marker>` for its output (so the
//! compiler can check its consumers), checks its own inputs, and submits a
//! registry entry with a build function to `inventory`.

mod expand;
mod model;
mod parse;

use crate::driver::Family;

/// `#[bia::provider]` as the driver runs it.
pub const MACRO: Family<syn::ItemFn, parse::RawProvider, model::Provider> = Family {
    goes_on: "#[bia::provider] goes on a constructor function: `[async] fn new_x(a: &A, b: Arc<B>) -> X` (or `Result<X, E>`, `(X, Cleanup)`, `Result<(X, Cleanup), E>`)",
    inert: &[],
    parse: parse::parse,
    check: model::check,
    expand: expand::expand,
};
