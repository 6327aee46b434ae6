//! Field masks for the standard Update method (AIP-134): check a mask
//! against a message's fields, and apply it to merge a patch into a stored
//! value.
//!
//! ```
//! use bia::codec::field_mask;
//! use bia::types::FieldMask;
//!
//! #[bia::message(package = "doc.v1")]
//! pub struct Address { pub city: String, pub zip_code: String }
//! #[bia::message(package = "doc.v1")]
//! pub struct Profile { pub name: String, pub email: String, pub address: Option<Address> }
//!
//! let mut stored = Profile {
//!     name: "Ann".into(),
//!     email: "ann@example.com".into(),
//!     address: Some(Address { city: "Oslo".into(), zip_code: "0150".into() }),
//! };
//! let patch = Profile {
//!     name: "Anna".into(),
//!     address: Some(Address { city: String::new(), zip_code: "0151".into() }),
//!     ..Default::default()
//! };
//! let mask = FieldMask { paths: vec!["name".into(), "address.zip_code".into()] };
//! field_mask::validate::<Profile>(&mask).unwrap();
//! field_mask::apply(&mut stored, &patch, &mask).unwrap();
//! assert_eq!(stored.name, "Anna");
//! assert_eq!(stored.email, "ann@example.com"); // not in the mask
//! assert_eq!(stored.address.unwrap(), Address { city: "Oslo".into(), zip_code: "0151".into() });
//!
//! let err = field_mask::validate::<Profile>(&FieldMask { paths: vec!["nickname".into()] }).unwrap_err();
//! assert!(err.is(400, bia::error::reason::FIELD_MASK));
//! assert_eq!(err.metadata()["path"], "nickname");
//! ```

use super::{FieldMeta, Message};
use crate::error::reason::FIELD_MASK;
use crate::error::Error;
use crate::types::FieldMask;

/// Checks that every path of `mask` names a field of `M` (by proto name,
/// through message fields; `*` alone means every field). A 400 with reason
/// `FIELD_MASK` names the first path that does not, in metadata `path`.
///
/// A path stops at a repeated or map field, and at a boxed one (whose fields
/// the check does not see); a path that goes below one is refused.
pub fn validate<M: Message>(mask: &FieldMask) -> Result<(), Error> {
    if is_everything(mask) {
        return Ok(());
    }
    for path in &mask.paths {
        resolve(M::FIELDS, path, M::FULL_NAME)?;
    }
    Ok(())
}

/// Whether `mask` is `*`: the whole resource.
fn is_everything(mask: &FieldMask) -> bool {
    mask.paths.len() == 1 && mask.paths[0] == "*"
}

/// The JSON names along `path`, or the error naming what is wrong.
fn resolve(mut fields: &'static [FieldMeta], path: &str, message: &str) -> Result<Vec<&'static str>, Error> {
    let bad = |why: String| Error::bad_request(FIELD_MASK, why).with_metadata("path", path);
    if path == "*" {
        return Err(bad("`*` stands alone in a field mask: it means every field".to_owned()));
    }
    let mut names = Vec::new();
    let mut at = message.to_owned();
    let mut segments = path.split('.').peekable();
    while let Some(seg) = segments.next() {
        let Some(f) = fields.iter().find(|f| f.name == seg) else {
            return Err(bad(format!("field mask path `{path}`: {at} has no field `{seg}`")));
        };
        names.push(f.json_name);
        if segments.peek().is_some() {
            if f.nested.is_empty() {
                return Err(bad(format!(
                    "field mask path `{path}`: `{seg}` of {at} is not a message field a path can go into"
                )));
            }
            at = format!("{at}.{seg}");
            fields = f.nested;
        }
    }
    Ok(names)
}

/// Sets the fields `mask` names in `target` to their values in `patch`
/// (each named field is replaced whole: a message, a list, a map); the
/// others keep theirs. `*` replaces everything. The mask is checked first,
/// as [`validate`] does.
pub fn apply<M: Message>(target: &mut M, patch: &M, mask: &FieldMask) -> Result<(), Error> {
    if is_everything(mask) {
        *target = patch.clone();
        return Ok(());
    }
    let paths: Vec<Vec<&str>> =
        mask.paths.iter().map(|p| resolve(M::FIELDS, p, M::FULL_NAME)).collect::<Result<_, _>>()?;
    if paths.is_empty() {
        return Ok(());
    }
    // Through the proto3 JSON of both values: every field of a message is
    // there by its JSON name, whatever its type. (Hand-written: no crate
    // knows this message model.)
    let codec = |e: serde_json::Error| Error::internal_server(crate::error::reason::CODEC, e.to_string());
    let from = crate::codec::json::with_camel_case(|| serde_json::to_value(patch)).map_err(codec)?;
    let mut into = crate::codec::json::with_camel_case(|| serde_json::to_value(&*target)).map_err(codec)?;
    for names in &paths {
        let value = get(&from, names).cloned().unwrap_or(serde_json::Value::Null);
        set(&mut into, names, value);
    }
    *target = serde_json::from_value(into).map_err(codec)?;
    Ok(())
}

fn get<'a>(mut v: &'a serde_json::Value, names: &[&str]) -> Option<&'a serde_json::Value> {
    for n in names {
        v = v.as_object()?.get(*n)?;
    }
    Some(v)
}

fn set(mut v: &mut serde_json::Value, names: &[&str], value: serde_json::Value) {
    let Some((last, parents)) = names.split_last() else { return };
    for n in parents {
        if !v.is_object() {
            *v = serde_json::Value::Object(serde_json::Map::new());
        }
        let map = v.as_object_mut().expect("just made an object");
        v = map.entry(n.to_string()).or_insert(serde_json::Value::Null);
    }
    if !v.is_object() {
        *v = serde_json::Value::Object(serde_json::Map::new());
    }
    v.as_object_mut().expect("just made an object").insert(last.to_string(), value);
}
