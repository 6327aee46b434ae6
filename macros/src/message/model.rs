//! Raw attributes -> a checked message model. Every check is here, and each
//! failure is an error spanned at the user's token.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use super::parse::{RawField, RawMessage};
use super::rules::{self, Rule};
use crate::case;
use crate::common::model::{codec, encoding, field_tag, free_tag, is_generic, ProtoNames, MAX_TAG};
use crate::error_store::ErrorSink;

/// How a field holds its values.
pub enum Kind {
    /// `T`: implicit presence.
    Singular,
    /// `Option<T>`: explicit presence.
    Optional,
    /// `Vec<T>`: repeated.
    Repeated,
    /// `HashMap<K, V>` / `BTreeMap<K, V>`.
    Map { key: Box<syn::Type>, key_codec: TokenStream },
    /// `#[field(oneof)] Option<T>`: the members of `T` are fields of the message.
    Oneof,
}

/// A checked field.
pub struct Field {
    pub ident: syn::Ident,
    pub name: String,
    pub json_name: String,
    pub tag: u32,
    pub kind: Kind,
    /// The value type (element of `Option`/`Vec`, value of a map).
    pub elem: syn::Type,
    /// The codec type that encodes `elem`.
    pub codec: TokenStream,
    /// The `#[validate(...)]` rules, `required` first.
    pub rules: Vec<Rule>,
    pub doc: String,
}

/// A checked message.
pub struct Message {
    pub krate: syn::Path,
    pub ident: syn::Ident,
    pub package: String,
    pub name: String,
    pub full_name: String,
    pub fields: Vec<Field>,
    pub reserved: Vec<u32>,
    pub doc: String,
}

pub const SUPPORTED: &str = "supported field types: i32, i64, u32, u64, f32, f64, bool, String, \
    Vec<u8>, bytes::Bytes, the well-known types of bia::types, a #[bia::message] struct, \
    a #[bia::enumeration] enum, Box<T> of those, and Option<T>, Vec<T>, HashMap<K, V> and \
    BTreeMap<K, V> of those (map keys: integers, bool or String)";

const UNSUPPORTED: [&str; 18] = [
    "i8", "i16", "i128", "u8", "u16", "u128", "isize", "usize", "char", "str", "f16", "f128", "HashSet", "BTreeSet",
    "VecDeque", "Rc", "Arc", "Cow",
];

/// The last segment of a path type with its generic arguments.
pub(super) fn last_segment(ty: &syn::Type) -> Option<(&syn::Ident, Vec<&syn::Type>)> {
    let syn::Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let seg = p.path.segments.last()?;
    let args = match &seg.arguments {
        syn::PathArguments::None => Vec::new(),
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        syn::PathArguments::Parenthesized(_) => return None,
    };
    Some((&seg.ident, args))
}

fn is_bytes_vec(ty: &syn::Type) -> bool {
    matches!(last_segment(ty), Some((id, args)) if id == "Vec" && args.len() == 1
        && matches!(last_segment(args[0]), Some((inner, a)) if inner == "u8" && a.is_empty()))
}

/// Checks a value type: a scalar, a well-known type, a message or an enum.
fn check_value(ty: &syn::Type) -> Result<(), syn::Error> {
    if is_bytes_vec(ty) {
        return Ok(());
    }
    let unsupported =
        |what: &str| syn::Error::new_spanned(ty, format!("{what} cannot be a field of a Bia message; {SUPPORTED}"));
    match last_segment(ty) {
        Some((id, args)) => {
            let name = id.to_string();
            if UNSUPPORTED.contains(&name.as_str()) {
                return Err(unsupported(&format!("`{}`", quote!(#ty).to_string().replace(' ', ""))));
            }
            if name == "Box" && args.len() == 1 {
                // A box holds one value as the field itself would.
                if matches!(last_segment(args[0]), Some((inner, _)) if inner == "Box") {
                    return Err(syn::Error::new_spanned(ty, "`Box<Box<T>>` boxes twice; one `Box<T>` is enough"));
                }
                return check_value(args[0]);
            }
            if matches!(name.as_str(), "Option" | "Vec" | "HashMap" | "BTreeMap") {
                return Err(syn::Error::new_spanned(ty,
                    format!("`{name}` cannot be nested here: a proto field is one of T, Option<T>, Vec<T> or a map of scalars to T; wrap the inner value in its own #[bia::message]"),
                ));
            }
            if !args.is_empty() {
                return Err(unsupported(&format!("the generic type `{}`", quote!(#ty).to_string().replace(' ', ""))));
            }
            Ok(())
        }
        None => Err(unsupported("this type")),
    }
}

fn classify(ty: &syn::Type) -> Result<(Kind, syn::Type), syn::Error> {
    if is_bytes_vec(ty) {
        return Ok((Kind::Singular, ty.clone()));
    }
    if let Some((id, args)) = last_segment(ty) {
        match (id.to_string().as_str(), args.as_slice()) {
            ("Option", [inner]) => {
                check_value(inner)?;
                return Ok((Kind::Optional, (*inner).clone()));
            }
            ("Vec", [inner]) => {
                check_value(inner)?;
                return Ok((Kind::Repeated, (*inner).clone()));
            }
            ("HashMap" | "BTreeMap", [k, v]) => {
                let key_ok = matches!(last_segment(k), Some((kid, a)) if a.is_empty()
                    && ["i32", "i64", "u32", "u64", "bool", "String"].contains(&kid.to_string().as_str()));
                if !key_ok {
                    return Err(syn::Error::new_spanned(
                        k,
                        "a map key must be i32, i64, u32, u64, bool or String (protobuf allows no other key types)",
                    ));
                }
                check_value(v)?;
                return Ok((Kind::Map { key: Box::new((*k).clone()), key_codec: TokenStream::new() }, (*v).clone()));
            }
            _ => {}
        }
    }
    check_value(ty)?;
    Ok((Kind::Singular, ty.clone()))
}

/// Checks the message: its arguments, then every field in order.
pub fn check(raw: RawMessage, item: &syn::ItemStruct, errors: &ErrorSink<'_>) -> Option<Message> {
    if let syn::Fields::Unnamed(u) = &item.fields {
        errors.error(u, "a #[bia::message] struct needs named fields (`pub id: String`), not a tuple struct");
    }
    if is_generic(&item.generics) {
        errors.error(
            &item.generics,
            "a #[bia::message] struct cannot be generic: a proto message has one concrete shape",
        );
    }
    let ProtoNames { krate, package, name, full_name } =
        ProtoNames::check(&raw.args, &item.ident, "message", "UserInfo", errors);

    let mut reserved = Vec::new();
    for lit in &raw.args.reserved {
        match lit.base10_parse::<u32>() {
            Ok(t) if (1..=MAX_TAG).contains(&t) => reserved.push(t),
            _ => errors.error(lit, format!("a reserved tag must be between 1 and {MAX_TAG}")),
        }
    }
    let mut fields = Fields {
        krate: &krate,
        message: &item.ident,
        reserved: &reserved,
        used: BTreeMap::new(),
        json_names: BTreeMap::new(),
        next_tag: 1,
    };
    let fields: Vec<Field> = raw.fields.into_iter().filter_map(|f| fields.check(f, errors)).collect();
    Some(Message { krate, ident: item.ident.clone(), package, name, full_name, fields, reserved, doc: raw.doc })
}

/// What checking one field needs to know of the fields before it.
struct Fields<'a> {
    krate: &'a syn::Path,
    /// The message's own name (a field of `Box<Self>` never ends).
    message: &'a syn::Ident,
    reserved: &'a [u32],
    /// Tag -> the field that has it.
    used: BTreeMap<u32, String>,
    /// JSON name -> the field that has it.
    json_names: BTreeMap<String, String>,
    /// The tag a field without `#[field(tag = N)]` gets, if free.
    next_tag: u32,
}

impl Fields<'_> {
    fn check(&mut self, f: RawField, errors: &ErrorSink<'_>) -> Option<Field> {
        let name = case::unraw(&f.ident);
        if let Some(span) = f.oneof {
            return oneof(f, span, name, errors);
        }
        let tag = match &f.tag {
            Some(lit) => match field_tag(lit) {
                Some(t) => t,
                None => {
                    errors.error(
                        lit,
                        format!("a tag must be between 1 and {MAX_TAG}, outside 19000..=19999 (reserved by protobuf)"),
                    );
                    return None;
                }
            },
            None => free_tag(self.next_tag, |t| self.reserved.contains(&t) || self.used.contains_key(&t)),
        };
        self.next_tag = tag + 1;
        let tag_span = f.tag.as_ref().map(|t| t.span()).unwrap_or(f.ident.span());
        if let Some(other) = self.used.get(&tag) {
            errors.error_at(
                tag_span,
                format!(
                    "tag {tag} of `{name}` is already used by `{other}`; give one of them another `#[field(tag = N)]`"
                ),
            );
        } else if self.reserved.contains(&tag) {
            errors.error_at(
                tag_span,
                format!("tag {tag} of `{name}` is reserved in this message; pick another `#[field(tag = N)]`"),
            );
        }
        self.used.insert(tag, name.clone());
        let json_name = f.json_name.as_ref().map(syn::LitStr::value).unwrap_or_else(|| case::json_name(&name));
        if let Some(other) = self.json_names.insert(json_name.clone(), name.clone()) {
            errors.error(&f.ident, format!("JSON name `{json_name}` of `{name}` is already used by `{other}`; rename one with `#[field(json_name = \"..\")]`"));
        }
        let (mut kind, elem) = errors.ok(classify(&f.ty))?;
        if let (Kind::Singular, Some((id, args))) = (&kind, last_segment(&elem)) {
            let own = |t: &syn::Type| matches!(last_segment(t), Some((i, a)) if a.is_empty() && (i == self.message || i == "Self"));
            if id == "Box" && args.len() == 1 && own(args[0]) {
                let me = self.message;
                errors.error(&f.ty, format!("a `{me}` that always holds a `{me}` never ends; make the field `Option<Box<{me}>>` (absent ends the chain) or `Vec<{me}>`"));
                return None;
            }
        }
        if let Some(enc) = &f.encoding {
            let (_, rust, _) = encoding(enc);
            let elem_text = quote!(#elem).to_string().replace(' ', "");
            if elem_text != rust && !elem_text.ends_with(&format!("::{rust}")) {
                errors.error(enc, format!("encoding `{enc}` needs a field of type `{rust}`, not `{elem_text}`"));
                return None;
            }
        }
        if let Kind::Map { key, key_codec } = &mut kind {
            *key_codec = codec(self.krate, None, key);
        }
        let codec = codec(self.krate, f.encoding.as_ref(), &elem);
        let rules = rules::check(f.rules, &kind, &elem, &name, errors);
        Some(Field { ident: f.ident, name, json_name, tag, kind, elem, codec, rules, doc: f.doc })
    }
}

/// A `#[field(oneof)] Option<T>`: its members take their tags and names from
/// the `#[bia::oneof]` enum `T`.
fn oneof(f: RawField, span: Span, name: String, errors: &ErrorSink<'_>) -> Option<Field> {
    if f.tag.is_some() || f.json_name.is_some() || f.encoding.is_some() {
        errors.error_at(
            span,
            "a oneof field takes no tag, json_name or encoding: put them on the variants of the #[bia::oneof] enum",
        );
        return None;
    }
    let inner = match last_segment(&f.ty) {
        Some((id, args)) if id == "Option" && args.len() == 1 => args[0].clone(),
        _ => {
            errors.error(&f.ty, "a oneof field is `Option<T>` where `T` is a #[bia::oneof] enum (None: no member set)");
            return None;
        }
    };
    let rules = rules::check(f.rules, &Kind::Oneof, &inner, &name, errors);
    Some(Field {
        ident: f.ident,
        json_name: case::json_name(&name),
        name,
        tag: 0,
        kind: Kind::Oneof,
        elem: inner,
        codec: TokenStream::new(),
        rules,
        doc: f.doc,
    })
}
