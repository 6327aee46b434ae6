//! The trait as users implement it, its object-safe twin, and operation names.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::model::Method;
use super::Generator;
use crate::case;

impl Generator<'_> {
    /// `fn name(&self, req: Req) -> impl Future<Output = Ret> + Send`: what an
    /// `async fn` in a plain impl block satisfies, with the `Send` that tonic
    /// and axum need.
    pub(super) fn method_sig(&self, m: &Method, with_pat: bool) -> TokenStream {
        let (ident, req, out) = (&m.ident, &m.req_param, &m.output);
        let pat = if with_pat {
            let p = &m.req_pat;
            quote!(#p)
        } else {
            quote!(req)
        };
        quote!(fn #ident(&self, #pat: #req) -> impl ::core::future::Future<Output = #out> + ::core::marker::Send)
    }

    pub(super) fn trait_def(&self) -> TokenStream {
        let item = &self.s.item;
        let (attrs, vis, ident, colon, supertraits) =
            (&item.attrs, &item.vis, &item.ident, &item.colon_token, &item.supertraits);
        let methods = self.s.methods.iter().map(|m| {
            let attrs = &m.attrs;
            let sig = self.method_sig(m, true);
            let op = &m.operation;
            let note = if m.idempotent {
                format!(" Operation `{op}` (idempotent: clients may retry it).")
            } else {
                format!(" Operation `{op}`.")
            };
            let sep = if m.doc.is_empty() { quote!() } else { quote!(#[doc = ""]) };
            match &m.default_body {
                Some(body) => quote! {
                    #(#attrs)*
                    #sep
                    #[doc = #note]
                    #sig { async move #body }
                },
                None => quote! {
                    #(#attrs)*
                    #sep
                    #[doc = #note]
                    #sig;
                },
            }
        });
        quote! {
            #(#attrs)*
            #vis trait #ident #colon #supertraits {
                #(#methods)*
            }
        }
    }

    pub(super) fn operations(&self) -> TokenStream {
        let (vis, op, t) = (&self.s.item.vis, &self.operation, self.trait_ident);
        let consts = self.s.methods.iter().map(|m| {
            let c = format_ident!("{}", case::screaming_snake(&case::unraw(&m.ident)), span = m.ident.span());
            let v = &m.operation;
            let doc = format!("`{v}`");
            quote!(#[doc = #doc] pub const #c: &'static str = #v;)
        });
        let all = self.s.methods.iter().map(|m| &m.operation);
        let idempotent = self.s.methods.iter().filter(|m| m.idempotent).map(|m| &m.operation);
        let service = &self.s.full_name;
        let doc = format!("Operation names of [`{t}`]: `/<package>.<Service>/<Method>`, the same on both transports, in logs, metrics and selectors.");
        quote! {
            #[doc = #doc]
            #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
            #vis struct #op;

            impl #op {
                /// The proto service name, `package.Service`.
                pub const SERVICE: &'static str = #service;
                #(#consts)*
                /// Every operation, in declaration order.
                pub const ALL: &'static [&'static str] = &[#(#all),*];
                /// The operations marked `#[rpc(idempotent)]`, in declaration order: sending one twice
                /// has the effect of sending it once, so a client may retry it. The client retry
                /// middleware takes this list (`bia::middleware::retry::Retry::new().idempotent(..)`);
                /// operations not listed are never retried. Empty when none is marked.
                pub const IDEMPOTENT: &'static [&'static str] = &[#(#idempotent),*];
            }
        }
    }

    pub(super) fn dyn_trait_def(&self) -> TokenStream {
        let (vis, d, t) = (&self.s.item.vis, &self.dyn_trait, self.trait_ident);
        let methods = self.s.methods.iter().map(|m| {
            let (ident, req, out) = (&m.ident, &m.req_param, boxed_streams(&m.output));
            quote! {
                #[doc = "See the method of the same name on the service trait."]
                fn #ident<'a>(&'a self, req: #req) -> ::core::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = #out> + ::core::marker::Send + 'a>>;
            }
        });
        let doc = format!(
            "Object-safe twin of [`{t}`]: every `T: {t}` is a `{d}`, and `Arc<dyn {d}>` implements `{t}`, so a local implementation, a remote client or a test double can stand behind one pointer. Only calls through the pointer box their future."
        );
        quote! {
            #[doc = #doc]
            #vis trait #d: ::core::marker::Send + ::core::marker::Sync + 'static {
                #(#methods)*
            }
        }
    }

    pub(super) fn dyn_impls(&self) -> TokenStream {
        let (d, t) = (&self.dyn_trait, self.trait_ident);
        let forward = self.s.methods.iter().map(|m| {
            let (ident, req, out) = (&m.ident, &m.req_param, boxed_streams(&m.output));
            let call = quote!(<__T as #t>::#ident(self, req));
            // A reply stream is boxed too, behind the same pointer.
            let call = match m.shape.server_streams() {
                false => call,
                true => quote! {
                    async move {
                        ::core::result::Result::map(#call.await, |__s| ::std::boxed::Box::pin(__s) as _)
                    }
                },
            };
            quote! {
                fn #ident<'a>(&'a self, req: #req) -> ::core::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = #out> + ::core::marker::Send + 'a>> {
                    ::std::boxed::Box::pin(#call)
                }
            }
        });
        let back = self.s.methods.iter().map(|m| {
            let sig = self.method_sig(m, false);
            let ident = &m.ident;
            quote!(#sig { <dyn #d as #d>::#ident(&**self, req) })
        });
        quote! {
            impl<__T: #t + ::core::marker::Send + ::core::marker::Sync + 'static> #d for __T {
                #(#forward)*
            }

            impl #t for ::std::sync::Arc<dyn #d> {
                #(#back)*
            }
        }
    }
}

/// A return type with its `impl Stream<..> + Send` made
/// `Pin<Box<dyn Stream<..> + Send + 'a>>`, for the object-safe twin.
fn boxed_streams(output: &syn::Type) -> syn::Type {
    struct Boxed;
    impl syn::visit_mut::VisitMut for Boxed {
        fn visit_type_mut(&mut self, ty: &mut syn::Type) {
            if let syn::Type::ImplTrait(i) = ty {
                let bounds = &i.bounds;
                *ty = syn::parse_quote!(::core::pin::Pin<::std::boxed::Box<dyn #bounds + 'a>>);
                return;
            }
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
    let mut out = output.clone();
    syn::visit_mut::VisitMut::visit_type_mut(&mut Boxed, &mut out);
    out
}
