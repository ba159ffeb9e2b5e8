//! Two NTP daemons at once (systemd-timesyncd beside chronyd or ntpd), and
//! jobs that step the clock periodically: `ntpdate`, `sntp -s`, `rdate`,
//! `hwclock --hctosys`, `chronyd -q`, `ntpd -q`, `chronyc makestep` in
//! cron tables and scripts or in the services of systemd timers.

use std::path::{Path, PathBuf};

use super::{AuditFinding, Check};
use crate::daemon::Kind;
use crate::files;

/// More than one daemon in use (running or enabled).
pub fn two_daemons(in_use: &[Kind], how: &str, out: &mut Vec<AuditFinding>) {
    if in_use.len() > 1 {
        let names: Vec<String> = in_use.iter().map(Kind::to_string).collect();
        out.push(AuditFinding::new(
            Check::TwoDaemons,
            format!("{} are {} {how}", names.join(" and "), if names.len() == 2 { "both" } else { "all" }),
        ));
    }
}

/// The NTP daemons a boot starts: systemd units wanted by a target, SysV
/// links in rc2.d..rc5.d.
pub fn enabled(root: &Path) -> Vec<Kind> {
    let mut kinds = Vec::new();
    let mut add = |name: &str| {
        let kind = match name {
            "chrony.service" | "chronyd.service" | "chrony" | "chronyd" => Kind::Chronyd,
            "ntp.service" | "ntpd.service" | "ntp" | "ntpd" => Kind::Ntpd,
            "ntpsec.service" | "ntpsec" => Kind::Ntpsec,
            "systemd-timesyncd.service" => Kind::Timesyncd,
            _ => return,
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    };
    let system = root.join("etc/systemd/system");
    for wants in files::listed(&system, ".wants") {
        for unit in std::fs::read_dir(&wants).into_iter().flatten().flatten() {
            add(&unit.file_name().to_string_lossy());
        }
    }
    for rc in ["rc2.d", "rc3.d", "rc4.d", "rc5.d"] {
        for link in std::fs::read_dir(root.join("etc").join(rc)).into_iter().flatten().flatten() {
            let name = link.file_name().to_string_lossy().into_owned();
            if let Some(rest) = name.strip_prefix('S') {
                add(rest.trim_start_matches(|c: char| c.is_ascii_digit()));
            }
        }
    }
    kinds
}

/// What in `line` sets the clock, if anything: the command as written.
pub fn steps_clock(line: &str) -> Option<String> {
    for command in line.split([';', '|', '&', '`', '(', ')']) {
        let words: Vec<&str> = command.split_whitespace().take_while(|w| !w.contains(['<', '>'])).collect();
        for (i, w) in words.iter().enumerate() {
            let program = w.rsplit('/').next().unwrap_or(w);
            let args = words.get(i + 1..).unwrap_or(&[]);
            let has = |flags: &[&str]| args.iter().any(|a| flags.contains(a));
            let sets = match program {
                "ntpdate" => !has(&["-q", "-d", "-B"]),
                "sntp" | "ntpdig" => has(&["-s", "-S", "--step", "--slew", "--settod", "--adjtime"]),
                "rdate" => !has(&["-p"]),
                "hwclock" => has(&["--hctosys", "-s"]),
                "chronyd" | "ntpd" => {
                    args.iter().any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('q'))
                }
                "chronyc" => has(&["makestep"]),
                _ => false,
            };
            if sets {
                return Some(words.get(i..).unwrap_or(&[]).join(" "));
            }
        }
    }
    None
}

/// The cron tables and scripts under `root`.
fn cron_files(root: &Path) -> Vec<PathBuf> {
    let mut all = vec![root.join("etc/crontab")];
    for dir in ["etc/cron.d", "etc/cron.hourly", "etc/cron.daily", "etc/cron.weekly", "etc/cron.monthly"] {
        all.extend(files::listed(&root.join(dir), ""));
    }
    all.extend(files::listed(&root.join("var/spool/cron/crontabs"), ""));
    all.extend(files::listed(&root.join("var/spool/cron"), "").into_iter().filter(|p| p.is_file()));
    all.into_iter().filter(|p| p.exists()).collect()
}

/// The services run by systemd timers under `root` (the `.service` of each
/// `.timer` in /etc/systemd/system and its `*.wants`, found in
/// /etc/systemd/system, /usr/lib/systemd/system or /lib/systemd/system).
fn timer_services(root: &Path) -> Vec<PathBuf> {
    let system = root.join("etc/systemd/system");
    let mut timers = files::listed(&system, ".timer");
    for wants in files::listed(&system, ".wants") {
        timers.extend(files::listed(&wants, ".timer"));
    }
    let mut services = Vec::new();
    for t in timers {
        let Some(name) = t.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".timer")) else {
            continue;
        };
        let unit = format!("{name}.service");
        let found = ["etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"]
            .iter()
            .map(|d| root.join(d).join(&unit))
            .find(|p| p.exists());
        if let Some(p) = found.filter(|p| !services.contains(p)) {
            services.push(p);
        }
    }
    services
}

/// Every cron line and timer `ExecStart` that steps the clock.
pub fn periodic_steps(root: &Path, out: &mut Vec<AuditFinding>) {
    for (file, timer) in
        cron_files(root).into_iter().map(|f| (f, false)).chain(timer_services(root).into_iter().map(|f| (f, true)))
    {
        let text = match files::read(&file) {
            Ok(t) => t,
            Err(e) => {
                out.push(AuditFinding::new(Check::ConfigUnreadable, format!("{}: {e}", file.display())));
                continue;
            }
        };
        for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
            let line = if timer {
                match line.strip_prefix("ExecStart=").or_else(|| line.strip_prefix("ExecStartPre=")) {
                    Some(cmd) => cmd.trim_start_matches(['-', '@', '+', '!', ':']),
                    None => continue,
                }
            } else {
                line
            };
            if let Some(command) = steps_clock(line) {
                let kind = if timer { "a systemd timer's service" } else { "cron" };
                out.push(AuditFinding::new(Check::PeriodicStep, format!("`{command}` in {} ({kind})", file.display())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_that_set_the_clock() {
        for line in [
            "*/10 * * * * root /usr/sbin/ntpdate -s pool.ntp.org > /dev/null",
            "0 * * * * sntp -S ntp.example",
            "@hourly root hwclock --hctosys",
            "5 4 * * * root test -x /usr/bin/rdate && rdate -s time.example",
            "0 3 * * * chronyd -q 'server ntp.example iburst'",
            "0 3 * * * /usr/sbin/ntpd -gq",
            "0 3 * * * chronyc -a makestep",
        ] {
            assert!(steps_clock(line).is_some(), "{line}");
        }
        for line in [
            "0 * * * * ntpdate -q pool.ntp.org",
            "0 * * * * sntp ntp.example",
            "hwclock --systohc",
            "rdate -p time.example",
            "ntpd -g -N",
            "chronyc tracking",
            "25 6 * * * root /usr/libexec/ntpsec/rotate-stats",
        ] {
            assert_eq!(steps_clock(line), None, "{line}");
        }
        assert_eq!(
            steps_clock("x; /usr/sbin/ntpdate -b a.example >/dev/null").unwrap(),
            "/usr/sbin/ntpdate -b a.example"
        );
    }
}
