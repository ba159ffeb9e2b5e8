//! Links the binary with `relro.ld`: the pages the dynamic loader writes at
//! start-up (.dynamic, .got, .got.plt, 1.8 KiB together) start on a page of
//! their own, so they dirty one page per process instead of two whenever
//! .data.rel.ro ends near a page boundary. With a hundred supervise
//! processes that is 400 KiB (benchmark 8d).
fn main() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("relro.ld");
    println!("cargo:rerun-if-changed=relro.ld");
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
}
