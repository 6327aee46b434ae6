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

use crate::driver::Family;

/// `#[bia::service]` as the driver runs it.
pub const MACRO: Family<syn::ItemTrait, parse::RawService, model::Service> = Family {
    goes_on: "#[bia::service] goes on a trait",
    parse: parse::parse,
    check: model::check,
    expand: |service, _| Generator::new(service).generate(),
    strip: expand_trait::strip,
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
        let the_trait = self.trait_def();
        let guard = crate::common::expand::proto_name_guard(&self.s.package, &self.s.name, self.trait_ident.span());
        let operations = self.operations();
        let dyn_trait = self.dyn_trait_def();
        let server = self.server_struct();
        let grpc_client = self.grpc_client_struct();
        let http_client = self.http_client_struct();
        let routes = self.route_statics();
        let checks = self.field_checks();
        let grpc = self.grpc_service_impl();
        let http = self.http_router_impl();
        let describe = self.describe_impl();
        let grpc_client_impl = self.grpc_client_impl();
        let http_client_impl = self.http_client_impl();
        let dyn_impls = self.dyn_impls();
        quote! {
            #the_trait
            #guard
            #operations
            #dyn_trait
            #server
            #grpc_client
            #http_client

            const _: () = {
                #routes
                #checks
                #grpc
                #http
                #describe
                #grpc_client_impl
                #http_client_impl
                #dyn_impls
            };
        }
    }
}
