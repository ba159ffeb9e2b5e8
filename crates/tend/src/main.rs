//! The multicall binary: runs the program named by argv[0]'s basename
//! (`multilog`, `svc`, ... as symlinks), or by `tend PROGRAM ARGS...`.

mod filter;
mod programs;
mod sys;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    sys::restore_sigpipe();
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args.first().map(|a| a.as_os_str()).unwrap_or_default();
    let base = Path::new(argv0).file_name().unwrap_or_default();
    if let Some(p) = programs::find(base.as_bytes()) {
        strerr::set_program(p.name);
        return (p.main)(&args[1..]);
    }
    programs::tend(&args[1..])
}
