//! Error enum model -> constructors, predicates and conversions.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::model::ErrorEnum;
use crate::case;
use crate::common::expand::{missing_derives, strip_inert};

pub fn expand(m: &ErrorEnum, item: &syn::ItemEnum) -> TokenStream {
    let k = &m.krate;
    let ident = &item.ident;
    let domain = &m.domain;
    let derives = missing_derives(&item.attrs, &["Clone", "Copy", "Debug", "PartialEq", "Eq", "Hash"]);
    let stripped = strip_inert(item.clone(), super::MACRO.inert);
    let idents: Vec<&syn::Ident> = m.variants.iter().map(|v| &v.ident).collect();
    let reasons: Vec<&String> = m.variants.iter().map(|v| &v.reason).collect();
    let codes: Vec<u16> = m.variants.iter().map(|v| v.code).collect();
    let messages: Vec<&String> = m.variants.iter().map(|v| &v.message).collect();
    let docs: Vec<String> = m.variants.iter().map(|v| v.doc.trim().to_owned()).collect();
    let fns = m.variants.iter().map(|v| {
        let base = case::snake(&case::unraw(&v.ident));
        let ctor = format_ident!("{}", base, span = v.ident.span());
        let pred = format_ident!("is_{}", base, span = v.ident.span());
        let (vi, reason, code) = (&v.ident, &v.reason, v.code);
        let extra = if v.doc.is_empty() { String::new() } else { format!("\n\n{}", v.doc.trim()) };
        let ctor_doc = format!(
            "A `{reason}` error ({code}) with `message`, e.g. `format_args!(\"user {{}} not found\", id)`.{extra}"
        );
        let pred_doc = format!("Whether `err` is a `{reason}` error ({code}).");
        quote! {
            #[doc = #ctor_doc]
            pub fn #ctor(message: impl ::core::fmt::Display) -> #k::Error {
                #k::Error::new(#code, #reason, ::std::string::ToString::to_string(&message)).with_domain(#domain)
            }
            #[doc = #pred_doc]
            pub fn #pred(err: &#k::Error) -> bool {
                let _ = Self::#vi;
                err.is(#code, #reason)
            }
        }
    });
    quote! {
        #derives
        #stripped

        impl #ident {
            /// The domain sent in `google.rpc.ErrorInfo`.
            pub const DOMAIN: &'static str = #domain;

            /// The reason of this error (`UPPER_SNAKE_CASE`).
            pub fn reason(self) -> &'static str {
                match self { #(Self::#idents => #reasons,)* }
            }

            /// The HTTP status code of this error.
            pub fn code(self) -> u16 {
                match self { #(Self::#idents => #codes,)* }
            }

            /// The default message of this error.
            pub fn message(self) -> &'static str {
                match self { #(Self::#idents => #messages,)* }
            }

            /// This error with another message.
            pub fn with_message(self, message: impl ::core::fmt::Display) -> #k::Error {
                #k::Error::new(self.code(), self.reason(), ::std::string::ToString::to_string(&message)).with_domain(#domain)
            }

            #(#fns)*
        }

        impl ::core::convert::From<#ident> for #k::Error {
            fn from(e: #ident) -> #k::Error {
                #k::Error::new(e.code(), e.reason(), e.message()).with_domain(#domain)
            }
        }

        impl ::core::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::write!(f, "{} ({}): {}", self.reason(), self.code(), self.message())
            }
        }

        impl ::std::error::Error for #ident {}

        impl #k::schema::DescribeErrors for #ident {
            const DOMAIN: &'static str = #domain;
            const REASONS: &'static [#k::schema::ReasonDef] = &[
                #(#k::schema::ReasonDef { reason: #reasons, code: #codes, doc: #docs },)*
            ];
        }
    }
}
