//! Checks of a `#[bia::provider]` function and its `bind`; every error is
//! spanned at the user's token and says what to write instead.

use super::parse::RawProvider;
use crate::common::model::{crate_path, fn_qualifiers, is_generic, FnRules};
use crate::error_store::ErrorSink;

const RETURNS: &str =
    "a provider returns what it provides: `X`, `Arc<X>`, `Result<X, E>`, `(X, Cleanup)` or `Result<(X, Cleanup), E>`";

/// How an input is taken.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum By {
    Ref,
    Arc,
    Value,
}

/// One input.
pub struct Param {
    /// The type provided (`A` of `&A`, `Arc<A>` or `A`).
    pub ty: syn::Type,
    pub by: By,
    /// `dyn Trait`: read as a shared `Arc`.
    pub unsized_: bool,
    pub name: String,
}

/// The checked provider.
pub struct Provider {
    pub krate: syn::Path,
    pub is_async: bool,
    pub params: Vec<Param>,
    /// `Result<..>`.
    pub fallible: bool,
    /// `(X, Cleanup)`.
    pub cleanup: bool,
    /// What the function returns as the value (`X`, or `Y` of `Arc<Y>`).
    pub value: syn::Type,
    /// The value is written `Arc<Y>`.
    pub arc: bool,
    /// `bind = dyn Trait`.
    pub bind: Option<syn::Type>,
}

impl Provider {
    /// The type consumers ask for.
    pub fn output(&self) -> &syn::Type {
        self.bind.as_ref().unwrap_or(&self.value)
    }
}

const QUALIFIERS: FnRules = FnRules {
    constness: "a provider cannot be `const`; drop `const` (the injector calls it at startup)",
    unsafety: "a provider cannot be `unsafe`: the injector has no way to uphold its contract; wrap the unsafe call in a safe function",
    variadic: "a provider takes no variadic arguments",
};

/// The last segment of a path type, if the type is a plain path.
fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The first type argument of `Name<T, ..>` when the last segment is `name`.
fn generic_arg<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
    let seg = last_segment(ty)?;
    if seg.ident != name {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

fn is_dyn(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::TraitObject(_) => true,
        syn::Type::Paren(p) => is_dyn(&p.elem),
        syn::Type::Group(g) => is_dyn(&g.elem),
        _ => false,
    }
}

/// A type that can be provided; the error says why not.
fn providable(ty: &syn::Type, what: &str, errors: &ErrorSink<'_>) -> bool {
    let why = match ty {
        syn::Type::ImplTrait(_) => {
            "`impl Trait` has no name the injector can look up; use the concrete type, or `Arc<dyn Trait>` with `bind`"
        }
        syn::Type::Infer(_) => "`_` is not a type the injector can look up; write the type",
        syn::Type::Never(_) => "`!` cannot be provided",
        syn::Type::Ptr(_) => "raw pointers cannot be provided; wrap the value in a type",
        syn::Type::Tuple(t) if t.elems.is_empty() => "`()` is nothing to provide",
        syn::Type::Tuple(_) => "a provider provides one type: return a struct (or `(X, Cleanup)`)",
        syn::Type::Reference(_) => "a reference cannot be provided (values are shared as `Arc`); return the value",
        syn::Type::TraitObject(_) => {
            "a bare trait object cannot be provided; return `Arc<dyn Trait>`, or the type with `bind = dyn Trait`"
        }
        _ => return true,
    };
    errors.error(ty, format!("{what}: {why}"));
    false
}

fn check_param(arg: &syn::FnArg, errors: &ErrorSink<'_>) -> Option<Param> {
    let t = match arg {
        syn::FnArg::Receiver(r) => {
            errors.error(r, "a provider is a free function, not a method: move it out of the `impl` block and take what it needs as parameters (`fn new_x(dep: &Dep) -> X`)");
            return None;
        }
        syn::FnArg::Typed(t) => t,
    };
    let name = match &*t.pat {
        syn::Pat::Ident(i) => i.ident.to_string(),
        _ => "_".to_owned(),
    };
    let (ty, by) = match &*t.ty {
        syn::Type::Reference(r) if r.mutability.is_some() => {
            errors.error(
                r,
                "a provider cannot take `&mut`: its inputs are shared singletons; take `&T` or `Arc<T>` (with a `Mutex` inside for state)",
            );
            return None;
        }
        syn::Type::Reference(r) => ((*r.elem).clone(), By::Ref),
        other => match generic_arg(other, "Arc") {
            Some(inner) => (inner.clone(), By::Arc),
            None => (other.clone(), By::Value),
        },
    };
    let unsized_ = is_dyn(&ty);
    if !unsized_ && !providable(&ty, "this input cannot be injected", errors) {
        return None;
    }
    Some(Param { ty, by, unsized_, name })
}

/// Checks the function and reads its inputs and output.
pub fn check(raw: RawProvider, f: &syn::ItemFn, errors: &ErrorSink<'_>) -> Option<Provider> {
    let krate = crate_path(raw.krate.as_ref(), errors);
    let bind = match raw.bind {
        Some(ty @ syn::Type::TraitObject(_)) => Some(ty),
        Some(other) => {
            errors.error(
                other,
                "`bind` takes a trait object, like `bind = dyn UserRepo`: consumers then ask for `Arc<dyn UserRepo>`",
            );
            None
        }
        None => None,
    };
    let sig = &f.sig;
    let has_self = sig.inputs.iter().any(|a| matches!(a, syn::FnArg::Receiver(_)));
    if !has_self && in_impl_or_trait(&sig.ident) {
        let name = &sig.ident;
        errors.error(
            name,
            format!("a provider is a free function, not an associated function: move `{name}` out of the `impl` block (`fn new_x(dep: &Dep) -> X` beside the type, calling `X::{name}` if you like)"),
        );
        return None;
    }
    fn_qualifiers(sig, &QUALIFIERS, errors);
    if is_generic(&sig.generics) {
        let span_of: &dyn quote::ToTokens =
            if sig.generics.params.is_empty() { &sig.generics.where_clause } else { &sig.generics };
        errors.error(
            span_of,
            "a provider cannot be generic: the injector builds one value of each exact type; write a provider for each concrete type (a generic helper it calls is fine)",
        );
    }
    let params: Vec<Param> = sig.inputs.iter().filter_map(|a| check_param(a, errors)).collect();
    let ret = match &sig.output {
        syn::ReturnType::Default => {
            errors.error_at(sig.paren_token.span.close(), format!("{RETURNS}; add `-> X`"));
            return None;
        }
        syn::ReturnType::Type(_, ty) => &**ty,
    };
    let (fallible, inner) = match generic_arg(ret, "Result") {
        Some(inner) => (true, inner),
        None => (false, ret),
    };
    let (cleanup, value) = match inner {
        syn::Type::Tuple(t)
            if t.elems.len() == 2 && last_segment(&t.elems[1]).is_some_and(|s| s.ident == "Cleanup") =>
        {
            (true, &t.elems[0])
        }
        other => (false, other),
    };
    let (arc, value) = match generic_arg(value, "Arc") {
        Some(inner) => (true, inner),
        None => (false, value),
    };
    let shared_dyn = arc && is_dyn(value);
    if !(shared_dyn || providable(value, &format!("unsupported return type ({RETURNS})"), errors)) {
        return None;
    }
    if bind.is_none() && is_dyn(value) && !arc {
        errors.error(value, "a bare trait object cannot be provided; return `Arc<dyn Trait>`");
    }
    if let (Some(bind), true) = (&bind, shared_dyn) {
        errors.error(bind, "this provider already returns a trait object; drop `bind`, or return the concrete type");
    }
    Some(Provider {
        krate,
        is_async: sig.asyncness.is_some(),
        params,
        fallible,
        cleanup,
        value: value.clone(),
        arc,
        bind,
    })
}

/// Whether the function named `name` under this attribute is an associated
/// function (in an `impl` or `trait` block), which an attribute macro is not
/// told: it reads the file the attribute is in and looks for a provider of
/// that name inside an `impl` or `trait`. (Outside a compiler run, or when
/// the file cannot be read or parsed, it says no, and the function is taken
/// as a free one.)
fn in_impl_or_trait(name: &syn::Ident) -> bool {
    use syn::visit::Visit;

    struct Find<'a> {
        name: &'a syn::Ident,
        found: bool,
    }
    fn is_provider(attrs: &[syn::Attribute]) -> bool {
        attrs.iter().any(|a| a.path().segments.last().is_some_and(|s| s.ident == "provider"))
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            self.found |= f.sig.ident == *self.name && is_provider(&f.attrs);
            syn::visit::visit_impl_item_fn(self, f);
        }
        fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
            self.found |= f.sig.ident == *self.name && is_provider(&f.attrs);
            syn::visit::visit_trait_item_fn(self, f);
        }
    }

    if !proc_macro::is_available() {
        return false;
    }
    let Some(path) = proc_macro::Span::call_site().local_file() else { return false };
    let Ok(text) = std::fs::read_to_string(path) else { return false };
    let Ok(file) = syn::parse_file(&text) else { return false };
    let mut find = Find { name, found: false };
    find.visit_file(&file);
    find.found
}
