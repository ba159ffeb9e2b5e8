//! `tend status`: the list and the detail view on trees run by our svscan,
//! by Debian's daemontools and by runit's runsv; CPU and memory shown for
//! the process that uses them; bad input.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::svscan::{service, start_svscan_with};
use crate::util::{as_nobody, give_to_nobody, require, wait_exec, wait_for, wait_for_line, wait_supervised, Sandbox};

/// `tend status ARGS...` in the sandbox (stdout a pipe: no colours).
fn status(sb: &Sandbox, args: &[&str]) -> Output {
    sb.tend("status").args(args).stdin(Stdio::null()).output().expect("tend status")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The list line of service `name`, split into its columns.
fn columns(out: &str, name: &str) -> Vec<String> {
    let line = out.lines().find(|l| l.split_whitespace().next() == Some(name));
    line.unwrap_or_else(|| panic!("no line for {name} in\n{out}")).split_whitespace().map(String::from).collect()
}

/// A size as status writes it (`200M`, `1.5K`), in bytes.
fn size(text: &str) -> f64 {
    let (n, unit) = text.split_at(text.len() - 1);
    let scale = match unit {
        "B" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        _ => panic!("not a size: {text}"),
    };
    n.parse::<f64>().expect("a number") * scale
}

/// Clock ticks of CPU time (user and system) process `pid` has used.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rfind(')').map_or("", |i| &stat[i + 2..]);
    after.split(' ').skip(11).take(2).filter_map(|f| f.parse::<u64>().ok()).sum()
}

/// Runs `check` on the output of `tend status --json ARGS` through python3's
/// JSON parser: `check` is a Python expression over `d` that must be true.
fn json_holds(sb: &Sandbox, args: &[&str], check: &str) -> bool {
    let out = sb.tend("status").arg("--json").args(args).output().expect("tend status --json");
    let python = format!("import json,sys\nd=json.load(sys.stdin)\nsys.exit(0 if ({check}) else 1)");
    let mut py = Command::new("python3").arg("-c").arg(python).stdin(Stdio::piped()).spawn().expect("python3");
    std::io::Write::write_all(py.stdin.as_mut().expect("stdin"), &out.stdout).expect("to python3");
    py.wait().expect("python3").success()
}

#[test]
fn a_burning_child_and_a_memory_hog_are_shown_with_their_processes() {
    let mut sb = Sandbox::new();
    service(
        &sb,
        "burn",
        "sh -c 'while :; do :; done' &\necho $! > ../../burner.new && mv ../../burner.new ../../burner\nexec sleep 1000",
    );
    // A 200 MiB bytes object, every page written, then its pid told.
    sb.script(
        "hog.py",
        "import os, time\nb = b'\\x01' * (200 * 2**20)\nopen('hog.new', 'w').write('%d\\n' % os.getpid())\n\
         os.rename('hog.new', 'hog')\ntime.sleep(1000)\n",
    );
    service(&sb, "hog", "cd ../.. && exec python3 hog.py");
    sb.script("scan/hog/log/run", "#!/bin/sh\nexec multilog t ./main\n");
    service(&sb, "quiet", "echo first line\necho second line\nexec sleep 1000");
    sb.script("scan/quiet/log/run", "#!/bin/sh\nexec multilog t ./main\n");
    start_svscan_with(&mut sb, "stderr", &[]);
    let burner: u32 = wait_for_line(&sb.join("burner")).trim().parse().expect("burner pid");
    wait_exec(burner, "sh");
    wait_for("the burner to have burned CPU", || cpu_ticks(burner) > 0);
    wait_for_line(&sb.join("hog"));
    let log = sb.join("scan/quiet/log/main/current");
    wait_for("quiet's two lines logged", || fs::read_to_string(&log).is_ok_and(|t| t.lines().count() == 2));

    // The list: one line each, the burner's CPU above 0 (a sample of 0.1 s
    // may see none on a loaded machine: looked at again until it does).
    let mut out = String::new();
    wait_for("burn's CPU % above 0", || {
        out = text(&status(&sb, &["scan"]));
        columns(&out, "burn").get(6).and_then(|c| c.parse::<f64>().ok()).is_some_and(|c| c > 0.0)
    });
    assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
    assert!(!out.contains('\x1b'), "colours in a pipe:\n{out}");
    let names: Vec<&str> = out.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names, ["burn", "hog", "hog/log", "quiet", "quiet/log"], "{out}");
    assert_eq!(columns(&out, "hog")[1], "up", "{out}");
    assert!(size(&columns(&out, "hog")[7]) >= 200.0 * 1024.0 * 1024.0, "{out}");

    // The detail view lists the child with its command line and its CPU.
    let mut detail = String::new();
    wait_for("the burner's own CPU % above 0 in the detail view", || {
        detail = text(&status(&sb, &["scan/burn"]));
        detail.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.first() == Some(&burner.to_string().as_str())
                && l.ends_with("sh -c while :; do :; done")
                && f.get(2).and_then(|p| p.trim_end_matches('%').parse::<f64>().ok()).is_some_and(|p| p > 0.0)
        })
    });
    assert!(detail.contains("State: up since "), "{detail}");
    assert!(detail.contains("Supervisor: tend (running)"), "{detail}");
    assert!(detail.contains("2 processes"), "{detail}");

    // The log's last lines, their labels as local time.
    let quiet = text(&status(&sb, &["scan/quiet"]));
    let shown: Vec<&str> = quiet.lines().skip_while(|l| !l.starts_with("Log ")).skip(1).collect();
    assert_eq!(shown.len(), 2, "{quiet}");
    for (line, want) in shown.iter().zip(["first line", "second line"]) {
        let date = line.trim_start().split(' ').next().unwrap_or_default();
        assert!(date.len() == 10 && date.as_bytes()[4] == b'-', "no local date in {line:?}");
        assert!(line.ends_with(want), "{line:?}");
    }

    // --json holds the same figures, and parses.
    assert!(json_holds(
        &sb,
        &["scan"],
        "[s['name'] for s in d['services']] == ['burn','hog','hog/log','quiet','quiet/log'] and \
         [s for s in d['services'] if s['name']=='hog'][0]['memory_bytes'] >= 200*2**20"
    ));
    assert!(json_holds(&sb, &["scan/burn"], &format!("any(p['pid']=={burner} for p in d['services'][0]['procs'])")));
}

#[test]
fn thousands_of_processes_in_one_service_are_counted() {
    let mut sb = Sandbox::new();
    service(
        &sb,
        "many",
        "for i in $(seq 2000); do sleep 1000 & done\necho 2000 > ../../spawned.new && mv ../../spawned.new ../../spawned\n\
         exec sleep 1000",
    );
    start_svscan_with(&mut sb, "stderr", &[]);
    // Every child forked (each a process of the service from its fork on).
    wait_for_line(&sb.join("spawned"));
    assert!(json_holds(&sb, &["scan"], "[s['processes'] for s in d['services']] == [2001]"));
    let detail = text(&status(&sb, &["scan/many"]));
    assert!(detail.contains("2001 processes"), "{detail}");
    let listed = detail.lines().filter(|l| l.ends_with("sleep 1000")).count();
    assert_eq!(listed, 2001, "{detail}");
}

#[test]
fn a_daemontools_tree_is_shown_for_what_its_records_say() {
    let mut sb = Sandbox::new();
    let supervise = require("/usr/bin/supervise", "daemontools");
    service(&sb, "s", "sh -c 'exec sleep 1001' &\nexec sleep 1000");
    let mut cmd = sb.debian("svscan");
    cmd.arg("scan").env("PATH", format!("{}:/usr/bin:/bin", Path::new(&supervise).parent().unwrap().display()));
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    sb.spawn(cmd);
    wait_supervised(&sb.join("scan/s"));
    wait_for("the daemontools service with its child", || {
        let out = text(&status(&sb, &["scan/s"]));
        out.contains("Supervisor: daemontools (running)") && out.contains("sleep 1001") && out.contains("2 processes")
    });
    let out = text(&status(&sb, &["scan"]));
    let s = columns(&out, "s");
    // Restarts, last exit and readiness: not in an 18-byte record.
    assert_eq!((s[1].as_str(), s[4].as_str(), s[5].as_str(), s[8].as_str()), ("up", "-", "-", "-"), "{out}");
}

#[test]
fn a_runit_service_is_shown_for_what_its_records_say() {
    let mut sb = Sandbox::new();
    let runsv = require("/usr/bin/runsv", "runit");
    service(&sb, "s", "exec sleep 1000");
    let mut cmd = sb.command(runsv);
    cmd.arg("scan/s").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    sb.spawn(cmd);
    wait_supervised(&sb.join("scan/s"));
    // runsv runs before its service does: wait for the service itself.
    wait_for("runsv's service up", || {
        let out = text(&status(&sb, &["scan/s"]));
        out.contains("Supervisor: runit (running)") && out.contains("State: up since") && out.contains("1 process,")
    });
    let list = text(&status(&sb, &["scan"]));
    assert_eq!(columns(&list, "s")[1], "up", "{list}");
}

#[test]
fn unreadable_directories_and_garbage_records_exit_111_and_the_rest_is_shown() {
    let sb = Sandbox::new();
    sb.script("scan/fine/run", "#!/bin/sh\nexec sleep 1000\n");
    sb.script("scan/garbage/run", "#!/bin/sh\nexec sleep 1000\n");
    fs::create_dir(sb.join("scan/garbage/supervise")).expect("mkdir");
    fs::write(sb.join("scan/garbage/supervise/status"), b"garbage").expect("write");
    let o = status(&sb, &["scan", "missing"]);
    assert_eq!(o.status.code(), Some(111), "{o:?}");
    let out = text(&o);
    assert_eq!(columns(&out, "fine")[1], "unsupervised", "{out}");
    assert_eq!(columns(&out, "garbage")[1], "unknown", "{out}");
    assert_eq!(columns(&out, "missing")[1], "unreadable", "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("status: warning: missing: unable to stat: file does not exist"), "{err}");
    assert!(err.contains("supervise/status: bad format"), "{err}");
    assert_eq!(status(&sb, &["scan/fine"]).status.code(), Some(0));
    assert_eq!(status(&sb, &["-x"]).status.code(), Some(100));
}

#[test]
fn figures_another_user_may_not_read_are_unknown_with_the_reason_never_zero() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "echo $$ > ../../pid.new && mv ../../pid.new ../../pid\nexec sleep 1000");
    let mut cmd = sb.debian("supervise");
    cmd.arg("scan/s").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    sb.spawn(cmd);
    let pid: u32 = wait_for_line(&sb.join("pid")).trim().parse().expect("pid");
    wait_exec(pid, "sleep");
    // The tree readable by nobody; root's processes are not (their
    // /proc/PID/io and fd/ refuse another user, as hidepid refuses more).
    give_to_nobody(sb.path());
    let out = as_nobody(&sb, sb.bin.join("status")).arg("scan/s").output().expect("status as nobody");
    let text = text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("State: up since") && text.contains("1 process"), "{text}");
    assert!(!text.contains("open files") && !text.contains("I/O"), "{text}");
    assert!(text.contains("Note: io_read: /proc/") && text.contains("/io: access denied"), "{text}");
    assert!(text.contains("Note: fds: /proc/") && text.contains("/fd: access denied"), "{text}");
}

#[test]
fn colours_only_on_a_terminal_and_not_with_no_color() {
    let sb = Sandbox::new();
    sb.script("scan/s/run", "#!/bin/sh\nexec sleep 1000\n");
    let script = require("script", "util-linux");
    // `script` runs the command on a pseudo-terminal and copies what it wrote.
    let on_terminal = |no_color: &str| {
        let mut cmd = sb.command(&script);
        cmd.args(["-qec", &format!("{} scan", sb.bin.join("status").display()), "/dev/null"]);
        cmd.env("NO_COLOR", no_color).stdin(Stdio::null());
        text(&cmd.output().expect("script"))
    };
    let coloured = on_terminal("");
    assert!(coloured.contains("\x1b[2munsupervised"), "{coloured:?}");
    let plain = on_terminal("1");
    assert!(plain.contains("unsupervised") && !plain.contains('\x1b'), "{plain:?}");
}
