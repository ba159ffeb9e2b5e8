//! multilog: differential tests against Debian's /usr/bin/multilog (same
//! input, same script, then the log directories, `=` files, stderr and exit
//! codes compared, labels masked), and tests of what we do beyond it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::util::{
    assert_same, run_with_input, signal, signal_and_wait_taken, wait_for, wait_reading, wait_until, Sandbox, PATIENCE,
};

/// `@` and 24 lowercase hex digits, wherever they appear, become `@LABEL`.
fn mask_labels(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let is_label = bytes[i] == b'@'
            && bytes.len() >= i + 25
            && bytes[i + 1..i + 25].iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c));
        if is_label {
            out.extend_from_slice(b"@LABEL");
            i += 25;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// A log directory as text: every entry in name order (archives sort by
/// time), its mode and its contents, labels masked.
fn snapshot(dir: &Path) -> Vec<u8> {
    let mut names: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let meta = fs::metadata(&path).unwrap();
        out.extend_from_slice(&mask_labels(name.to_string_lossy().as_bytes()));
        out.extend_from_slice(format!(" {:o} {} bytes\n", meta.mode() & 0o7777, meta.len()).as_bytes());
        out.extend_from_slice(&mask_labels(&fs::read(&path).unwrap()));
        out.extend_from_slice(b"\n---\n");
    }
    out
}

/// Everything logged in a directory, in order: archives, then `current`.
/// The files are read again until no name changed meanwhile: a multilog
/// restarting under the reader renames `current` (and the sealer `.u` files)
/// between the listing and the reads, and a file read under its old name
/// would look empty.
fn logged(dir: &Path) -> Vec<u8> {
    loop {
        let before = names_and_current(dir);
        let mut names = before.0.clone();
        names.push("current".into());
        let log: Vec<u8> = names.iter().flat_map(|n| fs::read(dir.join(n)).unwrap_or_default()).collect();
        if names_and_current(dir) == before {
            return log;
        }
    }
}

/// The archive names of `dir` in order, and the inode of its `current`.
fn names_and_current(dir: &Path) -> (Vec<String>, Option<u64>) {
    (archives(dir), fs::metadata(dir.join("current")).ok().map(|m| m.ino()))
}

/// The archive names of `dir` in order (none while it does not exist yet).
fn archives(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('@'))
        .collect();
    names.sort();
    names
}

/// Runs the same script on the same input with ours (in `ours/`) and
/// Debian's (in `theirs/`); returns both outputs.
fn both(sb: &Sandbox, args: &[&str], input: &[u8]) -> (Output, Output) {
    for side in ["ours", "theirs"] {
        fs::create_dir_all(sb.join(side)).unwrap();
    }
    let mut ours = sb.tend("multilog");
    ours.current_dir(sb.join("ours")).args(args);
    let mut theirs = sb.debian("multilog");
    theirs.current_dir(sb.join("theirs")).args(args);
    (run_with_input(&mut ours, input), run_with_input(&mut theirs, input))
}

/// Asserts exit codes, stderr (labels masked) and each named path are the same.
#[track_caller]
fn assert_both_same(sb: &Sandbox, outputs: &(Output, Output), paths: &[&str]) {
    let (ours, theirs) = outputs;
    assert_eq!(ours.status.code(), theirs.status.code(), "exit code");
    assert_same("stderr", &mask_labels(&ours.stderr), &mask_labels(&theirs.stderr));
    for p in paths {
        let (a, b) = (sb.join("ours").join(p), sb.join("theirs").join(p));
        if b.is_dir() {
            assert_same(p, &snapshot(&a), &snapshot(&b));
        } else {
            assert_same(p, &mask_labels(&fs::read(&a).unwrap()), &mask_labels(&fs::read(&b).unwrap()));
        }
    }
}

/// Lines of pseudo-random lengths in `lengths`, numbered, with some binary bytes.
fn lines(count: usize, lengths: std::ops::Range<usize>, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::new();
    for i in 0..count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = lengths.start + (x as usize) % (lengths.end - lengths.start);
        let mut line = format!("line {i} ").into_bytes();
        let filler = [b'a', b'b', b'*', b' ', 0, 0xff, b'x', b'e', b'r', b'o'];
        while line.len() < len {
            line.push(filler[(x as usize >> 8).wrapping_add(line.len()) % filler.len()]);
        }
        line.push(b'\n');
        out.extend_from_slice(&line);
    }
    out
}

#[test]
fn multilog_selects_like_daemontools() {
    let sb = Sandbox::new();
    let mut input = b"hello\nhello world\nnamed[135]: Cleaned cache of 3121 RRs.\n".to_vec();
    input.extend_from_slice(b"tcpsvd: info: pid 7 from 1.2.3.4\nerror: disk\n\nx\n*star\n\xff\x00binary\n");
    input.extend_from_slice(&lines(300, 1..120, 7));
    let script = [
        "-*",
        "+hello",
        "+named[*]: Cleaned cache *",
        "./sel",
        "+*",
        "-*pid*",
        "-line 1*",
        "./most",
        "-*: info: *",
        "e",
        "=status",
        "./nosys",
        "-*",
        "+**",
        "+error: *",
        "./stars",
    ];
    let out = both(&sb, &script, &input);
    assert_both_same(&sb, &out, &["sel", "most", "nosys", "stars", "status"]);
    assert!(fs::read(sb.join("ours/sel/current")).unwrap().starts_with(b"hello\nnamed[135]"));
}

#[test]
fn multilog_timestamps_and_patterns_on_them_like_daemontools() {
    let sb = Sandbox::new();
    let input = lines(500, 1..300, 11);
    let out = both(&sb, &["t", "-@*line 3*", "./d", "+*", "e", "-*", "=st", "./none"], &input);
    assert_both_same(&sb, &out, &["d", "none", "st"]);
    let current = fs::read(sb.join("ours/d/current")).unwrap();
    assert!(current.starts_with(b"@4"), "labelled");
    assert_eq!(current[25], b' ');
}

#[test]
fn multilog_rotates_and_trims_like_daemontools_with_small_s_and_n() {
    let sb = Sandbox::new();
    // Lines over 512 bytes make daemontools' write chunks hold one newline
    // each, so both rotate at exactly the same lines.
    let input = lines(200, 513..1990, 3);
    let out = both(&sb, &["s4096", "n3", "./small", "s5000", "n5", "./five", "n2", "s", "./two"], &input);
    assert_both_same(&sb, &out, &["small", "five", "two"]);
    assert_eq!(archives(&sb.join("ours/small")).len(), 2, "n3 keeps 2 archives and current");
    for name in archives(&sb.join("ours/small")) {
        let len = fs::metadata(sb.join("ours/small").join(&name)).unwrap().len();
        assert!((4096 - 2000..=4096).contains(&len), "{name}: {len}");
        assert!(name.ends_with(".s"));
    }
}

/// Runs the same script with stdin a regular file holding `input`.
fn both_from_file(sb: &Sandbox, args: &[&str], input: &[u8]) -> (Output, Output) {
    let file = sb.join("input");
    fs::write(&file, input).unwrap();
    let mut outputs = Vec::new();
    for (side, mut cmd) in [("ours", sb.tend("multilog")), ("theirs", sb.debian("multilog"))] {
        fs::create_dir_all(sb.join(side)).unwrap();
        cmd.current_dir(sb.join(side)).args(args).stdin(fs::File::open(&file).unwrap());
        outputs.push(cmd.output().unwrap());
    }
    let theirs = outputs.pop().unwrap();
    (outputs.pop().unwrap(), theirs)
}

#[test]
fn multilog_cuts_files_exactly_where_daemontools_does() {
    // Short lines (many per 512-byte write of daemontools), lines around its
    // 1000-byte head, lines longer than its 1024-byte reads and than the
    // size, with and without labels, several sizes: every archive must hold
    // exactly the same bytes, from a pipe and from a regular file.
    let mut input = lines(3000, 1..100, 5);
    input.extend_from_slice(&lines(300, 1..3000, 6));
    input.extend_from_slice(&lines(40, 960..1040, 7));
    input.extend_from_slice(&lines(10, 4000..20000, 8));
    input.extend_from_slice(b"partial last line");
    let script = ["s4096", "n1000", "./a", "s6000", "./b", "s1", "-*3*", "./c", "s16000", "./d"];
    let stamped = ["t", "s4096", "n1000", "./a", "s4500", "+*4*", "./b"];
    let sb = Sandbox::new();
    let out = both(&sb, &script, &input);
    assert_both_same(&sb, &out, &["a", "b", "c", "d"]);
    assert!(archives(&sb.join("ours/a")).len() > 100);
    let sb = Sandbox::new();
    let out = both_from_file(&sb, &script, &input);
    assert_both_same(&sb, &out, &["a", "b", "c", "d"]);
    let sb = Sandbox::new();
    let out = both_from_file(&sb, &stamped, &input);
    assert_both_same(&sb, &out, &["a", "b"]);
    let sb = Sandbox::new();
    let out = both(&sb, &stamped, &input);
    assert_both_same(&sb, &out, &["a", "b"]);
}

#[test]
fn multilog_long_lines_final_partial_line_and_binary_like_daemontools() {
    let sb = Sandbox::new();
    let mut input = lines(40, 900..5000, 9);
    input.extend_from_slice(&[b'a'; 1200]);
    input.extend_from_slice(b"\n\0\xff\x80 no newline at the end");
    let script = ["t", "-*", "+@*a*", "./a", "+*", "-*line 1*", "e", "=st", "s4096", "n4", "./b"];
    let out = both(&sb, &script, &input);
    assert_both_same(&sb, &out, &["a", "b", "st"]);
    assert!(fs::read(sb.join("ours/st")).unwrap().len() == 1001);
}

#[test]
fn multilog_processors_like_daemontools() {
    let sb = Sandbox::new();
    let input = lines(60, 600..900, 13);
    let script = ["s4096", "n20", "!tr a-z A-Z; echo state >&5; cat <&4 >&5", "./p", "!cat; echo x", "./q"];
    let out = both(&sb, &script, &input);
    assert_both_same(&sb, &out, &["p", "q"]);
    let state = fs::read(sb.join("ours/p/state")).unwrap();
    assert!(state.starts_with(b"state\nstate\n"), "the processor read the old state on fd 4");
}

#[test]
fn multilog_restarts_on_existing_directories_like_daemontools_and_seals_what_it_left() {
    let sb = Sandbox::new();
    for side in ["ours", "theirs"] {
        for (dir, mode, current) in
            [("clean", 0o744, &b"old line\n"[..]), ("unclean", 0o644, b"old line\n"), ("torn", 0o644, b"old\nhal")]
        {
            let d = sb.join(side).join(dir);
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join("current"), current).unwrap();
            fs::set_permissions(d.join("current"), fs::Permissions::from_mode(mode)).unwrap();
            fs::write(d.join("previous"), b"half done\n").unwrap();
            fs::write(d.join("state"), b"old state\n").unwrap();
        }
    }
    let out = both(&sb, &["./clean", "./unclean", "./torn"], b"new line\n");
    assert_both_same(&sb, &out, &["clean"]);
    assert_eq!(fs::read(sb.join("ours/clean/current")).unwrap(), b"old line\nnew line\n");
    // What an unclean stop left daemontools names `.u` for good; we sync
    // those files and name them `.s` (same contents, 0744).
    let sealed = |side: &str, dir: &str| {
        String::from_utf8_lossy(&snapshot(&sb.join(side).join(dir))).replace(".u 644", ".s 744").into_bytes()
    };
    assert_same("unclean", &sealed("ours", "unclean"), &sealed("theirs", "unclean"));
    assert_eq!(archives(&sb.join("ours/unclean")).iter().filter(|n| n.ends_with(".s")).count(), 2);
    // A current ending mid-line is archived as it is; the new current
    // starts with the cut mark and a newline, which end the piece.
    let torn = archives(&sb.join("ours/torn"));
    let contents: Vec<Vec<u8>> = torn.iter().map(|n| fs::read(sb.join("ours/torn").join(n)).unwrap()).collect();
    assert_eq!(contents, vec![b"half done\n".to_vec(), b"old\nhal".to_vec()]);
    assert_eq!(logged(&sb.join("ours/torn")), b"half done\nold\nhal[multilog: cut]\nnew line\n");
}

#[test]
fn multilog_fatal_errors_like_daemontools_before_reading_input() {
    let mut sb = Sandbox::new();
    for side in ["ours", "theirs"] {
        fs::create_dir_all(sb.join(side)).unwrap();
        fs::write(sb.join(side).join("file"), b"").unwrap();
    }
    for script in [&["./file"][..], &["./missing/sub"], &["=missing/st", "./d"], &["./d", "=file/x"]] {
        let out = both(&sb, script, b"line\n");
        assert_eq!(out.0.status.code(), Some(111), "{script:?}");
        assert_both_same(&sb, &out, &[]);
    }
    // A locked directory: the lock is held by a running daemontools multilog.
    let mut holder = sb.debian("multilog");
    holder.arg("./locked").stdin(Stdio::piped());
    sb.spawn(holder);
    assert!(wait_until(PATIENCE, || sb.join("locked/current").exists()));
    let ours = run_with_input(sb.tend("multilog").arg("./locked"), b"x\n");
    let theirs = run_with_input(sb.debian("multilog").arg("./locked"), b"x\n");
    assert_eq!(ours.status.code(), Some(111));
    assert_same("stderr", &ours.stderr, b"multilog: fatal: unable to lock directory ./locked: temporary failure\n");
    assert_same("stderr", &ours.stderr, &theirs.stderr);
}

#[test]
fn multilog_names_files_byte_for_byte_in_messages_like_daemontools() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    for side in ["ours", "theirs"] {
        fs::create_dir_all(sb.join(side)).unwrap();
        fs::write(sb.join(side).join(OsStr::from_bytes(b"file\xff")), b"").unwrap();
    }
    // Names that are not UTF-8 (or are, with non-ASCII) in every startup
    // failure: a missing parent, a file where a directory should be, an
    // `=file` that cannot be created.
    let scripts: [&[&[u8]]; 5] = [
        &[b"./\xff/sub"],
        &[b"./file\xff"],
        &[b"=\xfe\xff/st", b"./d"],
        &[b"./d\xc3\xa9", b"./\xc3/\x80"],
        &[b"=./file\xff/\xe9t\xe9"],
    ];
    for script in scripts {
        let args: Vec<&OsStr> = script.iter().map(|a| OsStr::from_bytes(a)).collect();
        let mut ours = sb.tend("multilog");
        ours.current_dir(sb.join("ours")).args(&args);
        let mut theirs = sb.debian("multilog");
        theirs.current_dir(sb.join("theirs")).args(&args);
        let (ours, theirs) = (run_with_input(&mut ours, b"x\n"), run_with_input(&mut theirs, b"x\n"));
        assert_eq!(ours.status.code(), Some(111), "{script:?}");
        assert_eq!(ours.status.code(), theirs.status.code(), "{script:?}");
        assert_same("stderr", &ours.stderr, &theirs.stderr);
    }
}

#[test]
fn multilog_warns_about_actions_daemontools_ignores() {
    let sb = Sandbox::new();
    let out = run_with_input(sb.tend("multilog").args(["./d", "t", "x5", "", "./e"]), b"still works\n");
    assert_eq!(out.status.code(), Some(0));
    assert_same(
        "stderr",
        &out.stderr,
        b"multilog: warning: ignoring unknown action: t\nmultilog: warning: ignoring unknown action: x5\n\
multilog: warning: ignoring unknown action: \n",
    );
    assert_eq!(fs::read(sb.join("d/current")).unwrap(), b"still works\n");
    assert_eq!(fs::read(sb.join("e/current")).unwrap(), b"still works\n");
}

/// Starts multilog reading a FIFO that the test holds open for writing.
fn start_on_fifo(sb: &mut Sandbox, mut cmd: Command, fifo: &str) -> (u32, fs::File) {
    let path = sb.join(fifo);
    if !path.exists() {
        assert!(Command::new("mkfifo").arg(&path).status().unwrap().success());
    }
    // Opening read-write never blocks and keeps the FIFO alive between readers.
    let writer = fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
    cmd.stdin(fs::File::open(&path).unwrap());
    let pid = sb.spawn(cmd);
    (pid, writer)
}

/// What is left unread in a FIFO (read without blocking).
fn drain(path: &Path) -> Vec<u8> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = f.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[test]
fn multilog_term_finishes_the_line_and_leaves_the_rest_like_daemontools() {
    let mut sb = Sandbox::new();
    for (side, mut cmd) in [("ours", sb.tend("multilog")), ("theirs", sb.debian("multilog"))] {
        // A script that selects holds an unfinished line until its newline.
        cmd.args(["-x*", &format!("./{side}")]);
        let (pid, mut w) = start_on_fifo(&mut sb, cmd, &format!("{side}.fifo"));
        w.write_all(b"first\nabc").unwrap();
        let current = sb.join(side).join("current");
        // "first" is written before the next read.
        assert!(wait_until(PATIENCE, || fs::read(&current).unwrap_or_default() == b"first\n"));
        // Sent while it waits for input (see `wait_reading`) and taken before
        // the rest of the line comes, so that it ends the input there.
        wait_reading(pid);
        signal_and_wait_taken(pid, libc::SIGTERM);
        w.write_all(b"def\nghi\n").unwrap();
        let status = sb.wait_exit(pid);
        assert_eq!(status.code(), Some(0), "{side}");
        assert_eq!(fs::read(&current).unwrap(), b"first\nabcdef\n", "{side}");
        assert_eq!(fs::metadata(&current).unwrap().mode() & 0o777, 0o744, "{side}: closed cleanly");
        assert_eq!(drain(&sb.join(&format!("{side}.fifo"))), b"ghi\n".to_vec(), "{side}: the rest stays in the pipe");
    }
}

#[test]
fn multilog_alrm_rotates_nonempty_currents_like_daemontools() {
    let mut sb = Sandbox::new();
    for (side, mut cmd) in [("ours", sb.tend("multilog")), ("theirs", sb.debian("multilog"))] {
        let (a, empty) = (format!("{side}/a"), format!("{side}/empty"));
        fs::create_dir(sb.join(side)).unwrap();
        cmd.args([&format!("./{a}"), "-*", &format!("./{empty}")]);
        let (pid, mut w) = start_on_fifo(&mut sb, cmd, &format!("{side}.fifo"));
        w.write_all(b"one\n").unwrap();
        assert!(wait_until(PATIENCE, || fs::read(sb.join(&a).join("current")).unwrap_or_default() == b"one\n"));
        wait_reading(pid);
        signal(pid, libc::SIGALRM);
        assert!(wait_until(PATIENCE, || archives(&sb.join(&a)).iter().any(|n| n.ends_with(".s"))), "{side}");
        let name = &archives(&sb.join(&a))[0];
        assert_eq!(fs::read(sb.join(&a).join(name)).unwrap(), b"one\n", "{side}");
        assert_eq!(fs::metadata(sb.join(&a).join(name)).unwrap().mode() & 0o777, 0o744, "{side}");
        assert!(archives(&sb.join(&empty)).is_empty(), "{side}: an empty current is not rotated");
        drop(w);
        assert_eq!(sb.wait_exit(pid).code(), Some(0), "{side}");
        assert_eq!(fs::read(sb.join(&a).join("current")).unwrap(), b"", "{side}");
    }
}

#[test]
fn multilog_reruns_a_failing_processor_like_daemontools() {
    let mut sb = Sandbox::new();
    let input = lines(10, 600..700, 31);
    fs::write(sb.join("input"), &input).unwrap();
    // Fails once (exit 1), then succeeds: 0.76 pauses 5 s and reruns it.
    let script = ["s4096", "!if [ -e ran ]; then tr a-z A-Z; else touch ran; exit 1; fi", "./d"];
    let mut pids = Vec::new();
    for (side, mut cmd) in [("ours", sb.tend("multilog")), ("theirs", sb.debian("multilog"))] {
        fs::create_dir(sb.join(side)).unwrap();
        cmd.current_dir(sb.join(side))
            .args(script)
            .stdin(fs::File::open(sb.join("input")).unwrap())
            .stderr(fs::File::create(sb.join(&format!("{side}.err"))).unwrap());
        pids.push(sb.spawn(cmd));
    }
    for pid in pids {
        assert_eq!(sb.wait_exit(pid).code(), Some(0));
    }
    let ours = fs::read(sb.join("ours.err")).unwrap();
    assert_same("stderr", &ours, b"multilog: warning: processor failed in ./d, pausing\n");
    assert_same("stderr", &ours, &fs::read(sb.join("theirs.err")).unwrap());
    assert_same("d", &snapshot(&sb.join("ours/d")), &snapshot(&sb.join("theirs/d")));
    let archive = &archives(&sb.join("ours/d"))[0];
    assert_eq!(
        fs::read(sb.join("ours/d").join(archive)).unwrap(),
        input[..fs::metadata(sb.join("ours/d").join(archive)).unwrap().len() as usize].to_ascii_uppercase()
    );
}

#[test]
fn multilog_archive_names_never_go_backwards_after_a_clock_step() {
    let mut sb = Sandbox::new();
    let stamp = sb.join("faketime");
    fs::write(&stamp, "@2030-01-01 12:00:00\n").unwrap();
    let mut cmd = sb.tend("multilog");
    cmd.args(["n4", "./d"])
        .env("LD_PRELOAD", crate::util::require("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "libfaketime"))
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("FAKETIME_TIMESTAMP_FILE", &stamp)
        .env("FAKETIME_NO_CACHE", "1");
    let (pid, mut w) = start_on_fifo(&mut sb, cmd, "fifo");
    let mut names_in_order = Vec::new();
    for (i, time) in ["@2030-01-01 12:00:00", "@2030-01-01 12:00:01", "@2030-01-01 11:00:00", "@2030-01-01 10:00:00"]
        .iter()
        .enumerate()
    {
        fs::write(&stamp, format!("{time}\n")).unwrap();
        w.write_all(format!("batch {i}\n").as_bytes()).unwrap();
        let current = sb.join("d/current");
        assert!(wait_until(PATIENCE, || fs::read(&current).unwrap_or_default() == format!("batch {i}\n").as_bytes()));
        let before = archives(&sb.join("d")).len();
        wait_reading(pid);
        signal(pid, libc::SIGALRM);
        assert!(wait_until(PATIENCE, || {
            let a = archives(&sb.join("d"));
            a.len() > before.min(2)
                && a.last().is_some_and(|n| n.ends_with(".s"))
                && fs::read(sb.join("d").join(a.last().unwrap())).unwrap() == format!("batch {i}\n").as_bytes()
        }));
        names_in_order.push(archives(&sb.join("d")).last().unwrap().clone());
    }
    let mut sorted = names_in_order.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, names_in_order, "each new archive sorts after the previous ones");
    // n4: three archives kept, and they are the newest three.
    let kept: Vec<Vec<u8>> = archives(&sb.join("d")).iter().map(|n| fs::read(sb.join("d").join(n)).unwrap()).collect();
    assert_eq!(kept, vec![b"batch 1\n".to_vec(), b"batch 2\n".to_vec(), b"batch 3\n".to_vec()]);
    drop(w);
    assert_eq!(sb.wait_exit(pid).code(), Some(0));
}

#[test]
fn multilog_sigkill_loses_no_line() {
    let mut sb = Sandbox::new();
    let total = 20_000;
    let input = lines(total, 10..60, 17);
    let fifo = sb.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // A slow processor on a small size makes multilog stall mid-stream, so
    // the kill lands while input is still flowing.
    let start = |sb: &mut Sandbox| {
        let mut cmd = sb.tend("multilog");
        cmd.args(["s4096", "n100000", "!sleep 0.02; cat", "./d"]).stdin(fs::File::open(&fifo).unwrap());
        sb.spawn(cmd)
    };
    let mut w = fs::OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
    let first = start(&mut sb);
    let writer = {
        let input = input.clone();
        let mut w2 = w.try_clone().unwrap();
        std::thread::spawn(move || w2.write_all(&input).unwrap())
    };
    assert!(wait_until(PATIENCE, || archives(&sb.join("d")).len() >= 3));
    let second = kill_and_start_again(&mut sb, first, start);
    join_writer(&mut sb, writer, second);
    w.flush().unwrap();
    drop(w);
    // The second multilog needs EOF: every writer (ours) is closed now.
    assert_eq!(sb.wait_exit(second).code(), Some(0));
    let logged = logged(&sb.join("d"));
    // Every line is there, in order; only the batch in flight may repeat
    // (and a line cut by the kill may leave a fragment without its number).
    let mut seen = vec![false; total];
    let mut last = None;
    for line in logged.split(|&c| c == b'\n') {
        let Some(n) = line_number(line) else { continue };
        if let Some(prev) = last {
            assert!(n == prev + 1 || (n <= prev && seen[n]), "line {n} after {prev}");
        }
        seen[n] = true;
        last = Some(n);
    }
    let missing: Vec<usize> = (0..total).filter(|&i| !seen[i]).collect();
    assert!(missing.is_empty(), "lost {} lines, first {:?}", missing.len(), missing.first());
}

/// SIGKILLs the multilog `first` (logging into `d`), then starts the next
/// with `start` once the lock is free: a processor the killed one was
/// forking holds a copy of its lock until it execs, and a multilog started
/// before then exits 111 (`unable to lock directory`, as daemontools' does;
/// supervise would start it again).
fn kill_and_start_again(sb: &mut Sandbox, first: u32, start: impl Fn(&mut Sandbox) -> u32) -> u32 {
    signal(first, libc::SIGKILL);
    let _ = sb.take_child(first).wait();
    wait_for("the killed multilog's lock to be free", || lock_is_free(&sb.join("d/lock")));
    start(sb)
}

/// Joins a thread writing into a FIFO the test also holds open for reading:
/// if the multilog reading it died, the write would block for ever, so the
/// test fails instead.
fn join_writer(sb: &mut Sandbox, writer: std::thread::JoinHandle<()>, reader: u32) {
    let done = wait_until(PATIENCE, || writer.is_finished());
    assert!(done, "the writer never finished; the multilog reading: {:?}", sb.child_status(reader));
    writer.join().unwrap();
}

/// Whether nobody holds the flock on `path` (taken and released at once).
fn lock_is_free(path: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(f) = fs::OpenOptions::new().append(true).open(path) else { return false };
    // SAFETY: flock on a descriptor this function owns; closing it releases the lock.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// N in a line `line N ...` made by [`lines`].
fn line_number(line: &[u8]) -> Option<usize> {
    let rest = line.strip_prefix(b"line ")?;
    let digits = &rest[..rest.iter().position(|&c| c == b' ')?];
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[test]
fn multilog_streams_a_huge_line_in_bounded_memory() {
    let sb = Sandbox::new();
    let mut input = b"start ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 40_000_000));
    input.extend_from_slice(b"\nafter\n");
    let mut cmd = Command::new(crate::util::require("/usr/bin/time", "time"));
    cmd.current_dir(sb.path()).args(["-f", "%M"]).arg(sb.bin.join("multilog")).args(["s16777215", "n20", "./d"]);
    let out = run_with_input(&mut cmd, &input);
    assert!(out.status.success());
    let max_rss_kib: u64 = String::from_utf8_lossy(&out.stderr).trim().parse().unwrap();
    assert!(max_rss_kib < 16 * 1024, "peak RSS {max_rss_kib} KiB for a 40 MB line");
    assert_same("logged", &logged(&sb.join("d")), &input);
    let sizes: Vec<u64> =
        archives(&sb.join("d")).iter().map(|n| fs::metadata(sb.join("d").join(n)).unwrap().len()).collect();
    assert_eq!(sizes, vec![16_777_215, 16_777_215], "cut at the size limit");
}

#[test]
fn multilog_seals_archives_off_the_input_path_and_only_after_fsync() {
    let sb = Sandbox::new();
    let input = lines(20_000, 10..100, 23);
    let trace = sb.join("trace");
    let mut cmd = Command::new(crate::util::require("strace", "strace"));
    cmd.current_dir(sb.path())
        .args(["-f", "-qq", "-e", "trace=fsync,syncfs,rename,write", "-o"])
        .arg(&trace)
        .arg(sb.bin.join("multilog"))
        .args(["s4096", "n1000", "./d"]);
    let out = run_with_input(&mut cmd, &input);
    assert!(out.status.success());
    assert_same("logged", &logged(&sb.join("d")), &input);
    let text = fs::read_to_string(&trace).unwrap();
    let main_pid = text.lines().next().unwrap().split_whitespace().next().unwrap().to_string();
    // For each archive: when the input thread renamed current to `.u`.
    let mut unclean_at = std::collections::HashMap::new();
    // (event index, thread) of every fsync/syncfs.
    let mut syncs: Vec<(usize, String)> = Vec::new();
    let mut main_fsyncs = 0;
    let mut sealed = 0;
    let mut main_writes = 0;
    for (at, line) in text.lines().enumerate() {
        let mut parts = line.splitn(2, ' ');
        let (pid, call) = (parts.next().unwrap(), parts.next().unwrap_or("").trim_start());
        if call.starts_with("fsync(") || call.starts_with("syncfs(") {
            if pid == main_pid {
                main_fsyncs += 1;
            }
            syncs.push((at, pid.to_string()));
        }
        if call.starts_with("write(") && pid == main_pid {
            main_writes += 1;
        }
        if call.starts_with("rename(") {
            let (from, to) = (call.split('"').nth(1).unwrap(), call.split('"').nth(3).unwrap());
            if to.ends_with(".u") {
                assert!(from.ends_with("current"));
                unclean_at.insert(to.to_string(), at);
            }
            if to.ends_with(".s") {
                sealed += 1;
                assert_ne!(pid, main_pid, "sealing happens off the input thread");
                let since = unclean_at[from];
                assert!(
                    syncs.iter().any(|(i, p)| *i > since && p == pid),
                    "{to} named before a sync that followed its rotation"
                );
            }
        }
    }
    let rotations = archives(&sb.join("d")).len();
    assert!(rotations > 100);
    assert_eq!(sealed, rotations);
    assert_eq!(main_fsyncs, 1, "the input thread fsyncs only current, at exit");
    // One write per flush per batch, not per line.
    assert!(main_writes < 20_000 / 5, "{main_writes} writes for 20000 lines");
}

/// Runs `script` with sh in a private mount namespace (so that it can mount
/// a tmpfs, e.g. on the sandbox's `small`, created here) with the sandbox as
/// `$1`, our multilog as `$2` and `PATIENCE` in tenths of a second as `$3`
/// (for the script's own waits, in steps of 0.1 s); asserts it succeeds.
fn run_in_private_mount(sb: &Sandbox, script: &str) {
    fs::create_dir(sb.join("small")).unwrap();
    // The script's own waits are bounded by PATIENCE; `timeout` bounds the
    // ones it cannot bound (a `wait` for a multilog that never exits).
    let limit = (2 * PATIENCE.as_secs()).to_string();
    let out = sb
        .command("timeout")
        .args(["-s", "KILL", &limit, "unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(sb.path())
        .arg(sb.bin.join("multilog"))
        .arg((PATIENCE.as_millis() / 100).to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn multilog_pauses_on_a_full_disk_and_loses_nothing() {
    let sb = Sandbox::new();
    let input = lines(4000, 20..80, 29);
    fs::write(sb.join("input"), &input).unwrap();
    // A 256 KiB tmpfs in a private mount namespace: filled by `filler`, then
    // freed once multilog has reported the full disk.
    let script = r#"set -e
mount -t tmpfs -o size=256k tmpfs "$1/small"
head -c 200000 /dev/zero > "$1/small/filler" || true
"$2" n1000 "$1/small/d" < "$1/input" 2> "$1/err" &
pid=$!
i=0
until grep -q 'out of disk space' "$1/err"; do sleep 0.1; i=$((i+1)); [ $i -lt "$3" ] || exit 3; done
rm "$1/small/filler"
wait $pid
cat "$1/small/d/"@* "$1/small/d/current" > "$1/result"
"#;
    run_in_private_mount(&sb, script);
    let err = fs::read_to_string(sb.join("err")).unwrap();
    assert!(
        err.lines()
            .all(|l| l.starts_with("multilog: warning: unable to write to ")
                && l.ends_with(", pausing: out of disk space")),
        "{err}"
    );
    assert_same("logged", &fs::read(sb.join("result")).unwrap(), &input);
}

#[test]
fn multilog_survives_garbage_input_and_arguments() {
    let sb = Sandbox::new();
    let mut x: u64 = 0x1234_5678_9abc_def1;
    let mut input = Vec::new();
    for _ in 0..300_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        input.push((x >> 24) as u8);
    }
    let script = ["t", "+\u{1}*\n*", "-**", "e", "=st", "+*", "-", "+", "./e", "s0", "n0", "!", "./d"];
    let out = run_with_input(sb.tend("multilog").args(script), &input);
    assert_eq!(out.status.code(), Some(0));
    let mut plain = input.clone();
    plain.push(b'\n');
    let e = logged(&sb.join("e"));
    assert_eq!(e.iter().filter(|&&c| c == b'\n').count(), plain.iter().filter(|&&c| c == b'\n').count());
}

/// The line number `i` of a storm: `%08d `, then one letter repeated, to
/// its length.
fn storm_line(i: usize, long: bool) -> Vec<u8> {
    let len = if long { 300_000 } else { 20 + (i * 7919) % 100 };
    let mut line = format!("{i:08} ").into_bytes();
    line.resize(len, b'a' + (i % 26) as u8);
    line
}

/// The pid of the process `svstat DIR` says is up, if any.
fn up_pid(sb: &Sandbox, dir: &str) -> Option<u32> {
    let out = sb.tend("svstat").arg(dir).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let rest = text.split(": up (pid ").nth(1)?;
    rest.split(')').next()?.parse().ok()
}

/// Bytes in the files of `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir).into_iter().flatten().flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum()
}

/// Whether what is logged in `dir` ends with `end` (a line may be split
/// across files, and a restart leaves an archive, maybe empty).
fn log_ends_with(dir: &Path, end: &[u8]) -> bool {
    let mut files = archives(dir);
    files.push("current".into());
    let mut tail = Vec::new();
    for name in files.iter().rev() {
        if tail.len() >= end.len() {
            break;
        }
        tail.splice(0..0, fs::read(dir.join(name)).unwrap_or_default());
    }
    tail.ends_with(end)
}

/// A writer at full speed under svscan, its multilog SIGKILLed 20 times at
/// random moments; then every line of the log directory is checked: whole,
/// or a piece marked as cut (no line here is too long to be kept whole), and
/// every line written appears whole at least once.
fn storm(long: bool) {
    let mut sb = Sandbox::new();
    let total: usize = if long { 150 } else { 300_000 };
    // TEND_STORM_SEED replays the kill points of a failed run.
    let seed = std::env::var("TEND_STORM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    let writer = format!(
        "#!/bin/sh\nexec perl -e 'for my $i (0..{}) {{ my $len = {}; \
         print sprintf(\"%08d \", $i), chr(97 + $i % 26) x ($len - 9), \"\\n\"; }} close STDOUT; sleep 1e6'\n",
        total - 1,
        if long { "300000".to_string() } else { "20 + ($i * 7919) % 100".to_string() },
    );
    sb.script("sv/w/run", &writer);
    sb.script("sv/w/log/run", "#!/bin/sh\nexec multilog t s1000000 n100000 ./main\n");
    let mut svscan = sb.tend("svscan");
    svscan.arg("sv");
    sb.spawn(svscan);
    let main = sb.join("sv/w/log/main");
    // A failure keeps the directory for examination (the sandbox goes).
    let keep = KeepOnPanic { seed, dir: &main };
    let expected_bytes: u64 = (0..total).map(|i| storm_line(i, long).len() as u64 + 27).sum();
    let mut x = seed;
    let mut pid = None;
    for kill in 0..20u64 {
        // Each kill lands at a random point of its twentieth of the stream.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let target = expected_bytes * kill / 21 + (x % (expected_bytes / 21));
        let mut up = None;
        assert!(
            wait_until(PATIENCE, || {
                up = up_pid(&sb, "sv/w/log").filter(|p| Some(*p) != pid);
                up.is_some() && dir_bytes(&main) >= target
            }),
            "seed {seed}: kill {kill}: no new multilog, or the log stopped growing"
        );
        pid = up;
        signal(pid.unwrap(), libc::SIGKILL);
    }
    let last = [&b" "[..], &storm_line(total - 1, long), b"\n"].concat();
    let settled = || log_ends_with(&main, &last) && !archives(&main).iter().any(|n| n.ends_with(".u"));
    assert!(wait_until(2 * PATIENCE, settled), "seed {seed}: the last line never arrived, or a .u file stayed");
    // One kill more after the end: the next logger's recovery moves
    // `current` to an archive while the log is read.
    let mut after_end = None;
    assert!(
        wait_until(PATIENCE, || {
            after_end = up_pid(&sb, "sv/w/log");
            after_end.is_some()
        }),
        "seed {seed}: no multilog up after the end"
    );
    signal(after_end.unwrap(), libc::SIGKILL);
    assert!(
        wait_until(PATIENCE, || up_pid(&sb, "sv/w/log").is_some_and(|p| Some(p) != after_end) && settled()),
        "seed {seed}: no new multilog after the end"
    );
    let log = logged(&main);
    let mut seen = vec![false; total];
    let mut cut = 0;
    for line in log.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
        let (line, marked) = match line.strip_suffix(b"[multilog: cut]") {
            Some(piece) => (piece, true),
            None => (line, false),
        };
        // A label, `@` and 24 hex digits and a space (a cut piece may end in it).
        let label_len = line.len().min(26);
        let label_ok = line.first() == Some(&b'@')
            && line[1..label_len.max(1)].iter().take(24).all(u8::is_ascii_hexdigit)
            && (label_len < 26 || line[25] == b' ');
        assert!(label_ok && (marked || line.len() > 26), "seed {seed}: unlabelled line");
        let body = &line[label_len..];
        assert!(!body.starts_with(b"[multilog: cut]"), "seed {seed}: a line that should have been kept whole");
        let number = std::str::from_utf8(&body[..body.len().min(8)]).ok().and_then(|s| s.parse::<usize>().ok());
        let whole = number.map(|n| storm_line(n, long));
        if marked {
            // A cut piece is the start of one line, nothing else.
            cut += 1;
            // Cut inside its number, a piece is the start of any line
            // whose number starts with those digits.
            let prefix_of_a_line = match &whole {
                Some(w) if body.len() > 8 => w.starts_with(body),
                _ => (0..total).any(|n| storm_line(n, long).starts_with(body)),
            };
            assert!(prefix_of_a_line, "seed {seed}: a cut piece that is no line's start");
        } else {
            let n = number.unwrap_or_else(|| panic!("seed {seed}: a broken line, unmarked"));
            assert!(whole.as_deref() == Some(body), "seed {seed}: line {n} broken, unmarked");
            seen[n] = true;
        }
    }
    let missing: Vec<usize> = (0..total).filter(|&i| !seen[i]).collect();
    assert!(
        missing.is_empty(),
        "seed {seed}: {} lines never whole, first {:?} ({cut} cut pieces)",
        missing.len(),
        missing.first()
    );
    std::mem::forget(keep);
}

/// Copies a storm's log directory to /tmp/keep-storm-SEED/ and prints its
/// listing with sizes, if the checks panic.
struct KeepOnPanic<'a> {
    seed: u64,
    dir: &'a Path,
}

impl Drop for KeepOnPanic<'_> {
    fn drop(&mut self) {
        let kept = PathBuf::from(format!("/tmp/keep-storm-{}", self.seed));
        let _ = fs::create_dir_all(&kept);
        let mut listing = String::new();
        for name in fs::read_dir(self.dir).into_iter().flatten().flatten().map(|e| e.file_name()) {
            let size = fs::metadata(self.dir.join(&name)).map(|m| m.len()).unwrap_or(0);
            listing.push_str(&format!("{size:>10} {}\n", name.to_string_lossy()));
            let _ = fs::copy(self.dir.join(&name), kept.join(&name));
        }
        eprintln!("seed {}: log directory kept in {}:\n{listing}", self.seed, kept.display());
    }
}

#[test]
fn multilog_killed_20_times_under_svscan_keeps_every_short_line_whole() {
    storm(false);
}

#[test]
fn multilog_killed_20_times_under_svscan_keeps_every_300k_line_whole() {
    storm(true);
}

#[test]
fn multilog_syncs_each_file_system_of_a_sealing_batch() {
    let sb = Sandbox::new();
    // Two log directories, on a tmpfs and on the disk, each with two `.u`
    // files an earlier logger left: they are sealed as one batch at start.
    let script = r#"set -e
mount -t tmpfs -o size=1m tmpfs "$1/fast"
for d in "$1/fast/d" "$1/disk/d"; do
    mkdir -p "$d"
    echo one > "$d/@400000006b0000010000000a.u"
    echo two > "$d/@400000006b0000020000000a.u"
done
cd "$1"
strace -f -qq -y -e trace=fsync,syncfs -o "$1/trace" "$2" ./fast/d ./disk/d < /dev/null
ls fast/d disk/d > "$1/names"
"#;
    fs::create_dir_all(sb.join("fast")).unwrap();
    fs::create_dir_all(sb.join("disk")).unwrap();
    run_in_private_mount(&sb, script);
    let names = fs::read_to_string(sb.join("names")).unwrap();
    assert_eq!(names.matches(".s\n").count(), 4, "{names}");
    assert!(!names.contains(".u"), "{names}");
    let trace = fs::read_to_string(sb.join("trace")).unwrap();
    for dir in ["/fast/d/", "/disk/d/"] {
        assert!(
            trace.lines().any(|l| (l.contains(" fsync(") || l.contains(" syncfs(")) && l.contains(dir)),
            "no sync on the file system of {dir}:\n{trace}"
        );
    }
}

#[test]
fn multilog_paused_on_a_full_disk_exits_111_on_sigterm_leaving_the_rest_in_the_pipe() {
    let sb = Sandbox::new();
    let total = 4000;
    fs::write(sb.join("input"), lines(total, 20..80, 37)).unwrap();
    let script = r#"set -e
mount -t tmpfs -o size=1m tmpfs "$1/small"
head -c 1000000 /dev/zero > "$1/small/filler" || true
mkfifo "$1/fifo"
exec 3<>"$1/fifo"
"$2" n1000 "$1/small/d" < "$1/fifo" 2> "$1/err" 3>&- &
pid=$!
cat "$1/input" >&3 &
writer=$!
i=0
until grep -q 'out of disk space' "$1/err"; do sleep 0.1; i=$((i+1)); [ $i -lt "$3" ] || exit 3; done
kill -TERM $pid
code=0; wait $pid || code=$?
echo $code > "$1/code"
rm "$1/small/filler"
"$2" n1000 "$1/small/d" < "$1/fifo" 2> "$1/err2" 3>&- &
pid=$!
wait $writer
exec 3>&-
wait $pid
cat "$1/small/d/"@* "$1/small/d/current" > "$1/result"
"#;
    run_in_private_mount(&sb, script);
    assert_eq!(fs::read_to_string(sb.join("code")).unwrap().trim(), "111");
    let err = fs::read_to_string(sb.join("err")).unwrap();
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("multilog: fatal: unable to write to "), "{err}");
    let unwritten: u64 = last
        .split("; giving up: ")
        .nth(1)
        .and_then(|r| r.strip_suffix(" bytes not written stay in the pipe"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(unwritten > 0, "{err}");
    // The next logger finds in the pipe (and in `partial`) every line the
    // first one did not write: all are there, in order, some twice.
    let result = fs::read(sb.join("result")).unwrap();
    let numbers: Vec<usize> = result.split(|&c| c == b'\n').filter_map(line_number).collect();
    let mut next = 0;
    for n in numbers {
        assert!(n <= next, "line {n} before line {next}");
        if n == next {
            next += 1;
        }
    }
    assert_eq!(next, total, "lines lost");
}

#[test]
fn multilog_says_its_directory_was_removed_resumes_when_it_is_back_and_answers_sigterm() {
    let mut sb = Sandbox::new();
    let mut cmd = sb.tend("multilog");
    cmd.arg("./d").stderr(fs::File::create(sb.join("err")).unwrap());
    let (pid, mut w) = start_on_fifo(&mut sb, cmd, "fifo");
    let current = sb.join("d/current");
    w.write_all(b"one\n").unwrap();
    assert!(wait_until(PATIENCE, || fs::read(&current).unwrap_or_default() == b"one\n"));
    let warning = "multilog: warning: log directory ./d was removed; recreate it or restart multilog, pausing\n";
    let err_path = sb.join("err");
    let err = || fs::read_to_string(&err_path).unwrap();
    fs::remove_dir_all(sb.join("d")).unwrap();
    w.write_all(b"two\n").unwrap();
    assert!(wait_until(PATIENCE, || err() == warning), "{}", err());
    // Made again: multilog locks it and goes on in a new `current`.
    fs::create_dir(sb.join("d")).unwrap();
    assert!(wait_until(PATIENCE, || fs::read(&current).unwrap_or_default() == b"two\n"));
    assert!(sb.join("d/lock").exists());
    fs::remove_dir_all(sb.join("d")).unwrap();
    w.write_all(b"three\n").unwrap();
    assert!(wait_until(PATIENCE, || err() == warning.repeat(2)), "{}", err());
    signal(pid, libc::SIGTERM);
    assert_eq!(sb.wait_exit(pid).code(), Some(111));
    assert_same(
        "stderr",
        err().as_bytes(),
        format!(
            "{}multilog: fatal: log directory ./d was removed: file does not exist; giving up: 6 bytes not \
             written stay in the pipe\n",
            warning.repeat(2)
        )
        .as_bytes(),
    );
    assert_eq!(drain(&sb.join("fifo")), b"three\n", "the unwritten line stays in the pipe");
    drop(w);
}

#[test]
fn multilog_killed_in_a_line_over_1_mib_keeps_both_pieces_marked() {
    let mut sb = Sandbox::new();
    let fifo = sb.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let mut w = fs::OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
    let start = |sb: &mut Sandbox| {
        let mut cmd = sb.tend("multilog");
        cmd.args(["s16777215", "./d"]).stdin(fs::File::open(&fifo).unwrap());
        sb.spawn(cmd)
    };
    let first = start(&mut sb);
    let x = 1_500_000;
    let writer = {
        let mut w2 = w.try_clone().unwrap();
        std::thread::spawn(move || w2.write_all(&[&b"big"[..], &vec![b'x'; x]].concat()).unwrap())
    };
    // `partial` is u+x once the line's start no longer fits in it.
    let partial = sb.join("d/partial");
    assert!(wait_until(PATIENCE, || fs::metadata(&partial).is_ok_and(|m| m.mode() & 0o100 != 0)));
    let second = kill_and_start_again(&mut sb, first, start);
    join_writer(&mut sb, writer, second);
    w.write_all(b"rest\nnext\n").unwrap();
    let current = sb.join("d/current");
    assert!(wait_until(PATIENCE, || fs::read(&current).unwrap_or_default().ends_with(b"\nnext\n")));
    drop(w);
    assert_eq!(sb.wait_exit(second).code(), Some(0));
    let log = logged(&sb.join("d"));
    let lines: Vec<&[u8]> = log.split(|&c| c == b'\n').filter(|l| !l.is_empty()).collect();
    let ends: Vec<(String, String, usize)> = lines
        .iter()
        .map(|l| {
            (
                String::from_utf8_lossy(&l[..l.len().min(20)]).into(),
                String::from_utf8_lossy(&l[l.len().saturating_sub(20)..]).into(),
                l.len(),
            )
        })
        .collect();
    assert_eq!(lines.len(), 3, "the start, the rest, the next line: {ends:?}");
    let mark = b"[multilog: cut]";
    let head = lines[0]
        .strip_prefix(b"big")
        .and_then(|l| l.strip_suffix(mark))
        .unwrap_or_else(|| panic!("the start, marked at its end: {ends:?}"));
    let tail =
        lines[1].strip_prefix(mark).and_then(|l| l.strip_suffix(b"rest")).expect("the rest, marked at its start");
    assert!(head.iter().chain(tail).all(|&c| c == b'x'));
    assert!(head.len() + tail.len() >= x, "no byte lost: {} + {} < {x}", head.len(), tail.len());
    assert_eq!(lines[2], b"next");
    assert!(!partial.exists(), "a clean exit removes partial");
}
