//! `#[validate(...)]` as written -> checked rules. A rule must fit the field's
//! kind (one value, `Option`, `Vec`, map, oneof); when the macro can see the
//! value type from its spelling (`String`, `i32`, ...) it also checks that the
//! rule fits it. Types it cannot see (messages, enums, aliases) are checked by
//! rustc through the runtime's rule traits, spanned at the rule as well.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};

use super::model::{last_segment, Kind};
use super::parse::{RawRule, RawRuleKind};
use crate::error_store::ErrorSink;

/// A checked rule.
pub struct Rule {
    /// The rule's keyword, where errors of generated code point.
    pub span: Span,
    pub kind: RuleKind,
}

pub enum RuleKind {
    /// Characters, bytes, items or entries.
    Length {
        min: Option<usize>,
        max: Option<usize>,
    },
    /// `(bound, inclusive)` as tokens of the field's number type, and
    /// each bound's value as a number (for the schema).
    Range {
        lower: Option<(TokenStream, bool)>,
        upper: Option<(TokenStream, bool)>,
        values: (Option<f64>, Option<f64>),
    },
    Pattern(syn::LitStr),
    Email,
    Required,
    Nested,
    /// Rules of every element (`Vec`) or value (map).
    Each(Vec<Rule>),
}

/// What the macro can tell of a value type from its spelling.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Int {
        unsigned: bool,
    },
    Float,
    Bool,
    Str,
    Bytes,
    /// A message, an enum, a well-known type or an alias: rustc checks.
    Other,
}

fn class(ty: &syn::Type) -> Class {
    match last_segment(ty) {
        // Rules see through a box.
        Some((id, args)) if id == "Box" && args.len() == 1 => class(args[0]),
        Some((id, args)) if args.is_empty() => match id.to_string().as_str() {
            "i32" | "i64" => Class::Int { unsigned: false },
            "u32" | "u64" => Class::Int { unsigned: true },
            "f32" | "f64" => Class::Float,
            "bool" => Class::Bool,
            "String" => Class::Str,
            "Bytes" => Class::Bytes,
            _ => Class::Other,
        },
        Some((id, args)) if id == "Vec" && args.len() == 1 => {
            if matches!(last_segment(args[0]), Some((inner, a)) if inner == "u8" && a.is_empty()) {
                Class::Bytes
            } else {
                Class::Other
            }
        }
        _ => Class::Other,
    }
}

fn type_text(ty: &syn::Type) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

/// Checks the rules of one field.
pub fn check(raw: Vec<RawRule>, kind: &Kind, elem: &syn::Type, field: &str, errors: &ErrorSink<'_>) -> Vec<Rule> {
    no_duplicates(&raw, errors);
    let mut out = Vec::new();
    for r in raw {
        let span = r.name.span();
        let name = r.name.to_string();
        let kind = match kind {
            Kind::Oneof => match r.kind {
                RawRuleKind::Required => Some(RuleKind::Required),
                _ => {
                    errors.error_at(
                        span,
                        format!(
                            "on a oneof field only `required` applies (one member must be set); \
                             remove `{name}` from `{field}`"
                        ),
                    );
                    None
                }
            },
            Kind::Singular | Kind::Optional => match r.kind {
                RawRuleKind::Each(_) => {
                    errors.error_at(
                        span,
                        format!(
                            "`each(..)` applies rules to the elements of a Vec<T> or the values of a map, and \
                             `{field}` is neither; put the rules directly in #[validate(..)]"
                        ),
                    );
                    None
                }
                // `Option<T>`: must be `Some`, whatever `T` is.
                RawRuleKind::Required if matches!(kind, Kind::Optional) => Some(RuleKind::Required),
                other => value_rule(RawRule { name: r.name, kind: other }, elem, errors),
            },
            Kind::Repeated | Kind::Map { .. } => {
                let (what, unit) =
                    if matches!(kind, Kind::Repeated) { ("a repeated field", "element") } else { ("a map", "value") };
                match r.kind {
                    RawRuleKind::Length { min, max } => length(min, max, span, errors),
                    RawRuleKind::Required => Some(RuleKind::Required),
                    RawRuleKind::Nested => {
                        value_rule(RawRule { name: r.name, kind: RawRuleKind::Nested }, elem, errors)
                    }
                    RawRuleKind::Each(inner) => {
                        no_duplicates(&inner, errors);
                        let rules: Vec<Rule> = inner
                            .into_iter()
                            .filter_map(|i| {
                                let span = i.name.span();
                                value_rule(i, elem, errors).map(|kind| Rule { span, kind })
                            })
                            .collect();
                        Some(RuleKind::Each(required_first(rules)))
                    }
                    RawRuleKind::Range { .. } | RawRuleKind::Pattern(_) | RawRuleKind::Email => {
                        errors.error_at(
                            span,
                            format!(
                                "`{name}` checks one value, and `{field}` is {what}; to check every {unit}, \
                                 write `each({name}..)`"
                            ),
                        );
                        None
                    }
                }
            }
        };
        if let Some(kind) = kind {
            out.push(Rule { span, kind });
        }
    }
    required_first(out)
}

/// `required` runs first: an unset value makes every other rule moot.
fn required_first(mut rules: Vec<Rule>) -> Vec<Rule> {
    rules.sort_by_key(|r| !matches!(r.kind, RuleKind::Required));
    rules
}

fn no_duplicates(raw: &[RawRule], errors: &ErrorSink<'_>) {
    for (i, r) in raw.iter().enumerate() {
        if raw[..i].iter().any(|o| o.name == r.name) {
            let hint = match r.kind {
                RawRuleKind::Length { .. } | RawRuleKind::Range { .. } => {
                    format!("put every bound in one `{}(..)`", r.name)
                }
                RawRuleKind::Each(_) => "put every element rule in one `each(..)`".to_owned(),
                _ => "keep one".to_owned(),
            };
            errors.error(&r.name, format!("`{}` is given twice for this field; {hint}", r.name));
        }
    }
}

/// A rule on one value of type `elem` (a field, the value of an `Option`,
/// an element of `each(..)`).
fn value_rule(r: RawRule, elem: &syn::Type, errors: &ErrorSink<'_>) -> Option<RuleKind> {
    let c = class(elem);
    let ty = type_text(elem);
    let span = r.name.span();
    let number = matches!(c, Class::Int { .. } | Class::Float);
    match r.kind {
        RawRuleKind::Length { min, max } => {
            if number || c == Class::Bool {
                errors.error_at(
                    span,
                    format!(
                        "`length` measures strings, bytes, repeated fields and maps, not `{ty}`; \
                         to bound a number use `range(min = .., max = ..)`"
                    ),
                );
                return None;
            }
            length(min, max, span, errors)
        }
        RawRuleKind::Range { min, max, gt, lt } => {
            if matches!(c, Class::Str | Class::Bytes | Class::Bool) {
                errors.error_at(
                    span,
                    format!(
                        "`range` bounds numbers, not `{ty}`; for the length of a string, bytes or a list \
                         use `length(min = .., max = ..)`"
                    ),
                );
                return None;
            }
            range(min, max, gt, lt, c, &ty, span, errors)
        }
        RawRuleKind::Pattern(lit) => {
            if !matches!(c, Class::Str | Class::Other) {
                errors.error_at(span, format!("`pattern` checks String values, not `{ty}`; remove it"));
                return None;
            }
            if let Err(e) = regex_lite::Regex::new(&lit.value()) {
                errors.error(
                    &lit,
                    format!(
                        "invalid regex: {e}; fix the pattern (regex-lite syntax: the `regex` crate's, \
                         without Unicode classes such as \\p{{L}})"
                    ),
                );
                return None;
            }
            Some(RuleKind::Pattern(lit))
        }
        RawRuleKind::Email => {
            if !matches!(c, Class::Str | Class::Other) {
                errors.error_at(span, format!("`email` checks String values, not `{ty}`; remove it"));
                return None;
            }
            Some(RuleKind::Email)
        }
        RawRuleKind::Required => {
            if number || c == Class::Bool {
                errors.error_at(
                    span,
                    format!(
                        "`{ty}` always has a value, so `required` cannot fail; make the field \
                         `Option<{ty}>` to require it, or bound it with `range(..)`"
                    ),
                );
                return None;
            }
            Some(RuleKind::Required)
        }
        RawRuleKind::Nested => {
            if c != Class::Other {
                errors.error_at(
                    span,
                    format!("`nested` validates a #[bia::message] field, and `{ty}` is not one; remove `nested`"),
                );
                return None;
            }
            Some(RuleKind::Nested)
        }
        RawRuleKind::Each(_) => {
            errors.error_at(span, "`each(..)` cannot be nested: its rules already apply to every element");
            None
        }
    }
}

fn length(min: Option<syn::LitInt>, max: Option<syn::LitInt>, span: Span, errors: &ErrorSink<'_>) -> Option<RuleKind> {
    if min.is_none() && max.is_none() {
        errors.error_at(span, "`length` needs a bound: `length(min = N)`, `length(max = N)` or both");
        return None;
    }
    let parse = |lit: &Option<syn::LitInt>, errors: &ErrorSink<'_>| -> Result<Option<usize>, ()> {
        match lit {
            None => Ok(None),
            Some(l) => match l.base10_parse::<usize>() {
                Ok(n) => Ok(Some(n)),
                Err(_) => {
                    errors.error(l, "a `length` bound is a count: a whole number like `0` or `64`");
                    Err(())
                }
            },
        }
    };
    let (lo, hi) = (parse(&min, errors), parse(&max, errors));
    let (Ok(lo), Ok(hi)) = (lo, hi) else { return None };
    if let (Some(a), Some(b), Some(lit)) = (lo, hi, &max) {
        if a > b {
            errors.error(lit, format!("`min = {a}` is greater than `max = {b}`: no value can pass; swap them"));
            return None;
        }
    }
    Some(RuleKind::Length { min: lo, max: hi })
}

/// A `range` bound: its value (to compare bounds) and its tokens.
struct Bound {
    value: f64,
    int: Option<i128>,
    tokens: TokenStream,
    lit: syn::Lit,
    inclusive: bool,
}

fn bound(lit: syn::Lit, inclusive: bool, c: Class, ty: &str, errors: &ErrorSink<'_>) -> Option<Bound> {
    let (value, int, tokens) = match &lit {
        syn::Lit::Int(i) => {
            let Ok(n) = i.base10_parse::<i128>() else {
                errors.error(i, "this bound does not fit in any integer type");
                return None;
            };
            if matches!(c, Class::Int { unsigned: true }) && n < 0 {
                errors.error(i, format!("a `{ty}` cannot be negative; use a bound of 0 or more"));
                return None;
            }
            let tokens = if c == Class::Float && i.suffix().is_empty() {
                // `min = 0` on an `f64`: write it as the float literal `0.0`.
                syn::LitFloat::new(&format!("{}.0", i.base10_digits()), i.span()).into_token_stream()
            } else {
                i.into_token_stream()
            };
            (n as f64, Some(n), tokens)
        }
        syn::Lit::Float(f) => {
            if matches!(c, Class::Int { .. }) {
                errors.error(f, format!("`{ty}` is an integer, so its bounds are whole numbers, like `0` or `-5`"));
                return None;
            }
            let Ok(v) = f.base10_parse::<f64>() else {
                errors.error(f, "this bound is not a number");
                return None;
            };
            (v, None, f.into_token_stream())
        }
        other => {
            errors.error(other, "a `range` bound is a number, like `0`, `-5` or `1.5`");
            return None;
        }
    };
    Some(Bound { value, int, tokens, lit, inclusive })
}

#[allow(clippy::too_many_arguments)]
fn range(
    min: Option<syn::Lit>,
    max: Option<syn::Lit>,
    gt: Option<syn::Lit>,
    lt: Option<syn::Lit>,
    c: Class,
    ty: &str,
    span: Span,
    errors: &ErrorSink<'_>,
) -> Option<RuleKind> {
    if min.is_none() && max.is_none() && gt.is_none() && lt.is_none() {
        errors.error_at(
            span,
            "`range` needs a bound: `min = X`, `max = X` (inclusive), `gt = X` or `lt = X` (exclusive)",
        );
        return None;
    }
    if let (Some(_), Some(g)) = (&min, &gt) {
        errors.error(g, "give one lower bound: `min` (inclusive) or `gt` (exclusive)");
        return None;
    }
    if let (Some(_), Some(l)) = (&max, &lt) {
        errors.error(l, "give one upper bound: `max` (inclusive) or `lt` (exclusive)");
        return None;
    }
    let bounds = errors.child();
    let lower = min.map(|l| (l, true)).or(gt.map(|l| (l, false))).and_then(|(l, inc)| bound(l, inc, c, ty, &bounds));
    let upper = max.map(|l| (l, true)).or(lt.map(|l| (l, false))).and_then(|(l, inc)| bound(l, inc, c, ty, &bounds));
    if bounds.has_errors() {
        return None;
    }
    if let (Some(lo), Some(hi)) = (&lower, &upper) {
        let empty = match (lo.int, hi.int) {
            (Some(a), Some(b)) => a > b || (a == b && !(lo.inclusive && hi.inclusive)),
            _ => lo.value > hi.value || (lo.value == hi.value && !(lo.inclusive && hi.inclusive)),
        };
        if empty {
            let (l, h) = (lo.lit.to_token_stream(), hi.lit.to_token_stream());
            let l = if lo.inclusive { format!("at least {l}") } else { format!("greater than {l}") };
            let h = if hi.inclusive { format!("at most {h}") } else { format!("less than {h}") };
            errors.error(&hi.lit, format!("this range is empty: no value is {l} and {h}; fix the bounds"));
            return None;
        }
    }
    let values = (lower.as_ref().map(|b| b.value), upper.as_ref().map(|b| b.value));
    Some(RuleKind::Range {
        lower: lower.map(|b| (b.tokens, b.inclusive)),
        upper: upper.map(|b| (b.tokens, b.inclusive)),
        values,
    })
}

/// `quote!` of an `Option<usize>`.
pub fn opt_usize(v: Option<usize>) -> TokenStream {
    match v {
        Some(n) => {
            let n = proc_macro2::Literal::usize_unsuffixed(n);
            quote!(::core::option::Option::Some(#n))
        }
        None => quote!(::core::option::Option::None),
    }
}
