//! The thin edge: reads /proc, /sys, the kernel log, adjtimex, runs chronyc or
//! ntpq, queries servers, and hands the facts to [`crate::report::analyse`].

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tai64::{Clock, SystemClock};

use crate::audit;
use crate::clocksource;
use crate::daemon::{self, Kind, Processes, Running};
use crate::gather::gather;
use crate::hypervisor::{self, Evidence, GuestTools};
use crate::kernel::KernelTime;
use crate::peers::{self, View};
use crate::report::{self, ClocksourceReport, DaemonReport, NtpReport, Report, StealReport, Thresholds, VmReport};
use crate::sntp;
use crate::steal::{self, CpuTimes};

/// Where the probes read; tests and containers point them elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub proc: PathBuf,
    pub sys: PathBuf,
    pub kmsg: PathBuf,
    pub etc: PathBuf,
    /// Where the daemons' programs are looked for (ROOT/usr/sbin/chronyd, ...).
    pub root: PathBuf,
}

impl Paths {
    /// Every path under `root` (`--root DIR`): DIR/proc, DIR/sys, DIR/etc,
    /// and DIR/var/log/kern.log as the kernel log.
    pub fn under(root: &Path) -> Paths {
        Paths {
            proc: root.join("proc"),
            sys: root.join("sys"),
            kmsg: root.join("var/log/kern.log"),
            etc: root.join("etc"),
            root: root.to_path_buf(),
        }
    }
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            proc: "/proc".into(),
            sys: "/sys".into(),
            kmsg: "/dev/kmsg".into(),
            etc: "/etc".into(),
            root: "/".into(),
        }
    }
}

/// Which parts of the check run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    pub kernel: bool,
    pub ntp: bool,
    pub clocksource: bool,
    pub vm: bool,
    pub steal: bool,
    /// The configuration audit.
    pub audit: bool,
}

impl Sections {
    pub const ALL: Sections =
        Sections { kernel: true, ntp: true, clocksource: true, vm: true, steal: true, audit: true };
    pub const NONE: Sections =
        Sections { kernel: false, ntp: false, clocksource: false, vm: false, steal: false, audit: false };

    /// Turns on the section called `name`; false if there is no such section.
    pub fn enable(&mut self, name: &str) -> bool {
        let flag = match name {
            "kernel" => &mut self.kernel,
            "ntp" => &mut self.ntp,
            "clocksource" => &mut self.clocksource,
            "vm" => &mut self.vm,
            "steal" => &mut self.steal,
            "audit" => &mut self.audit,
            _ => return false,
        };
        *flag = true;
        true
    }
}

/// Everything `tend clock` can be told.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    pub paths: Paths,
    /// The scan directory for the audit (None: its default).
    pub scan: Option<PathBuf>,
    /// `--server` values; when empty, the servers of the running daemons' configurations.
    pub servers: Vec<String>,
    /// For each network query and each daemon query tool.
    pub timeout: Duration,
    /// The steal-time sample.
    pub sample: Duration,
    pub sections: Sections,
    pub thresholds: Thresholds,
    /// Ask the servers (SNTP) and the daemons (chronyc, ntpq); off for
    /// clockwatch with `--query-interval 0`.
    pub query: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            paths: Paths::default(),
            scan: None,
            servers: Vec::new(),
            timeout: Duration::from_secs(2),
            sample: Duration::from_secs(1),
            sections: Sections::ALL,
            thresholds: Thresholds::default(),
            query: true,
        }
    }
}

fn text_error(path: &Path, e: &std::io::Error) -> String {
    format!("{}: {}", path.display(), strerr::errstr(e))
}

/// Reads the kernel's time discipline.
pub fn kernel() -> Result<KernelTime, String> {
    unix::time::adjtimex_read()
        .map(|raw| KernelTime::from_raw(&raw))
        .map_err(|e| format!("adjtimex: {}", strerr::errstr(&e)))
}

/// Reads the aggregate CPU times.
pub fn cpu_times(proc: &Path) -> Result<CpuTimes, String> {
    let path = proc.join("stat");
    let text = std::fs::read_to_string(&path).map_err(|e| text_error(&path, &e))?;
    steal::parse(&text).ok_or_else(|| format!("{}: no cpu line", path.display()))
}

/// Clocksource and the clock lines of the whole kernel log.
pub fn clocksource(paths: &Paths) -> ClocksourceReport {
    let source = clocksource::read(&paths.sys).map_err(|e| format!("{}: {}", paths.sys.display(), strerr::errstr(&e)));
    let log = unix::fs::open_nonblocking(&paths.kmsg)
        .and_then(|mut f| clocksource::read_log(&mut f))
        .map(|text| clocksource::scan(&text))
        .map_err(|e| text_error(&paths.kmsg, &e));
    ClocksourceReport { source, log }
}

/// The hypervisor, the guest tools and the advice.
pub fn vm(paths: &Paths, processes: &Processes, current_clocksource: Option<&str>) -> VmReport {
    let cpuinfo = std::fs::read_to_string(paths.proc.join("cpuinfo")).unwrap_or_default();
    let evidence = Evidence {
        cpuid: crate::hypervisor::cpuid_hypervisor(),
        sys_type: std::fs::read_to_string(paths.sys.join("hypervisor/type")).ok(),
        proc_xen: paths.proc.join("xen").exists(),
        cpu_flag: hypervisor::cpuinfo_has_hypervisor_flag(&cpuinfo),
    };
    let tools = GuestTools {
        vmtoolsd: processes.vmtoolsd,
        hv_utils: paths.sys.join("module/hv_utils").exists(),
        ptp_kvm: paths.sys.join("module/ptp_kvm").exists(),
    };
    let detected = hypervisor::detect(&evidence);
    let advice =
        detected.as_ref().map(|d| hypervisor::advice(&d.hypervisor, current_clocksource, &tools)).unwrap_or_default();
    VmReport { detected, tools, advice }
}

/// Runs a query tool with its output captured, killing it after `timeout`.
/// A thread reads the output; this one waits for it without polling.
pub fn run_bounded(program: &str, args: &[&str], timeout: Duration) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("unable to run {program}: {}", strerr::errstr(&e)))?;
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let read = move || {
        let (mut out, mut err) = (String::new(), String::new());
        if let Some(mut s) = stdout {
            let _ = s.read_to_string(&mut out);
        }
        if let Some(mut s) = stderr {
            let _ = s.read_to_string(&mut err);
        }
        (out, err)
    };
    let Some(Some((out, err))) = gather(vec![read], timeout, &SystemClock).pop() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("{program} gave no answer within {:.1} s", timeout.as_secs_f64()));
    };
    let status = child.wait().map_err(|e| format!("unable to wait for {program}: {}", strerr::errstr(&e)))?;
    if !status.success() {
        let why = err.lines().next().unwrap_or("").trim().to_string();
        return Err(format!("{program} failed: {}", if why.is_empty() { status.to_string() } else { why }));
    }
    Ok(out)
}

/// Asks the daemon for its view: `chronyc -n -c -m tracking sources` or `ntpq -pn`.
pub fn daemon_view(kind: Kind, config: Option<&daemon::Config>, timeout: Duration) -> Option<Result<View, String>> {
    match kind {
        Kind::Chronyd => {
            let socket = config.and_then(|c| c.command_socket.as_ref()).map(|p| p.display().to_string());
            let mut args = vec!["-n", "-c", "-m"];
            if let Some(s) = &socket {
                args.extend(["-h", s.as_str()]);
            }
            args.extend(["tracking", "sources"]);
            Some(run_bounded("chronyc", &args, timeout).map(|out| View {
                tracking: peers::parse_chronyc_tracking(&out),
                peers: peers::parse_chronyc_sources(&out),
            }))
        }
        Kind::Ntpd | Kind::Ntpsec => Some(
            run_bounded("ntpq", &["-pn"], timeout).map(|out| View { tracking: None, peers: peers::parse_ntpq(&out) }),
        ),
        Kind::Timesyncd => None,
    }
}

fn daemon_report(r: Running, etc: &Path, timeout: Duration, query: bool) -> DaemonReport {
    let config_path = r.config_path(etc);
    let config = daemon::read_config(r.kind, &config_path);
    let view = if query { daemon_view(r.kind, config.as_ref().ok(), timeout) } else { None };
    DaemonReport { running: r, config_path, config, view }
}

fn ntp(o: &CheckOptions, processes: &Processes) -> NtpReport {
    let given = !o.servers.is_empty();
    std::thread::scope(|s| {
        let handles: Vec<_> = processes
            .daemons
            .iter()
            .cloned()
            .map(|r| s.spawn(move || daemon_report(r, &o.paths.etc, o.timeout, o.query)))
            .collect();
        // Configured servers need the configurations; read them here too (cheap) so
        // the network queries start at once, in parallel with the daemon queries.
        let specs =
            if given { o.servers.clone() } else { daemon::configured_servers(&processes.daemons, &o.paths.etc) };
        let servers = if o.query { sntp::query_all(&specs, o.timeout, SystemClock) } else { Vec::new() };
        let daemons = handles.into_iter().filter_map(|h| h.join().ok()).collect();
        let installed = daemon::installed(&o.paths.root, &o.paths.etc);
        NtpReport { daemons, installed, servers_given: given, servers }
    })
}

/// Where the audit of `o` looks.
pub fn audit_target(o: &CheckOptions) -> audit::Target {
    audit::Target { paths: o.paths.clone(), scan: o.scan.clone(), timeout: o.timeout }
}

/// Runs every enabled probe and analyses the result.
pub fn check(o: &CheckOptions) -> Report {
    let clock = SystemClock;
    let start = clock.monotonic();
    let cpu_before = o.sections.steal.then(|| cpu_times(&o.paths.proc));
    let processes =
        if o.sections.ntp || o.sections.vm { daemon::scan(&o.paths.proc, &o.paths.etc) } else { Processes::default() };
    let mut r = Report { kernel: o.sections.kernel.then(kernel), ..Report::default() };
    r.clocksource = o.sections.clocksource.then(|| clocksource(&o.paths));
    if o.sections.vm {
        let current = match &r.clocksource {
            Some(ClocksourceReport { source: Ok(c), .. }) => Some(c.current.clone()),
            _ => clocksource::read(&o.paths.sys).ok().map(|c| c.current),
        };
        r.vm = Some(vm(&o.paths, &processes, current.as_deref()));
    }
    r.ntp = o.sections.ntp.then(|| ntp(o, &processes));
    r.audit = o.sections.audit.then(|| audit::run(&audit_target(o)));
    r.steal = cpu_before.map(|before| {
        let before = before?;
        if let Some(rest) = o.sample.checked_sub(clock.monotonic().saturating_sub(start)) {
            std::thread::sleep(rest);
        }
        let after = cpu_times(&o.paths.proc)?;
        Ok(StealReport {
            percent: steal::percent(before, after),
            over: clock.monotonic().saturating_sub(start),
            since_boot: steal::percent(CpuTimes::default(), after),
        })
    });
    report::analyse(&mut r, &o.thresholds);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_bounded_output_failure_and_timeout() {
        assert_eq!(run_bounded("sh", &["-c", "echo hi"], Duration::from_secs(60)), Ok("hi\n".into()));
        assert_eq!(
            run_bounded("sh", &["-c", "echo oops >&2; exit 3"], Duration::from_secs(60)),
            Err("sh failed: oops".into())
        );
        let e = run_bounded("sleep", &["30"], Duration::from_millis(100)).unwrap_err();
        assert_eq!(e, "sleep gave no answer within 0.1 s");
        assert!(run_bounded("/nonexistent/chronyc", &[], Duration::from_secs(1))
            .unwrap_err()
            .starts_with("unable to run"));
    }
}
