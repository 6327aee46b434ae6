//! The runtime's layers import only downward (ARCHITECTURE.md draws them):
//!
//! | layer | modules |
//! |---|---|
//! | 0 | `error`, `types` |
//! | 1 | `context`, `schema` |
//! | 2 | `codec`, `stream`, `tls` (0 to 2: the ground floor) |
//! | 3 | `etcd` |
//! | 4 | `config`, `middleware`, `registry`, `wire` |
//! | 5 | `client` |
//! | 6 | `transport` |
//! | 7 | `app` |
//! | 8 | `log`, `cli`, `__private` |
//!
//! A file may use its own top-level module and any module of a lower layer,
//! never one of its own layer or above; and no import cycle runs through two
//! folders. The imports are read from the source text of `runtime/src`
//! (`crate::`, `super::`, `self::` and child-module paths outside comments
//! and outside `#[cfg(test)]` modules); module declarations are structure,
//! not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: [(&str, u8); 19] = [
    ("error", 0),
    ("types", 0),
    ("context", 1),
    ("schema", 1),
    ("codec", 2),
    ("stream", 2),
    ("tls", 2),
    ("etcd", 3),
    ("config", 4),
    ("middleware", 4),
    ("registry", 4),
    ("wire", 4),
    ("client", 5),
    ("transport", 6),
    ("app", 7),
    ("log", 8),
    ("cli", 8),
    ("__private", 8),
    ("lib", 9),
];

/// A source file as a module path: `["transport", "http", "client"]`;
/// `lib.rs` is `[]`, a `mod.rs` is its folder's path.
type Module = Vec<String>;

struct Source {
    module: Module,
    /// The folder the file is in, relative to `src`.
    folder: String,
    text: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src")
}

fn read_sources() -> BTreeMap<Module, Source> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read runtime/src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src_dir()).expect("under src");
            let folder = rel.parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
            let mut module: Module =
                rel.parent().into_iter().flat_map(|p| p.iter()).map(|s| s.to_string_lossy().into_owned()).collect();
            let stem = path.file_stem().expect("stem").to_string_lossy().into_owned();
            if stem != "mod" && stem != "lib" {
                module.push(stem);
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            out.insert(module.clone(), Source { module, folder, text: code_only(&text) });
        }
    }
    out
}

/// The text without comments and without `#[cfg(test)]` modules.
fn code_only(text: &str) -> String {
    let mut out = String::new();
    let mut skip_depth: Option<usize> = None;
    let mut depth = 0usize;
    let mut pending_test = false;
    for line in text.lines() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        // A trailing comment (a URL's `//` in a string has no space before it).
        let code = line.split(" // ").next().unwrap_or("");
        let trimmed = code.trim();
        if skip_depth.is_none() && trimmed == "#[cfg(test)]" {
            pending_test = true;
            continue;
        }
        let opens = code.matches('{').count();
        let closes = code.matches('}').count();
        if pending_test {
            pending_test = false;
            if trimmed.starts_with("mod ") && trimmed.ends_with('{') {
                skip_depth = Some(depth);
                depth += opens;
                depth -= closes.min(depth);
                continue;
            }
        }
        depth += opens;
        depth -= closes.min(depth);
        if let Some(d) = skip_depth {
            if depth <= d {
                skip_depth = None;
            }
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The child modules a file declares (`mod x;`).
fn children(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub(crate) ").or_else(|| l.strip_prefix("pub ")).unwrap_or(l);
            l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// Every path a file names: the `use` trees expanded, and paths in code.
/// Each comes with how many inline modules (`mod x { .. }`) it is written
/// in, which its `super::` climbs out of first.
fn paths(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    // The brace depths at which the inline modules around a line opened.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        i += 1;
        let code = line.strip_prefix("pub(crate) ").or_else(|| line.strip_prefix("pub ")).unwrap_or(line);
        if code.starts_with("mod ") && code.trim_end().ends_with('{') {
            inline.push(depth);
        }
        depth += line.matches('{').count();
        depth -= line.matches('}').count().min(depth);
        while inline.last().is_some_and(|d| depth <= *d) {
            inline.pop();
        }
        let nested = inline.len();
        // A `use` item, up to its `;`, with its brace groups expanded.
        let item = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "].iter().find_map(|p| line.strip_prefix(p));
        if let Some(first) = item {
            let mut tree = first.to_owned();
            while !tree.contains(';') && i < lines.len() {
                tree.push_str(lines[i]);
                i += 1;
            }
            let mut found = Vec::new();
            expand_use(tree.split(';').next().unwrap_or(""), &mut Vec::new(), &mut found);
            out.extend(found.into_iter().map(|p| (nested, p)));
            continue;
        }
        // Paths in code: `crate::a::b`, `super::a`.
        for start in ["crate::", "super::", "self::"] {
            let mut from = 0;
            while let Some(j) = line[from..].find(start) {
                let at = from + j;
                from = at + start.len();
                let before = line[..at].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ':') {
                    continue;
                }
                let path: String =
                    line[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
                out.push((nested, path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect()));
            }
        }
    }
    out
}

fn expand_use(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> =
            tree[..open].split("::").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let close = tree.rfind('}').filter(|c| *c > open).unwrap_or(tree.len());
        let inner = &tree[open + 1..close];
        let n = prefix.len();
        prefix.extend(head);
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_use(&inner[start..i], prefix, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand_use(&inner[start..], prefix, out);
        prefix.truncate(n);
    } else if !tree.is_empty() {
        let item = tree.split(" as ").next().unwrap_or(tree);
        let mut path = prefix.clone();
        path.extend(item.split("::").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
        out.push(path);
    }
}

/// The file a path names, from `from`: the longest prefix that is a module.
fn resolve(
    (nested, path): &(usize, Vec<String>),
    from: &Source,
    sources: &BTreeMap<Module, Source>,
    root: &BTreeMap<String, Module>,
) -> Option<Module> {
    let (mut base, rest): (Module, &[String]) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("self") if *nested > 0 => return None,
        Some("self") => (from.module.clone(), &path[1..]),
        Some("super") => {
            let mut base = from.module.clone();
            let mut rest = &path[..];
            let mut inline = *nested;
            while rest.first().map(String::as_str) == Some("super") {
                // Out of an inline module first: still this file.
                match inline.checked_sub(1) {
                    Some(left) => inline = left,
                    None => {
                        base.pop();
                    }
                }
                rest = &rest[1..];
            }
            if inline > 0 {
                return None;
            }
            (base, rest)
        }
        Some(first) if *nested == 0 && children(&sources[&from.module].text).contains(first) => {
            (from.module.clone(), &path[..])
        }
        _ => return None,
    };
    if base.is_empty() {
        // An item of the crate root: follow lib.rs's re-exports, and find
        // where an exported `macro_rules!` is written.
        if let Some(first) = rest.first() {
            if let Some(target) = root.get(first) {
                return Some(target.clone());
            }
            let written = format!("macro_rules! {first} ");
            if let Some(src) = sources.values().find(|s| s.text.contains(&written)) {
                return Some(src.module.clone());
            }
        }
    }
    let mut best = base.clone();
    for seg in rest {
        base.push(seg.clone());
        if sources.contains_key(&base) {
            best = base.clone();
        } else {
            break;
        }
    }
    Some(best)
}

/// lib.rs's `pub use module::{..}`: which module each re-exported name is from.
fn root_exports(lib: &str) -> BTreeMap<String, Module> {
    let mut out = BTreeMap::new();
    let mut paths = Vec::new();
    for line in lib.lines().filter(|l| l.starts_with("pub use ")) {
        expand_use(line.trim_start_matches("pub use ").trim_end_matches(';'), &mut Vec::new(), &mut paths);
    }
    for p in paths {
        if p.len() >= 2 && p[0] != "bia_macros" {
            out.insert(p.last().expect("name").clone(), vec![p[0].clone()]);
        }
    }
    out
}

fn top(module: &Module) -> &str {
    module.first().map_or("lib", String::as_str)
}

fn layer(module: &Module) -> u8 {
    let t = top(module);
    LAYERS.iter().find(|(m, _)| *m == t).unwrap_or_else(|| panic!("module `{t}` has no layer in this test's table")).1
}

fn graph() -> (BTreeMap<Module, Source>, BTreeMap<Module, BTreeSet<Module>>) {
    let sources = read_sources();
    let root = root_exports(&sources[&Vec::new()].text);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, src) in &sources {
        let out = edges.entry(module.clone()).or_default();
        for path in paths(&src.text) {
            if let Some(target) = resolve(&path, src, &sources, &root) {
                if &target != module {
                    out.insert(target);
                }
            }
        }
    }
    (sources, edges)
}

#[test]
fn layers_import_only_downward() {
    let (_, edges) = graph();
    if std::env::var_os("BIA_SHOW_IMPORTS").is_some() {
        for (from, targets) in &edges {
            let to: Vec<String> = targets.iter().map(|t| t.join("/")).collect();
            println!("{} -> {}", from.join("/"), to.join(", "));
        }
    }
    let mut wrong = Vec::new();
    for (from, targets) in &edges {
        for to in targets {
            if top(from) != top(to) && layer(to) >= layer(from) {
                wrong.push(format!(
                    "{} (layer {}) imports {} (layer {})",
                    from.join("/"),
                    layer(from),
                    to.join("/"),
                    layer(to)
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that do not go downward:\n{}", wrong.join("\n"));
}

#[test]
fn no_import_cycle_runs_through_two_folders() {
    let (sources, edges) = graph();
    let nodes: Vec<&Module> = edges.keys().collect();
    let index: BTreeMap<&Module, usize> = nodes.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let succ: Vec<Vec<usize>> =
        nodes.iter().map(|m| edges[*m].iter().filter_map(|t| index.get(t).copied()).collect()).collect();
    let mut cycles = Vec::new();
    for scc in tarjan(&succ) {
        let folders: BTreeSet<&str> = scc.iter().map(|&i| sources[nodes[i]].folder.as_str()).collect();
        if folders.len() > 1 {
            let files: Vec<String> = scc.iter().map(|&i| format!("{:?}", nodes[i])).collect();
            cycles.push(files.join(" <-> "));
        }
    }
    assert!(cycles.is_empty(), "import cycles through more than one folder:\n{}", cycles.join("\n"));
}

/// The checks see what they must: a known downward import and a known
/// child-module import are found.
#[test]
fn the_reader_finds_imports() {
    let (_, edges) = graph();
    let m = |s: &str| s.split('/').map(str::to_owned).collect::<Module>();
    assert!(
        edges[&m("transport/http/server")].contains(&m("transport/server")),
        "{:?}",
        edges[&m("transport/http/server")]
    );
    assert!(edges[&m("transport/http")].contains(&m("transport/http/client")));
    assert!(edges[&m("middleware/chain")].contains(&m("context")));
    assert!(edges[&m("app")].iter().any(|t| top(t) == "transport"));
}

/// Strongly connected components (Tarjan), each with more than one node.
fn tarjan(succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        succ: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.succ[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                scc.push(w);
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                s.out.push(scc);
            }
        }
    }
    let n = succ.len();
    let mut s = State {
        succ,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.out
}
