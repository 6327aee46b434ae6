//! The HTTP side: one `static Route` per binding (shared with the HTTP client)
//! and the axum `Router` of the server.
//!
//! A custom verb ends a route's template as the literal `:verb`, so the
//! client writes it after the (encoded) values and a WebSocket's URL has it.
//! Bindings on one axum path share its `MethodRouter`; when one of them ends
//! in a captured segment and a verb (`/v1/<id>:cancel` on `/v1/{p0}`, beside
//! `/v1/<id>`), the path gets one handler for every method instead, which
//! asks `http_transport::select` which binding the request is for.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::http_rule::{PatternSeg, Seg, Template};
use super::model::{Binding, Body, Shape};
use super::Generator;

impl Generator<'_> {
    fn route_value(&self, m: &super::model::Method, b: &Binding) -> TokenStream {
        let p = &self.p;
        let op = &m.operation;
        let method = &b.method;
        let axum_path = b.template.axum();
        let mut n = 0;
        let segs: Vec<TokenStream> = b
            .template
            .segs
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => quote!(#p::PathSeg::Lit(#l)),
                Seg::Var { field, pattern } => {
                    let mut parts = Vec::new();
                    for (i, x) in pattern.iter().enumerate() {
                        if i > 0 {
                            parts.push(quote!(#p::PatternSeg::Lit("/")));
                        }
                        match x {
                            PatternSeg::Lit(l) => parts.push(quote!(#p::PatternSeg::Lit(#l))),
                            PatternSeg::Star => {
                                let name = Template::capture_name(n);
                                n += 1;
                                parts.push(quote!(#p::PatternSeg::Capture(#name)));
                            }
                            PatternSeg::DoubleStar => {
                                let name = Template::capture_name(n);
                                n += 1;
                                parts.push(quote!(#p::PatternSeg::CaptureRest(#name)));
                            }
                        }
                    }
                    let slash = pattern.len() > 1 || pattern.contains(&PatternSeg::DoubleStar);
                    quote!(#p::PathSeg::Var { field: #field, pattern: &[#(#parts),*], slash: #slash })
                }
            })
            .chain(b.template.verb.as_ref().map(|v| {
                let v = format!(":{v}");
                quote!(#p::PathSeg::Lit(#v))
            }))
            .collect();
        let body = match &b.body {
            Body::None => quote!(#p::BodyRule::None),
            Body::All(_) => quote!(#p::BodyRule::All),
            Body::Field(f, _) => quote!(#p::BodyRule::Field(#f)),
        };
        let response_body = match &b.response_body {
            Some((f, _)) => quote!(::core::option::Option::Some(#f)),
            None => quote!(::core::option::Option::None),
        };
        let mut bound: Vec<String> = b.template.fields().iter().map(|s| (*s).to_owned()).collect();
        if let Body::Field(f, _) = &b.body {
            bound.push(f.clone());
        }
        quote! {
            #p::Route {
                operation: #op,
                method: #method,
                axum_path: #axum_path,
                template: &[#(#segs),*],
                body: #body,
                response_body: #response_body,
                bound: &[#(#bound),*],
            }
        }
    }

    pub(super) fn route_statics(&self) -> TokenStream {
        let p = &self.p;
        let statics = self.s.methods.iter().flat_map(|m| {
            m.bindings.iter().enumerate().map(move |(i, b)| {
                let name = self.route_static(m, i);
                let value = self.route_value(m, b);
                quote!(static #name: #p::Route = #value;)
            })
        });
        quote!(#(#statics)*)
    }

    pub(super) fn http_router_impl(&self) -> TokenStream {
        let (server, t, p) = (&self.server, self.trait_ident, &self.p);
        // Bindings that share a path share one axum route.
        let mut by_path: BTreeMap<String, Vec<PathBinding>> = BTreeMap::new();
        let mut order = Vec::new();
        for m in &self.s.methods {
            for (i, b) in m.bindings.iter().enumerate() {
                let route = self.route_static(m, i);
                let (req, rep) = (&m.req_ty, &m.rep_ty);
                let call = self.call_handler(m, quote!(__inner), quote!(__msg));
                let serve = match m.shape {
                    Shape::Unary => quote! {
                        #p::http_transport::unary::<#req, #rep, _, _>(&#route, __cfg, __req, move |__msg: #req| async move { #call })
                    },
                    Shape::ServerStreaming => quote! {
                        #p::http_transport::server_streaming::<#req, #rep, _, _>(&#route, __cfg, __req, move |__msg: #req, __sink: #p::Sink<#rep>| async move {
                            __sink.send_all(#call?).await
                        })
                    },
                    Shape::ClientStreaming => quote! {
                        #p::http_transport::client_streaming::<#req, #rep, _, _>(&#route, __cfg, __req, move |__msg: #p::Streaming<#req>| async move { #call })
                    },
                    Shape::Bidi => quote! {
                        #p::http_transport::streaming::<#req, #rep, _, _>(&#route, __cfg, __req, move |__msg: #p::Streaming<#req>, __sink: #p::Sink<#rep>| async move {
                            __sink.send_all(#call?).await
                        })
                    },
                };
                let handler = quote! {
                    {
                        let __inner = ::core::clone::Clone::clone(&self.inner);
                        let __cfg = ::std::sync::Arc::new(::core::clone::Clone::clone(&self.http));
                        // axum clones this closure per request and calls it
                        // once; its future is the call's whole state.
                        move |__req: #p::axum::extract::Request| {
                            #serve
                        }
                    }
                };
                let path = b.template.axum();
                if !by_path.contains_key(&path) {
                    order.push(path.clone());
                }
                let filter = syn::Ident::new(&b.method, proc_macro2::Span::call_site());
                let verb = b.template.verb_after_capture();
                by_path.entry(path).or_default().push(PathBinding { route, filter, handler, verb });
            }
        }
        let routes = order.iter().map(|path| {
            let bindings = &by_path[path];
            if bindings.iter().any(|b| b.verb) {
                return self.verb_route(path, bindings);
            }
            let handlers: Vec<TokenStream> = bindings
                .iter()
                .map(|b| {
                    let (filter, route, handler) = (&b.filter, &b.route, &b.handler);
                    quote!((#p::axum::routing::MethodFilter::#filter, &#route, #handler))
                })
                .collect();
            let first = &handlers[0];
            let rest = &handlers[1..];
            // Each handler twice: for the router, and for the server's
            // dispatch table (`FastRoute`).
            quote! {
                let __router = {
                    let (__filter, __route, __handler) = #first;
                    __fast.push(#p::http_transport::fast_route(__route, ::core::clone::Clone::clone(&__handler)));
                    let __method_router = #p::axum::routing::on(__filter, __handler);
                    #(
                        let (__filter, __route, __handler) = #rest;
                        __fast.push(#p::http_transport::fast_route(__route, ::core::clone::Clone::clone(&__handler)));
                        let __method_router = __method_router.on(__filter, __handler);
                    )*
                    __router.route(#path, __method_router)
                };
            }
        });
        quote! {
            impl<__T> #server<__T>
            where
                __T: #t + ::core::marker::Send + ::core::marker::Sync + 'static,
            {
                /// The HTTP routes of every operation as a plain `axum::Router`.
                pub fn into_router(self) -> #p::axum::Router {
                    #p::http_transport::IntoRouter::into_routes(self).0
                }
            }

            impl<__T> #p::http_transport::IntoRouter for #server<__T>
            where
                __T: #t + ::core::marker::Send + ::core::marker::Sync + 'static,
            {
                fn into_router(self) -> #p::axum::Router {
                    #server::into_router(self)
                }

                fn into_routes(self) -> (#p::axum::Router, ::core::option::Option<::std::vec::Vec<#p::http_transport::FastRoute>>) {
                    let __router = #p::axum::Router::new();
                    #[allow(unused_mut)]
                    let mut __fast = ::std::vec::Vec::new();
                    #(#routes)*
                    (__router, ::core::option::Option::Some(__fast))
                }
            }
        }
    }

    /// One handler for every method on `path`, where a binding's last
    /// captured segment is followed by a custom verb: `select` picks the binding
    /// from the method and the end of the request path (or answers 404 or
    /// 405), and that binding's handler serves the request.
    fn verb_route(&self, path: &str, bindings: &[PathBinding]) -> TokenStream {
        let p = &self.p;
        let routes: Vec<&syn::Ident> = bindings.iter().map(|b| &b.route).collect();
        let handlers: Vec<&TokenStream> = bindings.iter().map(|b| &b.handler).collect();
        let names: Vec<syn::Ident> = (0..bindings.len()).map(|i| quote::format_ident!("__h{}", i)).collect();
        let (last, rest) = names.split_last().expect("a path has a binding");
        let indexes = 0..rest.len();
        quote! {
            let __router = {
                // The table knows the path; the router serves it.
                #( __fast.push(#p::http_transport::router_route(&#routes)); )*
                let (#(#names,)*) = (#(#handlers,)*);
                let __select_cfg = ::core::clone::Clone::clone(&self.http);
                __router.route(#path, #p::axum::routing::any(move |__req: #p::axum::extract::Request| {
                    let __pick = #p::http_transport::select(&[#(&#routes),*], &__req, &__select_cfg);
                    async move {
                        match __pick {
                            #(::core::result::Result::Ok(#indexes) => #rest(__req).await,)*
                            ::core::result::Result::Ok(_) => #last(__req).await,
                            ::core::result::Result::Err(__res) => __res,
                        }
                    }
                }))
            };
        }
    }
}

/// One binding served on an axum path.
struct PathBinding {
    /// Its `static Route`.
    route: syn::Ident,
    /// Its HTTP method as an axum `MethodFilter` constant.
    filter: syn::Ident,
    /// The closure that serves it.
    handler: TokenStream,
    /// Its template ends in a captured segment and a custom verb.
    verb: bool,
}
