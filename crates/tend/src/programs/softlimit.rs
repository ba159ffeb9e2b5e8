//! softlimit: lower soft resource limits, then run a program.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use chainload::limit::{self, LimitError, Resource, Soft};
use chainload::Environment;
use strerr::{errstr, Getopt, Opt, EXIT_SYSTEM};

const USAGE: &str = "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child";

/// The resources each option sets, in daemontools' order.
fn resources(letter: u8) -> &'static [Resource] {
    use Resource::*;
    match letter {
        b'a' => &[AddressSpace],
        b'c' => &[Core],
        b'd' => &[Data],
        b'f' => &[FileSize],
        b'l' => &[LockedMemory],
        b'm' => &[Data, Stack, LockedMemory, AddressSpace],
        b'o' => &[OpenFiles],
        b'p' => &[Processes],
        b'r' => &[Resident],
        b's' => &[Stack],
        b't' => &[Cpu],
        _ => &[],
    }
}

pub fn main(args: &[&OsStr]) -> u8 {
    let mut opts = Getopt::new(args, "a:c:d:f:l:m:o:p:r:s:t:");
    // Limits are applied as they are parsed, as daemontools does: a bad value
    // after a good one leaves the good one set (harmless: we exit).
    for opt in opts.by_ref() {
        let Opt::Arg(letter, value) = opt else { return strerr::usage(USAGE) };
        let soft = match value.as_bytes() {
            b"=" => Soft::Hard,
            text => match limit::parse_number(text) {
                Some(n) => Soft::AtMost(n),
                // daemontools prints only its usage line; name the culprit first.
                None => {
                    strerr::fatal(&[b"invalid number for -", &[letter], b": ", value.as_bytes()]);
                    return strerr::usage(USAGE);
                }
            },
        };
        for &resource in resources(letter) {
            if let Err(e) = limit::lower_soft(resource, soft) {
                let (what, e) = match e {
                    LimitError::Get(e) => ("getrlimit failed: ", e),
                    LimitError::Set(e) => ("setrlimit failed: ", e),
                };
                return strerr::die(EXIT_SYSTEM, &[what.as_bytes(), errstr(&e).as_bytes()]);
            }
        }
    }
    let child = opts.operands();
    let Some(program) = child.first() else { return strerr::usage(USAGE) };
    let e = chainload::exec::run(program, child, &Environment::current());
    super::run_failed(program, &e)
}
