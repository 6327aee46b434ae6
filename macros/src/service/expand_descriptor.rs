//! The schema of the service (its descriptors, for gRPC reflection, and its
//! `.proto` text) and the compile-time checks that path, body and response
//! fields exist.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::model::{Binding, Body, Method};
use super::Generator;

fn field_ident(name: &str, span: proc_macro2::Span) -> syn::Ident {
    syn::parse_str::<syn::Ident>(name)
        .map(|mut i| {
            i.set_span(span);
            i
        })
        .unwrap_or_else(|_| syn::Ident::new_raw(name, span))
}

impl Generator<'_> {
    pub(super) fn describe_impl(&self) -> TokenStream {
        let (server, p, k) = (&self.server, &self.p, self.k);
        let (package, name, full, doc) = (&self.s.package, &self.s.name, &self.s.full_name, &self.s.doc);
        let snake_case = self.s.snake_case;
        let describe_types = self.s.methods.iter().map(|m| {
            let (req, rep) = (&m.req_ty, &m.rep_ty);
            quote!(<#req as #k::Message>::describe(b); <#rep as #k::Message>::describe(b);)
        });
        let methods = self.s.methods.iter().map(|m| {
            let (rpc, req, rep, mdoc) = (&m.rpc_name, &m.req_ty, &m.rep_ty, &m.doc);
            let (cs, ss) = (m.shape.client_streams(), m.shape.server_streams());
            let rules = m.bindings.iter().filter(|_| !m.default_route).map(|b| {
                let method = &b.method;
                let path = b.template.google();
                let body = match &b.body {
                    Body::None => String::new(),
                    Body::All(_) => "*".to_owned(),
                    Body::Field(f, _) => f.clone(),
                };
                let response_body = b.response_body.as_ref().map(|(f, _)| f.clone()).unwrap_or_default();
                quote!(#p::HttpRule { method: #method, path: #path, body: #body, response_body: #response_body })
            });
            quote! {
                #p::MethodDef {
                    name: #rpc,
                    input: <#req as #k::Message>::FULL_NAME,
                    output: <#rep as #k::Message>::FULL_NAME,
                    client_streaming: #cs,
                    server_streaming: #ss,
                    http: ::std::vec![#(#rules),*],
                    doc: #mdoc,
                }
            }
        });
        quote! {
            impl<__T> #p::DescribeService for #server<__T> {
                const SERVICE_NAME: &'static str = #full;

                fn describe(b: &mut #p::SchemaBuilder) {
                    #(#describe_types)*
                    b.add_service(#p::ServiceDef {
                        package: #package,
                        name: #name,
                        methods: ::std::vec![#(#methods),*],
                        doc: #doc,
                        snake_case: #snake_case,
                    });
                }
            }

            impl<__T> #server<__T> {
                /// The schema of this service: descriptors, `.proto` text, OpenAPI.
                pub fn schema() -> #k::schema::Schema {
                    #k::schema::Schema::of::<Self>()
                }
            }
        }
    }

    fn binding_checks(&self, m: &Method, b: &Binding) -> TokenStream {
        let (p, k) = (&self.p, self.k);
        let (req, rep) = (&m.req_ty, &m.rep_ty);
        let span = b.path_lit.span();
        let mut out = TokenStream::new();
        for field in b.template.fields() {
            let first = field.split('.').next().expect("non-empty");
            let ident = field_ident(first, span);
            out.extend(quote_spanned!(span=> let _ = &__req.#ident;));
            let kind = quote_spanned!(span=> #p::field_path_kind(<#req as #k::Message>::FIELDS, #field));
            if field.contains('.') {
                let msg = format!("path parameter `{field}` names no field of the request message");
                out.extend(quote_spanned! {span=>
                    const _: () = ::core::assert!(#kind != 0, #msg);
                });
            }
            let msg = format!(
                "path parameter `{field}` names a repeated, map or message field; a path variable binds one scalar, enum or well-known value"
            );
            out.extend(quote_spanned! {span=>
                const _: () = ::core::assert!(#kind != 2, #msg);
            });
        }
        // An upload's chunks fill an `HttpBody`: the message or the field.
        let upload = m.shape.client_streams();
        match &b.body {
            Body::Field(f, span) => {
                let ident = field_ident(f, *span);
                out.extend(match upload {
                    true => quote_spanned!(*span=> #p::upload_body(&__req.#ident);),
                    false => quote_spanned!(*span=> let _ = &__req.#ident;),
                });
            }
            Body::All(span) if upload => out.extend(quote_spanned!(*span=> #p::upload_body(__req);)),
            _ => {}
        }
        if let Some((f, span)) = &b.response_body {
            let ident = field_ident(f, *span);
            out.extend(quote_spanned!(*span=> let _ = &__rep.#ident;));
        }
        let _ = rep;
        out
    }

    pub(super) fn field_checks(&self) -> TokenStream {
        let checks = self.s.methods.iter().map(|m| {
            let (req, rep) = (&m.req_ty, &m.rep_ty);
            let body: Vec<TokenStream> = m.bindings.iter().map(|b| self.binding_checks(m, b)).collect();
            quote! {
                #[allow(unused, clippy::no_effect_underscore_binding)]
                fn __check(__req: &#req, __rep: &#rep) {
                    #(#body)*
                }
            }
        });
        quote! {
            #(const _: () = { #checks };)*
        }
    }
}
