//! Checked rules -> `Message::validate` and `Message::validate_at`. A message
//! without rules gets neither (the trait's defaults: always valid).
//!
//! Each rule's code is spanned at the rule's keyword, so a rule that does not
//! fit a type only rustc can see (a message, an enum) is reported there.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::quote;

use super::model::{Field, Kind, Message};
use super::rules::{opt_usize, Rule, RuleKind};

/// The two methods, inside `impl bia::Message`; empty without rules.
pub fn methods(m: &Message, p: &TokenStream) -> TokenStream {
    if m.fields.iter().all(|f| f.rules.is_empty()) {
        return TokenStream::new();
    }
    let k = &m.krate;
    let checks = m.fields.iter().filter(|f| !f.rules.is_empty()).map(|f| field(f, p));
    quote! {
        fn validate(&self) -> ::core::result::Result<(), #k::Error> {
            #p::validate::run(self)
        }

        fn validate_at(
            &self,
            __at: &#p::validate::FieldPath<'_>,
        ) -> ::core::result::Result<(), #p::validate::Violation> {
            #(#checks)*
            ::core::result::Result::Ok(())
        }
    }
}

/// Where the code of rule `r` points: at the rule's keyword, resolved like
/// the rest of the expansion.
fn span(r: &Rule) -> Span {
    Span::call_site().located_at(r.span)
}

/// `ts` with every token at `sp`, so that rustc's errors in it (a rule that
/// does not fit a type only rustc can see) point at the rule alone.
fn respan(ts: TokenStream, sp: Span) -> TokenStream {
    ts.into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), respan(g.stream(), sp));
                inner.set_span(sp);
                TokenTree::Group(inner)
            }
            mut other => {
                other.set_span(sp);
                other
            }
        })
        .collect()
}

/// The checks of one field, below `__at.field(name)`.
fn field(f: &Field, p: &TokenStream) -> TokenStream {
    let (fi, fname) = (&f.ident, &f.name);
    let mut body = Vec::new();
    // A boxed value is checked as the value it holds.
    let boxed = matches!(super::model::last_segment(&f.elem), Some((id, a)) if id == "Box" && a.len() == 1);
    let unbox = if boxed { quote!(let __v = &**__v;) } else { TokenStream::new() };
    match &f.kind {
        Kind::Singular => {
            body.push(quote!(let __v = &self.#fi; #unbox));
            body.extend(f.rules.iter().map(|r| value(r, p, &quote!(__v), &quote!(&__at))));
        }
        Kind::Optional | Kind::Oneof => {
            let mut inner = Vec::new();
            for r in &f.rules {
                if let RuleKind::Required = r.kind {
                    let code = quote!(#p::validate::present(::core::option::Option::is_some(&self.#fi), &__at)?;);
                    body.push(respan(code, span(r)));
                } else {
                    inner.push(value(r, p, &quote!(__v), &quote!(&__at)));
                }
            }
            if !inner.is_empty() {
                body.push(quote! {
                    if let ::core::option::Option::Some(__v) = &self.#fi {
                        #unbox
                        #(#inner)*
                    }
                });
            }
        }
        Kind::Repeated | Kind::Map { .. } => {
            let (each, unit) = match f.kind {
                Kind::Repeated => (quote!(each_item), "item"),
                _ => (quote!(each_value), "entry"),
            };
            for r in &f.rules {
                let code = match &r.kind {
                    RuleKind::Length { min, max } => {
                        let (min, max) = (opt_usize(*min), opt_usize(*max));
                        quote!(#p::validate::count(self.#fi.len(), #min, #max, #unit, &__at)?;)
                    }
                    RuleKind::Required => quote!(#p::validate::not_empty(self.#fi.len(), &__at)?;),
                    RuleKind::Nested => quote! {
                        #p::validate::#each(&self.#fi, &__at, |__v, __at| { #unbox #p::validate::nested(__v, __at) })?;
                    },
                    RuleKind::Each(rules) => {
                        // Each inner rule keeps its own span: only the loop is at `each`.
                        let sp = span(r);
                        let mut checks: TokenStream = unbox.clone();
                        checks.extend(rules.iter().map(|r| value(r, p, &quote!(__v), &quote!(__at))));
                        checks.extend(respan(quote!(::core::result::Result::Ok(())), sp));
                        let mut closure = Group::new(Delimiter::Brace, checks);
                        closure.set_span(sp);
                        let mut args = respan(quote!(&self.#fi, &__at, |__v, __at|), sp);
                        args.extend([TokenTree::Group(closure)]);
                        let mut call = Group::new(Delimiter::Parenthesis, args);
                        call.set_span(sp);
                        let mut code = respan(quote!(#p::validate::#each), sp);
                        code.extend([TokenTree::Group(call)]);
                        code.extend(respan(quote!(?;), sp));
                        body.push(code);
                        continue;
                    }
                    RuleKind::Range { .. } | RuleKind::Pattern(_) | RuleKind::Email => {
                        unreachable!("rejected on repeated fields by the model")
                    }
                };
                body.push(respan(code, span(r)));
            }
        }
    }
    quote! {
        {
            let __at = __at.field(#fname);
            #(#body)*
        }
    }
}

/// One rule on one value: `v` is a `&T`, `at` a `&FieldPath`.
fn value(r: &Rule, p: &TokenStream, v: &TokenStream, at: &TokenStream) -> TokenStream {
    let code = match &r.kind {
        RuleKind::Length { min, max } => {
            let (min, max) = (opt_usize(*min), opt_usize(*max));
            quote!(#p::validate::length(#v, #min, #max, #at)?;)
        }
        RuleKind::Range { lower, upper, .. } => {
            let bound = |b: &Option<(TokenStream, bool)>| match b {
                Some((t, inclusive)) => quote!(::core::option::Option::Some((#t, #inclusive))),
                None => quote!(::core::option::Option::None),
            };
            let (lower, upper) = (bound(lower), bound(upper));
            quote!(#p::validate::range(#v, #lower, #upper, #at)?;)
        }
        RuleKind::Pattern(lit) => quote! {
            {
                static __BIA_PATTERN: #p::validate::Pattern = #p::validate::Pattern::new(#lit);
                #p::validate::pattern(#v, &__BIA_PATTERN, #at)?;
            }
        },
        RuleKind::Email => quote!(#p::validate::email(#v, #at)?;),
        RuleKind::Required => quote!(#p::validate::required(#v, #at)?;),
        RuleKind::Nested => quote!(#p::validate::nested(#v, #at)?;),
        RuleKind::Each(_) => unreachable!("each(..) is rejected inside each(..) and on single values by the model"),
    };
    respan(code, span(r))
}

/// `def` (a `FieldDef` expression) with the field's rules for the schema,
/// or `def` alone when the field has none that the schema states.
pub fn with_rules(f: &Field, p: &TokenStream, def: TokenStream) -> TokenStream {
    let rules = schema_rules(&f.rules, p);
    if rules.is_empty() {
        return def;
    }
    quote!(#p::with_rules(#def, ::std::vec![#(#rules),*]))
}

/// The rules as `bia::schema::Rule` values (`nested` states nothing: the
/// nested message's own rules are in its schema).
fn schema_rules(rules: &[Rule], p: &TokenStream) -> Vec<TokenStream> {
    let opt = |v: Option<usize>| match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    rules
        .iter()
        .filter_map(|r| {
            Some(match &r.kind {
                RuleKind::Length { min, max } => {
                    let (min, max) = (opt(*min), opt(*max));
                    quote!(#p::Rule::Length { min: #min, max: #max })
                }
                RuleKind::Range { lower, upper, values } => {
                    // The bound's value as an `f64` literal: the bound's own
                    // tokens may not fit an `i32`, which a cast would infer.
                    let bound = |b: &Option<(TokenStream, bool)>, v: Option<f64>| match (b, v) {
                        (Some((_, inclusive)), Some(v)) => {
                            let v = proc_macro2::Literal::f64_suffixed(v);
                            quote!(::core::option::Option::Some((#v, #inclusive)))
                        }
                        _ => quote!(::core::option::Option::None),
                    };
                    let (min, max) = (bound(lower, values.0), bound(upper, values.1));
                    quote!(#p::Rule::Range { min: #min, max: #max })
                }
                RuleKind::Pattern(lit) => quote!(#p::Rule::Pattern(#lit)),
                RuleKind::Email => quote!(#p::Rule::Email),
                RuleKind::Required => quote!(#p::Rule::Required),
                RuleKind::Nested => return None,
                RuleKind::Each(inner) => {
                    let inner = schema_rules(inner, p);
                    quote!(#p::Rule::Each(::std::vec![#(#inner),*]))
                }
            })
        })
        .collect()
}
