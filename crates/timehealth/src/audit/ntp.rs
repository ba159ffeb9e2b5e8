//! ntpd and ntpsec: the LOCAL driver, stepping beside services that cannot
//! bear a backward step, `tinker panic 0`, a single server, one pool
//! without `iburst`.

use std::path::Path;

use super::{AuditFinding, Check};
use crate::daemon::Config;

/// `tinker KEY VALUE` as a number, the last one given.
pub(crate) fn tinker(c: &Config, key: &str) -> Option<f64> {
    let value = |w: &[String]| match w {
        [k, v] if k == key => v.parse().ok(),
        _ => None,
    };
    c.directives.iter().rev().filter(|d| d.name() == "tinker").find_map(|d| d.args().windows(2).find_map(value))
}

/// Whether ntpd's options (its command line, or Debian's NTPD_OPTS) include `-x`.
pub(crate) fn slew_only(options: &[String]) -> bool {
    let cluster = |o: &str| o.strip_prefix('-').is_some_and(|f| f.bytes().all(|b| b.is_ascii_alphabetic()));
    options.iter().any(|o| o == "--slew" || (cluster(o) && o.contains('x')))
}

/// The pool domain of a host (`2.debian.pool.ntp.org` → `debian.pool.ntp.org`).
fn pool_domain(host: &str) -> &str {
    match host.split_once('.') {
        Some((first, rest)) if first.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => host,
    }
}

/// The findings for one ntp.conf: `options` are ntpd's, `services` the
/// supervised services without `clock-step-restart`.
pub fn check(
    name: &str,
    c: &Config,
    file: &Path,
    options: &[String],
    services: &[String],
    out: &mut Vec<AuditFinding>,
) {
    for d in c.directives.iter().filter(|d| matches!(d.name(), "server" | "peer" | "pool")) {
        if d.args().first().is_some_and(|h| h.starts_with("127.127.1.")) {
            out.push(AuditFinding::new(Check::NtpLocalDriver, format!("{name}: the LOCAL driver, {}", d.place(file))));
        }
    }
    let step = tinker(c, "step");
    let stepping = step != Some(0.0) && !slew_only(options);
    if stepping && !services.is_empty() {
        out.push(AuditFinding::new(
            Check::NtpStepAllowed,
            format!(
                "{name} may step the clock ({}: {}; options {}) and {} supervised service{} ha{} no \
                 clock-step-restart: {}",
                file.display(),
                step.map_or("no `tinker step`".to_string(), |s| format!("`tinker step {s}`")),
                if options.is_empty() { "none".to_string() } else { format!("`{}` without -x", options.join(" ")) },
                services.len(),
                if services.len() == 1 { "" } else { "s" },
                if services.len() == 1 { "s" } else { "ve" },
                services.join(", ")
            ),
        ));
    }
    if tinker(c, "panic") == Some(0.0) {
        let d = c.directives.iter().rfind(|d| d.name() == "tinker" && d.args().iter().any(|a| a == "panic"));
        let at = d.map(|d| d.place(file)).unwrap_or_default();
        out.push(AuditFinding::new(Check::NtpPanicDisabled, format!("{name}: {at}")));
    }
    single_source(name, c, file, out);
    let pools: Vec<&str> = c.sources.iter().map(|s| pool_domain(&s.host)).collect();
    if let Some(first) = pools.first() {
        let one_pool = first.contains("pool") && pools.iter().all(|p| p == first);
        if one_pool && c.sources.len() > 1 && !c.sources.iter().any(|s| s.iburst) {
            out.push(AuditFinding::new(
                Check::NtpPoolNoIburst,
                format!("{name}: every server is in {first} and none has iburst ({})", file.display()),
            ));
        }
    }
}

/// One `server` and no pool (ntpd or chrony).
pub(crate) fn single_source(name: &str, c: &Config, file: &Path, out: &mut Vec<AuditFinding>) {
    let refclocks = c.directives.iter().any(|d| d.name() == "refclock");
    if let [only] = c.sources.as_slice() {
        if only.directive != "pool" && !refclocks {
            out.push(AuditFinding::new(
                Check::SingleSource,
                format!("{name}: one server only ({}) in {}", only.spec(), file.display()),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::parse_ntp;

    fn ids(text: &str, options: &[&str], services: &[&str]) -> Vec<&'static str> {
        let mut out = Vec::new();
        let options: Vec<String> = options.iter().map(|s| s.to_string()).collect();
        let services: Vec<String> = services.iter().map(|s| s.to_string()).collect();
        check("ntpd", &parse_ntp(text), Path::new("/etc/ntp.conf"), &options, &services, &mut out);
        out.iter().map(|f| f.check.id()).collect()
    }

    #[test]
    fn each_finding_alone() {
        let four = "server a.example iburst\nserver b.example\nserver c.example\nserver d.example\n";
        assert_eq!(ids(four, &["-g"], &["dovecot"]), ["ntp_step_allowed"]);
        assert_eq!(ids(four, &["-g", "-x"], &["dovecot"]), Vec::<&str>::new());
        assert_eq!(ids(four, &["-gx"], &["dovecot"]), Vec::<&str>::new());
        assert_eq!(ids(&format!("{four}tinker step 0\n"), &[], &["dovecot"]), Vec::<&str>::new());
        assert_eq!(ids(four, &[], &[]), Vec::<&str>::new(), "no service to hurt");
        assert_eq!(ids(&format!("{four}tinker panic 0\n"), &["-x"], &[]), ["ntp_panic_disabled"]);
        assert_eq!(ids("server ntp.example iburst\n", &["-x"], &[]), ["single_source"]);
        assert_eq!(ids("pool 0.debian.pool.ntp.org iburst\n", &["-x"], &[]), Vec::<&str>::new());
        let pool = "server 0.pool.ntp.org\nserver 1.pool.ntp.org\nserver 2.pool.ntp.org\n";
        assert_eq!(ids(pool, &["-x"], &[]), ["ntp_pool_no_iburst"]);
        assert_eq!(ids(&pool.replacen("ntp.org\n", "ntp.org iburst\n", 1), &["-x"], &[]), Vec::<&str>::new());
    }

    /// Field report 001's servers with its LOCAL(0) fallback.
    #[test]
    fn the_local_driver_of_seed_001() {
        let text = "server clock.trit.net\nserver ntp1.Housing.Be\nserver 153.16.4.137\n\
                    server 127.127.1.0 # local clock\nfudge 127.127.1.0 stratum 10\n";
        let mut out = Vec::new();
        check("ntpd", &parse_ntp(text), Path::new("/etc/ntp.conf"), &[], &[], &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].what, "ntpd: the LOCAL driver, `server 127.127.1.0` in /etc/ntp.conf");
    }
}
