//! tai64n and tai64nlocal, against Debian's daemontools.

use crate::util::{assert_same, debian_program, run_with_input, Sandbox};

/// Zone files, POSIX TZ strings (with and without rules), a `:` path, an
/// unknown zone and an empty TZ; `None` is TZ unset (the system's zone).
const ZONES: &[Option<&str>] = &[
    Some("UTC"),
    Some("US/Pacific"),
    Some("Europe/Madrid"),
    Some("Asia/Tokyo"),
    Some("Australia/Lord_Howe"),
    Some("Asia/Kolkata"),
    Some("EST5EDT"),
    Some("JST-9"),
    Some(":America/New_York"),
    Some("<+0530>-5:30"),
    Some("CET-1CEST,M3.5.0,M10.5.0/3"),
    Some("Pacific/Chatham"),
    Some("No/Such_Zone"),
    Some(""),
    None,
];

/// Well-formed labels over a wide range of times, with varied line endings.
fn labelled_lines() -> Vec<u8> {
    let mut s = Vec::new();
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for i in 0..400u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // From 1970 to 2100, nanoseconds anywhere in 0..1e9.
        let secs = (x % 4_102_444_800) + (1 << 62) + 10;
        let nanos = (x >> 32) % 1_000_000_000;
        s.extend_from_slice(format!("@{secs:016x}{nanos:08x}").as_bytes());
        match i % 4 {
            0 => s.extend_from_slice(b" line\n"),
            1 => s.extend_from_slice(b"\n"),
            2 => s.extend_from_slice(b"\tx @4000000037c219bf2ef02e94 y\n"),
            _ => s.extend_from_slice(b" \xff\xfe binary\n"),
        }
    }
    // DST transitions and the epoch, and labels with extra digits that
    // daemontools' wrapping arithmetic still accepts.
    for secs in [0u64, 1, 1_711_846_800, 1_730_595_600, 2_147_483_647, 4_102_444_799] {
        s.extend_from_slice(format!("@{:016x}00000000 edge\n", secs + (1 << 62) + 10).as_bytes());
    }
    s.extend_from_slice(b"@00004000000037c219bf2ef02e94 long\n");
    // Nanoseconds past 999999999 (ten digits) and a carriage return.
    s.extend_from_slice(b"@4000000037c219bfffffffff ten-digit nanoseconds\n");
    s.extend_from_slice(b"@4000000037c219bf0000000a\r\n");
    s.extend_from_slice(b"no label here\n\n@4000000037c219bf2ef02e94");
    s
}

#[test]
fn tai64nlocal_matches_daemontools_in_every_zone() {
    let sb = Sandbox::new();
    let input = labelled_lines();
    for &zone in ZONES {
        let (mut ours, mut theirs) = (sb.tend("tai64nlocal"), sb.debian("tai64nlocal"));
        for cmd in [&mut ours, &mut theirs] {
            match zone {
                Some(tz) => cmd.env("TZ", tz),
                None => cmd.env_remove("TZ"),
            };
        }
        let tz = zone.unwrap_or("(unset)");
        let ours = run_with_input(&mut ours, &input);
        let theirs = run_with_input(&mut theirs, &input);
        assert_eq!(ours.status.code(), theirs.status.code(), "exit code, TZ={tz}");
        // daemontools drops a label that ends the input (it exits while still
        // reading the digits); we keep it, so compare all but that tail.
        let tail = b"@4000000037c219bf2ef02e94";
        assert!(ours.stdout.ends_with(tail));
        assert_same(&format!("TZ={tz}"), &ours.stdout[..ours.stdout.len() - tail.len()], &theirs.stdout);
        assert!(ours.stderr.is_empty());
    }
}

#[test]
fn tai64nlocal_passes_malformed_labels_through_where_daemontools_crashes() {
    let sb = Sandbox::new();
    for line in ["@zz x\n", "@ x\n", "@400000003\n", "@4000000037C219BF2EF02E94 x\n", "@\n", "@@@\n"] {
        let ours = run_with_input(sb.tend("tai64nlocal").env("TZ", "UTC"), line.as_bytes());
        assert!(ours.status.success(), "{line:?}");
        assert_same(line, &ours.stdout, line.as_bytes());
        let theirs = run_with_input(sb.debian("tai64nlocal").env("TZ", "UTC"), line.as_bytes());
        assert!(!theirs.status.success(), "daemontools was expected to crash on {line:?}");
    }
}

#[test]
fn tai64nlocal_streams_a_huge_line() {
    let sb = Sandbox::new();
    let mut input = b"@4000000037c219bf2ef02e94 ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 5_000_000));
    input.push(b'\n');
    let ours = run_with_input(sb.tend("tai64nlocal").env("TZ", "UTC"), &input);
    assert!(ours.status.success());
    assert!(ours.stdout.starts_with(b"1999-08-24 04:04:05.787492500 xxx"));
    assert_eq!(ours.stdout.len(), input.len() - 25 + 29);
}

#[test]
fn tai64n_labels_each_line_like_daemontools() {
    let sb = Sandbox::new();
    let input = b"one\n\ntwo \xff\nlast without newline";
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let ours = run_with_input(&mut sb.tend("tai64n"), input);
    let after = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let theirs = run_with_input(&mut sb.debian("tai64n"), input);
    assert_eq!(ours.status.code(), Some(0));
    assert_eq!(ours.status.code(), theirs.status.code());
    // Labels differ in time; the shape must not.
    let strip = |out: &[u8]| -> Vec<Vec<u8>> {
        out.split(|&c| c == b'\n')
            .map(|l| if l.len() >= 26 && l[0] == b'@' { l[26..].to_vec() } else { l.to_vec() })
            .collect()
    };
    assert_eq!(strip(&ours.stdout), strip(&theirs.stdout));
    for line in ours.stdout.split(|&c| c == b'\n') {
        let hex = std::str::from_utf8(&line[1..25]).unwrap();
        assert!(hex.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)), "{hex}");
        let secs = u64::from_str_radix(&hex[..16], 16).unwrap() - (1 << 62) - 10;
        assert!(before <= secs && secs <= after, "label {hex} is not now");
        let nanos = u64::from_str_radix(&hex[16..], 16).unwrap();
        assert_eq!(nanos % 1000, 500, "nanoseconds as daemontools writes them");
        assert_eq!(line[25], b' ');
    }
    assert!(ours.stdout.ends_with(b" last without newline"));
}

/// Runs `program` (ours, or Debian's with `debian`) under `sh -c SCRIPT` with
/// stdin `input`; the script names the program `$0` and writes its exit code
/// to `rc` in the sandbox.
fn exit_code_under_shell(sb: &Sandbox, script: &str, program: &str, debian: bool, input: &[u8]) -> String {
    let path = if debian { debian_program(program).to_str().unwrap().to_string() } else { program.to_string() };
    let _ = std::fs::remove_file(sb.join("rc"));
    let out = run_with_input(sb.command("sh").args(["-c", &format!("{script}; echo $? > rc"), &path]), input);
    assert!(out.status.success(), "{script}: {out:?}");
    std::fs::read_to_string(sb.join("rc")).unwrap()
}

#[test]
fn tai64_closed_descriptors_and_pipe_errors_exit_like_daemontools() {
    let sb = Sandbox::new();
    // A closed stdin or stdout is an error (111) once there is something to
    // read or write; a full disk too; a reader that goes away kills with
    // SIGPIPE, unless SIGPIPE was ignored by the parent: then EPIPE, 111.
    let cases = [
        ("\"$0\" <&- > /dev/null", &b"x\n"[..]),
        ("\"$0\" >&-", b"@4000000037c219bf2ef02e94 x\n"),
        ("\"$0\" >&-", b""),
        ("\"$0\" > /dev/full", b"x\n"),
        ("seq 1 200000 | \"$0\" | head -n 1 > /dev/null", b""),
        ("trap '' PIPE; seq 1 200000 | \"$0\" | head -n 1 > /dev/null", b""),
    ];
    for program in ["tai64n", "tai64nlocal"] {
        for (script, input) in cases {
            // The pipelines report the last command's code: run the
            // program in a group that records its own.
            let script = script.replace("\"$0\" |", "{ \"$0\"; echo $? > prc; } |");
            let ours = exit_code_under_shell(&sb, &script, program, false, input);
            let ours_p = std::fs::read_to_string(sb.join("prc")).unwrap_or_default();
            let _ = std::fs::remove_file(sb.join("prc"));
            let theirs = exit_code_under_shell(&sb, &script, program, true, input);
            let theirs_p = std::fs::read_to_string(sb.join("prc")).unwrap_or_default();
            let _ = std::fs::remove_file(sb.join("prc"));
            assert_eq!((&ours, &ours_p), (&theirs, &theirs_p), "{program}: {script}");
        }
    }
}
