//! Which NTP daemon runs (chronyd, ntpd, ntpsec, systemd-timesyncd), found in
//! /proc, and the servers its configuration names. Parsers are pure.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::files;

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
    /// `iburst`: a burst of queries at start, so the first sync takes seconds.
    pub iburst: bool,
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

/// One line of a configuration file as words (comments removed), and the
/// file it was read from: what the audit judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub words: Vec<String>,
    pub file: PathBuf,
}

impl Directive {
    /// The first word (`server`, `makestep`, `tinker`, ...).
    pub fn name(&self) -> &str {
        self.words.first().map_or("", String::as_str)
    }

    /// The words after the name.
    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// The line as written (words joined by one space).
    pub fn line(&self) -> String {
        self.words.join(" ")
    }

    /// "`LINE` in FILE", for a finding: the file it was read from, or
    /// `fallback` (the main configuration file) when that is not known.
    pub fn place(&self, fallback: &Path) -> String {
        let f = if self.file.as_os_str().is_empty() { fallback } else { &self.file };
        format!("`{}` in {}", self.line(), f.display())
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
    /// Every directive, those of included files after the line including them.
    pub directives: Vec<Directive>,
    /// Included files that could not be read (`PATH: why`), include loops
    /// and includes nested too deep.
    pub problems: Vec<String>,
}

/// How deep includes may nest (chrony.conf, a confdir file, ...).
pub const MAX_INCLUDE_DEPTH: usize = 8;

fn source(directive: &str, words: &[&str], port_option: bool) -> Option<Source> {
    let host = words.first()?.to_string();
    let port = if port_option {
        words.windows(2).find_map(|w| if let [k, v] = w { (*k == "port").then(|| v.parse().ok())? } else { None })
    } else {
        None
    };
    Some(Source { directive: directive.to_string(), host, port, iburst: words.contains(&"iburst") })
}

/// A line without its comment, as words: chrony starts comments with any of
/// `# ; ! %`, ntp.conf with `#`.
fn words(kind: Kind, line: &str) -> Vec<&str> {
    let line = match kind {
        Kind::Chronyd => line.split(['#', ';', '!', '%']).next(),
        _ => line.split('#').next(),
    };
    line.unwrap_or("").split_whitespace().collect()
}

/// Adds one line's meaning to `c`.
fn apply(c: &mut Config, kind: Kind, words: &[&str], file: &Path) {
    let Some((&directive, rest)) = words.split_first() else { return };
    let chrony = kind == Kind::Chronyd;
    match directive {
        "server" | "pool" | "peer" => {
            let Some(s) = source(directive, rest, chrony) else { return };
            if chrony {
                c.sources.push(s);
            } else if s.host.starts_with("127.127.1.") {
                c.local_clock = true;
            } else if !s.host.starts_with("127.127.") {
                c.sources.push(s);
            }
        }
        "local" if chrony => c.local_clock = true,
        "bindcmdaddress" if chrony => {
            if let Some(p) = rest.first().filter(|p| p.starts_with('/')) {
                c.command_socket = Some(PathBuf::from(p));
            }
        }
        "include" | "confdir" | "sourcedir" if chrony => c.includes.extend(rest.iter().map(|s| s.to_string())),
        "includefile" if !chrony => c.includes.extend(rest.iter().map(|s| s.to_string())),
        _ => {}
    }
    c.directives.push(Directive { words: words.iter().map(|w| w.to_string()).collect(), file: file.to_path_buf() });
}

fn parse(kind: Kind, text: &str) -> Config {
    let mut c = Config::default();
    for line in text.lines() {
        apply(&mut c, kind, &words(kind, line), Path::new(""));
    }
    c
}

/// chrony.conf: `server|pool|peer HOST [port N] ...`, `local`, `bindcmdaddress`,
/// `include`, `confdir`, `sourcedir` (and `.sources` files, which hold server lines).
pub fn parse_chrony(text: &str) -> Config {
    parse(Kind::Chronyd, text)
}

/// ntp.conf (ntpd and ntpsec): `server|pool|peer ADDR ...`; `127.127.1.x` is the
/// LOCAL driver, other `127.127.t.u` are reference clocks; `includefile`.
pub fn parse_ntp(text: &str) -> Config {
    parse(Kind::Ntpd, text)
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
    let sources =
        chosen.into_iter().map(|host| Source { directive: "server".into(), host, port: None, iburst: false }).collect();
    Config { sources, ..Config::default() }
}

/// Reads chrony's or ntpd's `file` and, where its lines say so, the files it
/// includes, each at most once (a second inclusion is a loop, reported and
/// skipped) and at most [`MAX_INCLUDE_DEPTH`] deep. Paths in the files are
/// the audited system's, looked for under `root`.
fn walk(kind: Kind, file: &Path, root: &Path, depth: usize, seen: &mut Vec<PathBuf>, c: &mut Config) {
    let real = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    if seen.contains(&real) {
        c.problems.push(format!("{}: included again (an include loop), skipped", file.display()));
        return;
    }
    if depth > MAX_INCLUDE_DEPTH {
        c.problems.push(format!("{}: includes nested over {MAX_INCLUDE_DEPTH} deep, skipped", file.display()));
        return;
    }
    seen.push(real);
    match files::read(file) {
        Ok(text) => walk_text(kind, file, &text, root, depth, seen, c),
        Err(e) => c.problems.push(format!("{}: {e}", file.display())),
    }
}

/// The directives of `text`, read from `file`, and the files it includes.
fn walk_text(kind: Kind, file: &Path, text: &str, root: &Path, depth: usize, seen: &mut Vec<PathBuf>, c: &mut Config) {
    for line in text.lines() {
        let words = words(kind, line);
        apply(c, kind, &words, file);
        let Some((&name, rest)) = words.split_first() else { continue };
        let (dirs, suffix) = match (kind, name) {
            (Kind::Chronyd, "confdir") => (true, ".conf"),
            (Kind::Chronyd, "sourcedir") => (true, ".sources"),
            (Kind::Chronyd, "include") | (Kind::Ntpd | Kind::Ntpsec, "includefile") => (false, ""),
            _ => continue,
        };
        for arg in rest {
            let named = files::under(root, Path::new(arg));
            let found = if dirs { files::listed(&named, suffix) } else { expand(&named) };
            for f in found {
                walk(kind, &f, root, depth + 1, seen, c);
            }
        }
    }
}

/// A file, or `DIR/*SUFFIX` (chrony's `include` takes a glob).
fn expand(pattern: &Path) -> Vec<PathBuf> {
    let text = pattern.to_string_lossy();
    match text.rsplit_once("/*") {
        Some((dir, suffix)) if !suffix.contains(['/', '*']) => files::listed(Path::new(dir), suffix),
        _ => vec![pattern.to_path_buf()],
    }
}

/// Reads a daemon's configuration with the files it includes (see
/// [`read_config_under`]), on this machine.
pub fn read_config(kind: Kind, path: &Path) -> Result<Config, String> {
    read_config_under(kind, path, Path::new("/"))
}

/// Reads a daemon's configuration with the files it includes, each file
/// bounded ([`files::read`]); `root` is where the audited system's `/` is.
/// Fails only when `path` itself cannot be read; the includes' problems are
/// in [`Config::problems`].
pub fn read_config_under(kind: Kind, path: &Path, root: &Path) -> Result<Config, String> {
    if kind == Kind::Timesyncd {
        let mut config = parse_timesyncd(&files::read(path)?);
        let dropins = path.parent().map(|d| files::listed(&d.join("timesyncd.conf.d"), ".conf")).unwrap_or_default();
        for file in dropins {
            let more = files::read(&file).map(|t| parse_timesyncd(&t)).unwrap_or_default();
            // A drop-in's NTP= replaces the main file's.
            if !more.sources.is_empty() {
                config.sources = more.sources;
            }
        }
        return Ok(config);
    }
    let text = files::read(path)?;
    let mut config = Config::default();
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    walk_text(kind, path, &text, root, 0, &mut vec![real], &mut config);
    Ok(config)
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
