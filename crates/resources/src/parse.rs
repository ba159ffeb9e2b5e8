//! Parsers of the /proc and cgroup v2 files (pure functions over bytes).
//! Anything they do not understand gives None: garbage in a file never
//! panics and never reads as 0.

/// The fields of /proc/PID/stat that the figures need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub pid: u32,
    /// The command name (`comm`, at most 15 bytes, as the kernel keeps it).
    pub comm: Vec<u8>,
    /// R, S, D, Z, T, ...
    pub state: u8,
    pub ppid: u32,
    /// Clock ticks in user and system mode.
    pub utime: u64,
    pub stime: u64,
    /// ... of its children that it has waited for.
    pub cutime: u64,
    pub cstime: u64,
    /// Clock ticks after boot when it started: with the pid, one process.
    pub start: u64,
    /// Resident pages.
    pub rss_pages: u64,
}

/// `pid (comm) S ppid ...`: the command name may hold spaces and
/// parentheses, so the fields are counted after its last `)`.
pub fn stat(text: &[u8]) -> Option<Stat> {
    let open = text.iter().position(|&b| b == b'(')?;
    let close = text.iter().rposition(|&b| b == b')')?;
    let pid = number(text.get(..open)?)?;
    let comm = text.get(open + 1..close)?.to_vec();
    let mut f = text.get(close + 1..)?.split(|&b| b == b' ').filter(|f| !f.is_empty());
    let state = *f.next()?.first()?;
    let mut n = f.map(signed);
    let mut next = || n.next().flatten();
    let ppid = next()?;
    // pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
    for _ in 0..9 {
        next()?;
    }
    let (utime, stime, cutime, cstime) = (next()?, next()?, next()?, next()?);
    // priority nice num_threads itrealvalue
    for _ in 0..4 {
        next()?;
    }
    let start = next()?;
    let _vsize = next()?;
    let rss = next()?;
    let positive = |v: i64| u64::try_from(v).unwrap_or(0);
    Some(Stat {
        pid: u32::try_from(pid).ok()?,
        comm,
        state,
        ppid: u32::try_from(ppid).ok()?,
        utime: positive(utime),
        stime: positive(stime),
        cutime: positive(cutime),
        cstime: positive(cstime),
        start: positive(start),
        rss_pages: positive(rss),
    })
}

/// An unsigned decimal number, surrounding white space allowed.
pub fn number(text: &[u8]) -> Option<u64> {
    let t = text.trim_ascii();
    if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(t).ok()?.parse().ok()
}

fn signed(text: &[u8]) -> Option<i64> {
    std::str::from_utf8(text.trim_ascii()).ok()?.parse().ok()
}

/// The number after `key` on the line that starts with it, followed by
/// white space: `usage_usec 123` (cpu.stat), `oom_kill 2` (memory.events),
/// `read_bytes: 4096` (/proc/PID/io, key with its colon), `VmHWM:\t 12 kB`
/// (/proc/PID/status: the number only; see [`kilobytes`]).
pub fn keyed(text: &[u8], key: &[u8]) -> Option<u64> {
    text.split(|&b| b == b'\n').find_map(|line| {
        let rest = line.strip_prefix(key)?;
        if !rest.first().is_some_and(u8::is_ascii_whitespace) {
            return None;
        }
        number(rest.trim_ascii().split(|b| b.is_ascii_whitespace()).next()?)
    })
}

/// A `/proc/PID/status` line in kB (`VmHWM:`, `VmRSS:`), as bytes.
pub fn kilobytes(status: &[u8], key: &[u8]) -> Option<u64> {
    keyed(status, key)?.checked_mul(1024)
}

/// `read_bytes` and `write_bytes` of /proc/PID/io.
pub fn proc_io(text: &[u8]) -> Option<(u64, u64)> {
    Some((keyed(text, b"read_bytes:")?, keyed(text, b"write_bytes:")?))
}

/// The bytes read and written, summed over the devices of a cgroup's
/// `io.stat` (`8:0 rbytes=1 wbytes=2 rios=...`). An empty file (no I/O
/// yet) is (0, 0); a line without both figures is garbage.
pub fn io_stat(text: &[u8]) -> Option<(u64, u64)> {
    let mut sum = (0u64, 0u64);
    for line in text.split(|&b| b == b'\n').filter(|l| !l.trim_ascii().is_empty()) {
        let (mut r, mut w) = (None, None);
        for word in line.split(|&b| b == b' ') {
            if let Some(v) = word.strip_prefix(b"rbytes=") {
                r = number(v);
            } else if let Some(v) = word.strip_prefix(b"wbytes=") {
                w = number(v);
            }
        }
        sum = (sum.0.checked_add(r?)?, sum.1.checked_add(w?)?);
    }
    Some(sum)
}

/// The path of the unified hierarchy's line (`0::/a/b`) of
/// /proc/PID/cgroup (`/` for the root).
pub fn unified_path(text: &[u8]) -> Option<&[u8]> {
    let path = text.split(|&b| b == b'\n').find_map(|l| l.strip_prefix(b"0::"))?;
    path.starts_with(b"/").then_some(path)
}

/// The pids of `cgroup.procs`, one a line; garbage lines are skipped.
pub fn pids(text: &[u8]) -> Vec<u32> {
    text.split(|&b| b == b'\n').filter_map(|l| u32::try_from(number(l)?).ok()).collect()
}

/// /proc/PID/cmdline (arguments ended by NULs) as one line: arguments
/// joined by spaces, control bytes shown as `?`, cut to `limit` bytes.
/// Empty for a kernel thread or a zombie.
pub fn cmdline(raw: &[u8], limit: usize) -> Vec<u8> {
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    raw.iter()
        .take(limit)
        .map(|&b| match b {
            0 => b' ',
            b if b < 0x20 || b == 0x7f => b'?',
            b => b,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded on this machine: a shell loop (`sh -c 'while :; do :; done'`).
    const SHELL: &[u8] = b"4242 (sh) R 4200 4200 4200 0 -1 4194304 120 0 0 0 731 12 3 1 20 0 1 0 \
98765 2781184 232 18446744073709551615 1 1 0 0 0 0 0 0 65538 0 0 0 17 1 0 0 0 0 0\n";

    #[test]
    fn stat_fields() {
        let s = stat(SHELL).unwrap();
        assert_eq!((s.pid, s.ppid, s.state, s.comm.as_slice()), (4242, 4200, b'R', b"sh".as_slice()));
        assert_eq!((s.utime, s.stime, s.cutime, s.cstime, s.start, s.rss_pages), (731, 12, 3, 1, 98765, 232));
    }

    #[test]
    fn stat_with_a_hostile_command_name() {
        let text = b"7 (a) b) (c ) S 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 100 0 3 0\n";
        let s = stat(text).unwrap();
        assert_eq!(
            (s.comm.as_slice(), s.state, s.ppid, s.utime, s.rss_pages),
            (b"a) b) (c ".as_slice(), b'S', 1, 5, 3)
        );
    }

    #[test]
    fn stat_garbage_is_none() {
        for text in
            [&b""[..], b"garbage", b"1 (x) S", b"1 (x) S 1 2 3", b"x (y) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 9 0 1"]
        {
            assert_eq!(stat(text), None, "{:?}", String::from_utf8_lossy(text));
        }
        // Cut short before rss.
        assert_eq!(stat(&SHELL[..SHELL.len() - 120]), None);
    }

    #[test]
    fn keyed_files() {
        let cpu = b"usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 0\n";
        assert_eq!(keyed(cpu, b"usage_usec"), Some(2_500_000));
        assert_eq!(keyed(cpu, b"system_usec"), Some(500_000));
        assert_eq!(keyed(cpu, b"user"), None, "a key is a whole word");
        let events = b"low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(keyed(events, b"oom_kill"), Some(1));
        let status = b"Name:\tpython3\nVmPeak:\t  230000 kB\nVmHWM:\t  210000 kB\nVmRSS:\t  205000 kB\n";
        assert_eq!(kilobytes(status, b"VmHWM:"), Some(210_000 * 1024));
        assert_eq!(kilobytes(b"Name:\tkthreadd\n", b"VmHWM:"), None, "kernel threads have no memory lines");
        assert_eq!(keyed(b"usage_usec lots\n", b"usage_usec"), None);
    }

    #[test]
    fn io_files() {
        let io =
            b"rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 8192\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n";
        assert_eq!(proc_io(io), Some((8192, 4096)));
        assert_eq!(proc_io(b"rchar: 1\n"), None);
        let stat = b"8:0 rbytes=1000 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n253:1 rbytes=5 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n";
        assert_eq!(io_stat(stat), Some((1005, 20)));
        assert_eq!(io_stat(b""), Some((0, 0)));
        assert_eq!(io_stat(b"8:0 rbytes=x wbytes=1\n"), None);
    }

    #[test]
    fn cgroup_files() {
        let hybrid = b"12:memory:/\n11:cpu,cpuacct:/\n1:name=systemd:/init.scope\n0::/tend-etc-service-web\n";
        assert_eq!(unified_path(hybrid), Some(&b"/tend-etc-service-web"[..]));
        assert_eq!(unified_path(b"0::/\n"), Some(&b"/"[..]));
        assert_eq!(unified_path(b"1:name=systemd:/\n"), None, "cgroup v1 only");
        assert_eq!(unified_path(b"0::garbage\n"), None);
        assert_eq!(pids(b"12\n345\n\nx\n"), vec![12, 345]);
        assert_eq!(number(b"209715200\n"), Some(209_715_200));
        assert_eq!(number(b"max\n"), None);
        assert_eq!(number(b"-1\n"), None);
    }

    #[test]
    fn command_lines() {
        assert_eq!(cmdline(b"sh\0-c\0while :; do :; done\0", 100), b"sh -c while :; do :; done");
        assert_eq!(cmdline(b"a\nb\0c\0", 100), b"a?b c");
        assert_eq!(cmdline(b"abcdef\0", 3), b"abc");
        assert_eq!(cmdline(b"", 10), b"");
    }
}
