//! A leap second announced to the kernel (STA_INS, STA_DEL) and how the
//! daemon in use will handle it: the kernel's step, or chrony's slew.

use super::{AuditFinding, Check};
use crate::daemon::{Config, Kind};

const STA_INS: i32 = 0x0010;
const STA_DEL: i32 = 0x0020;

/// How `kind` passes a leap second, from its configuration.
pub fn handling(kind: Option<Kind>, c: Option<&Config>) -> String {
    let chrony_mode = c
        .and_then(|c| super::chrony::last(c, "leapsecmode"))
        .and_then(|d| d.args().first().cloned())
        .unwrap_or_else(|| "system".into());
    let smooth = c.is_some_and(|c| c.directives.iter().any(|d| d.name() == "smoothtime"));
    match kind {
        Some(Kind::Chronyd) if smooth || chrony_mode == "slew" => {
            format!(
                "chronyd smears it (leapsecmode {chrony_mode}{}): no step",
                if smooth { ", smoothtime" } else { "" }
            )
        }
        Some(Kind::Chronyd) if chrony_mode == "ignore" => {
            "chronyd ignores it (leapsecmode ignore) and then corrects the 1 s offset as any other".into()
        }
        Some(Kind::Chronyd) => {
            format!("chronyd steps (leapsecmode {chrony_mode}): 23:59:59 is repeated, a step back of 1 s")
        }
        Some(k) => format!("{k} leaves it to the kernel: 23:59:59 is repeated, a step back of 1 s"),
        None => "the kernel repeats 23:59:59: a step back of 1 s".into(),
    }
}

/// The kernel's `status` announces a leap second.
pub fn check(status: i32, handling: &str, out: &mut Vec<AuditFinding>) {
    let (what, flag) = if status & STA_INS != 0 {
        ("insertion", "STA_INS")
    } else if status & STA_DEL != 0 {
        ("deletion", "STA_DEL")
    } else {
        return;
    };
    let mut f = AuditFinding::new(
        Check::LeapAnnounced,
        format!("the kernel announces a leap second {what} ({flag}) at the end of this UTC day"),
    );
    f.consequence = format!("{}: {handling}", Check::LeapAnnounced.consequence());
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::parse_chrony;

    #[test]
    fn step_or_smear() {
        let mut out = Vec::new();
        check(0x2001, "x", &mut out);
        assert!(out.is_empty());
        let slew = parse_chrony("leapsecmode slew\nmaxslewrate 1000\n");
        check(0x2011, &handling(Some(Kind::Chronyd), Some(&slew)), &mut out);
        assert_eq!(out[0].what, "the kernel announces a leap second insertion (STA_INS) at the end of this UTC day");
        assert_eq!(
            out[0].consequence,
            "a leap second at the end of this UTC day: chronyd smears it (leapsecmode slew): no step"
        );
        assert!(handling(Some(Kind::Chronyd), Some(&parse_chrony("pool p\n"))).contains("step back of 1 s"));
        assert!(handling(Some(Kind::Ntpd), None).starts_with("ntpd leaves it to the kernel"));
    }
}
