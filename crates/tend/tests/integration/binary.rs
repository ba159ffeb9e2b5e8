//! The built binary itself, read as ELF: hardened as Debian builds
//! daemontools, runit and s6 (a position-independent executable, full RELRO,
//! BIND_NOW, no executable stack), and laid out by `crates/tend/layout.ld`
//! (a pattern that stops matching fails here instead of silently costing
//! memory). The test binary's `tend` is linked with the same flags as the
//! release build (`.cargo/config.toml`, `crates/tend/build.rs`), and keeps
//! its symbols.

use std::ops::Range;

const ET_DYN: u16 = 3;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const PT_GNU_STACK: u32 = 0x6474_e551;
const PT_GNU_RELRO: u32 = 0x6474_e552;
const PF_X: u32 = 1;
const DT_TEXTREL: u64 = 22;
const DT_FLAGS: u64 = 30;
const DT_FLAGS_1: u64 = 0x6fff_fffb;
const DF_TEXTREL: u64 = 4;
const DF_BIND_NOW: u64 = 8;
const DF_1_NOW: u64 = 1;
const DF_1_PIE: u64 = 0x0800_0000;
const SHT_SYMTAB: u32 = 2;
const STT_FUNC: u8 = 2;

/// The parts of a little-endian ELF64 file these tests read.
struct Elf {
    bytes: Vec<u8>,
}

struct Segment {
    kind: u32,
    flags: u32,
    offset: usize,
    file_size: usize,
    memory: Range<u64>,
}

struct Section {
    name: String,
    kind: u32,
    offset: usize,
    link: usize,
    memory: Range<u64>,
}

impl Elf {
    fn read(path: &str) -> Elf {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(&bytes[..6], b"\x7fELF\x02\x01", "{path} is a little-endian ELF64 file");
        Elf { bytes }
    }

    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.bytes[at..at + 2].try_into().unwrap())
    }

    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes[at..at + 4].try_into().unwrap())
    }

    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.bytes[at..at + 8].try_into().unwrap())
    }

    fn kind(&self) -> u16 {
        self.u16(16)
    }

    /// `count` table entries of `size` bytes from the file offset at `table`.
    fn entries(&self, table: usize, size: usize, count: usize) -> impl Iterator<Item = usize> {
        let start = self.u64(table) as usize;
        let size = self.u16(size) as usize;
        (0..self.u16(count) as usize).map(move |i| start + i * size)
    }

    fn segments(&self) -> Vec<Segment> {
        self.entries(32, 54, 56)
            .map(|h| Segment {
                kind: self.u32(h),
                flags: self.u32(h + 4),
                offset: self.u64(h + 8) as usize,
                file_size: self.u64(h + 32) as usize,
                memory: self.u64(h + 16)..self.u64(h + 16) + self.u64(h + 40),
            })
            .collect()
    }

    fn segment(&self, kind: u32) -> Option<Segment> {
        self.segments().into_iter().find(|s| s.kind == kind)
    }

    /// The value of every `tag` entry of the dynamic section, OR-ed.
    fn dynamic(&self, tag: u64) -> Option<u64> {
        let d = self.segment(PT_DYNAMIC).expect("a dynamic section");
        (d.offset..d.offset + d.file_size)
            .step_by(16)
            .filter(|&e| self.u64(e) == tag)
            .map(|e| self.u64(e + 8))
            .reduce(|a, b| a | b)
    }

    fn c_str(&self, at: usize) -> String {
        let end = self.bytes[at..].iter().position(|&b| b == 0).unwrap();
        String::from_utf8_lossy(&self.bytes[at..at + end]).into_owned()
    }

    fn sections(&self) -> Vec<Section> {
        let headers: Vec<usize> = self.entries(40, 58, 60).collect();
        let names = self.u64(headers[self.u16(62) as usize] + 24) as usize;
        headers
            .iter()
            .map(|&h| Section {
                name: self.c_str(names + self.u32(h) as usize),
                kind: self.u32(h + 4),
                offset: self.u64(h + 24) as usize,
                link: self.u32(h + 40) as usize,
                memory: self.u64(h + 16)..self.u64(h + 16) + self.u64(h + 32),
            })
            .collect()
    }

    fn section(&self, name: &str) -> Option<Section> {
        self.sections().into_iter().find(|s| s.name == name)
    }

    /// Every function symbol: name and address.
    fn functions(&self) -> Vec<(String, u64)> {
        let sections = self.sections();
        let table = sections.iter().find(|s| s.kind == SHT_SYMTAB).expect("a symbol table");
        let names = sections[table.link].offset;
        let size = (table.memory.end - table.memory.start) as usize;
        (table.offset..table.offset + size)
            .step_by(24)
            .filter(|&e| self.bytes[e + 4] & 0xf == STT_FUNC)
            .map(|e| (self.c_str(names + self.u32(e) as usize), self.u64(e + 8)))
            .collect()
    }
}

fn tend() -> Elf {
    Elf::read(env!("CARGO_BIN_EXE_tend"))
}

fn contains(outer: &Range<u64>, inner: &Range<u64>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

#[test]
fn tend_is_a_position_independent_executable() {
    let elf = tend();
    assert_eq!(elf.kind(), ET_DYN, "loaded at a random address");
    assert!(elf.segment(PT_INTERP).is_some(), "an executable, not a library");
    assert_ne!(elf.dynamic(DT_FLAGS_1).unwrap_or(0) & DF_1_PIE, 0, "FLAGS_1 PIE");
    assert!(elf.dynamic(DT_TEXTREL).is_none() && elf.dynamic(DT_FLAGS).unwrap_or(0) & DF_TEXTREL == 0);
}

#[test]
fn tend_has_full_relro_and_binds_now() {
    let elf = tend();
    assert_ne!(elf.dynamic(DT_FLAGS).unwrap_or(0) & DF_BIND_NOW, 0, "FLAGS BIND_NOW");
    assert_ne!(elf.dynamic(DT_FLAGS_1).unwrap_or(0) & DF_1_NOW, 0, "FLAGS_1 NOW");
    let relro = elf.segment(PT_GNU_RELRO).expect("a GNU_RELRO segment").memory;
    for name in [".dynamic", ".got", ".data.rel.ro"] {
        let s = elf.section(name).unwrap_or_else(|| panic!("no {name} section"));
        assert!(contains(&relro, &s.memory), "{name} is read-only after relocation");
    }
    let stack = elf.segment(PT_GNU_STACK).expect("a GNU_STACK segment");
    assert_eq!(stack.flags & PF_X, 0, "the stack is not executable");
}

/// `layout.ld` puts the code supervise runs in `.text.supervise`: the
/// supervise, svstatus and unix crates and the dispatch from `main`.
#[test]
fn the_code_supervise_runs_is_grouped_by_the_link_layout() {
    let elf = tend();
    let grouped = elf.section(".text.supervise").expect("layout.ld's .text.supervise").memory;
    assert!(grouped.end - grouped.start >= 16 * 1024, "{} bytes in .text.supervise", grouped.end - grouped.start);
    assert!(elf.section(".rodata.near").is_some(), "layout.ld's .rodata.near");
    let functions = elf.functions();
    for prefix in
        ["_ZN9supervise6runner", "_ZN9supervise7machine", "_ZN8svstatus", "_ZN4unix", "_ZN4tend8programs9supervise"]
    {
        let mut of_prefix = functions.iter().filter(|(name, _)| name.starts_with(prefix)).peekable();
        assert!(of_prefix.peek().is_some(), "no function named {prefix}*");
        for (name, address) in of_prefix {
            assert!(grouped.contains(address), "{name} is outside .text.supervise");
        }
    }
    let main = functions.iter().find(|(name, _)| name == "main").expect("C's main");
    assert!(grouped.contains(&main.1), "main is outside .text.supervise");
}

/// The shipped build's RELRO segment spans at most 4 pages. In a PIE the
/// loader writes every RELRO page (relative relocations), so each page is
/// private to every process: one page more costs 4 KiB for each of a
/// hundred supervise (benchmark 8d, BENCHMARKS.md), which is the whole
/// margin to the target of 1.2 x daemontools' memory. The segment grows
/// with every `&str` or pointer in a static table, every panic location and
/// every libc function newly called; when this fails, find what grew
/// (`readelf -SW` of `.data.rel.ro` and `.got`) and take it out. Builds
/// the release binary (util::shipped_tend).
#[test]
fn the_shipped_builds_relro_spans_at_most_four_pages() {
    let elf = Elf::read(crate::util::shipped_tend().to_str().expect("a UTF-8 target path"));
    let relro = elf.segment(PT_GNU_RELRO).expect("a GNU_RELRO segment");
    let pages = relro.memory.end.div_ceil(4096) - relro.memory.start / 4096;
    assert!(pages <= 4, "RELRO spans {pages} pages ({} bytes)", relro.memory.end - relro.memory.start);
}
