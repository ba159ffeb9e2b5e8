//! The clock audit (`tend clock --audit`, issue 15): the configuration that
//! will step or freeze the clock before it happens, read without changing
//! anything. One module per source: [`ntp`] (ntpd, ntpsec), [`chrony`],
//! [`jobs`] (two daemons, cron and systemd timers), [`guest`] (the
//! hypervisor's own time sync), [`cmdline`] (kernel options), [`leap`]; the
//! services that cannot bear a backward step come from [`services`], the
//! time to slew an offset from [`slew`]. Each finding is a [`Check`] (stable
//! id, level, consequence, fix) and what was found where.
//!
//! Every path is read under a root (`--root DIR`: DIR/etc, DIR/proc/cmdline,
//! DIR/var/spool/cron, DIR/etc/systemd/system, DIR/sys, ...); a command
//! (`vmware-toolbox-cmd`) and the kernel's own state (adjtimex, /dev/kmsg,
//! CPUID) are used only when the root is `/`. What needs live state and
//! could not have it is listed as not checked, with why.

mod check;
pub mod chrony;
pub mod cmdline;
pub mod guest;
pub mod jobs;
pub mod leap;
pub mod ntp;
pub mod services;
pub mod slew;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use check::Check;

use crate::daemon::{self, Config, Kind, Running};
use crate::hypervisor::{self, Evidence};
use crate::probe::{self, Paths};
use crate::report::Level;
use crate::{clocksource, files};

/// One risky setting found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFinding {
    pub check: Check,
    pub level: Level,
    /// What was found, and where (paths as in the audited system).
    pub what: String,
    pub consequence: String,
    pub fix: String,
}

impl AuditFinding {
    /// A finding with its check's level, consequence and fix.
    pub fn new(check: Check, what: String) -> AuditFinding {
        AuditFinding {
            check,
            level: check.level(),
            what,
            consequence: check.consequence().to_string(),
            fix: check.fix().to_string(),
        }
    }
}

/// A check that needs live state the audit could not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotChecked {
    pub check: Check,
    pub why: String,
}

/// What the audit read and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    pub root: PathBuf,
    /// The root is `/`: processes, the kernel's state and commands were used.
    pub live: bool,
    /// The NTP daemons' configuration files read.
    pub configs: Vec<(Kind, PathBuf)>,
    /// The scan directory and its services without `clock-step-restart`.
    pub scan: PathBuf,
    pub services: Result<Vec<String>, String>,
    pub findings: Vec<AuditFinding>,
    pub not_checked: Vec<NotChecked>,
}

impl Audit {
    /// The worst level among the findings.
    pub fn verdict(&self) -> Level {
        self.findings.iter().map(|f| f.level).max().unwrap_or(Level::Ok)
    }
}

/// Where the audit looks.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub paths: Paths,
    /// The scan directory; None: `$SVDIR` or /etc/service when the root is
    /// `/`, else ROOT/etc/service.
    pub scan: Option<PathBuf>,
    /// For `vmware-toolbox-cmd`.
    pub timeout: Duration,
}

fn scan_dir(t: &Target, live: bool) -> PathBuf {
    if let Some(s) = &t.scan {
        return s.clone();
    }
    let svdir = std::env::var_os("SVDIR").filter(|d| !d.is_empty() && live);
    svdir.map(PathBuf::from).unwrap_or_else(|| t.paths.root.join("etc/service"))
}

/// ntpd's options: its command line when it runs, else the packages' defaults files.
fn ntpd_options(root: &Path, running: Option<&Running>) -> Vec<String> {
    if let Some(r) = running {
        return r.cmdline.iter().skip(1).cloned().collect();
    }
    for (file, var) in
        [("etc/default/ntpsec", "NTPD_OPTS="), ("etc/default/ntp", "NTPD_OPTS="), ("etc/sysconfig/ntpd", "OPTIONS=")]
    {
        let Ok(text) = files::read(&root.join(file)) else { continue };
        if let Some(v) = text.lines().rev().find_map(|l| l.trim().strip_prefix(var)) {
            return v.trim_matches(['"', '\'']).split_whitespace().map(String::from).collect();
        }
    }
    Vec::new()
}

/// The hypervisor's name when this (or the audited system) is a guest.
fn hypervisor_name(p: &Paths, live: bool) -> Option<String> {
    let cpuinfo = files::read(&p.proc.join("cpuinfo")).unwrap_or_default();
    let evidence = Evidence {
        cpuid: if live { hypervisor::cpuid_hypervisor() } else { None },
        sys_type: files::read(&p.sys.join("hypervisor/type")).ok(),
        proc_xen: p.proc.join("xen").exists(),
        cpu_flag: hypervisor::cpuinfo_has_hypervisor_flag(&cpuinfo),
    };
    hypervisor::detect(&evidence).map(|d| d.hypervisor.to_string())
}

/// Whether the kernel log marks the TSC unstable; None if it cannot be read.
fn tsc_unstable(p: &Paths, live: bool) -> Option<bool> {
    let text = if live {
        unix::fs::open_nonblocking(&p.kmsg).and_then(|mut f| clocksource::read_log(&mut f)).ok()?
    } else {
        files::read(&p.kmsg).ok()?
    };
    Some(clocksource::scan(&text).iter().any(|e| matches!(e, clocksource::LogEvent::TscUnstable(_))))
}

fn push_unique(kinds: &mut Vec<Kind>, more: impl IntoIterator<Item = Kind>) {
    for k in more {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
}

/// Runs the audit.
pub fn run(t: &Target) -> Audit {
    let p = &t.paths;
    let root = p.root.as_path();
    let live = root == Path::new("/");
    let mut findings = Vec::new();
    let mut not_checked = Vec::new();
    let mut skip = |check: Check, why: String| not_checked.push(NotChecked { check, why });
    let scan = scan_dir(t, live);
    let services = services::without_step_restart(&scan);
    let hurt: &[String] = services.as_deref().unwrap_or(&[]);

    let have_proc = p.proc.join("self").exists() || std::fs::read_dir(&p.proc).is_ok_and(|mut d| d.next().is_some());
    let running = if have_proc { daemon::scan(&p.proc, &p.etc).daemons } else { Vec::new() };
    let enabled = jobs::enabled(root);
    let mut in_use: Vec<Kind> = Vec::new();
    push_unique(&mut in_use, running.iter().map(|r| r.kind));
    push_unique(&mut in_use, enabled.iter().copied());
    let mut audited = in_use.clone();
    push_unique(&mut audited, daemon::installed(root, &p.etc));

    let vm = hypervisor_name(p, live);
    let mut configs = Vec::new();
    let mut chrony_config: Option<Config> = None;
    let mut first_config: Option<(Kind, Config)> = None;
    for &kind in audited.iter().filter(|k| **k != Kind::Timesyncd) {
        let instance = running.iter().find(|r| r.kind == kind);
        let default = Running { kind, pid: 0, cmdline: Vec::new() };
        let path = instance.unwrap_or(&default).config_path(&p.etc);
        let path = if path.starts_with(root) { path } else { files::under(root, &path) };
        if instance.is_none() && !path.exists() {
            continue;
        }
        let c = match daemon::read_config_under(kind, &path, root) {
            Ok(c) => c,
            Err(e) => {
                findings.push(AuditFinding::new(Check::ConfigUnreadable, format!("{}: {e}", path.display())));
                continue;
            }
        };
        for problem in &c.problems {
            findings.push(AuditFinding::new(Check::ConfigUnreadable, problem.clone()));
        }
        let name = kind.to_string();
        match kind {
            Kind::Chronyd => chrony::check(&c, &path, vm.as_deref(), hurt, &mut findings),
            _ => ntp::check(&name, &c, &path, &ntpd_options(root, instance), hurt, &mut findings),
        }
        configs.push((kind, path));
        if kind == Kind::Chronyd {
            chrony_config = Some(c.clone());
        }
        first_config.get_or_insert((kind, c));
    }

    let how = match (running.is_empty(), enabled.is_empty()) {
        (false, true) => "running",
        (true, false) => "enabled at boot",
        _ => "running or enabled at boot",
    };
    jobs::two_daemons(&in_use, how, &mut findings);
    if !have_proc {
        skip(Check::TwoDaemons, format!("{} is absent: only daemons enabled at boot were seen", p.proc.display()));
    }
    jobs::periodic_steps(root, &mut findings);

    let ntp_name = in_use.first().or(audited.first()).map(Kind::to_string);
    if root.join("usr/bin/vmware-toolbox-cmd").exists() {
        if live {
            match probe::run_bounded("vmware-toolbox-cmd", &["timesync", "status"], t.timeout) {
                Ok(status) => guest::vmware(&status, ntp_name.as_deref(), &mut findings),
                Err(e) => skip(Check::VmwarePeriodicSync, e),
            }
        } else {
            skip(Check::VmwarePeriodicSync, "vmware-toolbox-cmd is run only when the root is /".into());
        }
    }
    if p.sys.is_dir() {
        guest::hyperv(guest::hyperv_timesync(&p.sys), ntp_name.as_deref(), &mut findings);
        let ptp = if p.sys.join("module/ptp_kvm").exists() {
            Some("module ptp_kvm loaded")
        } else if root.join("dev/ptp_kvm").exists() {
            Some("/dev/ptp_kvm")
        } else {
            None
        };
        guest::ptp_kvm(ptp, chrony_config.as_ref(), &mut findings);
    } else {
        let why = format!("{} is absent", p.sys.display());
        skip(Check::HypervTimesync, why.clone());
        skip(Check::PtpKvmUnused, why);
    }

    let release = files::read(&p.proc.join("sys/kernel/osrelease")).unwrap_or_default();
    let mut lines = cmdline::boot_loader_lines(root);
    if let Ok(current) = files::read(&p.proc.join("cmdline")) {
        lines.insert(0, ("/proc/cmdline".to_string(), current));
    }
    let tsc = if lines.iter().any(|(_, l)| l.split_whitespace().any(|w| w == "tsc=reliable")) {
        let t = tsc_unstable(p, live);
        if t.is_none() {
            skip(Check::CmdlineTscReliable, "the kernel log cannot be read".into());
        }
        t
    } else {
        None
    };
    for (source, line) in &lines {
        cmdline::check(source, line, release.trim(), tsc, &mut findings);
    }

    if live {
        match unix::time::adjtimex_read() {
            Ok(raw) => {
                let handling = leap::handling(first_config.as_ref().map(|c| c.0), first_config.as_ref().map(|c| &c.1));
                leap::check(raw.status, &handling, &mut findings);
            }
            Err(e) => skip(Check::LeapAnnounced, format!("adjtimex: {}", strerr::errstr(&e))),
        }
    } else {
        skip(Check::LeapAnnounced, "the kernel's leap flags are read only when the root is /".into());
    }

    if !live {
        let prefix = root.to_string_lossy().trim_end_matches('/').to_string();
        for f in &mut findings {
            f.what = f.what.replace(&format!("{prefix}/"), "/");
        }
    }
    findings.sort_by(|a, b| b.level.cmp(&a.level).then(a.check.cmp(&b.check)));
    Audit { root: root.to_path_buf(), live, configs, scan, services, findings, not_checked }
}
