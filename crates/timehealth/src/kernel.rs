//! The kernel's time discipline as adjtimex(2) reports it (read with modes = 0).

use unix::time::RawTimex;

const STA_PLL: i32 = 0x0001;
const STA_UNSYNC: i32 = 0x0040;
const STA_CLOCKERR: i32 = 0x1000;
const STA_NANO: i32 = 0x2000;
/// The kernel's (and ntpd's) frequency limit, in ppm.
pub const SLEW_LIMIT_PPM: f64 = 500.0;

/// What the kernel says about its clock.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelTime {
    /// STA_UNSYNC clear: a daemon disciplines the clock (what timedatectl shows).
    pub synchronised: bool,
    /// TIME_OK, TIME_INS, ... TIME_ERROR.
    pub state: &'static str,
    pub clock_error: bool,
    pub pll: bool,
    /// Seconds.
    pub max_error: f64,
    pub est_error: f64,
    /// Remaining PLL offset, seconds.
    pub offset: f64,
    /// Frequency correction, ppm (positive: the clock is sped up).
    pub freq_ppm: f64,
    /// Microseconds per tick (10000 at HZ=100; a daemon changing it is slewing hard).
    pub tick: i64,
    /// TAI - UTC in seconds, 0 if nobody set it.
    pub tai: i32,
}

impl KernelTime {
    pub fn from_raw(raw: &RawTimex) -> KernelTime {
        let offset_unit = if raw.status & STA_NANO != 0 { 1e-9 } else { 1e-6 };
        KernelTime {
            synchronised: raw.status & STA_UNSYNC == 0,
            state: state_name(raw.state),
            clock_error: raw.status & STA_CLOCKERR != 0,
            pll: raw.status & STA_PLL != 0,
            max_error: raw.maxerror as f64 / 1e6,
            est_error: raw.esterror as f64 / 1e6,
            offset: raw.offset as f64 * offset_unit,
            freq_ppm: raw.freq as f64 / 65536.0,
            tick: raw.tick,
            tai: raw.tai,
        }
    }

    /// How much of the 500 ppm slew limit the frequency correction uses (0..1).
    pub fn slew_used(&self) -> f64 {
        self.freq_ppm.abs() / SLEW_LIMIT_PPM
    }
}

fn state_name(state: i32) -> &'static str {
    match state {
        0 => "TIME_OK",
        1 => "TIME_INS",
        2 => "TIME_DEL",
        3 => "TIME_OOP",
        4 => "TIME_WAIT",
        5 => "TIME_ERROR",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsynchronised_machine_as_observed() {
        // adjtimex on this project's test machine: return 5, status 0x40.
        let raw = RawTimex {
            state: 5,
            status: 0x40,
            maxerror: 16_000_000,
            esterror: 16_000_000,
            tick: 10000,
            ..RawTimex::default()
        };
        let k = KernelTime::from_raw(&raw);
        assert!(!k.synchronised);
        assert_eq!(k.state, "TIME_ERROR");
        assert_eq!(k.max_error, 16.0);
    }

    #[test]
    fn frequency_is_scaled_from_16_bit_fraction() {
        let raw = RawTimex { status: STA_PLL | STA_NANO, freq: 450 * 65536, offset: 1_500_000, ..RawTimex::default() };
        let k = KernelTime::from_raw(&raw);
        assert!(k.synchronised && k.pll);
        assert_eq!(k.freq_ppm, 450.0);
        assert!((k.slew_used() - 0.9).abs() < 1e-9);
        assert!((k.offset - 0.0015).abs() < 1e-12);
    }
}
