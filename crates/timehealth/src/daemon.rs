//! Which NTP daemon runs (chronyd, ntpd, ntpsec, systemd-timesyncd), found in
//! /proc, and the servers its configuration names. Parsers are pure.

use std::fmt;
use std::path::{Path, PathBuf};

/// An NTP daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chronyd,
    Ntpd,
    Ntpsec,
    Timesyncd,
}

impl Kind {
    /// Every daemon tend recognises.
    pub const ALL: [Kind; 4] = [Kind::Chronyd, Kind::Ntpd, Kind::Ntpsec, Kind::Timesyncd];
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Chronyd => "chronyd",
            Kind::Ntpd => "ntpd",
            Kind::Ntpsec => "ntpsec",
            Kind::Timesyncd => "systemd-timesyncd",
        })
    }
}

/// A server, pool or peer line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `server`, `pool` or `peer`.
    pub directive: String,
    pub host: String,
    pub port: Option<u16>,
}

impl Source {
    /// `HOST[:PORT]` as the SNTP client takes it.
    pub fn spec(&self) -> String {
        match (self.port, self.host.contains(':')) {
            (Some(p), true) => format!("[{}]:{p}", self.host),
            (Some(p), false) => format!("{}:{p}", self.host),
            (None, _) => self.host.clone(),
        }
    }
}

/// What a daemon's configuration says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Network sources (ntpd's 127.127.t.u reference clocks are not here).
    pub sources: Vec<Source>,
    /// An undisciplined local clock is configured (ntpd `server 127.127.1.x`,
    /// chrony `local`): the daemon may claim to be synchronised to itself.
    pub local_clock: bool,
    /// chrony's `bindcmdaddress /path` (the command socket chronyc must use).
    pub command_socket: Option<PathBuf>,
    /// Further files or directories named by include/confdir/sourcedir.
    pub includes: Vec<String>,
}

fn source(directive: &str, words: &[&str], port_option: bool) -> Option<Source> {
    let host = words.first()?.to_string();
    let port =
        if port_option { words.windows(2).find(|w| w[0] == "port").and_then(|w| w[1].parse().ok()) } else { None };
    Some(Source { directive: directive.to_string(), host, port })
}

/// chrony.conf: `server|pool|peer HOST [port N] ...`, `local`, `bindcmdaddress`,
/// `include`, `confdir`, `sourcedir` (and `.sources` files, which hold server lines).
pub fn parse_chrony(text: &str) -> Config {
    let mut c = Config::default();
    for line in text.lines() {
        let line = line.split(['#', ';', '!', '%']).next().unwrap_or("");
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&directive, rest)) = words.split_first() else { continue };
        match directive {
            "server" | "pool" | "peer" => c.sources.extend(source(directive, rest, true)),
            "local" => c.local_clock = true,
            "bindcmdaddress" => {
                if let Some(p) = rest.first().filter(|p| p.starts_with('/')) {
                    c.command_socket = Some(PathBuf::from(p));
                }
            }
            "include" | "confdir" | "sourcedir" => c.includes.extend(rest.iter().map(|s| s.to_string())),
            _ => {}
        }
    }
    c
}

/// ntp.conf (ntpd and ntpsec): `server|pool|peer ADDR ...`; `127.127.1.x` is the
/// LOCAL driver, other `127.127.t.u` are reference clocks; `includefile`.
pub fn parse_ntp(text: &str) -> Config {
    let mut c = Config::default();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&directive, rest)) = words.split_first() else { continue };
        match directive {
            "server" | "pool" | "peer" => {
                let Some(s) = source(directive, rest, false) else { continue };
                if s.host.starts_with("127.127.1.") {
                    c.local_clock = true;
                } else if !s.host.starts_with("127.127.") {
                    c.sources.push(s);
                }
            }
            "includefile" => c.includes.extend(rest.iter().map(|s| s.to_string())),
            _ => {}
        }
    }
    c
}

/// timesyncd.conf: `NTP=` in `[Time]`, else `FallbackNTP=`.
pub fn parse_timesyncd(text: &str) -> Config {
    let (mut ntp, mut fallback) = (Vec::new(), Vec::new());
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("NTP=") {
            ntp = v.split_whitespace().map(String::from).collect();
        } else if let Some(v) = line.strip_prefix("FallbackNTP=") {
            fallback = v.split_whitespace().map(String::from).collect();
        }
    }
    let chosen = if ntp.is_empty() { fallback } else { ntp };
    let sources = chosen.into_iter().map(|host| Source { directive: "server".into(), host, port: None }).collect();
    Config { sources, ..Config::default() }
}

/// A running daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub kind: Kind,
    pub pid: u32,
    /// Its command line (NUL-separated arguments joined by spaces).
    pub cmdline: Vec<String>,
}

impl Running {
    /// The configuration file: `-f FILE` (chronyd), `-c FILE` (ntpd), else the default under `etc`.
    pub fn config_path(&self, etc: &Path) -> PathBuf {
        let flag = match self.kind {
            Kind::Chronyd => Some("-f"),
            Kind::Ntpd | Kind::Ntpsec => Some("-c"),
            Kind::Timesyncd => None,
        };
        if let Some(flag) = flag {
            if let Some(w) = self.cmdline.windows(2).find(|w| w[0] == flag) {
                return PathBuf::from(&w[1]);
            }
            if let Some(glued) = self.cmdline.iter().find_map(|a| a.strip_prefix(flag).filter(|s| !s.is_empty())) {
                return PathBuf::from(glued);
            }
        }
        match self.kind {
            Kind::Chronyd => default_existing(etc, &["chrony/chrony.conf", "chrony.conf"]),
            Kind::Ntpsec => default_existing(etc, &["ntpsec/ntp.conf", "ntp.conf"]),
            Kind::Ntpd => default_existing(etc, &["ntp.conf", "ntpsec/ntp.conf"]),
            Kind::Timesyncd => etc.join("systemd/timesyncd.conf"),
        }
    }
}

fn default_existing(etc: &Path, candidates: &[&str]) -> PathBuf {
    candidates.iter().map(|c| etc.join(c)).find(|p| p.exists()).unwrap_or_else(|| etc.join(candidates[0]))
}

/// Classifies a process by its `comm` (and, for ntpd, whether ntpsec's config exists).
pub fn classify(comm: &str, etc: &Path) -> Option<Kind> {
    match comm.trim() {
        "chronyd" => Some(Kind::Chronyd),
        "ntpd" if etc.join("ntpsec").is_dir() => Some(Kind::Ntpsec),
        "ntpd" => Some(Kind::Ntpd),
        "systemd-timesyn" | "systemd-timesyncd" => Some(Kind::Timesyncd),
        _ => None,
    }
}

/// Where Debian installs the daemons' programs (ntpsec's is also `ntpd`).
const PROGRAMS: [&str; 4] =
    ["usr/sbin/chronyd", "usr/sbin/ntpd", "usr/lib/systemd/systemd-timesyncd", "lib/systemd/systemd-timesyncd"];

/// The daemons whose program is installed under `root` (normally /), running or not.
pub fn installed(root: &Path, etc: &Path) -> Vec<Kind> {
    let mut kinds = Vec::new();
    for program in PROGRAMS.map(|p| root.join(p)).iter().filter(|p| p.is_file()) {
        let name = program.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some(kind) = classify(name, etc).filter(|k| !kinds.contains(k)) {
            kinds.push(kind);
        }
    }
    kinds
}

/// What /proc shows: NTP daemons, and whether VMware Tools' daemon runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processes {
    pub daemons: Vec<Running>,
    pub vmtoolsd: bool,
}

/// Scans `proc` (normally /proc) for NTP daemons and vmtoolsd.
pub fn scan(proc: &Path, etc: &Path) -> Processes {
    let mut found = Processes::default();
    let Ok(entries) = std::fs::read_dir(proc) else { return found };
    let mut pids: Vec<u32> = entries.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect();
    pids.sort_unstable();
    for pid in pids {
        let dir = proc.join(pid.to_string());
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else { continue };
        if comm.trim() == "vmtoolsd" {
            found.vmtoolsd = true;
        }
        let Some(kind) = classify(&comm, etc) else { continue };
        let cmdline = std::fs::read(dir.join("cmdline"))
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        found.daemons.push(Running { kind, pid, cmdline });
    }
    found
}

/// Reads a daemon's configuration with the files it includes (one level:
/// plain files, directories, and `DIR/*.EXT` globs).
pub fn read_config(kind: Kind, path: &Path) -> std::io::Result<Config> {
    let parse = match kind {
        Kind::Chronyd => parse_chrony,
        Kind::Ntpd | Kind::Ntpsec => parse_ntp,
        Kind::Timesyncd => parse_timesyncd,
    };
    let mut config = parse(&std::fs::read_to_string(path)?);
    let mut extra: Vec<PathBuf> = Vec::new();
    for inc in std::mem::take(&mut config.includes) {
        extra.extend(expand(&inc));
    }
    if kind == Kind::Timesyncd {
        if let Some(dir) = path.parent() {
            extra.extend(expand(&format!("{}/timesyncd.conf.d/*.conf", dir.display())));
        }
    }
    for file in extra {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let more = parse(&text);
            config.local_clock |= more.local_clock;
            if kind != Kind::Timesyncd {
                config.sources.extend(more.sources);
            } else if !more.sources.is_empty() {
                // A drop-in's NTP= replaces the main file's.
                config.sources = more.sources;
            }
        }
    }
    Ok(config)
}

/// The servers the running daemons' configurations name, as `HOST[:PORT]`,
/// each once (a pool in chrony.conf and again in a sources.d file is one
/// server), in configuration order. The one list both `tend clock` and
/// clockwatch query.
pub fn configured_servers(daemons: &[Running], etc: &Path) -> Vec<String> {
    let mut specs: Vec<String> = Vec::new();
    for r in daemons {
        let Ok(c) = read_config(r.kind, &r.config_path(etc)) else { continue };
        for spec in c.sources.iter().map(Source::spec) {
            if !specs.contains(&spec) {
                specs.push(spec);
            }
        }
    }
    specs
}

/// A file, a directory (its `.conf` and `.sources` files), or `DIR/*SUFFIX`.
fn expand(pattern: &str) -> Vec<PathBuf> {
    let (dir, suffixes): (PathBuf, Vec<String>) = match pattern.rsplit_once("/*") {
        Some((dir, suffix)) => (PathBuf::from(dir), vec![suffix.to_string()]),
        None if Path::new(pattern).is_dir() => (PathBuf::from(pattern), vec![".conf".into(), ".sources".into()]),
        None => return vec![PathBuf::from(pattern)],
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_str().is_some_and(|s| suffixes.iter().any(|x| s.ends_with(x.as_str()))))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrony_conf_as_debian_ships_it_plus_a_test_server() {
        let text = "\
# Welcome to the chrony configuration file.
confdir /etc/chrony/conf.d
pool 2.debian.pool.ntp.org iburst
server 127.0.0.1 port 11123 iburst minpoll -2 ! a comment
peer 2001:db8::1 port 11124
sourcedir /run/chrony-dhcp
local stratum 8
bindcmdaddress /tmp/x/chronyd.sock
bindcmdaddress 127.0.0.1
makestep 1 3
";
        let c = parse_chrony(text);
        assert_eq!(c.sources.len(), 3);
        assert_eq!(c.sources[0].spec(), "2.debian.pool.ntp.org");
        assert_eq!(c.sources[0].directive, "pool");
        assert_eq!(c.sources[1].spec(), "127.0.0.1:11123");
        assert_eq!(c.sources[2].spec(), "[2001:db8::1]:11124");
        assert!(c.local_clock);
        assert_eq!(c.command_socket, Some(PathBuf::from("/tmp/x/chronyd.sock")));
        assert_eq!(c.includes, vec!["/etc/chrony/conf.d", "/run/chrony-dhcp"]);
    }

    #[test]
    fn ntp_conf_with_the_local_clock_of_seed_001() {
        let text = "\
driftfile /var/lib/ntp/drift
server clock.trit.net
server ntp1.Housing.Be iburst
server 153.16.4.137
server 127.127.1.0 # local clock
fudge  127.127.1.0 stratum 10
server 127.127.20.0 mode 1   # a GPS refclock
restrict 127.0.0.1
";
        let c = parse_ntp(text);
        let hosts: Vec<_> = c.sources.iter().map(|s| s.host.as_str()).collect();
        assert_eq!(hosts, ["clock.trit.net", "ntp1.Housing.Be", "153.16.4.137"]);
        assert!(c.local_clock);
    }

    #[test]
    fn timesyncd_conf() {
        let c = parse_timesyncd("[Time]\n#NTP=\nFallbackNTP=0.debian.pool.ntp.org 1.debian.pool.ntp.org\n");
        assert_eq!(c.sources.len(), 2);
        let c = parse_timesyncd("[Time]\nNTP=ntp.example.org\nFallbackNTP=0.debian.pool.ntp.org\n");
        assert_eq!(c.sources.iter().map(|s| s.host.as_str()).collect::<Vec<_>>(), ["ntp.example.org"]);
    }

    #[test]
    fn config_path_from_command_line() {
        let r = Running {
            kind: Kind::Chronyd,
            pid: 1,
            cmdline: vec!["chronyd".into(), "-x".into(), "-f".into(), "/t/c.conf".into()],
        };
        assert_eq!(r.config_path(Path::new("/etc")), PathBuf::from("/t/c.conf"));
        let r = Running { kind: Kind::Ntpd, pid: 1, cmdline: vec!["ntpd".into(), "-c/t/ntp.conf".into()] };
        assert_eq!(r.config_path(Path::new("/etc")), PathBuf::from("/t/ntp.conf"));
    }

    #[test]
    fn installed_programs_under_a_fake_root() {
        let root = std::env::temp_dir().join(format!("clock-daemon-installed-{}", std::process::id()));
        let etc = root.join("etc");
        assert_eq!(installed(&root, &etc), []);
        std::fs::create_dir_all(root.join("usr/sbin")).unwrap();
        std::fs::create_dir_all(root.join("lib/systemd")).unwrap();
        std::fs::write(root.join("usr/sbin/chronyd"), "").unwrap();
        assert_eq!(installed(&root, &etc), [Kind::Chronyd]);
        std::fs::write(root.join("usr/sbin/ntpd"), "").unwrap();
        std::fs::write(root.join("lib/systemd/systemd-timesyncd"), "").unwrap();
        assert_eq!(installed(&root, &etc), [Kind::Chronyd, Kind::Ntpd, Kind::Timesyncd]);
        std::fs::create_dir_all(etc.join("ntpsec")).unwrap();
        assert_eq!(installed(&root, &etc), [Kind::Chronyd, Kind::Ntpsec, Kind::Timesyncd]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn scan_a_fake_proc() {
        let d = std::env::temp_dir().join(format!("clock-daemon-scan-{}", std::process::id()));
        let mk = |pid: &str, comm: &str, cmd: &[u8]| {
            std::fs::create_dir_all(d.join(pid)).unwrap();
            std::fs::write(d.join(pid).join("comm"), comm).unwrap();
            std::fs::write(d.join(pid).join("cmdline"), cmd).unwrap();
        };
        mk("12", "chronyd\n", b"/usr/sbin/chronyd\0-f\0/x.conf\0");
        mk("40", "vmtoolsd\n", b"vmtoolsd\0");
        mk("7", "bash\n", b"bash\0");
        std::fs::write(d.join("stat"), "cpu  1 2 3 4\n").unwrap();
        let p = scan(&d, Path::new("/nonexistent"));
        assert!(p.vmtoolsd);
        assert_eq!(p.daemons.len(), 1);
        assert_eq!(p.daemons[0].pid, 12);
        assert_eq!(p.daemons[0].config_path(Path::new("/etc")), PathBuf::from("/x.conf"));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
