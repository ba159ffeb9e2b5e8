//! Replays every committed fuzz input through its target's check on the
//! stable toolchain: the minimised corpus of each campaign
//! (`fuzz/corpus/TARGET`) and every crash ever found (`fuzz/artifacts/TARGET`).

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files in `dir`, sorted; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut v: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    v.sort();
    v
}

#[test]
fn every_fuzz_target_has_a_check_and_a_corpus() {
    let mut on_disk: Vec<String> = files(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter_map(|p| Some(p.file_name()?.to_str()?.strip_suffix(".rs")?.to_owned()))
        .collect();
    on_disk.sort();
    let mut known: Vec<&str> = fuzzing::TARGETS.iter().map(|(name, _)| *name).collect();
    known.sort();
    assert_eq!(on_disk, known, "fuzz/fuzz_targets and fuzzing::TARGETS name the same targets");
    for name in known {
        let source = fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{name}.rs"))).unwrap();
        assert!(source.contains(&format!("fuzzing::{name}(")), "fuzz/fuzz_targets/{name}.rs fuzzes fuzzing::{name}");
        assert!(!files(&fuzz_dir().join("corpus").join(name)).is_empty(), "fuzz/corpus/{name} holds inputs");
    }
}

#[test]
fn every_committed_input_passes_its_check() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, check) in fuzzing::TARGETS {
        for kind in ["corpus", "artifacts"] {
            for file in files(&fuzz_dir().join(kind).join(name)) {
                let input = fs::read(&file).unwrap();
                replayed += 1;
                if panic::catch_unwind(|| check(&input)).is_err() {
                    failures.push(file.display().to_string());
                }
            }
        }
    }
    assert!(failures.is_empty(), "inputs that fail their check:\n{}", failures.join("\n"));
    assert!(replayed >= fuzzing::TARGETS.len());
}
