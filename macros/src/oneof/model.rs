//! Raw oneof -> checked members: one value each, a tag each, tags unique.

use proc_macro2::TokenStream;

use super::parse::RawOneof;
use crate::case;
use crate::common::model::{codec, crate_path, field_tag};
use crate::error_store::ErrorSink;

pub struct Member {
    pub ident: syn::Ident,
    pub name: String,
    pub json_name: String,
    pub tag: u32,
    pub ty: syn::Type,
    pub codec: TokenStream,
    pub doc: String,
}

pub struct Oneof {
    pub krate: syn::Path,
    pub members: Vec<Member>,
}

pub fn check(raw: RawOneof, item: &syn::ItemEnum, errors: &ErrorSink<'_>) -> Option<Oneof> {
    let krate = crate_path(raw.krate.as_ref(), errors);
    if !item.generics.params.is_empty() {
        errors.error(&item.generics, "a #[bia::oneof] enum cannot be generic");
    }
    let mut members: Vec<Member> = Vec::new();
    for (v, m) in item.variants.iter().zip(raw.members) {
        let ty = match &v.fields {
            syn::Fields::Unnamed(u) if u.unnamed.len() == 1 => u.unnamed[0].ty.clone(),
            _ => {
                errors.error(v, "a oneof variant holds exactly one value, like `Email(String)`");
                continue;
            }
        };
        let Some(tag_lit) = m.tag else {
            errors.error(&v.ident, "a oneof variant needs `#[field(tag = N)]`: its tag shares the tag space of the message that holds the oneof");
            continue;
        };
        let Some(tag) = field_tag(&tag_lit) else {
            errors.error(&tag_lit, "a tag must be between 1 and 536870911, outside 19000..=19999");
            continue;
        };
        if let Some(other) = members.iter().find(|m| m.tag == tag) {
            errors.error(&tag_lit, format!("tag {tag} is already used by `{}`", other.ident));
            continue;
        }
        let name = case::snake(&case::unraw(&v.ident));
        members.push(Member {
            ident: v.ident.clone(),
            json_name: m.json_name.map(|j| j.value()).unwrap_or_else(|| case::json_name(&name)),
            name,
            tag,
            codec: codec(&krate, m.encoding.as_ref(), &ty),
            ty,
            doc: m.doc,
        });
    }
    if item.variants.is_empty() {
        errors.error(&item.ident, "a oneof needs at least one variant");
    }
    Some(Oneof { krate, members })
}
