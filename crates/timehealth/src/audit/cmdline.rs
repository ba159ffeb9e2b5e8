//! Kernel command-line timing options copied from old how-tos (field
//! reports 000, 001, 002): what each did, whether it still does anything on
//! this kernel, what to use instead. Read from /proc/cmdline (this boot) and
//! the boot loader's configuration (the next boot): /etc/default/grub and
//! GRUB legacy's grub.conf / menu.lst `kernel` lines.

use std::path::Path;

use super::{AuditFinding, Check};
use crate::files;

/// Clocksources that read slowly (an I/O port or a memory-mapped register,
/// a VM exit on a guest) or count ticks.
fn slow_clocksource(name: &str) -> bool {
    matches!(name, "acpi_pm" | "pmtmr" | "hpet" | "pit" | "jiffies" | "refined-jiffies")
}

/// The findings for one kernel command line read from `source`; `release`
/// is the running kernel's; `tsc_unstable` whether its log marked the TSC
/// unstable (None: the log could not be read).
pub fn check(source: &str, cmdline: &str, release: &str, tsc_unstable: Option<bool>, out: &mut Vec<AuditFinding>) {
    let on = if release.is_empty() { "this kernel".to_string() } else { format!("this kernel ({release})") };
    for word in cmdline.split_whitespace() {
        let (key, value) = word.split_once('=').unwrap_or((word, ""));
        let (check, did, now) = match key {
            "clock" => (
                Check::CmdlineClock,
                "was the i386 timer choice of 2.6 kernels, kept since as a deprecated alias of clocksource=",
                format!(
                    "{on} still reads it as `clocksource={}` (with a deprecation warning at boot); \
                     a clocksource it does not have (pit on x86-64) leaves the default",
                    if value == "pmtmr" { "acpi_pm" } else { value }
                ),
            ),
            "divider" => (
                Check::CmdlineDivider,
                "divided the 1000 Hz tick of Red Hat's RHEL 5 kernels for VMs, a patch never in mainline",
                if release.contains(".el5") {
                    format!("{on} honours it")
                } else {
                    format!("{on} ignores it (tickless kernels have no such tick)")
                },
            ),
            "notsc" => (
                Check::CmdlineNotsc,
                "marks the TSC unusable: the kernel keeps a slower clocksource",
                format!("{on} still does this; on a VM the paravirtual clocksource is as good, on bare metal HPET or ACPI PM is far slower"),
            ),
            "clocksource" if slow_clocksource(value) => (
                Check::CmdlineClocksource,
                "forces a slow clocksource: every clock read is an I/O or register access, a VM exit on a guest, \
                 or counts ticks (jiffies, pit)",
                format!("{on} still does this"),
            ),
            "nohz" if value == "off" => (
                Check::CmdlineNohzOff,
                "turns off the tickless idle kernel: every idle vCPU takes HZ timer interrupts, each a VM exit, \
                 raising the host's load and steal time",
                format!("{on} still does this"),
            ),
            "tsc" if value == "reliable" => match tsc_unstable {
                Some(true) => (
                    Check::CmdlineTscReliable,
                    "turns off the clocksource watchdog although this kernel marked the TSC unstable",
                    format!("{on} does this"),
                ),
                _ => continue,
            },
            _ => continue,
        };
        let what = format!("`{word}` in {source}");
        if out.iter().any(|f| f.check == check && f.what == what) {
            continue;
        }
        let mut f = AuditFinding::new(check, what);
        if check != Check::CmdlineTscReliable {
            f.consequence = format!("{}: it {did}; {now}", check.consequence());
        }
        out.push(f);
    }
}

/// The kernel lines of the boot loader's configuration under `root`, each
/// with the file it is in.
pub fn boot_loader_lines(root: &Path) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    let grub = root.join("etc/default/grub");
    if let Ok(text) = files::read(&grub) {
        for line in text.lines().map(str::trim) {
            let value =
                line.strip_prefix("GRUB_CMDLINE_LINUX_DEFAULT=").or_else(|| line.strip_prefix("GRUB_CMDLINE_LINUX="));
            if let Some(v) = value {
                lines.push(("/etc/default/grub".to_string(), v.trim_matches(['"', '\'']).to_string()));
            }
        }
    }
    for legacy in ["boot/grub/grub.conf", "boot/grub/menu.lst"] {
        if let Ok(text) = files::read(&root.join(legacy)) {
            for line in text.lines().map(str::trim) {
                if let Some(v) = line.strip_prefix("kernel ").or_else(|| line.strip_prefix("kernel\t")) {
                    lines.push((format!("/{legacy}"), v.to_string()));
                }
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(cmdline: &str, release: &str, tsc: Option<bool>) -> Vec<&'static str> {
        let mut out = Vec::new();
        check("/proc/cmdline", cmdline, release, tsc, &mut out);
        out.iter().map(|f| f.check.id()).collect()
    }

    #[test]
    fn field_reports_lines() {
        // 000: "clock=pit noapic nolapic nosmp"; 001: grub.conf's divider=10;
        // 002: clocksource=acpi_pm.
        assert_eq!(ids("ro root=/dev/sda1 clock=pit noapic nolapic nosmp", "6.1.0-18-amd64", None), ["cmdline_clock"]);
        let o = {
            let mut out = Vec::new();
            check(
                "/boot/grub/grub.conf",
                "/vmlinuz-2.6.18-162.el4 ro root=/dev/VolGroup00/LogVol00 hda=noprobe hdb=noprobe divider=10",
                "6.1.0-18-amd64",
                None,
                &mut out,
            );
            out
        };
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].what, "`divider=10` in /boot/grub/grub.conf");
        assert!(o[0]
            .consequence
            .ends_with("this kernel (6.1.0-18-amd64) ignores it (tickless kernels have no such tick)"));
        assert_eq!(ids("clocksource=acpi_pm quiet", "2.6.24-19-virtual", None), ["cmdline_clocksource"]);
        assert_eq!(ids("clocksource=kvm-clock notsc nohz=off", "6.1.0", None), ["cmdline_notsc", "cmdline_nohz_off"]);
        assert_eq!(ids("tsc=reliable", "6.1.0", Some(false)), Vec::<&str>::new());
        assert_eq!(ids("tsc=reliable", "6.1.0", Some(true)), ["cmdline_tsc_reliable"]);
        assert_eq!(ids("clock=pit clock=pit", "2.6.18-8.el5", None), ["cmdline_clock"], "once");
    }

    #[test]
    fn grub_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("etc/default")).unwrap();
        std::fs::create_dir_all(d.path().join("boot/grub")).unwrap();
        std::fs::write(
            d.path().join("etc/default/grub"),
            "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet notsc\"\nGRUB_CMDLINE_LINUX=\"\"\n",
        )
        .unwrap();
        std::fs::write(d.path().join("boot/grub/grub.conf"), "title CentOS\n\tkernel /vmlinuz ro divider=10\n")
            .unwrap();
        let lines = boot_loader_lines(d.path());
        assert_eq!(
            lines,
            [
                ("/etc/default/grub".to_string(), "quiet notsc".to_string()),
                ("/etc/default/grub".to_string(), String::new()),
                ("/boot/grub/grub.conf".to_string(), "/vmlinuz ro divider=10".to_string()),
            ]
        );
    }
}
