//! `#[bia::service]` on a trait: the trait itself (async methods as
//! `impl Future + Send`), its gRPC server and HTTP router, both clients, an
//! object-safe twin, operation names and the schema.

mod expand_client;
mod expand_descriptor;
mod expand_grpc;
mod expand_http;
mod expand_trait;
pub mod http_rule;
mod model;
mod parse;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::common::expand::proto_name_guard;
use crate::driver::Family;
use crate::symbol;

/// `#[bia::service]` as the driver runs it.
pub const MACRO: Family<syn::ItemTrait, parse::RawService, model::Service> = Family {
    goes_on: "#[bia::service] goes on a trait",
    inert: &[symbol::RPC],
    parse: parse::parse,
    check: model::check,
    expand: |service, _| Generator::new(service).generate(),
};

/// `#[rpc]` outside a `#[bia::service]` trait (which removes it).
pub const RPC_OUTSIDE_A_SERVICE: &str = "#[rpc] only works on a method of a trait annotated with #[bia::service]; add #[bia::service(package = \"..\")] to the trait";

/// One method per generated item, called in the order the expansion reads.
pub(crate) struct Generator<'a> {
    pub s: &'a model::Service,
    /// `<krate>::__private`
    pub p: TokenStream,
    pub k: &'a syn::Path,
    pub trait_ident: &'a syn::Ident,
    pub server: syn::Ident,
    pub grpc_client: syn::Ident,
    pub http_client: syn::Ident,
    pub operation: syn::Ident,
    pub dyn_trait: syn::Ident,
}

impl<'a> Generator<'a> {
    fn new(s: &'a model::Service) -> Self {
        let k = &s.krate;
        let t = &s.item.ident;
        Generator {
            s,
            p: quote!(#k::__private),
            k,
            trait_ident: t,
            server: format_ident!("{}Server", t),
            grpc_client: format_ident!("{}GrpcClient", t),
            http_client: format_ident!("{}HttpClient", t),
            operation: format_ident!("{}Operation", t),
            dyn_trait: format_ident!("Dyn{}", t),
        }
    }

    /// The static holding the `i`-th HTTP route of a method.
    pub fn route_static(&self, m: &model::Method, i: usize) -> syn::Ident {
        format_ident!("__ROUTE_{}_{}", crate::case::screaming_snake(&crate::case::unraw(&m.ident)), i)
    }

    fn generate(&self) -> TokenStream {
        // What users name, in the order the expansion reads...
        let items = [
            self.trait_def(),
            proto_name_guard(&self.s.package, &self.s.name, self.trait_ident.span()),
            self.operations(),
            self.dyn_trait_def(),
            self.server_struct(),
            self.grpc_client_struct(),
            self.http_client_struct(),
        ];
        // ... then what only the compiler needs, out of the way in one `const _`.
        let impls = [
            self.route_statics(),
            self.field_checks(),
            self.grpc_service_impl(),
            self.http_router_impl(),
            self.describe_impl(),
            self.grpc_client_impl(),
            self.http_client_impl(),
            self.dyn_impls(),
        ];
        quote! {
            #(#items)*

            const _: () = {
                #(#impls)*
            };
        }
    }
}
