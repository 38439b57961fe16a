//! Wall-clock time and RFC 3339 timestamps (log lines, `created` in state.json).
//!
//! The clock is read through the vDSO (rt/vdso.rs: no syscall), else with
//! `syscalls::time::clock_gettime`, a plain syscall.

/// Seconds and nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

/// The current wall-clock time; a zero time if the clock cannot be read (it always can).
pub fn realtime() -> Timespec {
    // CLOCK_REALTIME is 0.
    if let Some((sec, nsec)) = super::vdso::clock_gettime(0) {
        return Timespec { sec, nsec: nsec as u32 };
    }
    match syscalls::time::clock_gettime(syscalls::time::ClockId::Realtime) {
        Ok(t) => Timespec { sec: t.tv_sec, nsec: t.tv_nsec as u32 },
        Err(_) => Timespec { sec: 0, nsec: 0 },
    }
}

/// Length of `rfc3339`'s output: `2026-11-29T00:12:34.123456789Z`.
pub const RFC3339_LEN: usize = 30;

/// Formats `t` as RFC 3339 in UTC with nanoseconds (always 9 digits; Go's RFC3339Nano parser and
/// every engine accept that).
pub fn rfc3339(t: Timespec) -> [u8; RFC3339_LEN] {
    let days = t.sec.div_euclid(86_400);
    let secs = t.sec.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    let mut out = *b"0000-00-00T00:00:00.000000000Z";
    // (end, value) of each field, written right to left. Through `get_mut`: with opt-level "z",
    // `&mut out[a..b]` stays a call to core's index_mut with a panic location, once per field.
    let fields = [
        (4, y.rem_euclid(10_000) as u32),
        (7, m),
        (10, d),
        (13, secs / 3600),
        (16, secs / 60 % 60),
        (19, secs % 60),
        (29, t.nsec.min(999_999_999)),
    ];
    let mut start = 0;
    for (end, mut v) in fields {
        for b in out.get_mut(start..end).unwrap_or_default().iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
        start = end + 1;
    }
    out
}

/// Proleptic Gregorian (year, month, day) of `z` days since 1970-01-01. Works in 400-year eras
/// (146097 days each) that start on March 1st, so the leap day falls at the end of an era-year.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u32; // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year, 0..=365
    let mp = (5 * doy + 2) / 153; // March = 0 .. February = 11
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe as i64 + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(sec: i64, nsec: u32) -> String {
        String::from_utf8(rfc3339(Timespec { sec, nsec }).to_vec()).unwrap()
    }

    #[test]
    fn known_dates() {
        assert_eq!(fmt(0, 0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(fmt(951_782_400, 5), "2000-02-29T00:00:00.000000005Z");
        assert_eq!(fmt(1_709_251_199, 999_999_999), "2024-02-29T23:59:59.999999999Z");
        assert_eq!(fmt(1_796_000_000, 123_456_789), "2026-11-30T00:53:20.123456789Z");
        assert_eq!(fmt(4_102_444_800, 0), "2100-01-01T00:00:00.000000000Z");
        assert_eq!(fmt(-1, 0), "1969-12-31T23:59:59.000000000Z");
    }

    /// Every day over 1600 years against a simple day-by-day walk of the calendar.
    #[test]
    fn matches_a_day_by_day_walk() {
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let (mut y, mut m, mut d) = (1600i64, 1u32, 1u32);
        let start = -135_140; // days from 1970-01-01 back to 1600-01-01
        for z in start..start + 1600 * 366 {
            assert_eq!(civil_from_days(z), (y, m, d), "day {z}");
            let len = match m {
                2 if leap(y) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            d += 1;
            if d > len {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn clock_is_plausible() {
        let t = realtime();
        assert!(t.sec > 1_700_000_000 && t.nsec < 1_000_000_000);
    }
}
