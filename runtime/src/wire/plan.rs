//! The startup check: from the root, walk every registered provider the
//! root needs, before anything is built, and report in Wire's words what
//! the compiler could not see (a provider missing from the link, two
//! providers of one type in crates that do not see each other, a runtime
//! input not supplied, a cycle, a value moved into two consumers). On
//! success, the providers to run, grouped into levels that can run together.

use std::any::TypeId;
use std::collections::{HashMap, HashSet};

use super::scope::{By, Key, Kind, Provider};

/// What to build, in order: every provider of a level needs only values of
/// earlier levels (or supplied ones).
pub(crate) struct Plan {
    pub levels: Vec<Vec<&'static Provider>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Visiting,
    Done(usize),
    /// Cannot be built; already reported.
    Failed,
}

/// One step of a "needed by" chain: the type the provider makes, and the provider.
type Chain = Vec<&'static Provider>;

struct Walk<'a> {
    index: &'a HashMap<TypeId, Vec<&'static Provider>>,
    supplied: &'a HashSet<TypeId>,
    marks: HashMap<TypeId, Mark>,
    stack: Chain,
    levels: Vec<Vec<&'static Provider>>,
    /// Consumers of each type: (the provider, how it takes it).
    consumers: HashMap<TypeId, Vec<(&'static Provider, By)>>,
    problems: Vec<String>,
    reported: HashSet<TypeId>,
}

fn needed_by(chain: &[&'static Provider]) -> String {
    chain.iter().rev().map(|p| format!("\n    needed by `{}` in {}", (p.output.name)(), p.describe())).collect()
}

impl Walk<'_> {
    /// Visits `key`; returns its level (0 for supplied values) or `None`
    /// when it cannot be built.
    fn visit(&mut self, key: Key) -> Option<usize> {
        let id = (key.id)();
        if self.supplied.contains(&id) {
            return Some(0);
        }
        match self.marks.get(&id) {
            Some(Mark::Done(level)) => return Some(*level),
            Some(Mark::Failed) => return None,
            Some(Mark::Visiting) => {
                let start = self.stack.iter().position(|p| (p.output.id)() == id).unwrap_or(0);
                let path: Vec<String> =
                    self.stack[start..].iter().map(|p| format!("`{}` ({})", (p.output.name)(), p.describe())).collect();
                self.problems.push(format!(
                    "cycle for `{}`: {} -> `{}`",
                    (key.name)(),
                    path.join(" -> "),
                    (key.name)()
                ));
                return None;
            }
            None => {}
        }
        let providers = self.index.get(&id).map(Vec::as_slice).unwrap_or_default();
        let provider = match providers {
            [] => {
                if self.reported.insert(id) {
                    self.problems.push(format!(
                        "no provider found for `{}`{}\n  add #[bia::provider] to a constructor of it or supply it (`.supply(value)`); if a crate of the build provides it, make sure the binary links that crate (`use that_crate as _;`)",
                        (key.name)(),
                        needed_by(&self.stack),
                    ));
                }
                return None;
            }
            [one] => *one,
            [first, rest @ ..] => {
                if self.reported.insert(id) {
                    let current: String = rest.iter().map(|p| format!("\n    current: {}", p.describe())).collect();
                    self.problems.push(format!(
                        "multiple bindings for `{}`{current}\n    previous: {}{}",
                        (key.name)(),
                        first.describe(),
                        needed_by(&self.stack),
                    ));
                }
                return None;
            }
        };
        if provider.kind == Kind::Input {
            if self.reported.insert(id) {
                self.problems.push(format!(
                    "runtime input `{}` (declared at {}:{}) was not supplied{}\n  supply it at startup: `.supply(value)`",
                    (key.name)(),
                    provider.file,
                    provider.line,
                    needed_by(&self.stack),
                ));
            }
            return None;
        }
        self.marks.insert(id, Mark::Visiting);
        self.stack.push(provider);
        let mut level = Some(0usize);
        for dep in provider.deps {
            self.consumers.entry((dep.key.id)()).or_default().push((provider, dep.by));
            let l = self.visit(dep.key);
            level = match (level, l) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        }
        self.stack.pop();
        let level = level.map(|l| l + 1);
        match level {
            Some(l) => {
                self.marks.insert(id, Mark::Done(l));
                if self.levels.len() < l {
                    self.levels.resize_with(l, Vec::new);
                }
                self.levels[l - 1].push(provider);
            }
            None => {
                // Reported below it; its other consumers need not report it again.
                self.marks.insert(id, Mark::Failed);
            }
        }
        level
    }
}

/// Checks that `root` can be built from `registry` plus the `supplied`
/// types, and plans the build. The error lists every problem found.
pub(crate) fn plan(registry: &[&'static Provider], supplied: &HashSet<TypeId>, root: Key) -> Result<Plan, Vec<String>> {
    let mut index: HashMap<TypeId, Vec<&'static Provider>> = HashMap::new();
    for p in registry {
        index.entry((p.output.id)()).or_default().push(p);
    }
    for list in index.values_mut() {
        list.sort_by(|a, b| (a.file, a.line, a.name).cmp(&(b.file, b.line, b.name)));
    }
    let mut walk = Walk {
        index: &index,
        supplied,
        marks: HashMap::new(),
        stack: Vec::new(),
        levels: Vec::new(),
        consumers: HashMap::new(),
        problems: Vec::new(),
        reported: HashSet::new(),
    };
    walk.visit(root);
    for (id, consumers) in &walk.consumers {
        let Some((taker, _)) = consumers.iter().find(|(_, by)| *by == By::Value) else { continue };
        if consumers.len() > 1 || *id == (root.id)() {
            let name = index.get(id).and_then(|l| l.first()).map(|p| (p.output.name)()).unwrap_or("the value");
            let others: String = consumers
                .iter()
                .filter(|(p, _)| !std::ptr::eq(*p, *taker))
                .map(|(p, _)| format!("\n    also needed by {}", p.describe()))
                .collect();
            walk.problems.push(format!(
                "`{name}` is moved into {} (a by-value parameter){others}\n  a value moved into one consumer cannot be given to another: take `&{name}` or `Arc<{name}>` instead",
                taker.describe(),
            ));
        }
    }
    if walk.problems.is_empty() {
        Ok(Plan { levels: walk.levels })
    } else {
        walk.problems.sort();
        Err(walk.problems)
    }
}
