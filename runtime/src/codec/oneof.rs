//! Oneofs: a Rust enum whose variants are the members of a proto `oneof`,
//! held by a message as `#[field(oneof)] pub choice: Option<Choice>`.

use bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType};
use prost::DecodeError;
use serde::de::MapAccess;
use serde::ser::SerializeMap;

use super::QueryWriter;
use crate::schema::{FieldDef, SchemaBuilder};

/// A proto `oneof`, implemented by `#[bia::oneof]`.
///
/// ```
/// #[bia::oneof]
/// pub enum Contact {
///     #[field(tag = 3)]
///     Email(String),
///     #[field(tag = 4)]
///     Phone(String),
/// }
///
/// #[bia::message(package = "user.v1")]
/// pub struct Person {
///     pub name: String,
///     #[field(oneof)]
///     pub contact: Option<Contact>,
/// }
///
/// let p = Person { name: "a".into(), contact: Some(Contact::Phone("123".into())) };
/// assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"name":"a","phone":"123"}"#);
/// let back: Person = serde_json::from_str(r#"{"email":"a@b.c"}"#).unwrap();
/// assert_eq!(back.contact, Some(Contact::Email("a@b.c".into())));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Bia oneof",
    label = "`#[field(oneof)]` needs a #[bia::oneof] enum here",
    note = "annotate the enum with #[bia::oneof], or remove `oneof` from #[field(..)]"
)]
pub trait Oneof: Sized + Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// The tags of every member.
    const TAGS: &'static [u32];

    /// Encodes the present member.
    fn encode(&self, buf: &mut impl BufMut);
    /// The length [`Oneof::encode`] writes.
    fn encoded_len(&self) -> usize;
    /// Merges the member with `tag` (one of [`Oneof::TAGS`]) into `field`.
    fn merge(
        field: &mut Option<Self>,
        tag: u32,
        wt: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
    /// The members as fields of the message, in the oneof called `name`.
    fn describe(b: &mut SchemaBuilder, name: &'static str) -> Vec<FieldDef>;
    /// Writes the present member as one JSON entry.
    fn serialize_entry<M: SerializeMap>(&self, map: &mut M, snake_case: bool) -> Result<(), M::Error>;
    /// Whether `key` names a member (by proto or JSON name).
    fn is_key(key: &str) -> bool;
    /// Reads the member named `key` from the value of a JSON entry.
    fn deserialize_member<'de, A: MapAccess<'de>>(key: &str, access: &mut A) -> Result<Self, A::Error>;
    /// Binds a path or query value to the member named `head`; `None` when
    /// `head` names no member.
    fn bind_param(
        field: &mut Option<Self>,
        head: &str,
        rest: Option<&str>,
        value: &str,
    ) -> Option<Result<bool, String>>;
    /// The text of the member named `head`, if it is the present one.
    fn param(field: &Option<Self>, head: &str, rest: Option<&str>) -> Option<String>;
    /// Writes the present member as query pairs.
    fn write_query(&self, prefix: &str, skip: &[&str], q: &mut QueryWriter);
}

/// Whether two tag lists share a tag (compile-time check of oneof tags
/// against the message's other fields).
#[doc(hidden)]
pub const fn tags_overlap(a: &[u32], b: &[u32]) -> bool {
    let mut i = 0;
    while i < a.len() {
        let mut j = 0;
        while j < b.len() {
            if a[i] == b[j] {
                return true;
            }
            j += 1;
        }
        i += 1;
    }
    false
}
