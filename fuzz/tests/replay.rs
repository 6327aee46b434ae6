//! Every input the fuzzers kept (`fuzz/corpus/<target>/`) and every input
//! that once broke a target (`fuzz/regressions/<target>/`), replayed
//! through its target: a short, deterministic run of the long fuzzing
//! campaigns on every `cargo test`.

use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|e| e.expect("a directory entry").path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[test]
fn every_kept_input_replays_without_a_failure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, target) in bia_fuzz::TARGETS {
        let corpus = inputs(&root.join("corpus").join(name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{name} has no inputs");
        for file in corpus.iter().chain(&inputs(&root.join("regressions").join(name))) {
            let data = std::fs::read(file).expect("an input");
            let run = std::panic::catch_unwind(|| target(&data));
            assert!(run.is_ok(), "{name} failed on {}", file.display());
        }
    }
}

#[test]
fn the_targets_reach_bia_and_see_its_answers() {
    use bia_fuzz::call;
    // A bound path, a value that does not fit its field, a query into
    // nested fields, a body: each reaches the handler or Bia's error.
    assert_eq!(call("GET", "/v1/authors/12", None, Vec::new()), Some(200));
    assert_eq!(call("GET", "/v1/authors/abc", None, Vec::new()), Some(400));
    assert_eq!(call("GET", "/v1/shelves/s/books?filter.minPages=3&tags=a", None, Vec::new()), Some(200));
    assert_eq!(call("GET", "/v1/shelves/s/books?page=x", None, Vec::new()), Some(400));
    let json = br#"{"tags":["a"],"genre":"GENRE_FICTION"}"#.to_vec();
    assert_eq!(call("POST", "/test.v1.Library/Echo", Some("application/json"), json), Some(200));
    assert_eq!(call("POST", "/test.v1.Library/Echo", Some("application/json"), b"{".to_vec()), Some(400));
    assert_eq!(call("GET", "/v1 /bad", None, Vec::new()), None);
}
