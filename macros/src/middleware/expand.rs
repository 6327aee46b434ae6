//! Middleware model -> tokens: the `impl Middleware`, with the argument and
//! return types checked at the user's own tokens.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::model::{span_of, Middleware, Signature};
use super::MiddlewareItem;
use crate::symbol;

/// The call of the user's function and the boxing of its future; every check
/// is spanned at the user's token it is about.
fn body(
    krate: &syn::Path,
    callee: TokenStream,
    receiver: Option<TokenStream>,
    sig: &Signature,
    send_span: proc_macro2::Span,
) -> TokenStream {
    let receiver = receiver.map(|r| quote!(#r,));
    let [a, b, c] = &sig.args;
    let ctx = quote_spanned!(span_of(a)=> __ctx);
    let req = quote_spanned!(span_of(b)=> __req);
    let next = quote_spanned!(span_of(c)=> __next);
    let out = &sig.output;
    let check = quote_spanned! {span_of(out)=>
        let __reply: #krate::Result<#krate::middleware::AnyMessage> = __fut.await;
    };
    let boxed = quote_spanned! {send_span=>
        ::std::boxed::Box::pin(async move {
            #check
            __reply
        })
    };
    quote! {
        let __fut = #callee(#receiver #ctx, #req, #next);
        #boxed
    }
}

fn handle_fn(krate: &syn::Path, inner: TokenStream) -> TokenStream {
    quote! {
        fn handle<'__bia>(
            &'__bia self,
            __ctx: &'__bia mut #krate::context::Context,
            __req: #krate::middleware::AnyMessage,
            __next: #krate::middleware::Next<'__bia>,
        ) -> #krate::middleware::BoxFuture<'__bia, #krate::Result<#krate::middleware::AnyMessage>> {
            #inner
        }
    }
}

/// The middleware of either form.
pub fn expand(m: &Middleware, item: &MiddlewareItem) -> TokenStream {
    match item {
        MiddlewareItem::Fn(f) => expand_fn(m, f),
        MiddlewareItem::Impl(i) => expand_impl(m, i),
    }
}

/// A free `async fn`: a function of the same name, without arguments, that
/// returns the middleware (`.middleware(audit())`, like Kratos'
/// `logging.Server()`). Not a unit struct: a lower-case unit struct would
/// turn every `let audit = ...` in the module into a pattern match.
fn expand_fn(m: &Middleware, f: &syn::ItemFn) -> TokenStream {
    let (krate, sig) = (&m.krate, &m.sig);
    let name = &f.sig.ident;
    let vis = &f.vis;
    let docs: Vec<&syn::Attribute> = f.attrs.iter().filter(|a| a.path().is_ident(symbol::DOC)).collect();
    let mut inner = f.clone();
    inner.vis = syn::Visibility::Inherited;
    inner.attrs.retain(|a| !a.path().is_ident(symbol::DOC));
    let call = body(krate, quote!(#name), None, sig, name.span());
    let handle = handle_fn(krate, quote! { #inner #call });
    let label = name.to_string();
    quote! {
        #(#docs)*
        #vis fn #name() -> impl #krate::middleware::Middleware + ::core::marker::Copy + ::core::fmt::Debug {
            #[derive(::core::clone::Clone, ::core::marker::Copy)]
            struct __BiaMiddleware;

            impl ::core::fmt::Debug for __BiaMiddleware {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#label)
                }
            }

            impl #krate::middleware::Middleware for __BiaMiddleware {
                #handle
            }

            __BiaMiddleware
        }
    }
}

/// An `impl` block: the block as written, and `impl Middleware` calling its
/// `handle`.
fn expand_impl(m: &Middleware, i: &syn::ItemImpl) -> TokenStream {
    let (krate, sig) = (&m.krate, &m.sig);
    let self_ty = &i.self_ty;
    let (impl_generics, _, where_clause) = i.generics.split_for_impl();
    let handle_span = i
        .items
        .iter()
        .find_map(|it| match it {
            syn::ImplItem::Fn(f) if f.sig.ident == symbol::HANDLE => Some(f.sig.ident.span()),
            _ => None,
        })
        .unwrap_or_else(proc_macro2::Span::call_site);
    let call = body(krate, quote!(Self::handle), Some(quote!(self)), sig, handle_span);
    let handle = handle_fn(krate, call);
    quote! {
        #i

        impl #impl_generics #krate::middleware::Middleware for #self_ty #where_clause {
            #handle
        }
    }
}
