//! Links the binary with `layout.ld`, which groups the code and constants
//! that supervise uses: a hundred supervise processes then map about 40 of
//! the binary's pages instead of 160 (-4 KiB of Pss each, benchmark 8d,
//! BENCHMARKS.md).
fn main() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("layout.ld");
    println!("cargo:rerun-if-changed=layout.ld");
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
}
