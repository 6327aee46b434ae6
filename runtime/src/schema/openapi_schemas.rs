//! The schemas of the document: a field's value as the proto3 JSON codec
//! writes it, the well-known types' JSON forms, `#[validate]` rules as
//! keywords, messages and enums as components.

use prost_types::field_descriptor_proto::Type;
use serde_json::{json, Map, Value};

use super::*;
use crate::schema::int_pattern::int_range_pattern;

pub(super) fn is_64_bit(t: Type) -> bool {
    matches!(t, Type::Int64 | Type::Uint64 | Type::Sint64 | Type::Fixed64 | Type::Sfixed64)
}

/// Whether a value of this type can be read from one path or query value.
pub(super) fn is_param_value(t: &TypeRef) -> bool {
    match t.ty {
        Type::Message => matches!(
            t.type_name,
            Some(
                "google.protobuf.Timestamp"
                    | "google.protobuf.Duration"
                    | "google.protobuf.FieldMask"
                    | "google.protobuf.DoubleValue"
                    | "google.protobuf.FloatValue"
                    | "google.protobuf.Int64Value"
                    | "google.protobuf.UInt64Value"
                    | "google.protobuf.Int32Value"
                    | "google.protobuf.UInt32Value"
                    | "google.protobuf.BoolValue"
                    | "google.protobuf.StringValue"
                    | "google.protobuf.BytesValue"
            )
        ),
        Type::Enum => t.type_name != Some("google.protobuf.NullValue"),
        Type::Group => false,
        _ => true,
    }
}

pub(super) fn scalar_schema(t: Type) -> Value {
    match t {
        Type::Double | Type::Float => {
            let format = if t == Type::Double { "double" } else { "float" };
            json!({
                "anyOf": [
                    { "type": "number", "format": format },
                    { "type": "string", "enum": ["NaN", "Infinity", "-Infinity"] }
                ]
            })
        }
        Type::Int32 | Type::Sint32 | Type::Sfixed32 => json!({ "type": "integer", "format": "int32" }),
        Type::Uint32 | Type::Fixed32 => {
            json!({ "type": "integer", "format": "uint32", "minimum": 0, "maximum": u32::MAX })
        }
        // Strings: a pattern bounds them (see `int_pattern`).
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => json!({
            "type": "string",
            "format": "int64",
            "pattern": int_range_pattern(i64::MIN.into(), i64::MAX.into()),
        }),
        Type::Uint64 | Type::Fixed64 => json!({
            "type": "string",
            "format": "uint64",
            "pattern": int_range_pattern(0, u64::MAX.into()),
        }),
        Type::Bool => json!({ "type": "boolean" }),
        Type::String => json!({ "type": "string" }),
        Type::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
        Type::Group | Type::Message | Type::Enum => json!({}),
    }
}

/// The JSON form of a well-known message, or `None` for another message.
pub(super) fn well_known_schema(name: &str) -> Option<Value> {
    let wrapper = |t: Type| {
        let mut s = scalar_schema(t);
        insert(&mut s, "description", json!(format!("A `{name}`: its value alone.")));
        s
    };
    Some(match name {
        "google.protobuf.Timestamp" => json!({ "type": "string", "format": "date-time" }),
        "google.protobuf.Duration" => json!({
            "type": "string",
            "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$",
            "description": "A duration in seconds with up to nine fractional digits, such as `1.5s`."
        }),
        "google.protobuf.FieldMask" => json!({
            "type": "string",
            "description": "Field paths separated by commas, in lowerCamelCase: `displayName,address.zipCode`."
        }),
        "google.protobuf.Struct" => json!({ "type": "object", "additionalProperties": true }),
        "google.protobuf.Value" => json!({ "description": "Any JSON value." }),
        "google.protobuf.ListValue" => json!({ "type": "array", "items": true }),
        "google.protobuf.Empty" => json!({ "type": "object", "properties": {} }),
        "google.protobuf.Any" => json!({
            "type": "object",
            "properties": { "@type": { "type": "string", "description": "`type.googleapis.com/` and the message's full name." } },
            "required": ["@type"],
            "additionalProperties": true,
            "description": "A message of any type: `@type` names it, the other properties are its fields (a well-known type's JSON form is under `value`)."
        }),
        "google.protobuf.DoubleValue" => wrapper(Type::Double),
        "google.protobuf.FloatValue" => wrapper(Type::Float),
        "google.protobuf.Int64Value" => wrapper(Type::Int64),
        "google.protobuf.UInt64Value" => wrapper(Type::Uint64),
        "google.protobuf.Int32Value" => wrapper(Type::Int32),
        "google.protobuf.UInt32Value" => wrapper(Type::Uint32),
        "google.protobuf.BoolValue" => wrapper(Type::Bool),
        "google.protobuf.StringValue" => wrapper(Type::String),
        "google.protobuf.BytesValue" => wrapper(Type::Bytes),
        _ => return None,
    })
}

/// Applies `rules` to the schema of one value (`ty`'s) or of the whole
/// field (`label`'s: a list, a map).
pub(super) fn apply_rules(schema: &mut Value, rules: &[Rule], label: Label, ty: &TypeRef, notes: &mut Vec<String>) {
    for r in rules {
        match r {
            Rule::Length { min, max } => {
                let (lo, hi) = match label {
                    Label::Repeated => ("minItems", "maxItems"),
                    Label::Map => ("minProperties", "maxProperties"),
                    _ if ty.ty == Type::String => ("minLength", "maxLength"),
                    _ => {
                        // Bytes: the rule counts bytes, the JSON is base64.
                        notes.push(length_note(*min, *max, "bytes"));
                        continue;
                    }
                };
                if let Some(v) = min {
                    insert(schema, lo, json!(v));
                }
                if let Some(v) = max {
                    insert(schema, hi, json!(v));
                }
            }
            Rule::Range { min, max } => {
                if is_64_bit(ty.ty) {
                    // The JSON is a string: the pattern takes the bounds, and a
                    // note says them, as keywords for numbers would not apply.
                    let (mut lo, mut hi): (i128, i128) = if matches!(ty.ty, Type::Uint64 | Type::Fixed64) {
                        (0, u64::MAX.into())
                    } else {
                        (i64::MIN.into(), i64::MAX.into())
                    };
                    if let Some((v, inc)) = min {
                        let v = if *inc { v.ceil() } else { v.floor() + 1.0 };
                        lo = lo.max(v as i128);
                    }
                    if let Some((v, inc)) = max {
                        let v = if *inc { v.floor() } else { v.ceil() - 1.0 };
                        hi = hi.min(v as i128);
                    }
                    if lo <= hi {
                        insert(schema, "pattern", json!(int_range_pattern(lo, hi)));
                    }
                    let mut parts = Vec::new();
                    if let Some((v, inc)) = min {
                        parts.push(format!("{} {v}", if *inc { "at least" } else { "more than" }));
                    }
                    if let Some((v, inc)) = max {
                        parts.push(format!("{} {v}", if *inc { "at most" } else { "less than" }));
                    }
                    notes.push(format!("Must be {}.", parts.join(" and ")));
                    continue;
                }
                let target = number_part(schema);
                if let Some((v, inc)) = min {
                    insert(target, if *inc { "minimum" } else { "exclusiveMinimum" }, number(*v));
                }
                if let Some((v, inc)) = max {
                    insert(target, if *inc { "maximum" } else { "exclusiveMaximum" }, number(*v));
                }
            }
            Rule::Pattern(p) => insert(schema, "pattern", json!(p)),
            Rule::Email => insert(schema, "format", json!("email")),
            Rule::Required => match label {
                Label::Repeated => insert(schema, "minItems", json!(1)),
                Label::Map => insert(schema, "minProperties", json!(1)),
                Label::Singular if ty.ty == Type::String && schema.get("minLength").is_none() => {
                    insert(schema, "minLength", json!(1))
                }
                _ => {}
            },
            Rule::Each(inner) => {
                let key = if label == Label::Map { "additionalProperties" } else { "items" };
                if let Some(item) = schema.get_mut(key) {
                    apply_rules(item, inner, Label::Singular, ty, notes);
                }
            }
        }
    }
}

/// Whether a field must be sent: `required`, or a rule its default value
/// (what an absent field reads as in proto3) fails, such as a pattern that
/// `""` does not match, `email`, a least length or a range without zero.
pub(super) fn is_required(f: &FieldDef) -> bool {
    if f.label == Label::Optional {
        // Absent is `None`, which the rules leave alone.
        return f.rules.contains(&Rule::Required);
    }
    let text = matches!(f.ty.ty, Type::String | Type::Bytes);
    let number = !text && !matches!(f.ty.ty, Type::Message | Type::Enum | Type::Group | Type::Bool);
    f.rules.iter().any(|r| match r {
        Rule::Required => true,
        Rule::Length { min: Some(min), .. } => *min > 0,
        Rule::Email => f.label == Label::Singular && text,
        Rule::Pattern(p) => {
            f.label == Label::Singular && text && regex_lite::Regex::new(p).is_ok_and(|re| !re.is_match(""))
        }
        Rule::Range { min, max } if f.label == Label::Singular && number => {
            let above = min.is_some_and(|(v, inc)| if inc { v > 0.0 } else { v >= 0.0 });
            let below = max.is_some_and(|(v, inc)| if inc { v < 0.0 } else { v <= 0.0 });
            above || below
        }
        _ => false,
    })
}

/// An enum's description: its doc comment, then its documented values as a
/// list (`- `NAME`: what it means.`).
pub(super) fn enum_doc(e: &crate::schema::EnumDef) -> Option<String> {
    let values: Vec<String> = e
        .values
        .iter()
        .zip(&e.value_docs)
        .map(|((name, _), doc)| (name, clean_doc(doc)))
        .filter(|(_, doc)| !doc.is_empty())
        .map(|(name, doc)| format!("- `{name}`: {}", doc.replace('\n', " ")))
        .collect();
    let doc = clean_doc(e.doc);
    let text = match (doc.is_empty(), values.is_empty()) {
        (true, true) => return None,
        (false, true) => doc,
        (true, false) => values.join("\n"),
        (false, false) => format!("{doc}\n\n{}", values.join("\n")),
    };
    Some(text)
}

/// A description and the notes of its rules, as paragraphs.
pub(super) fn with_notes(mut doc: String, notes: Vec<String>) -> String {
    for n in notes.into_iter().filter(|n| !n.is_empty()) {
        doc = if doc.is_empty() { n } else { format!("{doc}\n\n{n}") };
    }
    doc
}

pub(super) fn length_note(min: Option<usize>, max: Option<usize>, unit: &str) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("From {a} to {b} {unit}."),
        (Some(a), None) => format!("At least {a} {unit}."),
        (None, Some(b)) => format!("At most {b} {unit}."),
        (None, None) => String::new(),
    }
}

/// The part of a float's schema (`anyOf` number or special string) that
/// holds the number.
pub(super) fn number_part(schema: &mut Value) -> &mut Value {
    let is_any_of = schema.get("anyOf").is_some();
    if is_any_of {
        return &mut schema["anyOf"][0];
    }
    schema
}

/// A bound as JSON: an integer when it is one.
pub(super) fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

impl Writer<'_> {
    pub(super) fn message_ref(&self, full_name: &str, style: Style) -> Value {
        match well_known_schema(full_name) {
            Some(s) => s,
            None => reference(&style.component(full_name)),
        }
    }

    /// The schema of one value of type `t`.
    pub(super) fn value_schema(&self, t: &TypeRef, style: Style) -> Value {
        match t.ty {
            Type::Message => {
                let name = t.type_name.unwrap_or_default();
                self.message_ref(name, style)
            }
            Type::Enum => match t.type_name {
                Some("google.protobuf.NullValue") => json!({ "type": "null" }),
                Some(name) => reference(name),
                None => json!({ "type": "string" }),
            },
            other => scalar_schema(other),
        }
    }

    /// The schema of a field: its value, list or map, presence and rules.
    pub(super) fn field_schema(&self, f: &FieldDef, style: Style, notes: &mut Vec<String>) -> Value {
        let value = self.value_schema(&f.ty, style);
        let mut schema = match f.label {
            Label::Singular | Label::Optional => value,
            Label::Repeated => json!({ "type": "array", "items": value }),
            Label::Map => {
                let mut m = json!({ "type": "object", "additionalProperties": value });
                if let Some(k) = &f.key {
                    let keys = match k.ty {
                        Type::Bool => Some(json!({ "enum": ["true", "false"] })),
                        Type::String => None,
                        _ => Some(json!({ "pattern": "^-?[0-9]+$" })),
                    };
                    if let Some(keys) = keys {
                        insert(&mut m, "propertyNames", keys);
                    }
                }
                m
            }
        };
        // A `$ref` keeps its own description: a field's goes beside it.
        if schema.get("$ref").is_some() && (!f.rules.is_empty()) {
            schema = json!({ "allOf": [schema] });
        }
        apply_rules(&mut schema, &f.rules, f.label, &f.ty, notes);
        let required = f.rules.contains(&Rule::Required);
        if f.label == Label::Optional && !required {
            schema = nullable(schema);
        }
        let mut doc = clean_doc(f.doc);
        for n in notes.iter().filter(|n| !n.is_empty()) {
            doc = if doc.is_empty() { n.clone() } else { format!("{doc}\n\n{n}") };
        }
        if !doc.is_empty() {
            insert(&mut schema, "description", json!(doc));
        }
        schema
    }

    pub(super) fn message_schema(&self, m: &MessageDef, style: Style) -> Value {
        let mut props = Map::new();
        let mut required = Vec::new();
        let mut oneofs: Vec<(&str, Vec<&str>, bool)> = Vec::new();
        for f in &m.fields {
            let name = style.name(f);
            let mut notes = Vec::new();
            let mut schema = self.field_schema(f, style, &mut notes);
            let req = f.rules.contains(&Rule::Required) || (f.oneof.is_none() && is_required(f));
            if let Some(o) = f.oneof {
                match oneofs.iter_mut().find(|(n, _, _)| *n == o) {
                    Some((_, members, r)) => {
                        members.push(name);
                        *r |= req;
                    }
                    None => oneofs.push((o, vec![name], req)),
                }
                if req {
                    // The oneof's rule, stated by `oneOf` below.
                    if let Some(obj) = schema.as_object_mut() {
                        obj.remove("minLength");
                    }
                }
            } else if req {
                required.push(name);
            }
            props.insert(name.to_owned(), schema);
        }
        let mut s = Map::new();
        s.insert("type".into(), json!("object"));
        let doc = clean_doc(m.doc);
        if !doc.is_empty() {
            s.insert("description".into(), json!(doc));
        }
        s.insert("properties".into(), Value::Object(props));
        if !required.is_empty() {
            s.insert("required".into(), json!(required));
        }
        let mut constraints: Vec<Value> = oneofs
            .iter()
            .map(|(_, members, req)| {
                let mut branches: Vec<Value> = members.iter().map(|n| json!({ "required": [n] })).collect();
                if !req {
                    branches.push(json!({ "not": { "anyOf": branches.clone() } }));
                }
                json!({ "oneOf": branches })
            })
            .collect();
        match constraints.len() {
            0 => {}
            1 => {
                let one = constraints.remove(0);
                s.insert("oneOf".into(), one["oneOf"].clone());
            }
            _ => {
                s.insert("allOf".into(), json!(constraints));
            }
        }
        if !oneofs.is_empty() {
            let names: Vec<String> = oneofs
                .iter()
                .map(|(o, members, req)| {
                    let which = if *req { "exactly one" } else { "at most one" };
                    format!(
                        "`{o}`: {which} of {}",
                        members.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                    )
                })
                .collect();
            s.insert("x-bia-oneofs".into(), json!(names));
        }
        Value::Object(s)
    }
}
