//! Links the binary with `layout.ld`, which groups the code and constants
//! that supervise uses: a hundred supervise processes then map about 40 of
//! the binary's pages instead of 160 (-4 KiB of Pss each, benchmark 8d,
//! BENCHMARKS.md). Also sets `GIT_COMMIT_OF_BUILD` (not `TEND_*`: cargo test
//! puts it in the tests' environment, and hooks see every `TEND_*` variable)
//! for `tend --version`: the
//! abbreviated git commit the binary is built from, empty outside a git
//! checkout (a source tarball) or without git.
use std::process::Command;

fn main() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("layout.ld");
    println!("cargo:rerun-if-changed=layout.ld");
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    println!("cargo:rustc-env=GIT_COMMIT_OF_BUILD={}", git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_default());
    // Built again when HEAD moves: HEAD itself, the branch it names, packed refs.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        // A missing file would make cargo run this script at every build.
        let path = git(&["rev-parse", "--path-format=absolute", "--git-path", &name]);
        if let Some(path) = path.filter(|p| std::path::Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// `git ARGS`' output, trimmed, if it succeeds.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}
