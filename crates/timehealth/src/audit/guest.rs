//! The hypervisor's own time sync beside NTP: VMware Tools' periodic sync
//! (`vmware-toolbox-cmd timesync status`, live only: the setting lives in
//! the VM's .vmx on the host), Hyper-V's TimeSync integration service
//! (hv_utils with its VMBus channel), KVM's ptp_kvm available but unused.

use std::path::Path;

use super::{AuditFinding, Check};
use crate::daemon::Config;

/// The VMBus class id of Hyper-V's Time Synchronization integration service.
const HV_TIMESYNC: &str = "9527e630-d0ae-497b-adce-e80ab0175caf";

/// `vmware-toolbox-cmd timesync status` said `Enabled` while `ntp` (a daemon's name) runs.
pub fn vmware(status: &str, ntp: Option<&str>, out: &mut Vec<AuditFinding>) {
    if let Some(daemon) = ntp.filter(|_| status.trim().eq_ignore_ascii_case("enabled")) {
        out.push(AuditFinding::new(
            Check::VmwarePeriodicSync,
            format!("VMware Tools periodic time sync is enabled (vmware-toolbox-cmd timesync status) beside {daemon}"),
        ));
    }
}

/// Whether `sys` shows hv_utils loaded with a TimeSync channel.
pub fn hyperv_timesync(sys: &Path) -> bool {
    if !sys.join("module/hv_utils").exists() {
        return false;
    }
    std::fs::read_dir(sys.join("bus/vmbus/devices")).into_iter().flatten().flatten().any(|d| {
        crate::files::read(&d.path().join("class_id")).is_ok_and(|id| id.to_ascii_lowercase().contains(HV_TIMESYNC))
    })
}

/// Hyper-V's TimeSync beside `ntp`.
pub fn hyperv(active: bool, ntp: Option<&str>, out: &mut Vec<AuditFinding>) {
    if let Some(daemon) = ntp.filter(|_| active) {
        out.push(AuditFinding::new(
            Check::HypervTimesync,
            format!("Hyper-V's TimeSync integration service is active (hv_utils, VMBus channel {HV_TIMESYNC}) beside {daemon}"),
        ));
    }
}

/// ptp_kvm is there (`available` names how it was seen) and chrony (`chrony`,
/// if it is in use) has no refclock on it.
pub fn ptp_kvm(available: Option<&str>, chrony: Option<&Config>, out: &mut Vec<AuditFinding>) {
    let Some(how) = available else { return };
    let used = chrony.is_some_and(|c| {
        c.directives.iter().any(|d| d.name() == "refclock" && d.args().iter().any(|a| a.contains("ptp_kvm")))
    });
    if !used {
        out.push(AuditFinding::new(
            Check::PtpKvmUnused,
            format!("the host's clock is available ({how}) and no chrony `refclock PHC /dev/ptp_kvm` uses it"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::parse_chrony;

    #[test]
    fn two_masters_and_an_unused_host_clock() {
        let mut out = Vec::new();
        vmware("Enabled\n", Some("ntpd"), &mut out);
        vmware("Disabled\n", Some("ntpd"), &mut out);
        vmware("Enabled\n", None, &mut out);
        hyperv(true, Some("chronyd"), &mut out);
        hyperv(false, Some("chronyd"), &mut out);
        ptp_kvm(Some("/dev/ptp_kvm"), None, &mut out);
        ptp_kvm(Some("/dev/ptp_kvm"), Some(&parse_chrony("refclock PHC /dev/ptp_kvm poll 2\n")), &mut out);
        ptp_kvm(None, None, &mut out);
        let ids: Vec<&str> = out.iter().map(|f| f.check.id()).collect();
        assert_eq!(ids, ["vmware_periodic_sync", "hyperv_timesync", "ptp_kvm_unused"]);
    }

    #[test]
    fn a_fake_sys_with_the_timesync_channel() {
        let d = tempfile::tempdir().unwrap();
        assert!(!hyperv_timesync(d.path()));
        std::fs::create_dir_all(d.path().join("module/hv_utils")).unwrap();
        let dev = d.path().join("bus/vmbus/devices/2dd1ce17-079e-403c-b352-a1921ee207ee");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::write(dev.join("class_id"), "{57164f39-9115-4e78-ab55-382f3bd5422d}\n").unwrap();
        assert!(!hyperv_timesync(d.path()), "the heartbeat channel");
        std::fs::write(dev.join("class_id"), "{9527E630-D0AE-497B-ADCE-E80AB0175CAF}\n").unwrap();
        assert!(hyperv_timesync(d.path()));
    }
}
