//! The README's Layout, held: no two modules of a crate import each other,
//! directly or around a circle, and neither do two top-level folders of
//! `server`. A module's imports are read from its source: every
//! `crate::a::b` path (in `use` lines and in code, not in comments),
//! resolved to the longest module that exists. Unit tests (`mod tests`)
//! are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b/mod.rs` and `a/b.rs` are `a::b`; `lib.rs` and `main.rs` the root.
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|p| p != "mod")
        .collect();
    match parts.as_slice() {
        [only] if only == "lib" || only == "main" => String::new(),
        _ => parts.join("::"),
    }
}

/// The source without its unit tests.
fn without_tests(source: &str) -> &str {
    source
        .find("#[cfg(test)]\nmod tests")
        .map_or(source, |at| &source[..at])
}

fn graph(root: &Path) -> Graph {
    let mut files = Vec::new();
    sources(root, &mut files);
    let modules: BTreeMap<String, PathBuf> = files
        .iter()
        .map(|f| (module_of(root, f), f.clone()))
        .collect();
    let mut g = Graph::new();
    for (module, file) in &modules {
        let source = std::fs::read_to_string(file).unwrap();
        // Code only: a comment may name a module without importing it.
        let source: String = without_tests(&source)
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut deps = BTreeSet::new();
        for (at, _) in source.match_indices("crate::") {
            let path: String = source[at + "crate::".len()..]
                .chars()
                .take_while(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == ':'
                })
                .collect();
            let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
            if let Some(found) = (1..=parts.len())
                .rev()
                .map(|n| parts[..n].join("::"))
                .find(|m| modules.contains_key(m) && m != module)
            {
                deps.insert(found);
            }
        }
        g.insert(module.clone(), deps);
    }
    g
}

/// The circles of `g`: each strongly connected set of more than one.
fn circles(g: &Graph) -> Vec<BTreeSet<String>> {
    // Two nodes share a circle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for d in g.get(&m).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> = g.keys().map(|m| (m, reach(m))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for m in g.keys() {
        let circle: BTreeSet<String> = reached[m]
            .iter()
            .filter(|other| reached.get(other).is_some_and(|r| r.contains(m)))
            .cloned()
            .collect();
        if circle.len() > 1 && !out.contains(&circle) {
            out.push(circle);
        }
    }
    out
}

/// The same graph by top-level folder (`actions::approval` is `actions`).
fn by_folder(g: &Graph) -> Graph {
    let top = |m: &str| m.split("::").next().unwrap_or_default().to_string();
    let mut out = Graph::new();
    for (m, deps) in g {
        let entry = out.entry(top(m)).or_default();
        entry.extend(deps.iter().map(|d| top(d)).filter(|d| *d != top(m)));
    }
    out
}

fn crate_root(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

#[test]
fn no_module_imports_one_that_imports_it() {
    for name in ["domain", "app", "server"] {
        let g = graph(&crate_root(name));
        assert!(g.len() > 5, "{name}: too few modules read: {g:?}");
        assert_eq!(circles(&g), Vec::<BTreeSet<String>>::new(), "{name}");
    }
    let server = graph(&crate_root("server"));
    assert_eq!(
        circles(&by_folder(&server)),
        Vec::<BTreeSet<String>>::new(),
        "server's folders"
    );
}

#[test]
fn a_circle_is_found_when_there_is_one() {
    let mut g = Graph::new();
    let edge = |g: &mut Graph, a: &str, b: &str| {
        g.entry(a.into()).or_default().insert(b.into());
    };
    edge(&mut g, "a", "b");
    edge(&mut g, "b", "c");
    edge(&mut g, "c", "a");
    edge(&mut g, "c", "d");
    let found = circles(&g);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0], ["a", "b", "c"].map(String::from).into());
    assert_eq!(by_folder(&g)["a"], ["b"].map(String::from).into());
}
