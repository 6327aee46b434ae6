//! `FooGrpcClient` and `FooHttpClient`: both implement the service trait, so a
//! remote service stands wherever a local one does.

use proc_macro2::TokenStream;
use quote::quote;

use super::Generator;

impl Generator<'_> {
    pub(super) fn grpc_client_struct(&self) -> TokenStream {
        let (vis, c, t, p, k) = (&self.s.item.vis, &self.grpc_client, self.trait_ident, &self.p, self.k);
        let doc = format!("A gRPC client of [`{t}`]; it implements `{t}`, so it stands wherever an implementation does.");
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone)]
            #vis struct #c {
                inner: #p::GrpcClient,
            }

            impl #c {
                /// Connects to `dst`, e.g. `http://127.0.0.1:9000`.
                pub async fn connect(dst: impl ::core::convert::Into<::std::string::String>) -> ::core::result::Result<Self, #k::Error> {
                    ::core::result::Result::Ok(Self { inner: #p::GrpcClient::connect(dst).await? })
                }

                /// A client that connects on its first call.
                pub fn connect_lazy(dst: impl ::core::convert::Into<::std::string::String>) -> ::core::result::Result<Self, #k::Error> {
                    ::core::result::Result::Ok(Self { inner: #p::GrpcClient::connect_lazy(dst)? })
                }

                /// A client on an existing tonic channel.
                pub fn new(channel: #p::grpc::Channel) -> Self {
                    Self { inner: #p::GrpcClient::new(channel) }
                }
            }
        }
    }

    pub(super) fn http_client_struct(&self) -> TokenStream {
        let (vis, c, t, p, k) = (&self.s.item.vis, &self.http_client, self.trait_ident, &self.p, self.k);
        let doc = format!(
            "An HTTP/JSON client of [`{t}`]: it builds paths, queries and bodies from the same `#[rpc]` rules the server binds, and rebuilds the server's `bia::Error`s. It implements `{t}`."
        );
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone)]
            #vis struct #c {
                inner: #p::HttpClient,
            }

            impl #c {
                /// A client of the server at `base`, e.g. `http://127.0.0.1:8000`.
                pub fn new(base: impl ::core::convert::Into<::std::string::String>) -> ::core::result::Result<Self, #k::Error> {
                    ::core::result::Result::Ok(Self { inner: #p::HttpClient::new(base)? })
                }
            }
        }
    }

    pub(super) fn grpc_client_impl(&self) -> TokenStream {
        let (c, t) = (&self.grpc_client, self.trait_ident);
        let methods = self.s.methods.iter().map(|m| {
            let sig = self.method_sig(m, false);
            let (op, req, rep) = (&m.operation, &m.req_ty, &m.rep_ty);
            quote! {
                #sig {
                    let __inner = &self.inner;
                    async move { __inner.unary::<#req, #rep>(#op, req).await.map_err(::core::convert::From::from) }
                }
            }
        });
        quote! {
            impl #t for #c {
                #(#methods)*
            }
        }
    }

    pub(super) fn http_client_impl(&self) -> TokenStream {
        let (c, t) = (&self.http_client, self.trait_ident);
        let methods = self.s.methods.iter().map(|m| {
            let sig = self.method_sig(m, false);
            let (req, rep) = (&m.req_ty, &m.rep_ty);
            let route = self.route_static(m, 0);
            quote! {
                #sig {
                    let __inner = &self.inner;
                    async move { __inner.unary::<#req, #rep>(&#route, &req).await.map_err(::core::convert::From::from) }
                }
            }
        });
        quote! {
            impl #t for #c {
                #(#methods)*
            }
        }
    }
}
