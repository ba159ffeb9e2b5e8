//! `tend syslogd` and the `socket` file: the socket held by supervise
//! across restarts (a burst of 10,000 messages while the receiver is
//! SIGKILLed), the clients (util-linux `logger`, Python's SysLogHandler,
//! glibc's syslog(3) and Debian's dovecot in a mount namespace where
//! /dev/log is the test's socket), malformed and over-long messages, UDP
//! and TCP, and multilog's routing recipes from the README.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::svscan::{service, start_svscan_with};
use crate::util::{free_port, require, signal, wait_for, wait_for_status, wait_supervised, Sandbox};

/// A tree `scan/sys`: `tend syslogd` on the socket `sb/log.sock` that its
/// supervise holds (`socket`), logging through multilog with `script`
/// (the arguments after `multilog t`). Returns the socket's path.
fn syslog_tree(sb: &mut Sandbox, socket_line_rest: &str, script: &str) -> PathBuf {
    let dir = service(sb, "sys", "exec syslogd");
    let sock = sb.join("log.sock");
    fs::write(dir.join("socket"), format!("unix-dgram {}{socket_line_rest}\n", sock.display())).unwrap();
    sb.script("scan/sys/log/run", &format!("#!/bin/sh\nexec multilog t {script}\n"));
    start_svscan_with(sb, "stderr", &[]);
    wait_supervised(&dir);
    wait_for("the socket", || fs::symlink_metadata(&sock).is_ok_and(|m| m.file_type().is_socket()));
    sock
}

/// The lines of log directory `dir` (archives, then `current`), labels removed.
fn log_lines(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> =
        fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    files.retain(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('@') && n.ends_with(".s")));
    files.sort();
    files.push(dir.join("current"));
    let mut lines = Vec::new();
    for f in files {
        let text = fs::read(&f).unwrap_or_default();
        for line in String::from_utf8_lossy(&text).lines() {
            // `@` + 24 hex digits + space.
            lines.push(line.get(26..).unwrap_or(line).to_string());
        }
    }
    lines
}

/// Waits until log directory `dir` holds a line equal to `line`.
#[track_caller]
fn wait_logged(dir: &Path, line: &str) {
    wait_for(&format!("{line:?} in {dir:?}"), || log_lines(dir).iter().any(|l| l == line));
}

#[test]
fn a_burst_of_10000_messages_while_the_receiver_is_killed_thrice_loses_none() {
    let mut sb = Sandbox::new();
    let sock = syslog_tree(&mut sb, "", "s16777215 ./main");
    let meta = fs::symlink_metadata(&sock).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o666, "the default mode");
    let dir = sb.join("scan/sys");
    let main = sb.join("scan/sys/log/main");
    let status = wait_for_status(&dir, "up", |s| s.pid != 0);
    // The service was given the socket as descriptor 3 with its variables.
    let env = fs::read(format!("/proc/{}/environ", status.pid)).unwrap();
    let env = String::from_utf8_lossy(&env);
    let vars: Vec<&str> = env.split('\0').filter(|v| v.starts_with("LISTEN_")).collect();
    let pid_var = format!("LISTEN_PID={}", status.pid);
    assert!(vars.contains(&"LISTEN_FDS=1") && vars.contains(&pid_var.as_str()), "{vars:?}");
    assert!(vars.contains(&"LISTEN_FDNAMES=sys"), "{vars:?}");
    const N: usize = 10_000;
    let sender = {
        let sock = sock.clone();
        std::thread::spawn(move || {
            // Blocking, as syslog(3) and logger send: a full queue waits.
            let s = UnixDatagram::unbound().unwrap();
            for i in 0..N {
                s.send_to(format!("<13>burst[1]: message {i}").as_bytes(), &sock).unwrap();
            }
        })
    };
    for k in 1..=3 {
        let seen = k * N / 4;
        wait_for(&format!("{seen} lines"), || log_lines(&main).len() >= seen);
        let before = wait_for_status(&dir, "up", |s| s.pid != 0).pid;
        signal(before, libc::SIGKILL);
        wait_for_status(&dir, "restarted", |s| s.pid != 0 && s.pid != before);
    }
    sender.join().unwrap();
    let mut counts: HashMap<usize, usize> = HashMap::new();
    wait_for("every message", || {
        counts.clear();
        for l in log_lines(&main) {
            if let Some(n) = l.strip_prefix("user.notice burst[1]: message ").and_then(|n| n.parse().ok()) {
                *counts.entry(n).or_default() += 1;
            }
        }
        counts.len() == N
    });
    let repeated: usize = counts.values().map(|c| c - 1).sum();
    assert!(repeated <= 3, "{repeated} repeated: at most one per kill (written, not yet taken off the socket)");
}

#[test]
fn logger_python_and_glibc_syslog_reach_the_log_directory() {
    require("logger", "bsdutils");
    let mut sb = Sandbox::new();
    let sock = syslog_tree(&mut sb, " 0660", "./main");
    let main = sb.join("scan/sys/log/main");
    assert_eq!(fs::symlink_metadata(&sock).unwrap().permissions().mode() & 0o777, 0o660);
    let out =
        sb.command("logger").args(["-u"]).arg(&sock).args(["-t", "mytag", "-p", "mail.info", "from logger"]).output();
    assert!(out.unwrap().status.success());
    wait_logged(&main, "mail.info mytag: from logger");
    let py = "import logging, logging.handlers, sys\n\
              h = logging.handlers.SysLogHandler(address=sys.argv[1], facility='daemon')\n\
              h.setFormatter(logging.Formatter('pyapp[%(process)d]: %(message)s'))\n\
              l = logging.getLogger('t'); l.addHandler(h); l.error('from python\\nline two')\n";
    let out = sb.command("python3").arg("-c").arg(py).arg(&sock).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_for("python's line", || {
        log_lines(&main).iter().any(|l| l.starts_with("daemon.err pyapp[") && l.ends_with("]: from python#012line two"))
    });
    // glibc's syslog(3) always writes to /dev/log: a private mount
    // namespace where /dev is a tmpfs holding only the test's socket.
    require("gcc", "gcc");
    require("unshare", "util-linux");
    fs::write(
        sb.join("c.c"),
        "#include <syslog.h>\nint main(void) { openlog(\"cprog\", LOG_PID, LOG_LOCAL3);\n\
         syslog(LOG_WARNING, \"from glibc %d\", 42); closelog(); return 0; }\n",
    )
    .unwrap();
    let out = sb.command("gcc").args(["-o", "c", "c.c"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = with_dev_log(&sb, &sock, "", "./c").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_for("glibc's line", || {
        log_lines(&main).iter().any(|l| l.starts_with("local3.warning cprog[") && l.ends_with("]: from glibc 42"))
    });
}

/// `unshare -m` running `exec PROGRAM` where /dev is a private tmpfs holding
/// `sock` as /dev/log, after the shell commands `devices` (each ending in
/// `&& `) have made what else PROGRAM opens there: glibc's syslog(3)
/// always writes to /dev/log.
fn with_dev_log(sb: &Sandbox, sock: &Path, devices: &str, program: &str) -> std::process::Command {
    let script = format!(
        "mount -t tmpfs none /dev && {devices}touch /dev/log && mount --bind {} /dev/log && exec {program}",
        sock.display()
    );
    let mut cmd = sb.command("unshare");
    cmd.args(["-m", "--propagation", "private", "sh", "-c", &script]);
    cmd
}

/// Starts `syslogd ARGS` on its own, its stdout a pipe: its lines.
fn standalone(sb: &mut Sandbox, args: &[&str]) -> impl Iterator<Item = String> {
    let mut cmd = sb.tend("syslogd");
    cmd.args(args).stdout(Stdio::piped()).stderr(fs::File::create(sb.join("stderr")).unwrap());
    let pid = sb.spawn(cmd);
    BufReader::new(sb.take_stdout(pid)).lines().map(|l| l.unwrap())
}

#[test]
fn malformed_and_over_long_messages_are_kept_marked_and_cut() {
    let mut sb = Sandbox::new();
    let sock = sb.join("log");
    let mut lines = standalone(&mut sb, &["-s", sock.to_str().unwrap(), "-m", "100"]);
    wait_for("the socket", || sock.exists());
    let s = UnixDatagram::unbound().unwrap();
    s.send_to(b"no priority\nat all", &sock).unwrap();
    assert_eq!(lines.next().unwrap(), "user.notice [malformed]: no priority#012at all");
    s.send_to(b"<14>1 2026-01-01T00:00:00Z host app 12", &sock).unwrap();
    assert_eq!(lines.next().unwrap(), "user.info [malformed]: <14>1 2026-01-01T00:00:00Z host app 12");
    let long = format!("<11>big: {}", "x".repeat(5000));
    s.send_to(long.as_bytes(), &sock).unwrap();
    let want = format!("user.err big: {} [cut {} bytes]", "x".repeat(100 - 9), long.len() - 100);
    assert_eq!(lines.next().unwrap(), want);
    s.send_to(b"", &sock).unwrap();
    assert_eq!(lines.next().unwrap(), "user.notice [malformed]: ");
    s.send_to(b"<191>x: still alive", &sock).unwrap();
    assert_eq!(lines.next().unwrap(), "local7.debug x: still alive");
}

#[test]
fn udp_and_tcp_only_on_the_addresses_given_with_both_framings() {
    let mut sb = Sandbox::new();
    let sock = sb.join("log");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut lines = standalone(&mut sb, &["-s", sock.to_str().unwrap(), "-u", &addr, "-t", &addr]);
    wait_for("the socket", || sock.exists());
    wait_for("the TCP listener", || std::net::TcpStream::connect(&addr).is_ok());
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.send_to(b"<34>Oct 11 22:14:15 mx1 su: udp here", &addr).unwrap();
    assert_eq!(lines.next().unwrap(), "auth.crit @mx1 su: udp here");
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    tcp.write_all(b"<13>a: newline framed\n16 <13>b: counted\nx").unwrap();
    tcp.write_all(b"<13>1 - - app 7 - - five\n").unwrap();
    drop(tcp);
    assert_eq!(lines.next().unwrap(), "user.notice @127.0.0.1 a: newline framed");
    assert_eq!(lines.next().unwrap(), "user.notice @127.0.0.1 b: counted#012x");
    assert_eq!(lines.next().unwrap(), "user.notice @127.0.0.1 app[7]: five");
    let out = sb.command("logger").args(["-n", "127.0.0.1", "-P", &port.to_string(), "-T", "via logger"]).output();
    assert!(out.unwrap().status.success());
    let l = lines.next().unwrap();
    assert!(l.starts_with("user.notice @") && l.ends_with("via logger"), "{l}");
}

#[test]
fn multilog_routes_mail_and_one_daemon_to_their_own_directories() {
    let mut sb = Sandbox::new();
    // README's recipes: mail.* to ./mail, dovecot to ./dovecot, the rest
    // to ./main (with `t`, patterns see the label first: `* `).
    let script = "'-*' '+* mail.*' ./mail '-*' '+* *.* dovecot*' ./dovecot '+*' '-* mail.*' '-* *.* dovecot*' ./main";
    let sock = syslog_tree(&mut sb, "", script);
    let s = UnixDatagram::unbound().unwrap();
    for m in
        ["<22>qmail-send[5]: new msg 42", "<30>dovecot[9]: imap-login: Login", "<14>cron[3]: job", "<21>dovecot: lda"]
    {
        s.send_to(m.as_bytes(), &sock).unwrap();
    }
    let log = |d: &str| sb.join(&format!("scan/sys/log/{d}"));
    wait_logged(&log("main"), "user.info cron[3]: job");
    wait_logged(&log("mail"), "mail.notice dovecot: lda");
    wait_logged(&log("dovecot"), "daemon.info dovecot[9]: imap-login: Login");
    assert_eq!(log_lines(&log("mail")), ["mail.info qmail-send[5]: new msg 42", "mail.notice dovecot: lda"]);
    assert_eq!(log_lines(&log("dovecot")), ["daemon.info dovecot[9]: imap-login: Login", "mail.notice dovecot: lda"]);
    assert_eq!(log_lines(&log("main")), ["user.info cron[3]: job"]);
}

#[test]
fn a_removed_socket_is_made_again_at_the_next_start_and_a_file_in_its_place_is_left_alone() {
    let mut sb = Sandbox::new();
    let sock = syslog_tree(&mut sb, "", "./main");
    let dir = sb.join("scan/sys");
    let main = sb.join("scan/sys/log/main");
    fs::remove_file(&sock).unwrap();
    let before = wait_for_status(&dir, "up", |s| s.pid != 0).pid;
    signal(before, libc::SIGKILL);
    wait_for_status(&dir, "restarted", |s| s.pid != 0 && s.pid != before);
    wait_for("the socket made again", || fs::symlink_metadata(&sock).is_ok_and(|m| m.file_type().is_socket()));
    UnixDatagram::unbound().unwrap().send_to(b"<13>t: again", &sock).unwrap();
    wait_logged(&main, "user.notice t: again");
    // A regular file where the socket was: never removed; run starts without it.
    fs::remove_file(&sock).unwrap();
    fs::write(&sock, "mine").unwrap();
    let before = wait_for_status(&dir, "up", |s| s.pid != 0).pid;
    signal(before, libc::SIGKILL);
    let stderr = sb.join("stderr");
    wait_for("the warning", || {
        let e = fs::read_to_string(&stderr).unwrap_or_default();
        e.contains("supervise: warning: unable to make the socket of sys at ")
            && e.contains("log.sock: file already exists")
    });
    assert_eq!(fs::read(&sock).unwrap(), b"mine");
}

/// Debian's dovecot 2.3 with its default `log_path = syslog`, in a mount
/// namespace whose /dev holds the test's socket as /dev/log (and the
/// devices dovecot opens): its start-up line and an IMAP login over
/// loopback reach the log directory, and `tend log` reads them back.
#[test]
fn dovecot_logging_to_syslog_reaches_the_log_directory_and_tend_log_reads_it() {
    require("dovecot", "dovecot-core");
    require("unshare", "util-linux");
    assert!(Path::new("/usr/lib/dovecot/imap").exists(), "dovecot-imapd is not installed (scripts/install-peers)");
    let mut sb = Sandbox::new();
    let sock = syslog_tree(&mut sb, "", "./main");
    // dovecot's imap process runs as nobody and opens its home below here.
    fs::set_permissions(sb.path(), fs::Permissions::from_mode(0o755)).unwrap();
    for d in ["dovecot/run", "dovecot/state", "dovecot/home"] {
        fs::create_dir_all(sb.join(d)).unwrap();
    }
    fs::set_permissions(sb.join("dovecot/home"), fs::Permissions::from_mode(0o777)).unwrap();
    let port = free_port();
    let conf = sb.join("dovecot/dovecot.conf");
    let root = sb.join("dovecot");
    let root = root.display();
    fs::write(
        &conf,
        format!(
            "base_dir = {root}/run\nstate_dir = {root}/state\nprotocols = imap\nlisten = 127.0.0.1\nssl = no\n\
             disable_plaintext_auth = no\nauth_mechanisms = plain\n\
             passdb {{\n  driver = static\n  args = password=secret\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={root}/home/%u\n}}\n\
             mail_location = maildir:~/Maildir\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {port}\n  }}\n  \
             inet_listener imaps {{\n    port = 0\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let devices = "mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 && \
                   mknod -m 666 /dev/random c 1 8 && mknod -m 666 /dev/urandom c 1 9 && ";
    let mut cmd = with_dev_log(&sb, &sock, devices, &format!("dovecot -F -c {}", conf.display()));
    cmd.stdout(fs::File::create(sb.join("dovecot/out")).unwrap()).stderr(Stdio::inherit());
    let dovecot = sb.spawn(cmd);
    let addr = format!("127.0.0.1:{port}");
    let mut stream = None;
    wait_for("dovecot's IMAP listener", || {
        stream = std::net::TcpStream::connect(&addr).ok();
        stream.is_some()
    });
    let stream = stream.unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut imap = stream;
    let mut line = String::new();
    let mut answer = |tag: &str| loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "dovecot closed the connection");
        if tag.is_empty() || line.starts_with(tag) {
            return line.clone();
        }
    };
    assert!(answer("").starts_with("* OK"));
    imap.write_all(b"a LOGIN ann secret\r\n").unwrap();
    assert!(answer("a ").starts_with("a OK"), "login refused");
    imap.write_all(b"b LOGOUT\r\n").unwrap();
    answer("b ");
    let shown = || {
        let out =
            sb.command(env!("CARGO_BIN_EXE_tend")).args(["log", "--utc"]).arg(sb.join("scan/sys")).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    wait_for("dovecot's login in tend log's output", || {
        let text = shown();
        let started = text.lines().any(|l| l.contains(" mail.info dovecot: master: Dovecot v") && l.ends_with(")"));
        started
            && text.contains(" mail.info dovecot: imap-login: Login: user=<ann>, method=PLAIN, rip=127.0.0.1")
            && text
                .lines()
                .any(|l| l.contains(" mail.info dovecot: imap(ann)<") && l.contains(": Disconnected: Logged out"))
    });
    signal(dovecot, libc::SIGTERM);
    assert!(sb.wait_exit(dovecot).success(), "dovecot -F exits 0 on SIGTERM");
}
