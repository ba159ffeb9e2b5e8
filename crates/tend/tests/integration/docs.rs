//! The documents' promises about the tree: every file the "Where is..."
//! table of ARCHITECTURE.md names exists, so the table cannot silently rot
//! when a module is renamed or split.

use std::path::Path;

/// Paths in the table's second column: `a/b.rs, a/c.rs` and the shorthand
/// `a/b.rs / c.rs` (a sibling of the path before it).
fn named_paths(table_row: &str) -> Vec<String> {
    let Some(column) = table_row.trim().trim_end_matches('|').rsplit('|').next() else {
        return Vec::new();
    };
    let mut paths = Vec::new();
    let mut dir = String::new();
    for word in column.split([',', ' ']).map(str::trim).filter(|w| !w.is_empty() && *w != "/") {
        let word = word.trim_matches('`');
        if word.starts_with('(') || word.ends_with(')') {
            continue;
        }
        if word.contains('/') {
            let path = word.trim_end_matches('/');
            dir = match path.rfind('/') {
                Some(i) => path[..i].to_string(),
                None => String::new(),
            };
            paths.push(path.to_string());
        } else if word.contains('.') && !dir.is_empty() {
            paths.push(format!("{dir}/{word}"));
        }
    }
    paths
}

#[test]
fn every_file_the_where_is_table_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let table = text.split("## Where is...").nth(1).expect("a \"Where is...\" section");
    let rows: Vec<&str> =
        table.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).skip(2).collect();
    assert!(rows.len() > 20, "the table has {} rows", rows.len());
    let missing: Vec<String> =
        rows.iter().flat_map(|r| named_paths(r)).filter(|p| !p.contains("NAME") && !root.join(p).exists()).collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md's table names files that do not exist: {missing:?}");
}

#[test]
fn table_paths_are_read_with_their_shorthand() {
    assert_eq!(
        named_paths("| probes | crates/t/src/probe.rs / report.rs / text.rs, json.rs |"),
        ["crates/t/src/probe.rs", "crates/t/src/report.rs", "crates/t/src/text.rs", "crates/t/src/json.rs"]
    );
    assert_eq!(named_paths("| x | crates/a/src/f.rs (`summary`) |"), ["crates/a/src/f.rs"]);
}
