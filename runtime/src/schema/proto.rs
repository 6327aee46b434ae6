//! `Schema` -> `.proto` text with `google.api.http` options, accepted by protoc
//! and protox, so clients in other languages can be generated from it.

use std::fmt::Write as _;

use prost_types::field_descriptor_proto::Type;

use super::{map_entry_name, FieldDef, HttpRule, Label, Schema, TypeRef};

/// `google/api/http.proto`, trimmed to what the `google.api.http` option needs
/// (wire-compatible with the original).
pub const GOOGLE_API_HTTP_PROTO: &str = r#"syntax = "proto3";

package google.api;

option go_package = "google.golang.org/genproto/googleapis/api/annotations;annotations";
option java_package = "com.google.api";

message Http {
  repeated HttpRule rules = 1;
  bool fully_decode_reserved_expansion = 2;
}

message HttpRule {
  string selector = 1;
  oneof pattern {
    string get = 2;
    string put = 3;
    string post = 4;
    string delete = 5;
    string patch = 6;
    CustomHttpPattern custom = 8;
  }
  string body = 7;
  string response_body = 12;
  repeated HttpRule additional_bindings = 11;
}

message CustomHttpPattern {
  string kind = 1;
  string path = 2;
}
"#;

/// `google/api/annotations.proto` (the `google.api.http` method option).
pub const GOOGLE_API_ANNOTATIONS_PROTO: &str = r#"syntax = "proto3";

package google.api;

import "google/api/http.proto";
import "google/protobuf/descriptor.proto";

option go_package = "google.golang.org/genproto/googleapis/api/annotations;annotations";
option java_package = "com.google.api";

extend google.protobuf.MethodOptions {
  HttpRule http = 72295728;
}
"#;

fn scalar_name(t: Type) -> &'static str {
    match t {
        Type::Double => "double",
        Type::Float => "float",
        Type::Int64 => "int64",
        Type::Uint64 => "uint64",
        Type::Int32 => "int32",
        Type::Fixed64 => "fixed64",
        Type::Fixed32 => "fixed32",
        Type::Bool => "bool",
        Type::String => "string",
        Type::Bytes => "bytes",
        Type::Uint32 => "uint32",
        Type::Sfixed32 => "sfixed32",
        Type::Sfixed64 => "sfixed64",
        Type::Sint32 => "sint32",
        Type::Sint64 => "sint64",
        Type::Group | Type::Message | Type::Enum => "",
    }
}

/// How a type is written in `package`'s file, where `taken` are the names
/// of the scope it is written in (a service's methods, a message's fields):
/// protobuf resolves a name from the innermost scope out and stops at the
/// first symbol of that name, so a type named as one of them is written in
/// full (`rpc Everything(..) returns (.wkt.v1.Everything)`).
fn type_text(t: &TypeRef, package: &str, taken: &[&str]) -> String {
    match t.type_name {
        Some(full) => match full.strip_prefix(package).and_then(|r| r.strip_prefix('.')) {
            Some(local) if !local.contains('.') && !taken.contains(&local) => local.to_owned(),
            _ => format!(".{full}"),
        },
        None => scalar_name(t.ty).to_owned(),
    }
}

fn doc(out: &mut String, indent: &str, doc: &str) {
    for line in doc.lines() {
        let line = line.strip_prefix(' ').unwrap_or(line);
        if line.is_empty() {
            let _ = writeln!(out, "{indent}//");
        } else {
            let _ = writeln!(out, "{indent}// {line}");
        }
    }
}

/// protoc's default JSON name of a field.
pub(crate) fn default_json_name(name: &str) -> String {
    super::camel(name, false)
}

fn field_line(out: &mut String, f: &FieldDef, package: &str, taken: &[&str]) {
    doc(out, "  ", f.doc);
    let ty = type_text(&f.ty, package, taken);
    let decl = match f.label {
        Label::Singular => ty,
        Label::Optional if f.ty.ty == Type::Message => ty,
        Label::Optional => format!("optional {ty}"),
        Label::Repeated => format!("repeated {ty}"),
        Label::Map => format!("map<{}, {ty}>", type_text(f.key.as_ref().expect("map key"), package, taken)),
    };
    let _ = write!(out, "  {decl} {} = {}", f.name, f.number);
    if f.json_name != default_json_name(f.name) {
        let _ = write!(out, " [json_name = \"{}\"]", f.json_name);
    }
    out.push_str(";\n");
}

fn http_rule(out: &mut String, indent: &str, r: &HttpRule) {
    let verb = r.method.to_ascii_lowercase();
    match verb.as_str() {
        "get" | "put" | "post" | "delete" | "patch" => {
            let _ = writeln!(out, "{indent}{verb}: \"{}\"", r.path);
        }
        _ => {
            let _ = writeln!(out, "{indent}custom: {{ kind: \"{}\" path: \"{}\" }}", r.method, r.path);
        }
    }
    if !r.body.is_empty() {
        let _ = writeln!(out, "{indent}body: \"{}\"", r.body);
    }
    if !r.response_body.is_empty() {
        let _ = writeln!(out, "{indent}response_body: \"{}\"", r.response_body);
    }
}

impl Schema {
    /// One `(file name, .proto text)` per package, plus the two
    /// `google/api/*.proto` files the HTTP options import.
    ///
    /// Compile them with `protoc -I <dir>` or protox: the well-known
    /// `google/protobuf/*.proto` come with every protobuf compiler.
    pub fn proto_files(&self) -> Vec<(String, String)> {
        let mut files = Vec::new();
        let mut any_http = false;
        for package in self.packages() {
            let (deps, http) = self.imports(package);
            any_http |= http;
            let mut out = String::new();
            out.push_str("// Code generated by Bia from Rust sources. DO NOT EDIT.\n");
            out.push_str("syntax = \"proto3\";\n\n");
            let _ = writeln!(out, "package {package};\n");
            let mut imports: Vec<String> = deps.into_iter().collect();
            if http {
                imports.push("google/api/annotations.proto".to_owned());
                imports.sort();
            }
            for i in &imports {
                let _ = writeln!(out, "import \"{i}\";");
            }
            if !imports.is_empty() {
                out.push('\n');
            }
            for s in self.services.values().filter(|s| s.package == package) {
                doc(&mut out, "", s.doc);
                let _ = writeln!(out, "service {} {{", s.name);
                let methods: Vec<&str> = s.methods.iter().map(|m| m.name).collect();
                for m in &s.methods {
                    doc(&mut out, "  ", m.doc);
                    let stream = |on: bool| if on { "stream " } else { "" };
                    let ty = |name| type_text(&TypeRef::message(name), package, &methods);
                    let input = format!("{}{}", stream(m.client_streaming), ty(m.input));
                    let output = format!("{}{}", stream(m.server_streaming), ty(m.output));
                    let _ = write!(out, "  rpc {}({input}) returns ({output})", m.name);
                    match m.http.split_first() {
                        None => out.push_str(";\n"),
                        Some((main, rest)) => {
                            out.push_str(" {\n    option (google.api.http) = {\n");
                            http_rule(&mut out, "      ", main);
                            for r in rest {
                                out.push_str("      additional_bindings {\n");
                                http_rule(&mut out, "        ", r);
                                out.push_str("      }\n");
                            }
                            out.push_str("    };\n  }\n");
                        }
                    }
                }
                out.push_str("}\n\n");
            }
            for m in self.messages.values().filter(|m| m.package == package) {
                doc(&mut out, "", m.doc);
                let _ = writeln!(out, "message {} {{", m.name);
                // The symbols inside the message: its fields, oneofs and map entries.
                let entries: Vec<String> =
                    m.fields.iter().filter(|f| f.label == Label::Map).map(|f| map_entry_name(f.name)).collect();
                let mut taken: Vec<&str> = m.fields.iter().map(|f| f.name).collect();
                taken.extend(m.fields.iter().filter_map(|f| f.oneof));
                taken.extend(entries.iter().map(String::as_str));
                let mut i = 0;
                while i < m.fields.len() {
                    match m.fields[i].oneof {
                        None => {
                            field_line(&mut out, &m.fields[i], package, &taken);
                            i += 1;
                        }
                        Some(o) => {
                            let _ = writeln!(out, "  oneof {o} {{");
                            while i < m.fields.len() && m.fields[i].oneof == Some(o) {
                                let mut line = String::new();
                                field_line(&mut line, &m.fields[i], package, &taken);
                                for l in line.lines() {
                                    let _ = writeln!(out, "  {l}");
                                }
                                i += 1;
                            }
                            out.push_str("  }\n");
                        }
                    }
                }
                if !m.reserved.is_empty() {
                    let tags: Vec<String> = m.reserved.iter().map(u32::to_string).collect();
                    let _ = writeln!(out, "  reserved {};", tags.join(", "));
                }
                out.push_str("}\n\n");
            }
            for e in self.enums.values().filter(|e| e.package == package) {
                let _ = writeln!(out, "enum {} {{", e.name);
                for (n, v) in &e.values {
                    let _ = writeln!(out, "  {n} = {v};");
                }
                out.push_str("}\n\n");
            }
            while out.ends_with("\n\n") {
                out.pop();
            }
            files.push((Self::file_name(package), out));
        }
        if any_http {
            files.push(("google/api/http.proto".to_owned(), GOOGLE_API_HTTP_PROTO.to_owned()));
            files.push(("google/api/annotations.proto".to_owned(), GOOGLE_API_ANNOTATIONS_PROTO.to_owned()));
        }
        files
    }

    /// Writes [`Schema::proto_files`] under `dir`, creating folders.
    pub fn write_proto_files(&self, dir: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        for (name, text) in self.proto_files() {
            let path = dir.as_ref().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)?;
        }
        Ok(())
    }
}
