//! Start of one child, everything prepared before: supervise runs `./run`
//! and `./finish` with it, svscan runs `supervise`. The child only makes
//! async-signal-safe calls and allocates nothing; a step that fails is
//! reported by the child itself, which exits 111 (daemontools does the same).
//!
//! The child shares the parent's memory until it execs, the way
//! `posix_spawn` starts one (`clone(CLONE_VM | CLONE_VFORK)`, the parent
//! waiting meanwhile): no page table is copied, which made half of a
//! crash-looping service's restart cost under `fork`. It runs on the unused
//! stack below the parent's frame ([`clone_below`]) and changes only what is
//! its own after `clone`: its signal mask and dispositions, limits,
//! descriptors and working directory (errno, shared, is read by nobody). The parent must
//! install no signal handler that could run in the child (tend's daemons
//! take signals through a signalfd).

use std::ffi::CStr;
use std::io;
use std::os::fd::RawFd;

use crate::check;
use crate::env::Environ;

/// The most arguments a spawned program gets (`./notify SCRIPT EVENT PID CODE`).
pub const MAX_ARGS: usize = 5;

/// Longest message prefix a child prints before the error text.
const PREFIX_MAX: usize = 800;

/// Which processes the child goes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The parent's process group and cgroup.
    Inherit,
    /// A new process group of its own (`setpgid(0, 0)`), in the same session.
    New,
    /// The cgroup whose `cgroup.procs` is open (for writing) as this
    /// descriptor: the child writes "0" to it ([`crate::cgroup::Cgroup::procs`]).
    Cgroup(RawFd),
    /// That cgroup, and a new process group of its own in it (supervise's
    /// `./check`: killed as a group without touching the service).
    CgroupNew(RawFd),
}

/// What the child does between fork and exec, in this order.
pub struct Spawn<'a> {
    /// Where the child goes first.
    pub group: Group,
    /// Printed before the error text if joining `group` fails.
    pub group_failed: &'a [&'a [u8]],
    /// The program and its arguments, at most [`MAX_ARGS`].
    pub argv: &'a [&'a CStr],
    /// Search PATH for `argv[0]` (execvp), else run it as given (execv).
    pub search_path: bool,
    /// The signals the parent was started with ignored, ignored again in
    /// the child ([`crate::signals::restore_in_child`]).
    pub ignored: &'a [libc::c_int],
    /// The open-files limit to set in the child (the one the parent was
    /// started with, if it raised its own).
    pub nofile: Option<libc::rlimit>,
    /// (descriptor, number) pairs, in order: each descriptor becomes that
    /// number, kept open across exec (a log pipe as 0 or 1, a readiness
    /// pipe; the same number twice: kept where it is, svscan's console
    /// pipe). A number must not be the descriptor of a later pair.
    pub fds: &'a [(RawFd, RawFd)],
    /// Printed before the error text if moving one of `fds` fails; `None`:
    /// the child goes on without it (supervise's readiness descriptor).
    pub fd_failed: Option<&'a [&'a [u8]]>,
    /// The child's environment; `None`: this process's.
    pub env: Option<Environ<'a>>,
    /// A variable of `env` that the child ends with its own pid before
    /// exec (`LISTEN_PID`, which only the child knows).
    pub pid_var: Option<&'a PidVar>,
    /// Printed before the error text if exec fails.
    pub exec_failed: &'a [&'a [u8]],
}

/// Starts a child as `spawn` says; returns its pid once it has exec'd (or
/// failed to and exited).
pub fn spawn(spawn: &Spawn) -> io::Result<libc::pid_t> {
    let mut argv = [std::ptr::null::<libc::c_char>(); MAX_ARGS + 1];
    for (slot, arg) in argv.iter_mut().zip(spawn.argv.iter().take(MAX_ARGS)) {
        *slot = arg.as_ptr();
    }
    check(clone_below(&Child { spawn, argv: &argv }))
}

/// How far below [`clone_below`]'s frame the child's stack starts: more
/// than that function's spills and what `clone` puts on the caller's stack
/// (a return address) need: under 48 bytes in a release build and in a
/// debug build. No larger: the child's frames are among supervise's deepest,
/// and every stack page supervise touches stays its own for its life
/// (benchmark 8d; a 2 KiB gap cost a page in about one supervise in three).
const STACK_GAP: usize = 512;

/// Clones the child onto the calling thread's own stack, [`STACK_GAP`]
/// bytes below this frame, as `vfork` does (musl's `posix_spawn` uses a
/// buffer in its frame): the parent is blocked in `clone` until the child
/// has exec'd or exited (CLONE_VFORK), so every byte below that point is
/// unused meanwhile, and a child that needs more stack than expected
/// (glibc's `execvp` copies PATH onto it) only goes further into unused
/// stack. No memory is mapped per start, and the child (under 1.5 KiB,
/// 3 KiB in a debug build) runs in pages the parent's own calls keep
/// resident anyway.
#[inline(never)]
fn clone_below(child: &Child) -> libc::c_int {
    let here = 0u8;
    let here = std::hint::black_box(&here) as *const u8 as usize;
    let top = (here - STACK_GAP) & !15;
    // SAFETY: `child` outlives the child's use of it and `top` lies below
    // every live frame of this thread, which does not run until the child
    // has exec'd or exited; the child touches only that stack and its own
    // process state (see the module's doc).
    unsafe {
        libc::clone(
            child_main,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (child as *const Child).cast_mut().cast(),
        )
    }
}

/// What [`child_main`] gets.
struct Child<'a> {
    spawn: &'a Spawn<'a>,
    argv: &'a [*const libc::c_char; MAX_ARGS + 1],
}

/// The child, below its parent's stack, until exec; never returns.
extern "C" fn child_main(child: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `spawn` passes a `Child` that outlives the child's use of it.
    let Child { spawn, argv } = unsafe { &*child.cast::<Child>() };
    crate::signals::restore_in_child(spawn.ignored);
    if let Some(var) = spawn.pid_var {
        // SAFETY: getpid cannot fail; in the child it is the child's pid.
        var.set(unsafe { libc::getpid() });
    }
    // SAFETY: setpgid on itself; a write of one byte of a literal.
    let joined = unsafe {
        match spawn.group {
            Group::Inherit => 0,
            Group::New => libc::setpgid(0, 0),
            Group::Cgroup(procs) if libc::write(procs, b"0".as_ptr().cast(), 1) == 1 => 0,
            Group::CgroupNew(procs) if libc::write(procs, b"0".as_ptr().cast(), 1) == 1 => libc::setpgid(0, 0),
            Group::Cgroup(_) | Group::CgroupNew(_) => -1,
        }
    };
    if joined == -1 {
        child_die(spawn.group_failed);
    }
    if let Some(limit) = &spawn.nofile {
        // SAFETY: `limit` is a valid rlimit.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, limit) };
    }
    for &(from, to) in spawn.fds {
        // SAFETY: both are descriptor numbers; the copy stays open across exec.
        let r = unsafe {
            if from == to {
                libc::fcntl(from, libc::F_SETFD, 0)
            } else {
                libc::dup2(from, to)
            }
        };
        if let (-1, Some(failed)) = (r, spawn.fd_failed) {
            child_die(failed);
        }
    }
    // SAFETY: `argv` is a NULL-terminated array of NUL-terminated strings
    // that outlive the call, and so is the environment's.
    unsafe {
        match (spawn.search_path, spawn.env) {
            (true, None) => libc::execvp(argv[0], argv.as_ptr()),
            (false, None) => libc::execv(argv[0], argv.as_ptr()),
            (true, Some(env)) => libc::execvpe(argv[0], argv.as_ptr(), env.as_ptr()),
            (false, Some(env)) => libc::execve(argv[0], argv.as_ptr(), env.as_ptr()),
        };
    }
    child_die(spawn.exec_failed)
}

/// `NAME=PID`, NUL-terminated, in place: a variable of a child's
/// environment that the child finishes itself ([`Spawn::pid_var`]), its
/// pid written into the parent's memory, which it shares until exec
/// (the parent waits meanwhile and reads the variable only through the
/// environment's pointer).
pub struct PidVar {
    bytes: std::cell::UnsafeCell<[u8; PID_VAR_LEN]>,
    /// Where the pid's digits start (after `NAME=`).
    at: usize,
}

const PID_VAR_LEN: usize = 32;

impl PidVar {
    /// `name` followed by `=` and, until the child sets it, `0`; `name`
    /// longer than 19 bytes is cut.
    pub fn new(name: &[u8]) -> PidVar {
        let mut bytes = [0u8; PID_VAR_LEN];
        let name = name.get(..name.len().min(PID_VAR_LEN - 13)).unwrap_or_default();
        for (to, &from) in bytes.iter_mut().zip(name.iter().chain(b"=0")) {
            *to = from;
        }
        PidVar { bytes: std::cell::UnsafeCell::new(bytes), at: name.len() + 1 }
    }

    /// The variable as it stands, for the environment (the child changes
    /// the bytes behind this pointer, never their address).
    pub fn as_cstr(&self) -> &CStr {
        // SAFETY: the bytes always hold a NUL (the last byte is never
        // written); only the spawned child writes them, while this
        // process waits in clone.
        CStr::from_bytes_until_nul(unsafe { &*self.bytes.get() }).unwrap_or_default()
    }

    /// Writes `pid`'s digits and a NUL after `NAME=` (in the child).
    fn set(&self, pid: libc::pid_t) {
        let mut digits = [0u8; 12];
        let mut n = pid.unsigned_abs();
        let mut i = digits.len();
        while let Some(d) = i.checked_sub(1).and_then(|j| digits.get_mut(j)) {
            *d = b'0' + (n % 10) as u8;
            i -= 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        // SAFETY: the parent does not touch the bytes while the child runs
        // (CLONE_VFORK); the writes stay within the array and keep its
        // last byte 0.
        let bytes = unsafe { &mut *self.bytes.get() };
        for (to, &from) in
            bytes.iter_mut().skip(self.at).take(PID_VAR_LEN - 1 - self.at).zip(digits.iter().skip(i).chain(&[0]))
        {
            *to = from;
        }
    }
}

/// In the forked child: `PREFIX` (800 bytes at most) + errno's text +
/// newline in one write, on the stack, then exit 111.
fn child_die(prefix: &[&[u8]]) -> ! {
    let err = strerr::errno_str(io::Error::last_os_error().raw_os_error().unwrap_or(0));
    let mut line = [0u8; 1024];
    let mut n = 0;
    for &b in prefix.iter().flat_map(|p| p.iter()).take(PREFIX_MAX).chain(err.as_bytes()).chain(b"\n") {
        if n < line.len() {
            line[n] = b;
            n += 1;
        }
    }
    // SAFETY: writing our own stack buffer to stderr, then leaving without running destructors.
    unsafe {
        libc::write(2, line.as_ptr().cast(), n);
        libc::_exit(111)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(pid: libc::pid_t) -> libc::c_int {
        crate::process::waitpid(pid).unwrap()
    }

    /// `argv` found through PATH, with nothing else set.
    fn plain<'a>(argv: &'a [&'a CStr]) -> Spawn<'a> {
        Spawn {
            group: Group::Inherit,
            group_failed: &[],
            argv,
            search_path: true,
            ignored: &[],
            nofile: None,
            fds: &[],
            fd_failed: None,
            env: None,
            pid_var: None,
            exec_failed: &[],
        }
    }

    #[test]
    fn the_child_writes_its_own_pid_into_its_environment() {
        let var = PidVar::new(b"LISTEN_PID");
        assert_eq!(var.as_cstr().to_bytes(), b"LISTEN_PID=0");
        let script = c"test \"$LISTEN_PID\" = $$ && exit 7";
        let argv = [c"sh", c"-c", script];
        let pid = crate::env::with_set(&[var.as_cstr()], |env| {
            spawn(&Spawn { env: Some(env), pid_var: Some(&var), ..plain(&argv) })
        })
        .unwrap()
        .unwrap();
        assert_eq!(libc::WEXITSTATUS(wait(pid)), 7);
        assert_eq!(var.as_cstr().to_bytes(), format!("LISTEN_PID={pid}").as_bytes());
    }

    #[test]
    fn a_child_that_cannot_exec_exits_111() {
        let spawn_ = Spawn { search_path: false, exec_failed: &[b"test: "], ..plain(&[c"/nonexistent/program"]) };
        let status = wait(spawn(&spawn_).unwrap());
        assert!(libc::WIFEXITED(status));
        assert_eq!(libc::WEXITSTATUS(status), 111);
    }

    #[test]
    fn the_program_runs_through_path_with_its_arguments() {
        let spawn_ = plain(&[c"sh", c"-c", c"exit 7"]);
        let status = wait(spawn(&spawn_).unwrap());
        assert_eq!(libc::WEXITSTATUS(status), 7);
    }

    #[test]
    fn a_child_in_a_new_group_leads_it() {
        let spawn_ = Spawn {
            group: Group::New,
            ..plain(&[c"sh", c"-c", c"set -- $(cat /proc/$$/stat); test $5 = $$ && exit 7"])
        };
        let status = wait(spawn(&spawn_).unwrap());
        assert_eq!(libc::WEXITSTATUS(status), 7);
    }
}
