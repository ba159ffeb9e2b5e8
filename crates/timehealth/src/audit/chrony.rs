//! chrony: `makestep` without a limit, `local` without `orphan`,
//! `maxslewrate` near Linux's limit or far below the default, `rtcsync`
//! missing on a VM, a single source.

use std::path::Path;

use super::{AuditFinding, Check};
use crate::daemon::{Config, Directive};

/// chrony's default `maxslewrate`, ppm.
pub const DEFAULT_MAXSLEWRATE: f64 = 83333.333;

/// The last directive called `name`.
pub(crate) fn last<'a>(c: &'a Config, name: &str) -> Option<&'a Directive> {
    c.directives.iter().rfind(|d| d.name() == name)
}

/// The number after `name` (`maxslewrate 1000`).
pub(crate) fn number(c: &Config, name: &str) -> Option<f64> {
    last(c, name)?.args().first()?.parse().ok()
}

/// `makestep THRESHOLD LIMIT` as numbers.
pub(crate) fn makestep(c: &Config) -> Option<(f64, i64)> {
    match last(c, "makestep")?.args() {
        [t, l, ..] => Some((t.parse().ok()?, l.parse().ok()?)),
        _ => None,
    }
}

/// The findings for one chrony configuration; `vm` names the hypervisor
/// when this is a guest, `services` are those without clock-step-restart.
pub fn check(c: &Config, file: &Path, vm: Option<&str>, services: &[String], out: &mut Vec<AuditFinding>) {
    if let (Some((_, limit)), Some(d)) = (makestep(c), last(c, "makestep")) {
        if limit < 0 {
            let hurt = if services.is_empty() {
                String::new()
            } else {
                format!("; supervised services without clock-step-restart: {}", services.join(", "))
            };
            out.push(AuditFinding::new(
                Check::ChronyMakestepUnlimited,
                format!("chronyd steps at any time: {}{hurt}", d.place(file)),
            ));
        }
    }
    if let Some(d) = last(c, "local").filter(|d| !d.args().iter().any(|a| a == "orphan")) {
        out.push(AuditFinding::new(Check::ChronyLocalNoOrphan, format!("chronyd: {} without orphan", d.place(file))));
    }
    if let (Some(rate), Some(d)) = (number(c, "maxslewrate"), last(c, "maxslewrate")) {
        if rate > DEFAULT_MAXSLEWRATE + 1.0 {
            out.push(AuditFinding::new(
                Check::ChronyMaxslewrateHigh,
                format!("chronyd: {} is near Linux's limit of 100000 ppm", d.place(file)),
            ));
        } else if rate <= 500.0 {
            let mut f = AuditFinding::new(Check::ChronyMaxslewrateLow, format!("chronyd: {}", d.place(file)));
            f.consequence = format!(
                "one second of offset takes {} to slew: {}",
                super::slew::duration(1.0 / (rate.max(1e-3) * 1e-6)),
                Check::ChronyMaxslewrateLow.consequence()
            );
            out.push(f);
        }
    }
    if let Some(h) = vm.filter(|_| last(c, "rtcsync").is_none()) {
        out.push(AuditFinding::new(
            Check::ChronyRtcsyncMissing,
            format!("chronyd on a {h} guest without rtcsync in {}", file.display()),
        ));
    }
    super::ntp::single_source("chronyd", c, file, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::parse_chrony;

    fn ids(text: &str, vm: Option<&str>) -> Vec<&'static str> {
        let mut out = Vec::new();
        check(&parse_chrony(text), Path::new("/etc/chrony/chrony.conf"), vm, &[], &mut out);
        out.iter().map(|f| f.check.id()).collect()
    }

    #[test]
    fn each_finding_alone() {
        let ok = "pool 2.debian.pool.ntp.org iburst\nrtcsync\nmakestep 1 3\n";
        assert_eq!(ids(ok, Some("KVM")), Vec::<&str>::new());
        assert_eq!(ids(&ok.replace("1 3", "1.0 -1"), None), ["chrony_makestep_unlimited"]);
        assert_eq!(ids(&format!("{ok}local stratum 10\n"), None), ["chrony_local_no_orphan"]);
        assert_eq!(ids(&format!("{ok}local stratum 10 orphan\n"), None), Vec::<&str>::new());
        assert_eq!(ids(&format!("{ok}maxslewrate 100000\n"), None), ["chrony_maxslewrate_high"]);
        assert_eq!(ids(&format!("{ok}maxslewrate 83333.333\n"), None), Vec::<&str>::new());
        assert_eq!(ids(&format!("{ok}maxslewrate 500\n"), None), ["chrony_maxslewrate_low"]);
        assert_eq!(ids(&ok.replace("rtcsync\n", ""), Some("VMware")), ["chrony_rtcsync_missing"]);
        assert_eq!(ids(&ok.replace("rtcsync\n", ""), None), Vec::<&str>::new(), "bare metal");
        assert_eq!(ids("server ntp.example iburst\nrtcsync\n", None), ["single_source"]);
        assert_eq!(ids("server ntp.example\nrefclock PHC /dev/ptp_kvm poll 2\n", None), Vec::<&str>::new());
    }

    #[test]
    fn a_slow_slew_says_how_slow() {
        let mut out = Vec::new();
        check(&parse_chrony("pool p iburst\nmaxslewrate 500\n"), Path::new("/c"), None, &[], &mut out);
        assert!(out[0].consequence.starts_with("one second of offset takes 33 min 20 s to slew: "), "{:?}", out[0]);
    }
}
