//! Process-state tools (issue 4): setuidgid, envuidgid, envdir, softlimit,
//! setlock, pgrphack, fghack, readproctitle, svscanboot and chpst.
//!
//! Most tests are differential: the same arguments, environment and
//! directory go to Debian's program and to ours, and stdout, stderr and the
//! exit status must be identical. The children are `env`, `id`,
//! `cat /proc/self/limits` and small shell scripts, so what the child sees
//! (environment and its order, ids, groups, limits, descriptors, session) is
//! compared too.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use crate::util::{
    assert_same, assert_same_stderr, blocked_in, debian_program, run_with_input, wait_child, wait_for, wait_until,
    Sandbox, PATIENCE,
};

/// The PATH both implementations and their children get, so that `env` prints the same.
const PATH: &str = "/usr/bin:/bin";

fn ours(sb: &Sandbox, program: &str, args: &[&str]) -> Command {
    let mut c = sb.tend(program);
    c.args(args).env("PATH", PATH);
    c
}

fn theirs(sb: &Sandbox, program: &str, args: &[&str]) -> Command {
    let mut c = sb.debian(program);
    c.args(args).env("PATH", PATH);
    c
}

fn run(mut c: Command) -> Output {
    run_with_input(&mut c, b"")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `program args` both ways, with `setup` applied to both commands, and
/// asserts the same stdout, stderr and exit status.
#[track_caller]
fn same_with(sb: &Sandbox, program: &str, args: &[&str], setup: impl Fn(&mut Command)) -> Output {
    let mut a = ours(sb, program, args);
    setup(&mut a);
    let mut b = theirs(sb, program, args);
    setup(&mut b);
    let (a, b) = (run(a), run(b));
    let what = format!("{program} {args:?}");
    assert_same(&format!("{what}: stdout"), &a.stdout, &b.stdout);
    assert_same_stderr(&format!("{what}: stderr"), &a.stderr, &b.stderr);
    assert_eq!((a.status.code(), a.status.signal()), (b.status.code(), b.status.signal()), "{what}: exit status");
    a
}

#[track_caller]
fn same(sb: &Sandbox, program: &str, args: &[&str]) -> Output {
    same_with(sb, program, args, |_| {})
}

/// A directory `nobody` can enter and read.
fn public_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    fs::set_permissions(sb.path(), fs::Permissions::from_mode(0o755)).unwrap();
    sb
}

// ---------------------------------------------------------------- setuidgid

#[test]
fn setuidgid_same_as_daemontools() {
    let sb = Sandbox::new();
    sb.script("noexec", "#!/bin/sh\n");
    fs::set_permissions(sb.join("noexec"), fs::Permissions::from_mode(0o644)).unwrap();
    let ids = "id; grep -E '^(Uid|Gid|Groups):' /proc/self/status";
    for args in [
        &[][..],
        &["nobody"],
        &["nosuch", "true"],
        &["", "true"],
        &["nobody", "id"],
        &["nobody", "sh", "-c", ids],
        &["root", "sh", "-c", ids],
        &["daemon", "env"],
        &["nobody", "nosuch-program"],
        &["nobody", "/nonexistent/program"],
        &["root", "./noexec"],
        &["root", "/"],
        &["nobody", "sh", "-c", "exit 3"],
    ] {
        same(&sb, "setuidgid", args);
    }
}

/// Writes the sandbox's `group` file: the machine's /etc/group with `nobody`
/// added as a member of `tty` and `users`, so that an account with
/// supplementary groups exists on any machine (a fresh Debian lists none).
fn group_file(sb: &Sandbox) -> PathBuf {
    let path = sb.join("group");
    let groups: String = fs::read_to_string("/etc/group")
        .unwrap()
        .lines()
        .map(|l| match l.split(':').next() {
            Some("tty" | "users") if l.ends_with(':') => format!("{l}nobody\n"),
            Some("tty" | "users") => format!("{l},nobody\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    fs::write(&path, groups).unwrap();
    path
}

/// `c` run with the sandbox's `group` file mounted on /etc/group, in a mount
/// namespace of its own (the machine's file is never touched).
fn with_members(sb: &Sandbox, c: &Command) -> Command {
    let mut w = Command::new("unshare");
    w.args(["-m", "--propagation", "private", "sh", "-c", r#"mount --bind "$0" /etc/group && exec "$@""#]);
    w.arg(sb.join("group")).arg(c.get_program()).args(c.get_args());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => w.env(k, v),
            None => w.env_remove(k),
        };
    }
    if let Some(dir) = c.get_current_dir() {
        w.current_dir(dir);
    }
    w
}

/// The groups the user database gives `account`, as `id -G` prints them.
fn database_groups(sb: &Sandbox, account: &str) -> String {
    let out = with_members(sb, Command::new("id").args(["-G", account])).output().unwrap();
    assert!(out.status.success());
    text(&out.stdout)
}

/// Accounts listed as members of some group in the sandbox's `group` file
/// (they have supplementary groups): `nobody` at least.
fn accounts_with_supplementary_groups(sb: &Sandbox) -> Vec<String> {
    let groups = fs::read_to_string(group_file(sb)).unwrap();
    let mut found: Vec<String> = groups
        .lines()
        .filter_map(|l| l.split(':').nth(3))
        .flat_map(|members| members.split(','))
        .filter(|m| !m.is_empty() && Command::new("id").arg(m).output().is_ok_and(|o| o.status.success()))
        .map(String::from)
        .collect();
    found.sort();
    found.dedup();
    found.retain(|a| database_groups(sb, a).split_whitespace().count() > 1);
    assert!(found.iter().any(|a| a == "nobody"), "{found:?}");
    found
}

#[test]
fn setuidgid_as_nobody_keeps_only_the_primary_group() {
    let sb = Sandbox::new();
    let out = run(ours(&sb, "setuidgid", &["nobody", "sh", "-c", "id -u; id -g; id -G"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let uid = text(&run(ours(&sb, "envuidgid", &["nobody", "sh", "-c", "echo $UID; echo $GID"])).stdout);
    let (u, g) = uid.split_once('\n').unwrap();
    assert_eq!(text(&out.stdout), format!("{u}\n{g}{g}"));
    for account in accounts_with_supplementary_groups(&sb) {
        let out = run(with_members(&sb, &ours(&sb, "setuidgid", &[&account, "id", "-G"])));
        let primary = text(&run(with_members(&sb, &ours(&sb, "setuidgid", &[&account, "id", "-g"]))).stdout);
        assert_eq!(text(&out.stdout), primary, "{account}");
    }
}

#[test]
fn setuidgid_s_adds_the_supplementary_groups() {
    let sb = Sandbox::new();
    for account in accounts_with_supplementary_groups(&sb) {
        let out = run(with_members(&sb, &ours(&sb, "setuidgid", &["-s", &account, "id", "-G"])));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut got: Vec<String> = text(&out.stdout).split_whitespace().map(String::from).collect();
        let mut want: Vec<String> = database_groups(&sb, &account).split_whitespace().map(String::from).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{account}");
        let uid = run(ours(&sb, "setuidgid", &["-s", &account, "id", "-u"]));
        let direct = Command::new("id").args(["-u", &account]).output().unwrap();
        assert_eq!(uid.stdout, direct.stdout);
    }
    let out = run(ours(&sb, "setuidgid", &["-s", "nosuch", "true"]));
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(out.stderr, b"setuidgid: fatal: unknown account nosuch\n");
}

#[test]
fn setuidgid_fails_cleanly_without_privileges() {
    let sb = public_sandbox();
    let tool = sb.bin.join("setuidgid");
    let out = run(ours(&sb, "setuidgid", &["nobody", tool.to_str().unwrap(), "root", "id"]));
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(text(&out.stderr), "setuidgid: fatal: unable to setgid: permission denied\n");
}

// ---------------------------------------------------------------- envuidgid

#[test]
fn envuidgid_same_as_daemontools() {
    let sb = Sandbox::new();
    for args in [&[][..], &["nobody"], &["nosuch", "env"], &["nobody", "env"], &["root", "env"], &["nobody", "nosuch"]]
    {
        same(&sb, "envuidgid", args);
        // Existing UID and GID are replaced in place of the last entries, as daemontools does.
        same_with(&sb, "envuidgid", args, |c| {
            c.env("GID", "7").env("ZZZ", "1").env("UID", "8").env("AAA", "2");
        });
    }
}

// ---------------------------------------------------------------- envdir

fn write(sb: &Sandbox, rel: &str, bytes: &[u8]) {
    let p = sb.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

#[test]
fn envdir_same_as_daemontools() {
    let sb = Sandbox::new();
    write(&sb, "e/A", b"hello \t \nsecond line\n");
    write(&sb, "e/B", b"");
    write(&sb, "e/C", b"\n");
    write(&sb, "e/D", b"x\0y\0");
    write(&sb, "e/E", b"   ");
    write(&sb, "e/.hidden", b"no");
    write(&sb, "e/PATH", b"/nonexistent");
    write(&sb, "e/LONG", &b"0123456789".repeat(1000));
    write(&sb, "e/HOME", b"\ttabbed value\t");
    write(&sb, "sub/d/x", b"1");
    write(&sb, "sub/X", b"2");
    write(&sb, "file", b"");
    fs::create_dir(sb.join("empty")).unwrap();
    let set_b = |c: &mut Command| {
        c.env("B", "present").env("A", "old").env("Q", "q");
    };
    for args in [
        &[][..],
        &["e"],
        &["e", "env"],
        &["e", "sh", "-c", "printf %s \"$D\" | od -c"],
        &["./e/", "env"],
        &["empty", "env"],
        &["nosuch", "env"],
        &["file", "env"],
        &["sub", "env"],
        &["e", "nosuch-program"],
        &["e", "sh", "-c", "pwd"],
        &["-", "env"],
    ] {
        same(&sb, "envdir", args);
        same_with(&sb, "envdir", args, set_b);
    }
}

#[test]
fn envdir_reports_an_unreadable_file() {
    let sb = public_sandbox();
    write(&sb, "e/A", b"1");
    write(&sb, "e/SECRET", b"2");
    fs::set_permissions(sb.join("e/SECRET"), fs::Permissions::from_mode(0o600)).unwrap();
    let tool = sb.bin.join("envdir");
    let mut a = theirs(&sb, "setuidgid", &["nobody", tool.to_str().unwrap(), "e", "env"]);
    a.env_remove("X");
    let envdir = debian_program("envdir");
    let mut b = theirs(&sb, "setuidgid", &["nobody", envdir.to_str().unwrap(), "e", "env"]);
    b.env_remove("X");
    let (a, b) = (run(a), run(b));
    assert_eq!(a.status.code(), Some(111));
    assert_same("stderr", &a.stderr, &b.stderr);
    assert_eq!(text(&a.stderr), "envdir: fatal: unable to read e/SECRET: access denied\n");
    let out = run(theirs(&sb, "setuidgid", &["nobody", tool.to_str().unwrap(), "nosuch/e", "env"]));
    assert_eq!(text(&out.stderr), "envdir: fatal: unable to switch to directory nosuch/e: file does not exist\n");
}

#[test]
fn envdir_refuses_a_name_with_an_equals_sign() {
    let sb = Sandbox::new();
    write(&sb, "e/A=B", b"value");
    let out = run(ours(&sb, "envdir", &["e", "env"]));
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(text(&out.stderr), "envdir: fatal: invalid variable name e/A=B: contains =\n");
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------- softlimit

#[test]
fn softlimit_same_as_daemontools() {
    let sb = Sandbox::new();
    let limits = ["cat", "/proc/self/limits"];
    let with = |opts: &[&str]| -> Vec<String> { opts.iter().copied().chain(limits).map(String::from).collect() };
    let mut cases: Vec<Vec<String>> = Vec::new();
    for letter in ["a", "c", "d", "f", "l", "m", "o", "p", "r", "s", "t"] {
        let flag = format!("-{letter}");
        for value in ["=", ""] {
            // A CPU limit of 0 seconds kills whichever process is on the CPU at
            // the next tick: a race, not a difference.
            if !(letter == "t" && value.is_empty()) {
                cases.push(with(&[&flag, value]));
            }
        }
        for value in ["0", "1", "4096"] {
            if !["a", "d", "m", "s", "t"].contains(&letter) {
                cases.push(with(&[&flag, value]));
            }
        }
        for value in ["100000000", "18446744073709551615"] {
            cases.push(with(&[&flag, value]));
            cases.push(with(&[&format!("{flag}{value}")]));
        }
        cases.push(vec![flag.clone(), "5".into()]);
    }
    for opts in [
        &["-m", "200000000", "-o", "20", "-t", "100", "-c", "0"][..],
        &["-o", "5", "-o", "="],
        &["-o", "=", "-o", "17"],
        &["-c0", "-f", "1000000", "-p", "300", "-l", "65536", "-s", "1000000", "-r", "9999"],
        &["-z"],
        &["-o", "5", "-z"],
        &["-o", "5", "--", "-o"],
        &["-"],
    ] {
        cases.push(with(opts));
    }
    cases.push(vec![]);
    cases.push(vec!["-o".into(), "5".into(), "nosuch".into()]);
    cases.push(vec!["sh".into(), "-c".into(), "ulimit -a".into()]);
    for case in cases {
        let args: Vec<&str> = case.iter().map(String::as_str).collect();
        same(&sb, "softlimit", &args);
    }
}

#[test]
fn softlimit_names_an_invalid_number_then_prints_daemontools_usage() {
    let sb = Sandbox::new();
    for letter in ["a", "c", "d", "f", "l", "m", "o", "p", "r", "s", "t"] {
        for value in ["x", "-1", "12ab", "+5", " 7", "0x10"] {
            for args in [vec![format!("-{letter}"), value.to_string()], vec![format!("-{letter}{value}")]] {
                let mut args = args;
                args.push("true".into());
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let (a, b) = (run(ours(&sb, "softlimit", &args)), run(theirs(&sb, "softlimit", &args)));
                let expected = format!(
                    "softlimit: fatal: invalid number for -{letter}: {value}\n{}{}",
                    text(&b.stderr),
                    "softlimit: see man tend-softlimit or doc/softlimit.md\n"
                );
                assert_eq!(text(&a.stderr), expected, "{args:?}");
                assert_eq!((a.status.code(), b.status.code()), (Some(100), Some(100)), "{args:?}");
                assert!(a.stdout.is_empty());
            }
        }
    }
}

#[test]
fn softlimit_takes_a_value_from_the_next_argument() {
    // `softlimit -m 3000000 qmail-smtpd` is how run scripts use it.
    let sb = Sandbox::new();
    let out = run(ours(&sb, "softlimit", &["-o", "100", "-c", "0", "sh", "-c", "ulimit -Sn; ulimit -Sc"]));
    assert_eq!((text(&out.stdout), text(&out.stderr)), ("100\n0\n".to_string(), String::new()));
}

#[test]
fn softlimit_caps_an_overflowing_number_at_the_hard_limit() {
    // daemontools wraps 99999999999999999999 around to 7766279631452241919.
    let sb = Sandbox::new();
    let out = run(ours(&sb, "softlimit", &["-o", "99999999999999999999", "sh", "-c", "ulimit -Sn; ulimit -Hn"]));
    let shown = text(&out.stdout);
    let (soft, hard) = shown.split_once('\n').unwrap();
    assert_eq!(format!("{soft}\n"), hard);
}

// ---------------------------------------------------------------- setlock

#[test]
fn setlock_same_as_daemontools() {
    let sb = Sandbox::new();
    let inner = &format!("{} -n lock true", debian_program("setlock").display());
    for args in [
        &[][..],
        &["lock"],
        &["-z", "lock", "true"],
        &["lock", "true"],
        &["-n", "lock", "sh", "-c", "echo $0"],
        &["-x", "/nonexistent/lock", "true"],
        &["-X", "/nonexistent/lock", "true"],
        &["-xX", "/nonexistent/lock", "true"],
        &["-Xx", "/nonexistent/lock", "true"],
        &["-nN", "lock", "nosuch"],
        &["/", "true"],
        &["-x", "/", "true"],
        &["lock", "sh", "-c", inner],
        &["lock", "sh", "-c", "ls /proc/self/fd"],
        &["-nx", "lock", "sh", "-c", inner],
        &["--", "lock", "true"],
    ] {
        same(&sb, "setlock", args);
    }
    assert_eq!(fs::metadata(sb.join("lock")).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn setlock_contention_between_two_processes() {
    let mut sb = Sandbox::new();
    let holder = sb.spawn(ours(&sb, "setlock", &["lock", "sh", "-c", "echo held > held; exec sleep 100"]));
    assert!(wait_until(PATIENCE, || sb.join("held").exists()));
    for (program, lock) in [
        ("ours", ours(&sb, "setlock", &["-n", "lock", "true"])),
        ("debian", theirs(&sb, "setlock", &["-n", "lock", "true"])),
    ] {
        let out = run(lock);
        assert_eq!(out.status.code(), Some(111), "{program}");
        assert_eq!(text(&out.stderr), "setlock: fatal: unable to lock lock: temporary failure\n", "{program}");
    }
    let out = run(ours(&sb, "setlock", &["-nx", "lock", "sh", "-c", "echo ran"]));
    assert_eq!((out.status.code(), out.stdout.len(), out.stderr.len()), (Some(0), 0, 0));

    let waiter = sb.spawn(ours(&sb, "setlock", &["lock", "sh", "-c", "echo got > got"]));
    // The waiter opens the lock file, then blocks in flock for as long as the holder lives.
    let lock = sb.join("lock");
    let has_lock_open = || {
        fs::read_dir(format!("/proc/{waiter}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|l| l == lock))
    };
    wait_for("the waiter to block in flock on the lock", || has_lock_open() && blocked_in(waiter, libc::SYS_flock));
    assert!(!sb.join("got").exists(), "the waiter ran while the lock was held");
    // SAFETY: signalling the holder this test started.
    unsafe { libc::kill(holder as i32, libc::SIGKILL) };
    assert!(sb.wait_exit(waiter).success());
    assert_eq!(fs::read_to_string(sb.join("got")).unwrap(), "got\n");
}

// ---------------------------------------------------------------- pgrphack

#[test]
fn pgrphack_same_as_daemontools() {
    let sb = Sandbox::new();
    let leader = "set -- $(cut -d' ' -f5,6 /proc/$$/stat); [ $1 = $$ ] && [ $2 = $$ ] && echo leader";
    for args in [&[][..], &["nosuch"], &["sh", "-c", leader], &["sh", "-c", "exit 5"], &["/nonexistent/x", "y"]] {
        same(&sb, "pgrphack", args);
    }
    assert_eq!(run(ours(&sb, "pgrphack", &["sh", "-c", leader])).stdout, b"leader\n");
}

// ---------------------------------------------------------------- fghack

#[test]
fn fghack_same_as_daemontools() {
    let sb = Sandbox::new();
    for args in [
        &[][..],
        &["nosuch"],
        &["true"],
        &["sh", "-c", "exit 7"],
        &["sh", "-c", "kill -9 $$"],
        &["sh", "-c", "echo out; echo err >&2; exit 0"],
        &["sh", "-c", "ls /proc/$$/fd"],
        &["sh", "-c", "(sleep 0.2; echo late) & exit 4"],
    ] {
        same(&sb, "fghack", args);
    }
}

#[test]
fn fghack_waits_for_a_double_forking_daemon() {
    let mut sb = Sandbox::new();
    // The daemon forks twice (setsid in between) and its parent exits 3 at
    // once; fghack must stay until the daemon itself is gone.
    sb.script(
        "daemon",
        "#!/bin/sh\n( setsid sh -c 'echo $$ > daemon.pid; while [ ! -e stop ]; do sleep 0.05; done; echo done > done' & ) \nexit 3\n",
    );
    let mut cmd = ours(&sb, "fghack", &["./daemon"]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let fghack = sb.spawn(cmd);
    assert!(wait_until(PATIENCE, || sb.join("daemon.pid").exists()));
    // The daemon's parent has exited (fghack's child is a zombie) and fghack
    // still sleeps, reading the pipe the daemon holds.
    let child_exited = || {
        let children = fs::read_to_string(format!("/proc/{fghack}/task/{fghack}/children")).unwrap_or_default();
        children.split_whitespace().all(|pid| !crate::util::alive(pid.parse().unwrap()))
    };
    wait_for("the daemon's parent to exit while fghack reads", || child_exited() && blocked_in(fghack, libc::SYS_read));
    let mut child = sb.take_child(fghack);
    assert!(child.try_wait().unwrap().is_none(), "fghack returned while the daemon still ran");
    fs::write(sb.join("stop"), b"").unwrap();
    let status = wait_child(&mut child);
    assert_eq!(status.code(), Some(3));
    assert!(sb.join("done").exists(), "fghack returned before the daemon ended");
}

// ---------------------------------------------------------------- readproctitle

/// The arguments after argv[0] of a running process, as `ps` reads them.
fn shown_arguments(pid: u32) -> Vec<u8> {
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    cmdline.splitn(2, |&c| c == 0).nth(1).unwrap_or_default().to_vec()
}

#[test]
fn readproctitle_shows_the_tail_of_its_input_like_daemontools() {
    let input: &[u8] = b"first error\nsecond\0error\n\0third error with a long tail that scrolls";
    let mut shown = Vec::new();
    for debian in [false, true] {
        let mut sb = Sandbox::new();
        let mut cmd = if debian { sb.debian("readproctitle") } else { sb.tend("readproctitle") };
        cmd.args(["service", "errors:", &".".repeat(40)]).stdin(Stdio::piped());
        let pid = sb.spawn(cmd);
        let mut child = sb.take_child(pid);
        let mut stdin = child.stdin.take().unwrap();
        use std::io::Write;
        stdin.write_all(input).unwrap();
        stdin.flush().unwrap();
        assert!(wait_until(PATIENCE, || shown_arguments(pid).ends_with(b"scrolls\0")));
        shown.push(shown_arguments(pid));
        drop(stdin);
        assert_eq!(wait_child(&mut child).code(), Some(0));
    }
    assert_same("arguments shown", &shown[0], &shown[1]);
    assert!(shown[0].starts_with(b"service\0errors:\0..."));
}

#[test]
fn readproctitle_exit_codes_same_as_daemontools() {
    let sb = Sandbox::new();
    for args in [&[][..], &["abcd"], &["x", "abcd"], &["abcde"], &["abcd", "abcdef"]] {
        same(&sb, "readproctitle", args);
    }
}

// ---------------------------------------------------------------- svscanboot

#[test]
fn svscanboot_stops_the_old_tree_and_shows_svscans_errors() {
    let mut sb = Sandbox::new();
    let tools = sb.join("fake");
    // Stand-ins for svc and svscan record what svscanboot ran; readproctitle is ours.
    // Stand-ins write aside and rename: a reader never sees a file half written.
    sb.script("fake/svc", "#!/bin/sh\necho \"$@\" > \"$SVSCANBOOT_TEST/svc.new\"\nmv \"$SVSCANBOOT_TEST/svc.new\" \"$SVSCANBOOT_TEST/svc.args\"\n");
    sb.script(
        "fake/svscan",
        "#!/bin/sh\nenv > \"$(dirname \"$0\")/../svscan.new\" 2>&1\nmv \"$(dirname \"$0\")/../svscan.new\" \"$(dirname \"$0\")/../svscan.env\"\necho \"svscan $1 says hello\" >&2\nexec sleep 100\n",
    );
    let readproctitle = sb.bin.join("readproctitle");
    std::os::unix::fs::symlink(readproctitle, tools.join("readproctitle")).unwrap();
    for service in ["b", "a", ".hidden"] {
        fs::create_dir_all(sb.join(&format!("service/{service}"))).unwrap();
    }
    fs::create_dir(sb.join("service/b/log")).unwrap();
    let mut cmd = sb.tend("svscanboot");
    cmd.env("SVSCANBOOT_DIR", sb.join("service"))
        .env("SVSCANBOOT_PATH", format!("{}:{PATH}", tools.display()))
        .env("SVSCANBOOT_TEST", sb.path());
    let boot = sb.spawn(cmd);
    let dir = sb.join("service").display().to_string();
    assert!(wait_until(PATIENCE, || sb.join("svc.args").exists()));
    assert_eq!(fs::read_to_string(sb.join("svc.args")).unwrap(), format!("-dx {dir}/a {dir}/b {dir}/b/log\n"));
    let title = || {
        let children = fs::read_to_string(format!("/proc/{boot}/task/{boot}/children")).unwrap_or_default();
        children
            .split_whitespace()
            .map(|p| shown_arguments(p.parse().unwrap()))
            .find(|a| a.starts_with(b"service\0errors:\0"))
    };
    let want = format!("svscan {dir} says hello\n\0");
    assert!(wait_until(PATIENCE, || title().is_some_and(|t| t.ends_with(want.as_bytes()))), "{:?}", title());
    let shown = title().unwrap();
    assert_eq!(shown.len(), "service errors: ".len() + 400 + 1);
    // svscan runs with PATH as its only variable.
    assert!(wait_until(PATIENCE, || sb.join("svscan.env").exists()));
    let env = fs::read_to_string(sb.join("svscan.env")).unwrap();
    let mut lines: Vec<&str> =
        env.lines().filter(|l| !l.starts_with("PWD=") && !l.starts_with("SHLVL=") && !l.starts_with("_=")).collect();
    lines.sort();
    assert_eq!(lines, [format!("PATH={}:{PATH}", tools.display())]);
}

#[test]
fn svscanboot_runs_a_real_tree_with_tends_programs() {
    let mut sb = Sandbox::new();
    sb.script("service/a/run", "#!/bin/sh\necho hello from run >&2\nexec sleep 100\n");
    let mut cmd = sb.tend("svscanboot");
    cmd.env("SVSCANBOOT_DIR", sb.join("service")).env("SVSCANBOOT_PATH", format!("{}:{PATH}", sb.bin.display()));
    let boot = sb.spawn(cmd);
    let title = || {
        let children = fs::read_to_string(format!("/proc/{boot}/task/{boot}/children")).unwrap_or_default();
        children.split_whitespace().map(|p| shown_arguments(p.parse().unwrap())).find(|a| a.starts_with(b"service\0"))
    };
    assert!(
        wait_until(PATIENCE, || title().is_some_and(|t| t.ends_with(b"...hello from run\n\0"))),
        "{:?}",
        title().map(|t| text(&t))
    );
}

#[test]
fn svscanboot_with_no_services_passes_the_patterns_through() {
    let mut sb = Sandbox::new();
    // Stand-ins write aside and rename: a reader never sees a file half written.
    sb.script("fake/svc", "#!/bin/sh\necho \"$@\" > \"$SVSCANBOOT_TEST/svc.new\"\nmv \"$SVSCANBOOT_TEST/svc.new\" \"$SVSCANBOOT_TEST/svc.args\"\n");
    sb.script("fake/svscan", "#!/bin/sh\nexit 0\n");
    std::os::unix::fs::symlink(sb.bin.join("readproctitle"), sb.join("fake/readproctitle")).unwrap();
    fs::create_dir(sb.join("service")).unwrap();
    let mut cmd = sb.tend("svscanboot");
    cmd.env("SVSCANBOOT_DIR", sb.join("service"))
        .env("SVSCANBOOT_PATH", format!("{}:{PATH}", sb.join("fake").display()))
        .env("SVSCANBOOT_TEST", sb.path());
    let boot = sb.spawn(cmd);
    let status = sb.wait_exit(boot);
    assert_eq!(status.code(), Some(0));
    let dir = sb.join("service").display().to_string();
    assert_eq!(fs::read_to_string(sb.join("svc.args")).unwrap(), format!("-dx {dir}/* {dir}/*/log\n"));
}

// ---------------------------------------------------------------- chpst

#[test]
fn chpst_same_as_runit() {
    let sb = public_sandbox();
    write(&sb, "e/A", b"one\ntwo");
    write(&sb, "e/B", b"");
    write(&sb, "e/UID", b"42");
    write(&sb, "e/sub/x", b"");
    write(&sb, "bad/sub", b"");
    fs::set_permissions(sb.join("bad/sub"), fs::Permissions::from_mode(0o000)).unwrap();
    let ids = "id; grep -E '^(Uid|Gid|Groups):' /proc/self/status";
    let nice = "cut -d' ' -f19 /proc/self/stat";
    let leader = "set -- $(cut -d' ' -f5,6 /proc/$$/stat); [ $1 = $$ ] && [ $2 = $$ ] && echo leader";
    let setlock = format!("{} -n lock true", debian_program("setlock").display());
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["-z"],
        vec!["-u"],
        vec!["nosuch-program"],
        vec!["/nonexistent/program"],
        vec!["-u", "nobody", "sh", "-c", ids],
        vec!["-u", "nobody:nogroup", "sh", "-c", ids],
        vec!["-u", "nobody:nogroup:users:daemon", "sh", "-c", ids],
        vec!["-u", "root:users", "sh", "-c", ids],
        vec!["-u", ":65534:65534:100", "sh", "-c", ids],
        vec!["-u", ":65534:", "sh", "-c", ids],
        vec!["-u", ":65534", "id"],
        vec!["-u", ":x:1", "id"],
        vec!["-u", ":1:2x", "id"],
        vec!["-u", "nosuch", "id"],
        vec!["-u", "nobody:nosuch", "id"],
        vec!["-u", "", "id"],
        vec!["-U", "nobody", "env"],
        vec!["-U", "nobody:users", "env"],
        vec!["-U", ":5:6:7", "env"],
        vec!["-U", "nosuch", "env"],
        vec!["-e", "e", "env"],
        vec!["-e", "e", "-U", "daemon", "env"],
        vec!["-v", "-e", "e", "env"],
        vec!["-e", "nosuch", "env"],
        vec!["-e", "e/A", "env"],
        vec!["-n", "5", "sh", "-c", nice],
        vec!["-n", "+3", "sh", "-c", nice],
        vec!["-n", "-2", "sh", "-c", nice],
        vec!["-n", "", "sh", "-c", nice],
        vec!["-n", "x", "true"],
        vec!["-n", "3x", "true"],
        vec!["-l", "lock", "sh", "-c", &setlock],
        vec!["-L", "lock", "sh", "-c", &setlock],
        vec!["-l", "lock", "-L", "lock", "true"],
        vec!["-l", "/nonexistent/lock", "true"],
        vec!["-P", "sh", "-c", leader],
        vec!["-0", "sh", "-c", "ls /proc/$$/fd"],
        vec!["-1", "sh", "-c", "ls /proc/$$/fd >&2"],
        vec!["-2", "sh", "-c", "ls /proc/$$/fd"],
        vec!["-012", "true"],
        vec!["-b", "renamed", "sh", "-c", "echo $0"],
        vec!["-b", "renamed", "nosuch-program"],
        vec!["-/", "/nonexistent", "true"],
        vec!["-/", "/", "sh", "-c", "pwd"],
        vec!["-m", "300000000", "cat", "/proc/self/limits"],
        vec!["-m", "x", "true"],
        vec![
            "-d",
            "300000000",
            "-o",
            "30",
            "-p",
            "400",
            "-f",
            "1000000",
            "-c",
            "0",
            "-t",
            "100",
            "cat",
            "/proc/self/limits",
        ],
        vec!["-r", "4096", "cat", "/proc/self/limits"],
        vec!["-o", "99999999999", "cat", "/proc/self/limits"],
        vec!["-o", "18446744073709551615", "cat", "/proc/self/limits"],
        vec!["-o", "-1", "true"],
        vec!["-o"],
        vec!["-u", "nobody", "-l", "lock2", "true"],
        vec!["-u", "nobody", "-e", "bad", "env"],
        vec!["-v", "-u", "nobody", "-e", "bad", "env"],
        vec!["--", "-u"],
    ];
    for args in cases {
        same(&sb, "chpst", &args);
    }
}

#[test]
fn chpst_refuses_a_name_with_an_equals_sign() {
    let sb = Sandbox::new();
    write(&sb, "e/A=B", b"value");
    let out = run(ours(&sb, "chpst", &["-e", "e", "env"]));
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(text(&out.stderr), "chpst: fatal: invalid variable name: e/A=B: contains =\n");
}

// ---------------------------------------------------------------- all

#[test]
fn children_inherit_signal_state_as_under_daemontools() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("empty")).unwrap();
    let signals = ["grep", "-E", "^Sig(Blk|Ign|Cgt)", "/proc/self/status"];
    let with = |prefix: &[&'static str]| -> Vec<&'static str> { prefix.iter().copied().chain(signals).collect() };
    for (program, args) in [
        ("setuidgid", with(&["root"])),
        ("envuidgid", with(&["root"])),
        ("envdir", with(&["empty"])),
        ("softlimit", with(&["-o", "="])),
        ("setlock", with(&["lock"])),
        ("pgrphack", with(&[])),
        ("fghack", with(&[])),
        ("chpst", with(&["-v"])),
    ] {
        let out = same(&sb, program, &args);
        assert!(text(&out.stdout).contains("SigBlk:\t0000000000000000"), "{program}: {}", text(&out.stdout));
        // SIGPIPE is not ignored (a Rust program's runtime would ignore it; it must not leak into the child).
        let ign = text(&out.stdout).lines().find(|l| l.starts_with("SigIgn")).map(|l| l[7..].trim().to_string());
        let ign = u64::from_str_radix(&ign.unwrap(), 16).unwrap();
        assert_eq!(ign & (1 << (libc::SIGPIPE - 1)), 0, "{program}");
    }
}

/// Runs `program args` both ways under `sh -c 'SHELL; exec "$@"'`, so that
/// the shell can first close descriptors or ignore signals, and asserts the
/// same stdout, stderr and exit status.
#[track_caller]
fn same_under_shell(sb: &Sandbox, shell: &str, program: &str, args: &[&str]) -> Output {
    let wrap = |inner: Command| {
        let mut c = Command::new("/bin/sh");
        c.current_dir(sb.path()).env("PATH", PATH);
        c.arg("-c").arg(format!("{shell}; exec \"$@\"")).arg("sh").arg(inner.get_program()).args(inner.get_args());
        c
    };
    let (a, b) = (run(wrap(ours(sb, program, args))), run(wrap(theirs(sb, program, args))));
    let what = format!("{shell}: {program} {args:?}");
    assert_same(&format!("{what}: stdout"), &a.stdout, &b.stdout);
    assert_same_stderr(&format!("{what}: stderr"), &a.stderr, &b.stderr);
    assert_eq!((a.status.code(), a.status.signal()), (b.status.code(), b.status.signal()), "{what}: exit status");
    a
}

/// Every chain-loader, with `child` as the program it runs.
fn every_chain_loader(child: &[&'static str]) -> Vec<(&'static str, Vec<&'static str>)> {
    let with = |prefix: &[&'static str]| -> Vec<&'static str> { prefix.iter().chain(child).copied().collect() };
    vec![
        ("setuidgid", with(&["root"])),
        ("envuidgid", with(&["root"])),
        ("envdir", with(&["env"])),
        ("softlimit", with(&["-o", "="])),
        ("setlock", with(&["lock"])),
        ("setlock", with(&["-nx", "lock"])),
        ("pgrphack", with(&[])),
        ("fghack", with(&[])),
        ("chpst", with(&["-e", "env", "-l", "lock"])),
    ]
}

/// A Rust program's runtime opens /dev/null on closed descriptors 0-2 before
/// main (tend skips it); C programs do not, so the child of daemontools' tools inherits them closed
/// and the tools' own first open (setlock's lock, fghack's pipe) takes the
/// lowest free number.
#[test]
fn closed_standard_descriptors_stay_closed_like_daemontools() {
    let sb = Sandbox::new();
    write(&sb, "env/V", b"v\n");
    // Reports on descriptor 9 (a copy of the original stdout) which of 0-4 are open, and what they are.
    let report = [
        "sh",
        "-c",
        "for fd in 0 1 2 3 4; do if [ -e /proc/$$/fd/$fd ]; then echo \"$fd $(readlink /proc/$$/fd/$fd | cut -c1-5)\"; \
         else echo \"$fd closed\"; fi; done >&9",
    ];
    for closed in ["0<&-", "1>&-", "2>&-", "0<&- 1>&- 2>&-"] {
        let shell = format!("exec 9>&1 {closed}");
        for (program, args) in every_chain_loader(&report) {
            let out = same_under_shell(&sb, &shell, program, &args);
            // Not the runtime's /dev/null (the harness gives pipes and sandbox files).
            assert!(!text(&out.stdout).contains("/dev/"), "{shell}: {program}: {}", text(&out.stdout));
        }
        // The failure messages go where daemontools' go (nowhere if stderr is closed).
        same_under_shell(&sb, &shell, "setuidgid", &["nosuch", "true"]);
        same_under_shell(&sb, &shell, "envdir", &["env", "./nosuch"]);
        same_under_shell(&sb, &shell, "chpst", &["-0", "-1", "-2", "true"]);
    }
    // A closed stdin is a read error for readproctitle (111), not end of file.
    let out = same_under_shell(&sb, "exec 0<&-", "readproctitle", &["title", "....."]);
    assert_eq!(out.status.code(), Some(111));
}

/// SIGPIPE ignored by the parent (`trap '' PIPE`) stays ignored in the child,
/// as under daemontools, although the Rust runtime changes it before main.
#[test]
fn an_ignored_sigpipe_stays_ignored_for_the_child_like_daemontools() {
    let sb = Sandbox::new();
    write(&sb, "env/V", b"v\n");
    let signals = ["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"];
    for (program, args) in every_chain_loader(&signals) {
        let out = same_under_shell(&sb, "trap '' PIPE HUP", program, &args);
        let ign = text(&out.stdout).lines().find_map(|l| l.strip_prefix("SigIgn:\t").map(str::to_string));
        let ign = u64::from_str_radix(&ign.unwrap(), 16).unwrap();
        let pipe_and_hup = 1 << (libc::SIGPIPE - 1) | 1 << (libc::SIGHUP - 1);
        assert_eq!(ign & pipe_and_hup, pipe_and_hup, "{program}");
    }
}

/// Names from the command line and from directories are printed as the
/// bytes given, not as UTF-8 with replacement characters.
#[test]
fn names_that_are_not_utf8_are_printed_as_given() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    let odd = OsStr::from_bytes(b"\xff\xfe");
    let dir = OsStr::from_bytes(b"e\xff");
    // A subdirectory where a variable's file should be: "unable to read e\xff/\xff\xfe: is a directory".
    fs::create_dir_all(sb.path().join(dir).join(odd)).unwrap();
    let lock = OsStr::from_bytes(b"nodir/\xff\xfe");
    let cases: Vec<(&str, Vec<&OsStr>)> = vec![
        ("setuidgid", vec![odd, "true".as_ref()]),
        ("setuidgid", vec!["root".as_ref(), odd]),
        ("envuidgid", vec![odd, "true".as_ref()]),
        ("envdir", vec![odd, "true".as_ref()]),
        ("envdir", vec![dir, "true".as_ref()]),
        ("setlock", vec![lock, "true".as_ref()]),
        ("pgrphack", vec![odd]),
        ("fghack", vec![odd]),
        ("softlimit", vec!["-o".as_ref(), "1".as_ref(), odd]),
        ("chpst", vec!["-u".as_ref(), odd, "true".as_ref()]),
        ("chpst", vec!["-u".as_ref(), OsStr::from_bytes(b":\xff:0"), "true".as_ref()]),
        ("chpst", vec!["-e".as_ref(), odd, "true".as_ref()]),
        ("chpst", vec!["-l".as_ref(), lock, "true".as_ref()]),
        ("chpst", vec![odd]),
    ];
    for (program, args) in cases {
        let mut a = ours(&sb, program, &[]);
        a.args(&args);
        let mut b = theirs(&sb, program, &[]);
        b.args(&args);
        let (a, b) = (run(a), run(b));
        assert_same_stderr(&format!("{program} {args:?}: stderr"), &a.stderr, &b.stderr);
        assert_eq!(a.status.code(), b.status.code(), "{program} {args:?}");
        assert!(a.stderr.contains(&0xff), "{program} {args:?}: {:?}", a.stderr);
    }
}

/// runit keeps a limit in a `long`: 2^63 and above wrap around to negative
/// values, -1 (2^64-1) means the hard limit and the other negative ones leave
/// the limit alone, even one an earlier option set.
#[test]
fn chpst_limits_from_2_to_the_63_on_as_runit() {
    let sb = Sandbox::new();
    let lowered = "ulimit -Sc 1000; ulimit -Sd 1000000; ulimit -Sf 1000000; ulimit -St 100000; ulimit -Sn 512";
    let limits = ["cat", "/proc/self/limits"];
    for letter in ["-c", "-d", "-f", "-m", "-o", "-p", "-r", "-t"] {
        for value in [
            "9223372036854775807",
            "9223372036854775808",
            "9223372036854775809",
            "18446744073709551614",
            "18446744073709551615",
        ] {
            let args: Vec<&str> = [letter, value].into_iter().chain(limits).collect();
            same_under_shell(&sb, lowered, "chpst", &args);
        }
        let args: Vec<&str> = [letter, "5", letter, "9223372036854775808"].into_iter().chain(limits).collect();
        same_under_shell(&sb, lowered, "chpst", &args);
    }
    let out =
        same_under_shell(&sb, lowered, "chpst", &["-c", "5", "-c", "9223372036854775808", "cat", "/proc/self/limits"]);
    assert!(text(&out.stdout).contains("Max core file size        512000 "), "{}", text(&out.stdout));
}
