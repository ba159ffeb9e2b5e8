//! Calendar arithmetic (pure): days since 1970-01-01 and dates, both ways
//! (Howard Hinnant's algorithms), and seconds as `HH:MM:SS`.

/// Days from 1970-01-01 to `year-month-day` (proleptic Gregorian).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01: (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A broken-down time: date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Civil {
    /// `secs` seconds after the epoch, in a zone `offset` seconds east of UTC.
    pub fn at(secs: i64, offset: i64) -> Civil {
        let local = secs + offset;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        let t = local.rem_euclid(86_400) as u32;
        Civil { year, month, day, hour: t / 3600, minute: t / 60 % 60, second: t % 60 }
    }

    /// Seconds after the epoch of this time read in a zone `offset` seconds east of UTC.
    pub fn seconds(&self, offset: i64) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
            - offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        for d in (-800_000..800_000).step_by(97) {
            let (y, m, day) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, day), d);
        }
        let c = Civil::at(935_467_445, 0);
        assert_eq!(c, Civil { year: 1999, month: 8, day: 24, hour: 4, minute: 4, second: 5 });
        assert_eq!(c.seconds(0), 935_467_445);
        assert_eq!(Civil::at(935_467_445, 3600).hour, 5);
        assert_eq!(Civil::at(-1, 0), Civil { year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59 });
    }
}
