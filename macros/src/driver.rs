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

use crate::error_store::{ErrorSink, ErrorStore};

/// One macro family, as the driver runs it.
pub trait Family {
    /// The item the attribute goes on.
    type Item: ItemKind;
    /// The attribute's arguments and the item's inert attributes as written.
    type Raw;
    /// The checked model: holding one means its checks passed.
    type Model;

    /// The error, at the attribute, when it sits on another kind of item.
    const WHERE: &'static str;

    /// Syntax -> raw values; parse errors go to `errors`.
    fn parse(attr: TokenStream, item: &Self::Item, errors: &ErrorSink<'_>) -> Self::Raw;

    /// Raw values -> the model; every misuse is a spanned error in `errors`.
    fn check(raw: Self::Raw, item: &Self::Item, errors: &ErrorSink<'_>) -> Option<Self::Model>;

    /// The model -> the expansion (the item itself included).
    fn expand(model: &Self::Model, item: &Self::Item) -> TokenStream;

    /// The item without the family's inert attributes (`#[field]`, `#[rpc]`,
    /// ...), emitted in place of the expansion when anything failed. Families
    /// without inert attributes emit the item as written.
    fn strip(item: &Self::Item) -> TokenStream {
        item.to_token_stream()
    }
}

/// A kind of item an attribute macro can go on.
pub trait ItemKind: Sized + ToTokens {
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

/// Runs family `F` on one use of its attribute: the tokens to emit and the
/// errors to report after them.
pub fn run<F: Family>(attr: TokenStream, item: TokenStream) -> (TokenStream, Vec<syn::Error>) {
    let selected = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(parsed) => F::Item::select(parsed),
        // Not item syntax syn knows: its own error says where and what, better
        // than any guess of ours. The tokens go back as they came.
        Err(e) => return (item, vec![e]),
    };
    let Some(selected) = selected else {
        return (item, vec![syn::Error::new(Span::call_site(), F::WHERE)]);
    };
    let store = ErrorStore::new();
    let tokens = steps::<F>(attr, &selected, &store.sink());
    (tokens, store.take())
}

fn steps<F: Family>(attr: TokenStream, item: &F::Item, errors: &ErrorSink<'_>) -> TokenStream {
    let raw = F::parse(attr, item, &errors.child());
    match F::check(raw, item, &errors.child()) {
        Some(model) if !errors.has_errors() => F::expand(&model, item),
        _ => F::strip(item),
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// A family that accepts structs and fails on `#[bad]` fields.
    struct Probe;

    impl Family for Probe {
        type Item = syn::ItemStruct;
        type Raw = usize;
        type Model = ();
        const WHERE: &'static str = "#[probe] goes on a struct";

        fn parse(_: TokenStream, item: &syn::ItemStruct, errors: &ErrorSink<'_>) -> usize {
            let bad = item.fields.iter().filter(|f| f.attrs.iter().any(|a| a.path().is_ident("bad"))).count();
            for _ in 0..bad {
                errors.error_at(Span::call_site(), "bad field");
            }
            bad
        }

        fn check(_: usize, _: &syn::ItemStruct, _: &ErrorSink<'_>) -> Option<()> {
            Some(())
        }

        fn expand(_: &(), item: &syn::ItemStruct) -> TokenStream {
            quote!(#item struct Expanded;)
        }

        fn strip(_: &syn::ItemStruct) -> TokenStream {
            quote!(
                struct Stripped;
            )
        }
    }

    fn probe(item: TokenStream) -> (String, Vec<String>) {
        let (tokens, errors) = run::<Probe>(TokenStream::new(), item);
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
        let (out, errors) = probe(quote!(
            struct A {
                #[bad]
                x: u8,
                #[bad]
                y: u8,
            }
        ));
        assert_eq!(out, "struct Stripped ;");
        assert_eq!(errors, ["bad field", "bad field"]);
    }

    #[test]
    fn another_kind_of_item_is_named_and_given_back() {
        let (out, errors) = probe(quote!(
            enum E {
                A,
            }
        ));
        assert_eq!(out, "enum E { A }");
        assert_eq!(errors, [Probe::WHERE]);
    }

    #[test]
    fn invalid_syntax_keeps_syns_own_error() {
        let item = quote!(struct A { x: });
        let expected = syn::parse2::<syn::Item>(item.clone()).unwrap_err().to_string();
        let (out, errors) = probe(item);
        assert_eq!(out, "struct A { x : }");
        assert_eq!(errors, [expected]);
        assert_ne!(errors[0], Probe::WHERE);
    }
}
