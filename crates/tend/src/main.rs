//! The multicall binary: runs the program named by argv[0]'s basename
//! (`multilog`, `svc`, ... as symlinks), or by `tend PROGRAM ARGS...`.
//!
//! `main` is C's own (`#![no_main]`): tend skips the Rust runtime's start-up.
//! That start-up asks the C library for the main thread's stack bounds, which
//! reads /proc/self/maps through a heap buffer; it also installs a stack
//! overflow handler, ignores SIGPIPE and opens /dev/null on closed
//! descriptors 0-2. daemontools' programs do none of this: a chain-loader
//! must hand its child the process state it was given, and a supervise that
//! never touches the heap has no private heap page (one each, with a hundred
//! supervisors running). What tend still wants of that start-up, each
//! program states in its [`programs::Start`].
// The unit tests keep the test harness's own main.
#![cfg_attr(not(test), no_main)]

mod filter;
mod install;
mod programs;
mod top;

use std::ffi::{c_char, c_int, CStr, OsStr};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

#[cfg_attr(not(test), no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    let argc = usize::try_from(argc).unwrap_or(0);
    // SAFETY: the C start-up code passes `argc` valid pointers to
    // NUL-terminated strings, alive for the whole process.
    let argv = unsafe { std::slice::from_raw_parts(argv, argc) };
    let code = with_args(argv, run);
    // The runtime we skip flushes Rust's buffered stdout at exit; so do we.
    let _ = std::io::stdout().flush();
    c_int::from(code)
}

fn run(args: &[&OsStr]) -> u8 {
    let argv0 = args.first().map_or(&b""[..], |a| a.as_bytes());
    let base = argv0.rsplit(|&b| b == b'/').next().unwrap_or_default();
    let rest = args.get(1..).unwrap_or_default();
    match programs::find(base) {
        Some(p) => p.run(rest),
        None => programs::tend(rest),
    }
}

/// Calls `f` with argv as `&OsStr`s borrowed from the C strings, held on the
/// stack for a short command line, so that a program which allocates nothing
/// (supervise) never gets a heap at all.
fn with_args(argv: &[*const c_char], f: fn(&[&OsStr]) -> u8) -> u8 {
    // SAFETY: see `main`: every pointer is a NUL-terminated string.
    let arg = |&p: &*const c_char| OsStr::from_bytes(unsafe { CStr::from_ptr(p) }.to_bytes());
    let mut short = [OsStr::new(""); 8];
    if argv.len() > short.len() {
        return f(&argv.iter().map(arg).collect::<Vec<_>>());
    }
    for (slot, p) in short.iter_mut().zip(argv) {
        *slot = arg(p);
    }
    f(&short[..argv.len()])
}
