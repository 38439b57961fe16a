//! Typed flag and argument values: numbers, sizes ("512m"), durations ("1m30s"), signals
//! ("KILL", "SIGTERM", "9") and `exec --user` ("uid[:gid]"), each strict: anything left over is an
//! error, never silently ignored.
use crate::error::{Error, Result};
use crate::rt::table::Names;

fn invalid(flag: &str, v: &str) -> Error {
    Error::msg(format_args!("invalid value \"{v}\" for flag -{flag}: parse error"))
}

/// A decimal number (as Go's flag package parses Uint/Int64 flags, minus base prefixes).
pub fn uint(flag: &str, v: &str) -> Result<u64> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(flag, v));
    }
    crate::rt::parse_uint(v).ok_or_else(|| invalid(flag, v))
}

/// A signed decimal number.
pub fn int(flag: &str, v: &str) -> Result<i64> {
    let digits = v.strip_prefix('-').unwrap_or(v);
    uint(flag, digits).map_err(|_| invalid(flag, v))?;
    crate::rt::parse_int(v).ok_or_else(|| invalid(flag, v))
}

/// A byte count with an optional binary unit, as docker's units.RAMInBytes reads `update --memory`:
/// "1024", "512k", "64M", "1g", "1GiB", "2tb"; "-1" means unlimited (swap). Case does not matter.
pub fn ram_bytes(flag: &str, v: &str) -> Result<i64> {
    if v == "-1" {
        return Ok(-1);
    }
    let lower = v.to_ascii_lowercase();
    let split = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let Some((num, unit)) = lower.split_at_checked(split) else { return Err(invalid(flag, v)) };
    let shift = match unit.strip_suffix("ib").or_else(|| unit.strip_suffix('b')).unwrap_or(unit) {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return Err(invalid(flag, v)),
    };
    let n = uint(flag, num).map_err(|_| invalid(flag, v))?;
    n.checked_mul(1 << shift).and_then(|b| i64::try_from(b).ok()).ok_or_else(|| invalid(flag, v))
}

/// A Go duration ("5s", "1m30s", "1.5h", "100ms", "250us", "10ns") in nanoseconds. Must be > 0.
pub fn duration_ns(flag: &str, v: &str) -> Result<u64> {
    let mut rest = v;
    let mut total: u64 = 0;
    if rest.is_empty() {
        return Err(invalid(flag, v));
    }
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let Some((num, tail)) = rest.split_at_checked(n_end) else { return Err(invalid(flag, v)) };
        let u_end = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let Some((unit, tail)) = tail.split_at_checked(u_end) else { return Err(invalid(flag, v)) };
        let scale: u64 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(invalid(flag, v)),
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() && frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(flag, v));
        }
        let whole = if int.is_empty() { 0 } else { uint(flag, int).map_err(|_| invalid(flag, v))? };
        let mut part = whole.checked_mul(scale).ok_or_else(|| invalid(flag, v))?;
        let mut div = 1u64;
        for d in frac.bytes().take(18) {
            div *= 10;
            part = part.saturating_add(u64::from(d - b'0') * scale / div);
        }
        total = total.checked_add(part).ok_or_else(|| invalid(flag, v))?;
        rest = tail;
    }
    if total == 0 {
        return Err(invalid(flag, v));
    }
    Ok(total)
}

/// `exec --user`: `<uid>[:<gid>]`, decimal ids only.
pub fn user(v: &str) -> Result<(u32, Option<u32>)> {
    let bad = || Error::msg(format_args!("invalid --user \"{v}\": the format is <uid>[:<gid>] with numeric ids"));
    let num = |s: &str| -> Result<u32> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        crate::rt::parse_u32(s).ok_or_else(bad)
    };
    match v.split_once(':') {
        None => Ok((num(v)?, None)),
        Some((u, g)) => Ok((num(u)?, Some(num(g)?))),
    }
}

/// Linux signal names, index = number (0 unused). SIGIOT = ABRT and SIGPOLL = IO are aliases.
const SIGNALS: Names = crate::names![
    "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM",
    "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH",
    "IO", "PWR", "SYS",
];
const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

/// A signal as `kill` takes it: a number (0..=64), or a name with or without "SIG", any case,
/// including RTMIN, RTMIN+n and RTMAX-n.
pub fn signal(v: &str) -> Result<i32> {
    let bad = || Error::msg(format_args!("unknown signal \"{v}\""));
    if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() {
        return crate::rt::parse_u32(v).map(|n| n as i32).filter(|n| (0..=SIGRTMAX).contains(n)).ok_or_else(bad);
    }
    let up = v.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    if let Some(n) = SIGNALS.position(name).filter(|&n| n > 0) {
        return Ok(n as i32);
    }
    let offset = |s: &str| crate::rt::parse_u32(s).map(|n| n as i32).filter(|n| (0..=SIGRTMAX - SIGRTMIN).contains(n));
    let n = match name {
        "IOT" => Some(6),
        "POLL" => Some(29),
        "RTMIN" => Some(SIGRTMIN),
        "RTMAX" => Some(SIGRTMAX),
        _ => {
            if let Some(k) = name.strip_prefix("RTMIN+") {
                offset(k).map(|k| SIGRTMIN + k)
            } else if let Some(k) = name.strip_prefix("RTMAX-") {
                offset(k).map(|k| SIGRTMAX - k)
            } else {
                None
            }
        }
    };
    n.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(ram_bytes("m", "1024").unwrap(), 1024);
        assert_eq!(ram_bytes("m", "512k").unwrap(), 512 << 10);
        assert_eq!(ram_bytes("m", "64M").unwrap(), 64 << 20);
        assert_eq!(ram_bytes("m", "1GiB").unwrap(), 1 << 30);
        assert_eq!(ram_bytes("m", "2tb").unwrap(), 2 << 40);
        assert_eq!(ram_bytes("m", "-1").unwrap(), -1);
        for bad in ["", "k", "1x", "-2", "1.5g", "99999999999p", " 1"] {
            assert!(ram_bytes("m", bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            ram_bytes("memory", "1x").unwrap_err().to_string(),
            "invalid value \"1x\" for flag -memory: parse error"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ns("i", "5s").unwrap(), 5_000_000_000);
        assert_eq!(duration_ns("i", "1m30s").unwrap(), 90_000_000_000);
        assert_eq!(duration_ns("i", "1.5h").unwrap(), 5_400_000_000_000);
        assert_eq!(duration_ns("i", "100ms").unwrap(), 100_000_000);
        assert_eq!(duration_ns("i", "250us").unwrap(), 250_000);
        assert_eq!(duration_ns("i", ".5s").unwrap(), 500_000_000);
        for bad in ["", "5", "s", "0s", "-1s", "1x", "1.s.", "."] {
            assert!(duration_ns("i", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn users() {
        assert_eq!(user("0").unwrap(), (0, None));
        assert_eq!(user("1000:100").unwrap(), (1000, Some(100)));
        for bad in ["", "root", "1:", ":1", "1:2:3", "+1", "-1", "4294967296", " 1"] {
            assert!(user(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn signals() {
        for (s, n) in [
            ("KILL", 9),
            ("SIGKILL", 9),
            ("sigterm", 15),
            ("9", 9),
            ("0", 0),
            ("RTMIN+2", 36),
            ("SIGRTMAX-1", 63),
            ("IOT", 6),
            ("WINCH", 28),
        ] {
            assert_eq!(signal(s).unwrap(), n, "{s}");
        }
        for bad in ["", "FOO", "SIG", "65", "-1", "RTMIN+31", "RTMAX-x"] {
            assert!(signal(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(uint("preserve-fds", "3").unwrap(), 3);
        assert_eq!(int("q", "-5").unwrap(), -5);
        for bad in ["", "-", "+1", "1.0", "x"] {
            assert!(int("q", bad).is_err(), "{bad:?}");
        }
        assert!(uint("q", "-1").is_err());
    }
}
