//! Checks of a `#[bia::middleware]` item: the signature of the function (or
//! of the impl block's `handle`); every error is spanned at the user's token
//! and says what to write instead.

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::parse::RawMiddleware;
use super::MiddlewareItem;
use crate::common::model::{crate_path, fn_qualifiers, is_generic, FnRules};
use crate::error_store::ErrorSink;
use crate::symbol;

const SHAPE: &str = "`ctx: &mut Context, req: AnyMessage, next: Next<'_>`";

/// The three arguments and the return type, as written (their spans carry
/// the type checks of the expansion).
pub struct Signature {
    pub args: [syn::Type; 3],
    pub output: syn::Type,
}

/// The checked middleware.
pub struct Middleware {
    pub krate: syn::Path,
    pub sig: Signature,
}

pub fn check(raw: RawMiddleware, item: &MiddlewareItem, errors: &ErrorSink<'_>) -> Option<Middleware> {
    let krate = crate_path(raw.krate.as_ref(), errors);
    let sig = match item {
        MiddlewareItem::Fn(f) => check_sig(&f.sig, false, errors),
        MiddlewareItem::Impl(i) => check_impl(i, errors),
    }?;
    Some(Middleware { krate, sig })
}

const QUALIFIERS: FnRules = FnRules {
    constness: "a middleware cannot be `const`",
    unsafety: "a middleware cannot be `unsafe`",
    variadic: "a middleware takes no variadic arguments",
};

fn check_sig(sig: &syn::Signature, method: bool, errors: &ErrorSink<'_>) -> Option<Signature> {
    // The signature's own sink: whether it failed decides if there is a model.
    let errors = &errors.child();
    if sig.asyncness.is_none() {
        let what = if method { "`handle`" } else { "a middleware fn" };
        errors.error(sig.fn_token, format!("{what} must be `async`: write `async fn`"));
    }
    fn_qualifiers(sig, &QUALIFIERS, errors);
    if is_generic(&sig.generics) {
        let fix = if method {
            "put generic parameters on the type of the `impl` block"
        } else {
            "put configuration in a struct and use #[bia::middleware] on its `impl` block"
        };
        errors.error(&sig.generics, format!("a middleware takes no generic parameters; {fix}"));
    }
    let mut inputs = sig.inputs.iter();
    if method {
        match inputs.next() {
            Some(syn::FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
            Some(syn::FnArg::Receiver(r)) => errors.error(
                r,
                "`handle` takes `&self` (middleware are shared between calls); use a `Mutex` or atomics for state",
            ),
            _ => errors.error_at(sig.ident.span(), format!("`handle` takes `&self` first, then {SHAPE}")),
        }
    } else if let Some(syn::FnArg::Receiver(r)) = sig.inputs.first() {
        errors.error(r, "a middleware fn takes no `self`; to carry configuration, use #[bia::middleware] on an `impl` block with `async fn handle(&self, ...)`");
        inputs.next();
    }
    let rest: Vec<&syn::PatType> = inputs
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(t),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    if rest.len() != 3 {
        let span = if rest.is_empty() { sig.paren_token.span.join() } else { sig.inputs.span() };
        errors.error_at(span, format!("a middleware takes three arguments, {SHAPE}; found {}", rest.len()));
    }
    let output = match &sig.output {
        syn::ReturnType::Type(_, ty) => Some((**ty).clone()),
        syn::ReturnType::Default => {
            errors.error_at(
                sig.paren_token.span.close(),
                "a middleware returns `bia::Result<AnyMessage>`: add `-> bia::Result<AnyMessage>`",
            );
            None
        }
    };
    if errors.has_errors() || rest.len() != 3 {
        return None;
    }
    Some(Signature { args: [(*rest[0].ty).clone(), (*rest[1].ty).clone(), (*rest[2].ty).clone()], output: output? })
}

/// Checks an `impl` block middleware; returns the signature of `handle`.
fn check_impl(i: &syn::ItemImpl, errors: &ErrorSink<'_>) -> Option<Signature> {
    if let Some((_, path, _)) = &i.trait_ {
        errors.error(
            path,
            "#[bia::middleware] goes on an inherent `impl` block (`impl MyMiddleware { async fn handle(&self, ...) }`), not on a trait impl",
        );
        return None;
    }
    let handle = i.items.iter().find_map(|it| match it {
        syn::ImplItem::Fn(f) if f.sig.ident == symbol::HANDLE => Some(f),
        _ => None,
    });
    match handle {
        Some(h) => check_sig(&h.sig, true, errors),
        None => {
            errors.error(
                &i.self_ty,
                format!(
                    "this `impl` block has no `handle`: add `async fn handle(&self, {}) -> bia::Result<AnyMessage>`",
                    &SHAPE[1..SHAPE.len() - 1]
                ),
            );
            None
        }
    }
}

/// The span of a type, for the checks spanned at it.
pub fn span_of(ty: &syn::Type) -> Span {
    ty.span()
}
