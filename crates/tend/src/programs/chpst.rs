//! chpst: runit's "change process state": account, environment directory,
//! root, priority, lock, closed descriptors and limits, then run a program.
//! Options, order of the changes and messages follow runit 2.1.2.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use chainload::account::{self, DropError};
use chainload::envdir::{self, DirError};
use chainload::limit::{self, LimitError, Resource, Soft};
use chainload::{lock, process, Environment};
use strerr::{errstr, Getopt, Opt, EXIT_SYSTEM, EXIT_USAGE};

const USAGE: &str = "usage: chpst [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog\n\n";

/// The limit options in the order runit applies them.
const LIMITS: [(u8, Resource); 10] = [
    (b'd', Resource::Data),
    (b's', Resource::Stack),
    (b'l', Resource::LockedMemory),
    (b'a', Resource::AddressSpace),
    (b'o', Resource::OpenFiles),
    (b'p', Resource::Processes),
    (b'f', Resource::FileSize),
    (b'c', Resource::Core),
    (b'r', Resource::Resident),
    (b't', Resource::Cpu),
];

#[derive(Default)]
struct Options {
    set_user: Option<OsString>,
    env_user: Option<OsString>,
    argv0: Option<OsString>,
    env_dir: Option<OsString>,
    root: Option<OsString>,
    nice: i64,
    /// (file, wait for it)
    lock: Option<(OsString, bool)>,
    verbose: bool,
    new_session: bool,
    close: [bool; 3],
    /// Indexed like [`LIMITS`].
    limits: [Option<Soft>; 10],
}

fn usage() -> u8 {
    strerr::usage_as_given(USAGE.as_bytes());
    EXIT_USAGE
}

fn fatal(what: &str, e: &std::io::Error) -> u8 {
    strerr::die(EXIT_SYSTEM, &[what.as_bytes(), b": ", errstr(e).as_bytes()])
}

fn fatal2(what: &str, culprit: &OsStr, e: &std::io::Error) -> u8 {
    let e = errstr(e);
    strerr::die(EXIT_SYSTEM, &[what.as_bytes(), b": ", culprit.as_bytes(), b": ", e.as_bytes()])
}

/// A limit option's value: `None` for a number that is not one (usage), else
/// what to do with the limit, `None` meaning leave it alone.
///
/// runit keeps the number in a `long`: from 2^63 on it wraps around to a
/// negative value, of which -1 (2^64-1) means the hard limit and any other
/// leaves the limit as it is (cancelling an earlier option for it). A number
/// too large for 64 bits, which runit wraps around again to an arbitrary
/// value, means the hard limit, as in softlimit.
fn soft_limit(text: &[u8]) -> Option<Option<Soft>> {
    let n = limit::parse_number(text)?;
    Some(match n as i64 {
        -1 => Some(Soft::Hard),
        wrapped if wrapped < 0 => None,
        _ => Some(Soft::AtMost(n)),
    })
}

/// `-n`: `-N` lowers the niceness increment, `+N` or `N` raises it.
fn nice_increment(text: &[u8]) -> Option<i64> {
    let (sign, digits) = match text.split_first() {
        Some((b'-', rest)) => (-1, rest),
        Some((b'+', rest)) => (1, rest),
        _ => (1, text),
    };
    let n = limit::parse_number(digits)?.min(i64::MAX as u64) as i64;
    Some(sign * n)
}

fn parse<'a>(args: &'a [&'a OsStr]) -> Result<(Options, &'a [&'a OsStr]), u8> {
    let mut o = Options::default();
    let mut opts = Getopt::new(args, "u:U:b:e:m:d:o:p:f:c:r:t:/:n:l:L:vP012V");
    for opt in opts.by_ref() {
        match opt {
            Opt::Arg(b'u', v) => o.set_user = Some(v),
            Opt::Arg(b'U', v) => o.env_user = Some(v),
            Opt::Arg(b'b', v) => o.argv0 = Some(v),
            Opt::Arg(b'e', v) => o.env_dir = Some(v),
            Opt::Arg(b'/', v) => o.root = Some(v),
            Opt::Arg(b'n', v) => o.nice = nice_increment(v.as_bytes()).ok_or_else(usage)?,
            Opt::Arg(letter @ (b'l' | b'L'), v) => {
                if o.lock.is_some() {
                    return Err(usage());
                }
                o.lock = Some((v, letter == b'l'));
            }
            Opt::Arg(letter, v) => {
                let soft = soft_limit(v.as_bytes()).ok_or_else(usage)?;
                let letters: &[u8] = if letter == b'm' { b"slad" } else { std::slice::from_ref(&letter) };
                for &l in letters {
                    if let Some(i) = LIMITS.iter().position(|&(x, _)| x == l) {
                        o.limits[i] = soft;
                    }
                }
            }
            Opt::Flag(b'v') => o.verbose = true,
            Opt::Flag(b'P') => o.new_session = true,
            Opt::Flag(d @ b'0'..=b'2') => o.close[usize::from(d - b'0')] = true,
            Opt::Flag(b'V') => {
                strerr::write_stderr(concat!("tend chpst ", env!("CARGO_PKG_VERSION"), "\n").as_bytes());
                return Err(usage());
            }
            _ => return Err(usage()),
        }
    }
    match opts.operands() {
        [] => Err(usage()),
        child => Ok((o, child)),
    }
}

pub fn main(args: &[&OsStr]) -> u8 {
    let (o, child) = match parse(args) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let mut env = Environment::current();
    if o.new_session {
        process::new_session();
    }
    if let Some(dir) = &o.env_dir {
        if let Err(code) = read_env_dir(dir, o.verbose, &mut env) {
            return code;
        }
    }
    if let Some(root) = &o.root {
        if let Err(e) = std::env::set_current_dir(root) {
            return fatal2("unable to change directory", root, &e);
        }
        if let Err(e) = process::chroot(b".") {
            return fatal("unable to change root directory", &e);
        }
    }
    if o.nice != 0 {
        if let Err(e) = process::nice(o.nice.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32) {
            return fatal("unable to set nice level", &e);
        }
    }
    if let Some(spec) = &o.env_user {
        let (uid, groups) = match ids(spec) {
            Ok(ids) => ids,
            Err(code) => return code,
        };
        env.set(b"GID", Some(groups[0].to_string().as_bytes()));
        env.set(b"UID", Some(uid.to_string().as_bytes()));
    }
    if let Some(spec) = &o.set_user {
        let (uid, groups) = match ids(spec) {
            Ok(ids) => ids,
            Err(code) => return code,
        };
        if let Err(e) = account::become_ids_with_groups(uid, &groups) {
            return match e {
                DropError::Groups(e) => fatal("unable to setgroups", &e),
                DropError::Gid(e) => fatal("unable to setgid", &e),
                DropError::Uid(e) => fatal("unable to setuid", &e),
            };
        }
    }
    if let Some((file, wait)) = &o.lock {
        match lock::hold(file, !wait) {
            Ok(_) => {}
            Err(lock::LockError::Open(e)) => return fatal2("unable to open lock", file, &e),
            Err(lock::LockError::Lock(e)) => return fatal2("unable to lock", file, &e),
        }
    }
    for (fd, name) in ["stdin", "stdout", "stderr"].iter().enumerate() {
        if o.close[fd] {
            if let Err(e) = process::close_standard(fd as i32) {
                return fatal(&format!("unable to close {name}"), &e);
            }
        }
    }
    for (&(_, resource), soft) in LIMITS.iter().zip(o.limits) {
        let Some(soft) = soft else { continue };
        match limit::lower_soft(resource, soft) {
            Ok(()) => {}
            Err(LimitError::Get(e)) => return fatal("unable to getrlimit()", &e),
            Err(LimitError::Set(e)) => return fatal("unable to setrlimit()", &e),
        }
    }
    let mut argv = child.to_vec();
    if let Some(argv0) = &o.argv0 {
        argv[0] = argv0;
    }
    let e = chainload::exec::run(child[0], &argv, &env);
    fatal2("unable to run", argv[0], &e)
}

/// `-e dir`, with runit's messages; a subdirectory is skipped (with a warning under `-v`).
fn read_env_dir(dir: &OsString, verbose: bool, env: &mut Environment) -> Result<(), u8> {
    let entries = envdir::read(dir).map_err(|e| match e {
        DirError::Cwd(e) => fatal("unable to open current working directory", &e),
        DirError::Switch(e) => fatal2("unable to switch to directory", dir, &e),
        DirError::Open(e) => fatal2("unable to open directory", dir, &e),
        DirError::List(e) => fatal2("unable to read directory", dir, &e),
        DirError::Return(e) => fatal("unable to switch to starting directory", &e),
    })?;
    for entry in entries {
        let (dir, name) = (dir.as_bytes(), entry.name.as_bytes());
        let value = match entry.value {
            Ok(v) => v,
            Err(e) if e.raw_os_error() == Some(libc::EISDIR) => {
                if verbose {
                    strerr::warn(&[b"unable to read ", dir, b"/", name, b": ", errstr(&e).as_bytes()]);
                }
                continue;
            }
            Err(e) => {
                let e = errstr(&e);
                return Err(strerr::die(EXIT_SYSTEM, &[b"unable to read ", dir, b"/", name, b": ", e.as_bytes()]));
            }
        };
        if name.contains(&b'=') {
            return Err(strerr::die(EXIT_SYSTEM, &[b"invalid variable name: ", dir, b"/", name, b": contains ="]));
        }
        env.set(name, value.as_deref());
    }
    Ok(())
}

/// `user[:group...]` from the databases, or `:uid:gid[:gid...]` as numbers:
/// the uid and the groups, the first being the primary one.
fn ids(spec: &OsString) -> Result<(libc::uid_t, Vec<libc::gid_t>), u8> {
    let bytes = spec.as_bytes();
    let unknown = || strerr::die(EXIT_SYSTEM, &[b"unknown user/group: ", bytes]);
    let db_error = |e: std::io::Error| fatal("unable to get password/group file entry", &e);
    if let Some(numbers) = bytes.strip_prefix(b":") {
        return numeric_ids(numbers).ok_or_else(|| strerr::die(EXIT_SYSTEM, &[b"invalid uid/gids: ", numbers]));
    }
    let mut parts = bytes.split(|&c| c == b':');
    let user = parts.next().unwrap_or_default();
    let account = account::lookup(OsStr::from_bytes(user)).map_err(db_error)?.ok_or_else(unknown)?;
    let mut groups = Vec::new();
    for name in parts {
        groups.push(account::group_id(name).map_err(db_error)?.ok_or_else(unknown)?);
    }
    if groups.is_empty() {
        groups.push(account.gid);
    }
    Ok((account.uid, groups))
}

/// runit's `uidgids_set`: `uid:gid[:gid...]`, each number possibly empty (0).
fn numeric_ids(text: &[u8]) -> Option<(libc::uid_t, Vec<libc::gid_t>)> {
    let (uid, gids) = text.split_at(text.iter().position(|&c| c == b':')?);
    let uid = limit::parse_number(uid)? as libc::uid_t;
    let groups = gids[1..]
        .split(|&c| c == b':')
        .map(|g| limit::parse_number(g).map(|n| n as libc::gid_t))
        .collect::<Option<Vec<_>>>()?;
    Some((uid, groups))
}
