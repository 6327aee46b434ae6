use proc_macro::TokenStream;
#[proc_macro_attribute] pub fn message(_a: TokenStream, i: TokenStream) -> TokenStream { i }
#[proc_macro_attribute] pub fn enumeration(_a: TokenStream, i: TokenStream) -> TokenStream { i }
#[proc_macro_attribute] pub fn service(_a: TokenStream, i: TokenStream) -> TokenStream { i }
#[proc_macro_attribute] pub fn errors(_a: TokenStream, i: TokenStream) -> TokenStream { i }
