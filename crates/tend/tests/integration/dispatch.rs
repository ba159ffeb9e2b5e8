//! The multicall binary: argv[0] dispatch, `tend PROGRAM`, --list, install.

use std::path::Path;
use std::process::Command;

use crate::util::Sandbox;

#[test]
fn dispatch_by_argv0_and_by_name_agree() {
    let sb = Sandbox::new();
    let a = crate::util::run_with_input(&mut sb.tend("tai64nlocal"), b"@4000000037c219bf2ef02e94 x\n");
    let mut c = sb.command(env!("CARGO_BIN_EXE_tend"));
    c.args(["tai64nlocal"]).env("TZ", "UTC");
    let b = crate::util::run_with_input(&mut c, b"@4000000037c219bf2ef02e94 x\n");
    assert!(a.status.success() && b.status.success());
    assert_eq!(b.stdout, b"1999-08-24 04:04:05.787492500 x\n");
}

#[test]
fn install_creates_a_link_per_program_and_replaces_old_links() {
    let sb = Sandbox::new();
    let dir = sb.join("bin");
    std::fs::create_dir(&dir).unwrap();
    for _ in 0..2 {
        let out = sb.command(env!("CARGO_BIN_EXE_tend")).arg("install").arg(&dir).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "nothing skipped");
    }
    let listed = sb.command(env!("CARGO_BIN_EXE_tend")).arg("--list").output().unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    let tend = std::fs::canonicalize(env!("CARGO_BIN_EXE_tend")).unwrap();
    let unlinked = ["clock", "exporter", "log", "status", "syslogd", "top", "watch"];
    for name in listed.lines().filter_map(|l| l.split_whitespace().next()).filter(|n| !unlinked.contains(n)) {
        assert_eq!(std::fs::read_link(dir.join(name)).unwrap(), tend, "{name}");
    }
    for name in unlinked {
        assert!(listed.lines().any(|l| l.starts_with(&format!("{name} "))), "{name} is listed");
        assert!(!dir.join(name).exists(), "no {name} link: run it as `tend {name}`");
    }
}

/// Names taken by something else (Debian's daemontools in the same bin
/// directory, a script) are reported and left alone, the others linked,
/// exit 0; a link to an earlier tend is replaced; `--force` replaces files
/// and symlinks but never a directory.
#[test]
fn install_skips_taken_names_and_reports_each_and_force_replaces_them() {
    let sb = Sandbox::new();
    let dir = sb.join("bin");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("svc"), "#!/bin/sh\n").unwrap();
    std::os::unix::fs::symlink("/usr/bin/svok", dir.join("svok")).unwrap();
    std::fs::create_dir(dir.join("svstat")).unwrap();
    std::os::unix::fs::symlink("/opt/old/tend", dir.join("multilog")).unwrap();
    let tend = std::fs::canonicalize(env!("CARGO_BIN_EXE_tend")).unwrap();
    let install = |force: bool| {
        let mut c = sb.command(env!("CARGO_BIN_EXE_tend"));
        c.arg("install");
        if force {
            c.arg("--force");
        }
        let out = c.arg(&dir).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stderr).unwrap()
    };
    let d = dir.display();
    assert_eq!(
        install(false),
        format!(
            "tend: warning: skipped {d}/svc: a file is there (--force replaces it)\n\
             tend: warning: skipped {d}/svok: a symlink to /usr/bin/svok is there (--force replaces it)\n\
             tend: warning: skipped {d}/svstat: a directory is there\n"
        )
    );
    assert_eq!(std::fs::read(dir.join("svc")).unwrap(), b"#!/bin/sh\n");
    assert_eq!(std::fs::read_link(dir.join("svok")).unwrap(), Path::new("/usr/bin/svok"));
    for linked in ["multilog", "supervise", "svscan", "chpst"] {
        assert_eq!(std::fs::read_link(dir.join(linked)).unwrap(), tend, "{linked}");
    }
    assert_eq!(install(true), format!("tend: warning: skipped {d}/svstat: a directory is there\n"));
    for linked in ["svc", "svok"] {
        assert_eq!(std::fs::read_link(dir.join(linked)).unwrap(), tend, "{linked}");
    }
    assert!(dir.join("svstat").is_dir());
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!left.iter().any(|n| n.to_string_lossy().ends_with(".tend-new")), "{left:?}");
}

#[test]
fn install_into_a_missing_directory_exits_111_and_bad_usage_100() {
    let sb = Sandbox::new();
    let missing = sb.join("nosuch");
    let out = sb.command(env!("CARGO_BIN_EXE_tend")).arg("install").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("tend: fatal: unable to create {}/chpst: file does not exist\n", missing.display())
    );
    for args in [&["install"][..], &["install", "--forse", "dir"], &["install", "-f"]] {
        let out = sb.command(env!("CARGO_BIN_EXE_tend")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(100), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "tend: usage: tend install [--force] DIR\ntend: see man tend or doc/tend.md\n"
        );
    }
}

#[test]
fn version_is_cargos_with_the_commit_and_help_lists_every_program() {
    let sb = Sandbox::new();
    let tend = |arg: &str| {
        let out = sb.command(env!("CARGO_BIN_EXE_tend")).arg(arg).output().unwrap();
        assert_eq!((out.status.code(), out.stderr.as_slice()), (Some(0), &b""[..]), "{arg}");
        String::from_utf8(out.stdout).unwrap()
    };
    let version = tend("--version");
    assert_eq!(tend("-V"), version);
    let cargo = concat!("tend ", env!("CARGO_PKG_VERSION"));
    // The commit as build.rs asks git for it; none outside a git checkout.
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap());
    match commit {
        Some(commit) => assert_eq!(version, format!("{cargo} (git {})\n", commit.trim())),
        None => assert_eq!(version, format!("{cargo}\n")),
    }

    let help = tend("--help");
    assert!(help.starts_with("usage: tend PROGRAM [ARGS...]"), "{help}");
    for line in tend("--list").lines() {
        assert!(help.contains(&format!("  {line}\n")), "--help lacks {line:?}");
    }
    assert!(help
        .ends_with("Each program's page: man tend-PROGRAM or doc/PROGRAM.md; tend's own: man tend or doc/tend.md.\n"));
}

/// A usage message names the program's page on a line of its own after
/// it, whichever way the message is printed: `PROG: usage: ...`
/// (supervise, tend log, tend), daemontools' svc option list, runit's
/// chpst usage, and envdir's (exit 111, as daemontools').
#[test]
fn every_usage_message_names_the_programs_page() {
    let sb = Sandbox::new();
    for (args, code) in [
        (&["supervise"][..], 100),
        (&["log", "--bogus"], 100),
        (&[], 100),
        (&["svc", "-Z", "x"], 100),
        (&["chpst"], 100),
        (&["envdir"], 111),
    ] {
        let out = sb.command(env!("CARGO_BIN_EXE_tend")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let program = args.first().unwrap_or(&"tend");
        let page = if *program == "tend" { "tend".to_string() } else { format!("tend-{program}") };
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.lines().count() >= 2, "{args:?}: a usage message, then its page: {stderr}");
        assert!(stderr.ends_with(&format!("\n{program}: see man {page} or doc/{program}.md\n")), "{args:?}: {stderr}");
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../doc/{program}.md")).exists());
    }
}

#[test]
fn unknown_program_is_a_usage_error() {
    let sb = Sandbox::new();
    let out = sb.command(env!("CARGO_BIN_EXE_tend")).arg("nosuch").output().unwrap();
    assert_eq!(out.status.code(), Some(100));
    assert_eq!(out.stderr, b"tend: fatal: unknown program nosuch (tend --list shows them)\n");
}

#[test]
fn messages_name_the_program_when_run_as_tend_program() {
    let sb = Sandbox::new();
    let out = sb.command(env!("CARGO_BIN_EXE_tend")).args(["setuidgid", "nosuch-account", "true"]).output().unwrap();
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(out.stderr, b"setuidgid: fatal: unknown account nosuch-account\n");
}
