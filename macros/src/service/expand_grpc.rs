//! The server type and its tonic side: a `tower::Service` that matches the
//! gRPC path, as tonic's own generated servers do.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::{Method, Shape};
use super::Generator;

impl Generator<'_> {
    /// The user's error type converted to `bia::Error`, spanned at their
    /// return type so a missing `Into<bia::Error>` points there.
    pub(super) fn call_handler(&self, m: &Method, inner: TokenStream, msg: TokenStream) -> TokenStream {
        let (t, ident, k) = (self.trait_ident, &m.ident, self.k);
        let into = quote_spanned!(m.output.span()=> ::core::convert::Into::<#k::Error>::into);
        quote!(<__T as #t>::#ident(&#inner, #msg).await.map_err(#into))
    }

    pub(super) fn server_struct(&self) -> TokenStream {
        let (vis, server, t, p, k) = (&self.s.item.vis, &self.server, self.trait_ident, &self.p, self.k);
        let (grpc_client, http_client) = (&self.grpc_client, &self.http_client);
        let doc = format!(
            "Serves a [`{t}`] implementation over gRPC (a tonic `NamedService`, usable in any tonic router) and over HTTP/JSON ([`{server}::into_router`] gives a plain `axum::Router`).\n\nThe clients of the same service are [`{grpc_client}`] and [`{http_client}`]."
        );
        quote! {
            #[doc = #doc]
            #vis struct #server<__T> {
                inner: ::std::sync::Arc<__T>,
                grpc: #p::CallConfig,
                http: #p::ServiceConfig,
            }

            impl<__T> ::core::clone::Clone for #server<__T> {
                fn clone(&self) -> Self {
                    Self {
                        inner: ::core::clone::Clone::clone(&self.inner),
                        grpc: ::core::clone::Clone::clone(&self.grpc),
                        http: ::core::clone::Clone::clone(&self.http),
                    }
                }
            }

            impl<__T> ::core::fmt::Debug for #server<__T> {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(::core::stringify!(#server)).finish_non_exhaustive()
                }
            }

            impl<__T> #server<__T> {
                /// Serves `inner`.
                pub fn new(inner: __T) -> Self {
                    Self::from_arc(::std::sync::Arc::new(inner))
                }

                /// Serves an implementation shared with other code.
                pub fn from_arc(inner: ::std::sync::Arc<__T>) -> Self {
                    let mut http = <#p::ServiceConfig as ::core::default::Default>::default();
                    http.snake_case = Self::SNAKE_CASE_JSON;
                    Self { inner, grpc: ::core::default::Default::default(), http }
                }

                /// The shared implementation.
                pub fn get_ref(&self) -> &__T {
                    &self.inner
                }

                /// Largest accepted HTTP request body (default 4 MiB); larger bodies get 413.
                #[must_use]
                pub fn max_body_size(mut self, limit: usize) -> Self {
                    self.http.max_body = limit;
                    self
                }

                /// Largest part of a `multipart/form-data` HTTP body (default 4 MiB); larger
                /// parts get 413.
                #[must_use]
                pub fn max_part_size(mut self, limit: usize) -> Self {
                    self.http.max_part = limit;
                    self
                }

                /// Largest accepted gRPC request message (default 4 MiB).
                #[must_use]
                pub fn max_decoding_message_size(mut self, limit: usize) -> Self {
                    self.grpc.max_decoding_message_size = ::core::option::Option::Some(limit);
                    self
                }

                /// Largest gRPC reply message (default unlimited).
                #[must_use]
                pub fn max_encoding_message_size(mut self, limit: usize) -> Self {
                    self.grpc.max_encoding_message_size = ::core::option::Option::Some(limit);
                    self
                }

                /// Adds a middleware to this service's operations, on HTTP and gRPC
                /// alike (inside the server-wide middleware; the first added is the
                /// outermost).
                #[must_use]
                pub fn middleware(mut self, m: impl #k::middleware::Middleware) -> Self {
                    #p::add_service_middleware(&mut self.grpc, &mut self.http, m);
                    self
                }

                /// How often a server stream sent as server-sent events sends a heartbeat
                /// comment while it has nothing else to send (default 15 s), so that proxies
                /// keep the connection open.
                #[must_use]
                pub fn sse_heartbeat(mut self, every: ::core::time::Duration) -> Self {
                    self.http.sse_heartbeat = every;
                    self
                }

                /// JSON replies with proto field names (`user_id`) instead of lowerCamelCase.
                #[must_use]
                pub fn snake_case_json(mut self, on: bool) -> Self {
                    self.http.snake_case = on;
                    self
                }
            }
        }
    }

    pub(super) fn grpc_service_impl(&self) -> TokenStream {
        let (server, t, p, k) = (&self.server, self.trait_ident, &self.p, self.k);
        let full = &self.s.full_name;
        let snake = self.s.snake_case;
        let arms = self.s.methods.iter().map(|m| {
            let op = &m.operation;
            let (req, rep) = (&m.req_ty, &m.rep_ty);
            let call = self.call_handler(m, quote!(__inner), quote!(__msg));
            let serve = match m.shape {
                Shape::Unary => quote! {
                    #p::grpc::unary::<#req, #rep, _, _, _>(&self.grpc, #op, req, move |__msg: #req| async move { #call })
                },
                Shape::ClientStreaming => quote! {
                    #p::grpc::client_streaming::<#req, #rep, _, _, _>(&self.grpc, #op, req, move |__msg: #p::Streaming<#req>| async move { #call })
                },
                Shape::ServerStreaming => quote! {
                    #p::grpc::server_streaming::<#req, #rep, _, _, _>(&self.grpc, #op, req, move |__msg: #req, __sink: #p::Sink<#rep>| async move {
                        __sink.send_all(#call?).await
                    })
                },
                Shape::Bidi => quote! {
                    #p::grpc::streaming::<#req, #rep, _, _, _>(&self.grpc, #op, req, move |__msg: #p::Streaming<#req>, __sink: #p::Sink<#rep>| async move {
                        __sink.send_all(#call?).await
                    })
                },
            };
            quote! {
                #op => {
                    let __inner = ::core::clone::Clone::clone(&self.inner);
                    #serve
                }
            }
        });
        let _ = k;
        quote! {
            impl<__T> #server<__T> {
                const SNAKE_CASE_JSON: bool = #snake;
            }

            impl<__T> #p::EndStreams for #server<__T> {
                fn end_streams_with(&mut self, end: &#p::StreamsEnd) {
                    self.grpc.streams_end = ::core::clone::Clone::clone(end);
                    self.http.streams_end = ::core::clone::Clone::clone(end);
                }
            }

            impl<__T> #p::grpc::ConfigureCalls for #server<__T> {
                fn call_config_mut(&mut self) -> &mut #p::CallConfig {
                    &mut self.grpc
                }
            }

            impl<__T> #p::tonic::server::NamedService for #server<__T> {
                const NAME: &'static str = #full;
            }

            impl<__T, __B> #p::tonic::codegen::Service<#p::http::Request<__B>> for #server<__T>
            where
                __T: #t + ::core::marker::Send + ::core::marker::Sync + 'static,
                __B: #p::tonic::codegen::Body + ::core::marker::Send + 'static,
                __B::Error: ::core::convert::Into<#p::tonic::codegen::StdError> + ::core::marker::Send + 'static,
            {
                type Response = #p::http::Response<#p::tonic::body::Body>;
                type Error = ::core::convert::Infallible;
                type Future = #p::grpc::BoxFuture<Self::Response, Self::Error>;

                fn poll_ready(&mut self, _cx: &mut ::core::task::Context<'_>) -> ::core::task::Poll<::core::result::Result<(), Self::Error>> {
                    ::core::task::Poll::Ready(::core::result::Result::Ok(()))
                }

                fn call(&mut self, req: #p::http::Request<__B>) -> Self::Future {
                    match req.uri().path() {
                        #(#arms)*
                        _ => #p::grpc::unimplemented(),
                    }
                }
            }
        }
    }
}
