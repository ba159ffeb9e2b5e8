//! Which hypervisor runs this guest, found without DMI (which containers and
//! some clouds hide): CPUID leaf 0x40000000, /sys/hypervisor/type, /proc/xen,
//! the `hypervisor` flag of /proc/cpuinfo. And what to do about time on it.

use std::fmt;

/// A hypervisor family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hypervisor {
    Kvm,
    HyperV,
    VMware,
    Xen,
    /// QEMU without KVM (TCG).
    Qemu,
    Bhyve,
    Acrn,
    /// Another signature, or only the `hypervisor` CPU flag.
    Other(String),
}

impl fmt::Display for Hypervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hypervisor::Kvm => f.write_str("KVM"),
            Hypervisor::HyperV => f.write_str("Hyper-V"),
            Hypervisor::VMware => f.write_str("VMware"),
            Hypervisor::Xen => f.write_str("Xen"),
            Hypervisor::Qemu => f.write_str("QEMU (TCG)"),
            Hypervisor::Bhyve => f.write_str("bhyve"),
            Hypervisor::Acrn => f.write_str("ACRN"),
            Hypervisor::Other(s) => write!(f, "{s}"),
        }
    }
}

/// The evidence gathered by the probes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// CPUID leaf 0x40000000 EBX/ECX/EDX, when leaf 1 announces a hypervisor.
    pub cpuid: Option<[u8; 12]>,
    /// Content of /sys/hypervisor/type.
    pub sys_type: Option<String>,
    /// /proc/xen exists.
    pub proc_xen: bool,
    /// /proc/cpuinfo has the `hypervisor` flag.
    pub cpu_flag: bool,
}

/// The hypervisor and how it was recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub hypervisor: Hypervisor,
    pub how: String,
}

/// Names the hypervisor from its CPUID vendor signature.
pub fn from_signature(sig: &[u8; 12]) -> Option<Hypervisor> {
    let text: String = sig.iter().take_while(|&&b| b != 0).map(|&b| b as char).collect();
    let h = match text.trim_end() {
        "" => return None,
        "KVMKVMKVM" | "Linux KVM Hv" => Hypervisor::Kvm,
        "Microsoft Hv" => Hypervisor::HyperV,
        "VMwareVMware" => Hypervisor::VMware,
        "XenVMMXenVMM" => Hypervisor::Xen,
        "TCGTCGTCGTCG" => Hypervisor::Qemu,
        "bhyve bhyve" => Hypervisor::Bhyve,
        "ACRNACRNACRN" => Hypervisor::Acrn,
        other => Hypervisor::Other(other.to_string()),
    };
    Some(h)
}

/// Decides from the evidence; None on bare metal.
pub fn detect(e: &Evidence) -> Option<Detected> {
    if let Some(h) = e.cpuid.as_ref().and_then(from_signature) {
        let sig: String = e.cpuid.iter().flatten().take_while(|&&b| b != 0).map(|&b| b as char).collect();
        return Some(Detected { hypervisor: h, how: format!("CPUID signature \"{}\"", sig.trim_end()) });
    }
    if let Some(t) = e.sys_type.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let h = if t == "xen" { Hypervisor::Xen } else { Hypervisor::Other(t.to_string()) };
        return Some(Detected { hypervisor: h, how: format!("/sys/hypervisor/type \"{t}\"") });
    }
    if e.proc_xen {
        return Some(Detected { hypervisor: Hypervisor::Xen, how: "/proc/xen exists".into() });
    }
    if e.cpu_flag {
        return Some(Detected {
            hypervisor: Hypervisor::Other("unknown hypervisor".into()),
            how: "the hypervisor CPU flag".into(),
        });
    }
    None
}

/// Whether /proc/cpuinfo announces a hypervisor.
pub fn cpuinfo_has_hypervisor_flag(cpuinfo: &str) -> bool {
    cpuinfo.lines().filter(|l| l.starts_with("flags")).any(|l| l.split_whitespace().any(|w| w == "hypervisor"))
}

/// What the guest has for time sync, as the probes found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestTools {
    /// vmtoolsd (VMware Tools / open-vm-tools) is running.
    pub vmtoolsd: bool,
    /// The hv_utils module (Hyper-V integration services, TimeSync) is loaded.
    pub hv_utils: bool,
    /// The ptp_kvm module is loaded (/dev/ptp_kvm).
    pub ptp_kvm: bool,
}

/// The time-sync mechanism to expect on `h`, and concrete advice.
pub fn advice(h: &Hypervisor, clocksource: Option<&str>, tools: &GuestTools) -> Vec<String> {
    let mut a = Vec::new();
    match h {
        Hypervisor::VMware => {
            a.push(format!(
                "expected time sync: VMware Tools ({}); keep its periodic sync off while NTP runs \
                 (vmware-toolbox-cmd timesync disable)",
                if tools.vmtoolsd { "vmtoolsd is running" } else { "vmtoolsd is not running" }
            ));
            a.push(
                "VMware Tools still steps the clock once, possibly backwards, at tools start, resume, \
                 snapshot and vMotion: run clockwatch to see these steps, and have supervise restart \
                 time-sensitive daemons (dovecot 2.x refuses new logins for up to 180 s after a step \
                 back) through a clock-step-restart file"
                    .into(),
            );
        }
        Hypervisor::HyperV => {
            a.push(format!(
                "expected time sync: Hyper-V Time Synchronization (hv_utils{}) steps the clock at boot \
                 and restore; for continuous sync use chrony with `refclock PHC /dev/ptp_hyperv poll 3 dpoll -2`",
                if tools.hv_utils { " loaded" } else { " not loaded" }
            ));
            a.push("never rely on ntpd's LOCAL(0) clock on Hyper-V: check that a real upstream is selected".into());
        }
        Hypervisor::Kvm => {
            a.push(format!(
                "expected time sync: kvm-clock and NTP in the guest; for the host's time load ptp_kvm{} \
                 and use chrony `refclock PHC /dev/ptp_kvm poll 2`",
                if tools.ptp_kvm { " (loaded)" } else { " (not loaded)" }
            ));
            a.push("after a pause or snapshot restore the guest is behind until NTP corrects it: allow chrony to step (makestep)".into());
        }
        Hypervisor::Xen => {
            a.push("expected time sync: the xen clocksource or a stable tsc, with NTP in the guest".into());
        }
        Hypervisor::Qemu => {
            a.push("QEMU without KVM emulates the CPU: expect drift; run NTP in the guest".into());
        }
        Hypervisor::Bhyve | Hypervisor::Acrn | Hypervisor::Other(_) => {
            a.push("run NTP in the guest and watch for steps with clockwatch".into());
        }
    }
    if clocksource == Some("jiffies") {
        a.push("clocksource jiffies is coarse and drifts: boot with a paravirtual clocksource or tsc".into());
    }
    a
}

/// The hypervisor's CPUID vendor signature (leaf 0x40000000), if CPUID leaf 1
/// says a hypervisor is present.
#[cfg(target_arch = "x86_64")]
pub fn cpuid_hypervisor() -> Option<[u8; 12]> {
    use core::arch::x86_64::__cpuid;
    // CPUID exists on every x86_64 CPU; leaf 1 and the hypervisor range are
    // read-only queries.
    let leaf1 = __cpuid(1);
    if leaf1.ecx & (1 << 31) == 0 {
        return None;
    }
    let r = __cpuid(0x4000_0000);
    let mut sig = [0u8; 12];
    sig[..4].copy_from_slice(&r.ebx.to_le_bytes());
    sig[4..8].copy_from_slice(&r.ecx.to_le_bytes());
    sig[8..].copy_from_slice(&r.edx.to_le_bytes());
    Some(sig)
}

#[cfg(not(target_arch = "x86_64"))]
pub fn cpuid_hypervisor() -> Option<[u8; 12]> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(s: &str) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..s.len()].copy_from_slice(s.as_bytes());
        b
    }

    #[test]
    fn signatures() {
        assert_eq!(from_signature(&sig("KVMKVMKVM")), Some(Hypervisor::Kvm));
        assert_eq!(from_signature(&sig("Linux KVM Hv")), Some(Hypervisor::Kvm));
        assert_eq!(from_signature(&sig("Microsoft Hv")), Some(Hypervisor::HyperV));
        assert_eq!(from_signature(&sig("VMwareVMware")), Some(Hypervisor::VMware));
        assert_eq!(from_signature(&sig("XenVMMXenVMM")), Some(Hypervisor::Xen));
        assert_eq!(from_signature(&sig("")), None);
    }

    #[test]
    fn evidence_order() {
        let e = Evidence { cpuid: Some(sig("VMwareVMware")), cpu_flag: true, ..Evidence::default() };
        assert_eq!(detect(&e).unwrap().hypervisor, Hypervisor::VMware);
        let e = Evidence { sys_type: Some("xen\n".into()), ..Evidence::default() };
        assert_eq!(detect(&e).unwrap().hypervisor, Hypervisor::Xen);
        let e = Evidence { cpu_flag: true, ..Evidence::default() };
        assert!(matches!(detect(&e).unwrap().hypervisor, Hypervisor::Other(_)));
        assert_eq!(detect(&Evidence::default()), None);
        assert!(cpuinfo_has_hypervisor_flag("processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n"));
        assert!(!cpuinfo_has_hypervisor_flag("flags\t\t: fpu vme\n"));
    }

    #[test]
    fn advice_names_the_mechanism() {
        let a = advice(&Hypervisor::HyperV, Some("hyperv_clocksource_tsc_page"), &GuestTools::default());
        assert!(a.iter().any(|l| l.contains("/dev/ptp_hyperv")));
        let a = advice(&Hypervisor::VMware, Some("tsc"), &GuestTools { vmtoolsd: true, ..GuestTools::default() });
        assert!(a.iter().any(|l| l.contains("backwards")));
        let a = advice(&Hypervisor::Kvm, Some("jiffies"), &GuestTools::default());
        assert!(a.iter().any(|l| l.contains("ptp_kvm")) && a.iter().any(|l| l.contains("jiffies")));
    }
}
