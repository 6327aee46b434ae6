//! `FooGrpcClient` and `FooHttpClient`: both implement the service trait, so a
//! remote service stands wherever a local one does.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens as _};

use super::model::Shape;
use super::Generator;

/// The runtime client's method for a call of this shape.
fn shape_call(shape: Shape) -> syn::Ident {
    format_ident!(
        "{}",
        match shape {
            Shape::Unary => "unary",
            Shape::ServerStreaming => "server_streaming",
            Shape::ClientStreaming => "client_streaming",
            Shape::Bidi => "streaming",
        }
    )
}

impl Generator<'_> {
    pub(super) fn grpc_client_struct(&self) -> TokenStream {
        let (t, p, k) = (self.trait_ident, &self.p, self.k);
        let doc =
            format!("A gRPC client of [`{t}`]; it implements `{t}`, so it stands wherever an implementation does.");
        let constructors = quote! {
            /// Connects to `dst`: `http://127.0.0.1:9000`, or a balanced
            /// `direct:///host:port,host:port`.
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

            /// The encodings replies may come compressed with (default gzip and
            /// zstd; empty: uncompressed only); see `bia::transport::grpc::GrpcClient::accept_compression`.
            #[must_use]
            pub fn accept_compression(mut self, encodings: impl ::core::iter::IntoIterator<Item = #k::transport::grpc::CompressionEncoding>) -> Self {
                self.inner = self.inner.accept_compression(encodings);
                self
            }

            /// Compresses every request message with `encoding` (default: none);
            /// see `bia::transport::grpc::GrpcClient::send_compression`.
            #[must_use]
            pub fn send_compression(mut self, encoding: impl ::core::convert::Into<::core::option::Option<#k::transport::grpc::CompressionEncoding>>) -> Self {
                self.inner = self.inner.send_compression(encoding);
                self
            }
        };
        self.client_struct(&self.grpc_client, quote!(#p::GrpcClient), &doc, constructors)
    }

    pub(super) fn http_client_struct(&self) -> TokenStream {
        let (t, p, k) = (self.trait_ident, &self.p, self.k);
        let doc = format!(
            "An HTTP/JSON client of [`{t}`]: it builds paths, queries and bodies from the same `#[rpc]` rules the server binds, and rebuilds the server's `bia::Error`s. It implements `{t}`."
        );
        let constructors = quote! {
            /// A client of the server at `base`, e.g. `http://127.0.0.1:8000`,
            /// or of a balanced `direct:///host:port,host:port`.
            pub fn new(base: impl ::core::convert::Into<::std::string::String>) -> ::core::result::Result<Self, #k::Error> {
                ::core::result::Result::Ok(Self { inner: #p::HttpClient::new(base)? })
            }

            /// Whether to ask for replies compressed with gzip, br or zstd (`Accept-Encoding`)
            /// and decompress them (default on); see `bia::transport::http::HttpClient::decompress`.
            #[must_use]
            pub fn decompress(mut self, on: bool) -> Self {
                self.inner = self.inner.decompress(on);
                self
            }

            /// Sends and receives protobuf instead of JSON where the body or reply is the whole
            /// message; see `bia::transport::http::HttpClient::protobuf`.
            #[must_use]
            pub fn protobuf(mut self, on: bool) -> Self {
                self.inner = self.inner.protobuf(on);
                self
            }

            /// Reads replies and errors through `envelope`, the one the server writes them
            /// with; see `bia::transport::http::HttpClient::envelope`.
            #[must_use]
            pub fn envelope(mut self, envelope: impl #k::transport::http::Envelope) -> Self {
                self.inner = self.inner.envelope(envelope);
                self
            }
        };
        self.client_struct(&self.http_client, quote!(#p::HttpClient), &doc, constructors)
    }

    /// A client struct around `inner`, the runtime's client of one transport:
    /// its own constructors, then what both transports' clients offer alike.
    fn client_struct(
        &self,
        client: &syn::Ident,
        inner: TokenStream,
        doc: &str,
        constructors: TokenStream,
    ) -> TokenStream {
        let (vis, k) = (&self.s.item.vis, self.k);
        quote! {
            #[doc = #doc]
            #[derive(::core::fmt::Debug, ::core::clone::Clone)]
            #vis struct #client {
                inner: #inner,
            }

            impl #client {
                #constructors

                /// Dials a target through a discovery (`discovery:///name`),
                /// balanced per call; see `bia::client::Dial`.
                pub async fn dial(dial: #k::client::Dial) -> ::core::result::Result<Self, #k::Error> {
                    ::core::result::Result::Ok(Self { inner: #inner::dial(dial).await? })
                }

                /// Adds a client middleware (the first added is the outermost).
                #[must_use]
                pub fn middleware(mut self, m: impl #k::middleware::Middleware) -> Self {
                    self.inner = self.inner.middleware(m);
                    self
                }
            }
        }
    }

    /// Inherent methods returning `bia::Result`, and the trait impl when every
    /// method's error type is `bia::Error` (a custom `E` cannot be made from
    /// the errors a remote call may bring back).
    fn client_impls(&self, client: &syn::Ident, call: impl Fn(&super::model::Method) -> TokenStream) -> TokenStream {
        let (t, k) = (self.trait_ident, self.k);
        let inherent = self.s.methods.iter().map(|m| {
            let (ident, rep) = (&m.ident, &m.rep_ty);
            let req = match m.shape.client_streams() {
                false => m.req_ty.to_token_stream(),
                true => {
                    let each = &m.req_ty;
                    quote!(#k::Streaming<#each>)
                }
            };
            let rep = match m.shape.server_streams() {
                false => quote!(#rep),
                true => quote!(#k::Streaming<#rep>),
            };
            let attrs = m.attrs.iter().filter(|a| a.path().is_ident(crate::symbol::DOC));
            let body = call(m);
            quote! {
                #(#attrs)*
                pub async fn #ident(&self, req: #req) -> ::core::result::Result<#rep, #k::Error> {
                    let __inner = &self.inner;
                    #body
                }
            }
        });
        let trait_impl = if self.s.methods.iter().all(|m| m.bia_error) {
            let methods = self.s.methods.iter().map(|m| {
                let sig = self.method_sig(m, false);
                let ident = &m.ident;
                quote!(#sig { #client::#ident(self, req) })
            });
            quote! {
                impl #t for #client {
                    #(#methods)*
                }
            }
        } else {
            TokenStream::new()
        };
        quote! {
            impl #client {
                #(#inherent)*
            }
            #trait_impl
        }
    }

    pub(super) fn grpc_client_impl(&self) -> TokenStream {
        self.client_impls(&self.grpc_client, |m| {
            let (op, req, rep) = (&m.operation, &m.req_ty, &m.rep_ty);
            let call = shape_call(m.shape);
            quote!(__inner.#call::<#req, #rep>(#op, req).await)
        })
    }

    pub(super) fn http_client_impl(&self) -> TokenStream {
        self.client_impls(&self.http_client, |m| {
            let (req, rep) = (&m.req_ty, &m.rep_ty);
            let routes = (0..m.bindings.len()).map(|i| self.route_static(m, i));
            let call = shape_call(m.shape);
            let req_arg = match m.shape {
                Shape::Unary | Shape::ServerStreaming => quote!(&req),
                Shape::ClientStreaming | Shape::Bidi => quote!(req),
            };
            quote!(__inner.#call::<#req, #rep>(&[#(&#routes),*], #req_arg).await)
        })
    }
}
