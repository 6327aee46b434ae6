//! `Schema` -> `FileDescriptorSet`, as protoc would produce it from the
//! `.proto` text of the same schema (without source info and options).

use prost_types::field_descriptor_proto::{Label as PLabel, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    FileDescriptorSet, MessageOptions, MethodDescriptorProto, OneofDescriptorProto, ServiceDescriptorProto,
};

use super::{map_entry_name, FieldDef, Label, MessageDef, Schema, TypeRef};

fn type_name(t: &TypeRef) -> Option<String> {
    t.type_name.map(|n| format!(".{n}"))
}

fn scalar_field(name: &str, json: &str, number: i32, t: &TypeRef) -> FieldDescriptorProto {
    FieldDescriptorProto {
        name: Some(name.to_owned()),
        json_name: Some(json.to_owned()),
        number: Some(number),
        label: Some(PLabel::Optional as i32),
        r#type: Some(t.ty as i32),
        type_name: type_name(t),
        ..Default::default()
    }
}

fn message_proto(m: &MessageDef, full: &str) -> DescriptorProto {
    let mut d = DescriptorProto { name: Some(m.name.to_owned()), ..Default::default() };
    for f in &m.fields {
        d.field.push(field_proto(f, full, &mut d.nested_type));
    }
    fix_synthetic_indices(&mut d, m);
    for &tag in &m.reserved {
        d.reserved_range
            .push(prost_types::descriptor_proto::ReservedRange { start: Some(tag as i32), end: Some(tag as i32 + 1) });
    }
    d
}

fn field_proto(f: &FieldDef, full: &str, nested: &mut Vec<DescriptorProto>) -> FieldDescriptorProto {
    let mut p = scalar_field(f.name, f.json_name, f.number as i32, &f.ty);
    match f.label {
        Label::Singular => {}
        Label::Optional => {
            if f.ty.ty != Type::Message {
                p.proto3_optional = Some(true);
            }
        }
        Label::Repeated => p.label = Some(PLabel::Repeated as i32),
        Label::Map => {
            let entry = map_entry_name(f.name);
            let key = f.key.clone().expect("a map field has a key type");
            nested.push(DescriptorProto {
                name: Some(entry.clone()),
                field: vec![scalar_field("key", "key", 1, &key), scalar_field("value", "value", 2, &f.ty)],
                options: Some(MessageOptions { map_entry: Some(true), ..Default::default() }),
                ..Default::default()
            });
            p.label = Some(PLabel::Repeated as i32);
            p.r#type = Some(Type::Message as i32);
            p.type_name = Some(format!(".{full}.{entry}"));
        }
    }
    p
}

impl Schema {
    /// The descriptors of every package file, dependencies first, plus the
    /// well-known files they import (so reflection clients resolve everything).
    pub fn file_descriptor_set(&self) -> FileDescriptorSet {
        let mut files = Vec::new();
        let mut wanted_wkt = std::collections::BTreeSet::new();
        for package in self.packages() {
            let (deps, _http) = self.imports(package);
            let mut file = FileDescriptorProto {
                name: Some(Self::file_name(package)),
                package: Some(package.to_owned()),
                dependency: deps.iter().cloned().collect(),
                syntax: Some("proto3".to_owned()),
                ..Default::default()
            };
            wanted_wkt.extend(deps.into_iter().filter(|d| d.starts_with("google/protobuf/")));
            for (full, m) in self.messages.iter().filter(|(_, m)| m.package == package) {
                file.message_type.push(message_proto(m, full));
            }
            for e in self.enums.values().filter(|e| e.package == package) {
                file.enum_type.push(EnumDescriptorProto {
                    name: Some(e.name.to_owned()),
                    value: e
                        .values
                        .iter()
                        .map(|(n, v)| EnumValueDescriptorProto {
                            name: Some((*n).to_owned()),
                            number: Some(*v),
                            options: None,
                        })
                        .collect(),
                    ..Default::default()
                });
            }
            for s in self.services.values().filter(|s| s.package == package) {
                file.service.push(ServiceDescriptorProto {
                    name: Some(s.name.to_owned()),
                    method: s
                        .methods
                        .iter()
                        .map(|m| MethodDescriptorProto {
                            name: Some(m.name.to_owned()),
                            input_type: Some(format!(".{}", m.input)),
                            output_type: Some(format!(".{}", m.output)),
                            client_streaming: m.client_streaming.then_some(true),
                            server_streaming: m.server_streaming.then_some(true),
                            ..Default::default()
                        })
                        .collect(),
                    options: None,
                });
            }
            files.push(file);
        }
        let mut out: Vec<FileDescriptorProto> =
            well_known_files().into_iter().filter(|f| wanted_wkt.contains(f.name())).collect();
        out.extend(order_by_dependency(files));
        FileDescriptorSet { file: out }
    }
}

/// Real oneofs are numbered in order of appearance; proto3 `optional` fields
/// get a synthetic oneof each, numbered after the real ones (as protoc does).
fn fix_synthetic_indices(d: &mut DescriptorProto, m: &MessageDef) {
    d.oneof_decl.clear();
    let mut real: Vec<&str> = Vec::new();
    for f in &m.fields {
        if let Some(o) = f.oneof {
            if !real.contains(&o) {
                real.push(o);
            }
        }
    }
    for o in &real {
        d.oneof_decl.push(OneofDescriptorProto { name: Some((*o).to_owned()), options: None });
    }
    for (i, f) in m.fields.iter().enumerate() {
        if let Some(o) = f.oneof {
            d.field[i].oneof_index = real.iter().position(|r| *r == o).map(|p| p as i32);
            continue;
        }
        if f.label == Label::Optional && f.ty.ty != Type::Message {
            d.field[i].oneof_index = Some(d.oneof_decl.len() as i32);
            d.oneof_decl.push(OneofDescriptorProto { name: Some(format!("_{}", f.name)), options: None });
        } else {
            d.field[i].oneof_index = None;
        }
    }
}

fn order_by_dependency(mut files: Vec<FileDescriptorProto>) -> Vec<FileDescriptorProto> {
    let mut out: Vec<FileDescriptorProto> = Vec::with_capacity(files.len());
    while !files.is_empty() {
        let ready = files
            .iter()
            .position(|f| f.dependency.iter().all(|d| d.starts_with("google/") || out.iter().any(|o| o.name() == d)))
            // A cycle between packages: protoc rejects it too; keep a stable order.
            .unwrap_or(0);
        out.push(files.remove(ready));
    }
    out
}

/// The descriptors of the well-known `google/protobuf/*.proto` files a
/// schema may import (Timestamp, Duration, Empty, FieldMask, Struct, Value,
/// ListValue, NullValue, Any and the wrappers), as protoc builds them.
pub fn well_known_files() -> Vec<FileDescriptorProto> {
    <FileDescriptorSet as prost::Message>::decode(WELL_KNOWN_SET).map(|set| set.file).unwrap_or_default()
}

/// The official descriptors of the well-known files, encoded: the bytes
/// prost-reflect's pool of the well-known types gives for them (a test
/// keeps them equal). Read from these bytes when a schema needs them rather
/// than from prost-reflect's global pool, which builds every well-known
/// file (`descriptor.proto` too) from code at first use and keeps it: that
/// cost a server about 1.4 MiB of resident memory from its start (measured
/// on the user-service, BENCHMARKS.md).
const WELL_KNOWN_SET: &[u8] = include_bytes!("well_known.binpb");

/// The well-known files Bia's types come from (what `WELL_KNOWN_SET` holds).
#[cfg(test)]
const WELL_KNOWN_FILES: [&str; 7] = [
    "google/protobuf/any.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/wrappers.proto",
];

#[cfg(test)]
mod well_known_tests {
    use super::*;

    /// What prost-reflect's pool holds for the files (written to the file
    /// with `BIA_SNAPSHOTS=overwrite`).
    fn official() -> Vec<u8> {
        let pool = prost_reflect::DescriptorPool::global();
        let file = WELL_KNOWN_FILES
            .iter()
            .map(|name| pool.get_file_by_name(name).expect("a well-known file").file_descriptor_proto().clone())
            .collect();
        prost::Message::encode_to_vec(&FileDescriptorSet { file })
    }

    #[test]
    fn the_embedded_well_known_files_are_the_official_ones() {
        let official = official();
        if std::env::var("BIA_SNAPSHOTS").as_deref() == Ok("overwrite") {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/schema/well_known.binpb");
            std::fs::write(path, &official).unwrap();
            return;
        }
        assert!(WELL_KNOWN_SET == &official[..], "src/schema/well_known.binpb is stale: BIA_SNAPSHOTS=overwrite");
        let names: Vec<String> = well_known_files().into_iter().map(|f| f.name().to_owned()).collect();
        assert_eq!(names, WELL_KNOWN_FILES);
    }
}
