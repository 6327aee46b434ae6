//! Tokens of a checked `#[bia::provider]`: the function unchanged, then in a
//! `const _` block the marker type and its `ProvidedBy` impl, the
//! compile-time checks, the build function and the registry entry.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::{By, Provider};

pub fn expand(m: &Provider, f: &syn::ItemFn) -> TokenStream {
    let krate = &m.krate;
    let w = quote!(#krate::__private::wire);
    let name = &f.sig.ident;
    let name_str = name.to_string();
    let output = m.output();
    let out_span = output.span();
    let marker = format_ident!("{}", name, span = name.span());

    let checks = m.params.iter().map(|p| {
        let ty = &p.ty;
        quote_spanned!(ty.span()=> (&&#w::Need::<#ty>::new()).need().done();)
    });
    let one = quote_spanned!(out_span=> #w::one_provider_per_type::<#output, _>(););

    let args: Vec<syn::Ident> = (0..m.params.len()).map(|i| format_ident!("__bia_in{}", i)).collect();
    let reads = m.params.iter().zip(&args).map(|(p, a)| {
        let ty = &p.ty;
        let read = match (p.by, p.unsized_) {
            (By::Value, _) => quote_spanned!(ty.span()=> __bia_scope.take::<#ty>()),
            (_, true) => quote_spanned!(ty.span()=> __bia_scope.shared_dyn::<#ty>()),
            (_, false) => quote_spanned!(ty.span()=> __bia_scope.shared::<#ty>()),
        };
        quote!(let #a = #read?;)
    });
    let call_args = m.params.iter().zip(&args).map(|(p, a)| match p.by {
        By::Ref => quote!(&*#a),
        By::Arc | By::Value => quote!(#a),
    });
    let awaited = if m.is_async { quote!(.await) } else { quote!() };
    let unwrap = if m.fallible {
        quote! {
            let __bia_out = match __bia_out {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(e) => return ::core::result::Result::Err(#w::provider_error(e)),
            };
        }
    } else {
        quote!()
    };
    let split = if m.cleanup {
        quote!(let (__bia_value, __bia_cleanup) = __bia_out; let __bia_cleanup = ::core::option::Option::Some(__bia_cleanup);)
    } else {
        quote!(let __bia_value = __bia_out; let __bia_cleanup = ::core::option::Option::None;)
    };
    let built = match (&m.bind, m.arc) {
        (Some(bind), arc) => {
            let value = if arc {
                quote_spanned!(bind.span()=> __bia_value)
            } else {
                quote_spanned!(bind.span()=> ::std::sync::Arc::new(__bia_value))
            };
            quote_spanned! {bind.span()=>
                let __bia_value: ::std::sync::Arc<#bind> = #value;
                #w::Built::shared::<#bind>(__bia_value, __bia_cleanup)
            }
        }
        (None, true) => {
            let value = &m.value;
            quote_spanned!(out_span=> #w::Built::shared::<#value>(__bia_value, __bia_cleanup))
        }
        (None, false) => {
            let value = &m.value;
            quote_spanned!(out_span=> #w::Built::owned::<#value>(__bia_value, __bia_cleanup))
        }
    };
    let deps = m.params.iter().map(|p| {
        let ty = &p.ty;
        let param = &p.name;
        let by = match p.by {
            By::Ref => quote!(Ref),
            By::Arc => quote!(Arc),
            By::Value => quote!(Value),
        };
        quote!(#w::Dep { param: #param, key: #w::Key::of::<#ty>(), by: #w::By::#by })
    });
    let fn_span = name.span();
    let file = quote_spanned!(fn_span=> ::core::file!());
    let line = quote_spanned!(fn_span=> ::core::line!());
    // Spanned at the function's name, so the notes of a missing or
    // duplicate provider list the providers by name.
    let provided = quote_spanned!(fn_span=> impl #krate::wire::ProvidedBy<#marker> for #output {});
    let pinned = quote_spanned!(f.sig.fn_token.span=> ::std::boxed::Box::pin);

    quote! {
        #f

        #[doc(hidden)]
        const _: () = {
            #[allow(non_camel_case_types, dead_code)]
            pub struct #marker {}

            #provided

            #[allow(dead_code, clippy::all)]
            fn __bia_checks() {
                use #w::{ViaExternal as _, ViaProvided as _};
                #(#checks)*
                #one
            }

            fn __bia_build(__bia_scope: &#w::Scope) -> #w::BuildFuture<'_> {
                #pinned(async move {
                    #(#reads)*
                    let __bia_out = #name(#(#call_args),*)#awaited;
                    #unwrap
                    #split
                    ::core::result::Result::Ok({ #built })
                })
            }

            #krate::__private::inventory::submit! {
                #w::Provider {
                    name: #name_str,
                    module: ::core::module_path!(),
                    file: #file,
                    line: #line,
                    kind: #w::Kind::Provider,
                    output: #w::Key::of::<#output>(),
                    deps: &[#(#deps),*],
                    build: ::core::option::Option::Some(__bia_build),
                }
            }
        };
    }
}
