//! Time to slew (issue 15 item 2): how long the daemon in use takes to
//! correct an offset at its largest slew rate, and whether it steps instead.

use super::chrony::{makestep, number, DEFAULT_MAXSLEWRATE};
use super::ntp::{slew_only, tinker};
use crate::daemon::{Config, Kind};
use crate::kernel::SLEW_LIMIT_PPM;
use crate::report::secs;

/// A duration for people: `12 s`, `33 min 20 s`, `1 h 0 min`, `6 d 22 h`.
pub fn duration(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        3600..86400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86400, s % 86400 / 3600),
    }
}

/// What `kind` does with `offset` (seconds), its configuration `c` and
/// command-line `options` considered: one line.
pub fn plan(kind: Kind, c: Option<&Config>, options: &[String], offset: f64) -> String {
    let size = offset.abs();
    let (rate, rate_from) = match kind {
        Kind::Chronyd => match c.and_then(|c| number(c, "maxslewrate")) {
            Some(r) => (r, "maxslewrate"),
            None => (DEFAULT_MAXSLEWRATE, "its default maxslewrate"),
        },
        _ => (SLEW_LIMIT_PPM, "the kernel's limit"),
    };
    let time = duration(size / (rate.max(1e-3) * 1e-6));
    let slew = format!("{kind} would take {time} to slew {} at {rate:.0} ppm ({rate_from})", secs(offset));
    let step = match kind {
        Kind::Chronyd => match c.and_then(makestep) {
            Some((t, limit)) if size > t && limit < 0 => {
                format!("it steps instead (makestep {t} {limit}): services will see a step")
            }
            Some((t, limit)) if size > t => {
                format!("it steps only in its first {limit} clock updates (makestep {t} {limit}), then slews")
            }
            Some(_) | None => "it slews: no step".to_string(),
        },
        Kind::Ntpd | Kind::Ntpsec => {
            let panic = c.and_then(|c| tinker(c, "panic")).unwrap_or(1000.0);
            let threshold = match c.and_then(|c| tinker(c, "step")) {
                Some(t) => t,
                None if slew_only(options) => 600.0,
                None => 0.128,
            };
            if panic > 0.0 && size > panic {
                format!("it exits instead (panic threshold {panic} s) unless just started with -g, which steps")
            } else if threshold > 0.0 && size > threshold {
                format!("it steps instead (offset over its {threshold} s step threshold for 300 s): services will see a step")
            } else {
                "it slews: no step".to_string()
            }
        }
        Kind::Timesyncd if size > 0.4 => "it steps instead (offsets over 0.4 s): services will see a step".to_string(),
        Kind::Timesyncd => "it slews: no step".to_string(),
    };
    format!("{slew}; {step}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::{parse_chrony, parse_ntp};

    #[test]
    fn durations() {
        assert_eq!(duration(12.4), "12 s");
        assert_eq!(duration(2000.0), "33 min 20 s");
        assert_eq!(duration(3600.0), "1 h 0 min");
        assert_eq!(duration(600_000.0), "6 d 22 h");
    }

    #[test]
    fn ntpd_chrony_and_timesyncd() {
        let none: &[String] = &[];
        let ntp = parse_ntp("pool 0.debian.pool.ntp.org iburst\n");
        assert_eq!(
            plan(Kind::Ntpd, Some(&ntp), none, -300.0),
            "ntpd would take 6 d 22 h to slew -300.000000 s at 500 ppm (the kernel's limit); it steps instead \
             (offset over its 0.128 s step threshold for 300 s): services will see a step"
        );
        assert!(plan(Kind::Ntpd, Some(&ntp), &["-x".into()], -300.0).ends_with("; it slews: no step"));
        assert!(plan(Kind::Ntpd, Some(&ntp), none, 5000.0).contains("it exits instead (panic threshold 1000 s)"));
        let chrony = parse_chrony("pool 2.debian.pool.ntp.org iburst\nmakestep 1 3\n");
        assert_eq!(
            plan(Kind::Chronyd, Some(&chrony), none, 300.0),
            "chronyd would take 1 h 0 min to slew +300.000000 s at 83333 ppm (its default maxslewrate); it steps \
             only in its first 3 clock updates (makestep 1 3), then slews"
        );
        let chrony = parse_chrony("maxslewrate 500\nmakestep 0.1 -1\n");
        assert!(plan(Kind::Chronyd, Some(&chrony), none, 1.0).starts_with("chronyd would take 33 min 20 s"));
        assert!(plan(Kind::Chronyd, Some(&chrony), none, 1.0).ends_with("services will see a step"));
        assert!(plan(Kind::Timesyncd, None, none, 0.2).ends_with("it slews: no step"));
    }
}
