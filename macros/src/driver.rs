//! The one pipeline every attribute macro runs, in the order dropshot's
//! entry points follow: parse the annotated item, parse the attribute and the
//! item's inert attributes into raw values, check them into a model, expand
//! the model.
//!
//! A family only says what each step is ([`Family`]); the driver owns what
//! every family must do the same way: tell a wrong kind of item from tokens
//! that are not valid syntax, give each step its own error sink, expand only
//! when nothing failed, and otherwise re-emit the user's item with the inert
//! attributes stripped, so that code using the item keeps compiling and the
//! real errors are not buried under errors they cause.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

use crate::common::expand::strip_inert;
use crate::error_store::{ErrorSink, ErrorStore};

/// One macro family: the steps the driver runs, in order. Each family's
/// `mod.rs` declares its own as `MACRO`.
pub struct Family<I, R, M> {
    /// The error, at the attribute, when it sits on another kind of item.
    pub goes_on: &'static str,
    /// The attributes that only mean something to this macro (`#[field]`,
    /// `#[rpc]`, ...), on the item's fields, variants or methods. They are
    /// stripped from whatever is emitted: rustc does not know them.
    pub inert: &'static [&'static str],
    /// Syntax -> raw values (`R`); parse errors go to the sink.
    pub parse: fn(TokenStream, &I, &ErrorSink<'_>) -> R,
    /// Raw values -> the checked model (`M`); every misuse is a spanned
    /// error in the sink.
    pub check: fn(R, &I, &ErrorSink<'_>) -> Option<M>,
    /// The model -> the expansion, the item itself included.
    pub expand: fn(&M, &I) -> TokenStream,
}

/// A kind of item an attribute macro can go on.
pub trait ItemKind: Sized + Clone + Into<syn::Item> {
    /// The item, if it is of this kind.
    fn select(item: syn::Item) -> Option<Self>;
}

macro_rules! item_kinds {
    ($($variant:ident => $item:ty),* $(,)?) => {$(
        impl ItemKind for $item {
            fn select(item: syn::Item) -> Option<Self> {
                match item {
                    syn::Item::$variant(it) => Some(it),
                    _ => None,
                }
            }
        }
    )*};
}

item_kinds!(Struct => syn::ItemStruct, Enum => syn::ItemEnum, Trait => syn::ItemTrait, Fn => syn::ItemFn);

impl<I: ItemKind, R, M> Family<I, R, M> {
    /// Runs the family on one use of its attribute: the tokens to emit and
    /// the errors to report after them.
    pub fn run(&self, attr: TokenStream, item: TokenStream) -> (TokenStream, Vec<syn::Error>) {
        let selected = match syn::parse2::<syn::Item>(item.clone()) {
            Ok(parsed) => I::select(parsed),
            // Not item syntax syn knows: its own error says where and what,
            // better than any guess of ours. The tokens go back as they came.
            Err(e) => return (item, vec![e]),
        };
        let Some(selected) = selected else {
            return (item, vec![syn::Error::new(Span::call_site(), self.goes_on)]);
        };
        let store = ErrorStore::new();
        let tokens = self.steps(attr, &selected, &store.sink());
        (tokens, store.take())
    }

    fn steps(&self, attr: TokenStream, item: &I, errors: &ErrorSink<'_>) -> TokenStream {
        let raw = (self.parse)(attr, item, &errors.child());
        match (self.check)(raw, item, &errors.child()) {
            Some(model) if !errors.has_errors() => (self.expand)(&model, item),
            _ => strip_inert(item.clone(), self.inert).into_token_stream(),
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// A family that accepts structs and fails on `#[bad]` fields.
    const PROBE: Family<syn::ItemStruct, usize, ()> = Family {
        goes_on: "#[probe] goes on a struct",
        inert: &["bad"],
        parse: |_, item, errors| {
            let bad = item.fields.iter().filter(|f| f.attrs.iter().any(|a| a.path().is_ident("bad"))).count();
            for _ in 0..bad {
                errors.error_at(Span::call_site(), "bad field");
            }
            bad
        },
        check: |_, _, _| Some(()),
        expand: |_, item| quote!(#item struct Expanded;),
    };

    fn probe(item: TokenStream) -> (String, Vec<String>) {
        let (tokens, errors) = PROBE.run(TokenStream::new(), item);
        (tokens.to_string(), errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn expands_when_nothing_failed() {
        let (out, errors) = probe(quote!(
            struct A {
                x: u8,
            }
        ));
        assert!(out.contains("Expanded"), "{out}");
        assert!(errors.is_empty());
    }

    #[test]
    fn strips_when_a_step_failed() {
        let (out, errors) = probe(quote! { struct A { #[bad] x: u8, #[bad] #[serde(skip)] y: u8 } });
        assert_eq!(out, quote! { struct A { x: u8, #[serde(skip)] y: u8 } }.to_string());
        assert_eq!(errors, ["bad field", "bad field"]);
    }

    #[test]
    fn another_kind_of_item_is_named_and_given_back() {
        let item = quote! { enum E { A } };
        let (out, errors) = probe(item.clone());
        assert_eq!(out, item.to_string());
        assert_eq!(errors, [PROBE.goes_on]);
    }

    #[test]
    fn invalid_syntax_keeps_syns_own_error() {
        let item = quote!(struct A { x: });
        let expected = syn::parse2::<syn::Item>(item.clone()).unwrap_err().to_string();
        let (out, errors) = probe(item);
        assert_eq!(out, "struct A { x : }");
        assert_eq!(errors, [expected]);
        assert_ne!(errors[0], PROBE.goes_on);
    }
}
