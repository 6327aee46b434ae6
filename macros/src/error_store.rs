//! Collects every error a macro finds, so one run reports them all.

use proc_macro2::TokenStream;
use quote::ToTokens;

/// The errors found so far. Checked errors are appended to the output as
/// `compile_error!`s, each spanned at the user's token.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error at `tokens`.
    pub fn error(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error at a span.
    pub fn error_at(&mut self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records a parse error.
    pub fn push(&mut self, err: syn::Error) {
        self.errors.push(err);
    }

    /// `Some(v)` on success, records the error otherwise.
    pub fn ok<T>(&mut self, res: syn::Result<T>) -> Option<T> {
        match res {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    /// How many errors were recorded.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether any error was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors as `compile_error!` invocations.
    pub fn into_tokens(self) -> TokenStream {
        self.errors.into_iter().map(|e| e.to_compile_error()).collect()
    }
}
