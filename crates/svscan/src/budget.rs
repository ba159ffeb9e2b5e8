//! The stop budget of the whole tree, from svscan's environment.

use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use strerr::warn;

use crate::table::STOP_BUDGET;

/// The variable that sets the stop budget: seconds, decimals allowed.
pub const BUDGET_VAR: &str = "TEND_STOP_TIMEOUT";

/// The stop budget [`BUDGET_VAR`] asks for, or [`STOP_BUDGET`] without it or
/// (with a warning naming it) when it is not a number of seconds. The
/// variable is removed from the environment: it is svscan's setting, and
/// the services get the environment they got before it existed.
pub fn budget_from_env() -> Duration {
    let Some(value) = std::env::var_os(BUDGET_VAR) else { return STOP_BUDGET };
    std::env::remove_var(BUDGET_VAR);
    seconds(value.as_bytes()).unwrap_or_else(|| {
        let default = STOP_BUDGET.as_secs().to_string();
        let var = BUDGET_VAR.as_bytes();
        warn(&[var, b"=", value.as_bytes(), b" is not a number of seconds: using ", default.as_bytes()]);
        STOP_BUDGET
    })
}

/// `5`, `0.5`, `12.25`: seconds in decimal, nothing else (no sign, no
/// exponent, no blank); none beyond a year.
pub fn seconds(text: &[u8]) -> Option<Duration> {
    let mut parts = text.splitn(2, |&b| b == b'.');
    let whole = parts.next()?;
    let fraction = parts.next().unwrap_or(b"");
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with(b".") {
        return None;
    }
    let secs: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    (secs <= 365.0 * 86400.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_with_decimals_and_nothing_else() {
        assert_eq!(seconds(b"5"), Some(Duration::from_secs(5)));
        assert_eq!(seconds(b"0.25"), Some(Duration::from_millis(250)));
        assert_eq!(seconds(b"0"), Some(Duration::ZERO));
        assert_eq!(seconds(b"30.0"), Some(Duration::from_secs(30)));
        for bad in [&b""[..], b"-1", b"+1", b".5", b"5.", b"1e3", b"inf", b"nan", b" 5", b"5s", b"1.2.3", b"99999999"] {
            assert_eq!(seconds(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
