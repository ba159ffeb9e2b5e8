//! The audit's checks: each a stable snake_case id (the Prometheus label),
//! a level, a one-line consequence and a one-line fix. The texts are match
//! arms, not a table: string literals cost nothing in the RELRO pages,
//! slices of `&str` in statics would.

use crate::report::Level;

/// One thing the audit looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    NtpLocalDriver,
    NtpStepAllowed,
    NtpPanicDisabled,
    SingleSource,
    NtpPoolNoIburst,
    ChronyMakestepUnlimited,
    ChronyLocalNoOrphan,
    ChronyMaxslewrateHigh,
    ChronyMaxslewrateLow,
    ChronyRtcsyncMissing,
    TwoDaemons,
    PeriodicStep,
    VmwarePeriodicSync,
    HypervTimesync,
    PtpKvmUnused,
    CmdlineClock,
    CmdlineDivider,
    CmdlineNotsc,
    CmdlineClocksource,
    CmdlineNohzOff,
    CmdlineTscReliable,
    LeapAnnounced,
    ConfigUnreadable,
}

impl Check {
    /// Every check, in report order (the Prometheus output has one sample each).
    pub const ALL: [Check; 23] = [
        Check::NtpLocalDriver,
        Check::NtpStepAllowed,
        Check::NtpPanicDisabled,
        Check::SingleSource,
        Check::NtpPoolNoIburst,
        Check::ChronyMakestepUnlimited,
        Check::ChronyLocalNoOrphan,
        Check::ChronyMaxslewrateHigh,
        Check::ChronyMaxslewrateLow,
        Check::ChronyRtcsyncMissing,
        Check::TwoDaemons,
        Check::PeriodicStep,
        Check::VmwarePeriodicSync,
        Check::HypervTimesync,
        Check::PtpKvmUnused,
        Check::CmdlineClock,
        Check::CmdlineDivider,
        Check::CmdlineNotsc,
        Check::CmdlineClocksource,
        Check::CmdlineNohzOff,
        Check::CmdlineTscReliable,
        Check::LeapAnnounced,
        Check::ConfigUnreadable,
    ];

    /// The stable id.
    pub fn id(self) -> &'static str {
        match self {
            Check::NtpLocalDriver => "ntp_local_driver",
            Check::NtpStepAllowed => "ntp_step_allowed",
            Check::NtpPanicDisabled => "ntp_panic_disabled",
            Check::SingleSource => "single_source",
            Check::NtpPoolNoIburst => "ntp_pool_no_iburst",
            Check::ChronyMakestepUnlimited => "chrony_makestep_unlimited",
            Check::ChronyLocalNoOrphan => "chrony_local_no_orphan",
            Check::ChronyMaxslewrateHigh => "chrony_maxslewrate_high",
            Check::ChronyMaxslewrateLow => "chrony_maxslewrate_low",
            Check::ChronyRtcsyncMissing => "chrony_rtcsync_missing",
            Check::TwoDaemons => "two_daemons",
            Check::PeriodicStep => "periodic_step",
            Check::VmwarePeriodicSync => "vmware_periodic_sync",
            Check::HypervTimesync => "hyperv_timesync",
            Check::PtpKvmUnused => "ptp_kvm_unused",
            Check::CmdlineClock => "cmdline_clock",
            Check::CmdlineDivider => "cmdline_divider",
            Check::CmdlineNotsc => "cmdline_notsc",
            Check::CmdlineClocksource => "cmdline_clocksource",
            Check::CmdlineNohzOff => "cmdline_nohz_off",
            Check::CmdlineTscReliable => "cmdline_tsc_reliable",
            Check::LeapAnnounced => "leap_announced",
            Check::ConfigUnreadable => "config_unreadable",
        }
    }

    /// How grave a finding of this check is.
    pub fn level(self) -> Level {
        match self {
            Check::NtpLocalDriver
            | Check::ChronyLocalNoOrphan
            | Check::TwoDaemons
            | Check::PeriodicStep
            | Check::VmwarePeriodicSync
            | Check::CmdlineTscReliable => Level::Critical,
            _ => Level::Warning,
        }
    }

    /// Whether the check needs the running system (processes, the kernel's
    /// state, a command), not only files: under `--root` it reads DIR/proc
    /// and DIR/sys when they exist and is otherwise listed as not checked.
    pub fn live(self) -> bool {
        matches!(
            self,
            Check::TwoDaemons
                | Check::VmwarePeriodicSync
                | Check::HypervTimesync
                | Check::PtpKvmUnused
                | Check::CmdlineTscReliable
                | Check::LeapAnnounced
        )
    }

    /// What happens if nothing is done (one line; some findings say more).
    pub fn consequence(self) -> &'static str {
        match self {
            Check::NtpLocalDriver => {
                "when the real servers fail or disagree, ntpd selects its own undisciplined clock and claims to be \
                 synchronised while the clock runs free (field report 001: 545 s off for weeks)"
            }
            Check::NtpStepAllowed => {
                "an offset over 0.128 s that lasts 300 s (900 s before ntp 4.3) is stepped, backwards too: dovecot \
                 1.x dies, 2.x refuses logins for up to 180 s (field report 000)"
            }
            Check::NtpPanicDisabled => {
                "ntpd accepts any offset instead of exiting above 1000 s: a host clock hours off, or a wrong server, \
                 becomes a step of hours"
            }
            Check::SingleSource => {
                "with one source there is no majority: a wrong server (or one on its local clock) is followed, and \
                 when it fails nothing is left"
            }
            Check::NtpPoolNoIburst => {
                "after each start the first synchronisation takes minutes (several 64 s polls) while services run, \
                 and one pool's DNS failing leaves no server"
            }
            Check::ChronyMakestepUnlimited => {
                "any offset over the threshold is stepped whenever it appears, not only at boot: after a pause, a \
                 migration or a wrong server the clock jumps, backwards too, under running services"
            }
            Check::ChronyLocalNoOrphan => {
                "when every source fails, chronyd selects its own clock (Reference ID 7F7F0101) and serves it as \
                 synchronised: field report 001's trap"
            }
            Check::ChronyMaxslewrateHigh => {
                "while slewing, the clock runs up to 10% fast or slow: timeouts measured on CLOCK_MONOTONIC (slewed \
                 too) are off by as much"
            }
            Check::ChronyMaxslewrateLow => {
                "offsets are slewed so slowly that they last for days, or build up until chronyd steps them"
            }
            Check::ChronyRtcsyncMissing => {
                "the virtual RTC is never corrected: after a reboot or a restore the clock starts from it, wrong, \
                 and is stepped"
            }
            Check::TwoDaemons => {
                "two daemons discipline one clock: each undoes the other's corrections, the frequency swings and \
                 one of them steps"
            }
            Check::PeriodicStep => {
                "the clock is stepped at every run, backwards when it ran fast: services see time go back \
                 periodically (dovecot's documentation names this cause first)"
            }
            Check::VmwarePeriodicSync => {
                "two masters: VMware Tools corrects the clock every 60 s (stepping it forward over 1 s) against the \
                 NTP daemon's corrections"
            }
            Check::HypervTimesync => {
                "the host sets the guest's clock (a step, either way) at boot, resume and restore, behind the NTP \
                 daemon's back"
            }
            Check::PtpKvmUnused => {
                "the guest syncs over the network although the host's clock is one hypercall away: more jitter, \
                 and after a pause nothing until network servers answer"
            }
            Check::CmdlineClock
            | Check::CmdlineDivider
            | Check::CmdlineNotsc
            | Check::CmdlineClocksource
            | Check::CmdlineNohzOff => "a timing option copied from an old how-to",
            Check::CmdlineTscReliable => {
                "the clocksource watchdog is off, so the kernel keeps a TSC it found unstable: time jumps or stalls, \
                 the machine may hang (field report 002)"
            }
            Check::LeapAnnounced => "a leap second at the end of this UTC day",
            Check::ConfigUnreadable => "its settings were not audited",
        }
    }

    /// What to do (one line; some findings say more).
    pub fn fix(self) -> &'static str {
        match self {
            Check::NtpLocalDriver => {
                "remove the 127.127.1.x server and fudge lines; to serve time during an outage use orphan mode \
                 (`tos orphan 10`)"
            }
            Check::NtpStepAllowed => {
                "start ntpd with -x or set `tinker step 0` (slew only), or give those services a \
                 clock-step-restart file (`echo 1000 > SERVICE/clock-step-restart`)"
            }
            Check::NtpPanicDisabled => {
                "remove `tinker panic 0`; start ntpd with -g (one large correction at start only)"
            }
            Check::SingleSource => "configure four servers or more, or a pool (`pool 2.debian.pool.ntp.org iburst`)",
            Check::NtpPoolNoIburst => "add `iburst` to the pool lines, and a server from another provider",
            Check::ChronyMakestepUnlimited => {
                "limit steps to the first updates (`makestep 1 3`) and let chronyd slew afterwards"
            }
            Check::ChronyLocalNoOrphan => "remove `local`, or use `local stratum 10 orphan` on every server of a group",
            Check::ChronyMaxslewrateHigh => {
                "remove maxslewrate (default 83333 ppm) or lower it, e.g. `maxslewrate 1000`"
            }
            Check::ChronyMaxslewrateLow => "remove maxslewrate (default 83333 ppm: 300 s are slewed in an hour)",
            Check::ChronyRtcsyncMissing => {
                "add `rtcsync` (the kernel copies the system time to the RTC every 11 minutes)"
            }
            Check::TwoDaemons => {
                "keep one: disable systemd-timesyncd (`systemctl disable --now systemd-timesyncd`) or the other"
            }
            Check::PeriodicStep => "remove the job and run one NTP daemon (chronyd), which slews",
            Check::VmwarePeriodicSync => "`vmware-toolbox-cmd timesync disable` and keep NTP (VMware KB 1006427)",
            Check::HypervTimesync => {
                "use chrony with `refclock PHC /dev/ptp_hyperv poll 3 dpoll -2` as its source, or turn off the VM's \
                 Time synchronization integration service on the host"
            }
            Check::PtpKvmUnused => "add `refclock PHC /dev/ptp_kvm poll 2` to chrony.conf",
            Check::CmdlineClock
            | Check::CmdlineDivider
            | Check::CmdlineNotsc
            | Check::CmdlineClocksource
            | Check::CmdlineNohzOff => "remove it from the boot loader's kernel line",
            Check::CmdlineTscReliable => {
                "remove tsc=reliable; on a VM use the paravirtual clocksource (kvm-clock, hyperv_clocksource_tsc_page)"
            }
            Check::LeapAnnounced => "nothing if the step is acceptable; else `leapsecmode slew` in chrony.conf",
            Check::ConfigUnreadable => "make it a readable regular file of at most 1 MiB, or remove the include",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_snake_case_and_all_listed() {
        let mut ids: Vec<&str> = Check::ALL.iter().map(|c| c.id()).collect();
        assert!(ids.iter().all(|id| id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Check::ALL.len());
        let mut sorted = Check::ALL;
        sorted.sort();
        assert_eq!(sorted, Check::ALL, "ALL is in declaration order");
    }
}
