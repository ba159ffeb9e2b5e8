//! The multicall binary: argv[0] dispatch, `tend PROGRAM`, --list, install.

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
