//! `org.systemd.property.NAME` annotations: extra unit properties for `StartTransientUnit`, as runc
//! passes them. The value is GVariant text; rsrun reads the forms runc's documentation and engines
//! use: `true`/`false`, `uint64 N` (also uint32, int64, int32), a bare integer (int32, GVariant's
//! default), a decimal number only for a `...Sec` name, and a quoted string. A name ending in a
//! lowercase letter + "Sec" becomes "...USec" with the value in microseconds (runc's conversion:
//! `TimeoutStopSec=2` is TimeoutStopUSec=2000000). Anything else is refused, naming the annotation.
use super::wire::Enc;
use crate::error::{Error, Quoted, Result};
use crate::spec::Map;
use alloc::string::String;

const PREFIX: &str = "org.systemd.property.";

/// The properties of every such annotation, marshalled as `a(sv)` entries (8-aligned, so they can
/// be appended at any 8-aligned offset of a message body).
#[inline(never)]
pub fn properties(annotations: &Map<'_, crate::spec::Str<'_>>) -> Result<Enc> {
    let mut e = Enc::default();
    for (k, v) in annotations {
        let Some(name) = k.strip_prefix(PREFIX) else { continue };
        let bad = |why: &str| Error::msg(format_args!("annotations.{k}: {why} {}", Quoted::str(v)));
        let mut chars = name.bytes();
        if !chars.next().is_some_and(|c| c.is_ascii_uppercase()) || !chars.all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::msg(format_args!("annotations.{k}: invalid systemd property name")));
        }
        let value = parse(v.trim()).ok_or_else(|| bad("unsupported value"))?;
        let sec = name.strip_suffix("Sec").filter(|n| n.bytes().last().is_some_and(|c| c.is_ascii_lowercase()));
        let mut n = String::from(name);
        let value = match sec {
            Some(base) => {
                n = crate::rt::cat(&[base, "USec"]);
                Value::Num("t", value.usec().ok_or_else(|| bad("not a number of seconds:"))?)
            }
            None => value,
        };
        e.begin_struct();
        e.str(&n);
        match value {
            Value::Bool(b) => {
                e.sig("b");
                e.bool(b);
            }
            Value::Str(s) => {
                e.sig("s");
                e.str(s);
            }
            Value::Num(sig, x) => {
                e.sig(sig);
                if matches!(sig, "t" | "x") { e.u64(x) } else { e.u32(x as u32) }
            }
            Value::Float(_) => return Err(bad("a decimal number only for a ...Sec property:")),
        }
    }
    Ok(e)
}

#[derive(Debug, PartialEq)]
enum Value<'a> {
    Bool(bool),
    /// A number and its D-Bus type: "t" (uint64), "u" (uint32), "x" (int64), "i" (int32); the
    /// signed ones as their two's complement bits (sign-extended to 64).
    Num(&'static str, u64),
    /// Microseconds of a decimal number of seconds ("1.5"), for ...Sec names only.
    Float(u64),
    Str(&'a str),
}

impl Value<'_> {
    /// The value as microseconds, when it is a non-negative number of seconds.
    fn usec(&self) -> Option<u64> {
        match *self {
            Value::Num(sig, x) if !matches!(sig, "x" | "i") || (x as i64) >= 0 => x.checked_mul(1_000_000),
            Value::Float(us) => Some(us),
            _ => None,
        }
    }
}

fn parse(v: &str) -> Option<Value<'_>> {
    let int = |s: &str| -> Option<i64> {
        let (neg, digits) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s),
        };
        let n = i64::try_from(crate::rt::parse_uint(digits)?).ok()?;
        Some(if neg { -n } else { n })
    };
    if let Some((ty, num)) = v.split_once(' ') {
        let num = num.trim();
        let (sig, x) = match ty {
            "uint64" => ("t", crate::rt::parse_uint(num)?),
            "uint32" => ("u", crate::rt::parse_u32(num)?.into()),
            "int64" => ("x", int(num)? as u64),
            "int32" => ("i", i32::try_from(int(num)?).ok()? as i64 as u64),
            _ => return None,
        };
        return Some(Value::Num(sig, x));
    }
    match v {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    for q in [b'\'', b'"'] {
        if let [first, inner @ .., last] = v.as_bytes()
            && *first == q
            && *last == q
        {
            // Bytes, not a char pattern: `str::contains` with a char not known here would bring in
            // core's substring searcher (~2 KB).
            let plain = !inner.iter().any(|&c| c == q || c == b'\\');
            return plain.then(|| Value::Str(crate::rt::tail(crate::rt::head(v, v.len() - 1), 1)));
        }
    }
    if let Some((whole, frac)) = v.split_once('.') {
        // Seconds with up to 6 decimals, as microseconds.
        if frac.is_empty() || frac.len() > 6 || !frac.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let w = crate::rt::parse_uint(whole)?;
        let f = crate::rt::parse_uint(frac)? * 10u64.pow(6 - frac.len() as u32);
        return w.checked_mul(1_000_000)?.checked_add(f).map(Value::Float);
    }
    let n = i32::try_from(int(v)?).ok()?;
    Some(Value::Num("i", n as i64 as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Str;

    fn props(list: &[(&'static str, &'static str)]) -> core::result::Result<Enc, String> {
        let m: Map<'_, Str<'_>> = list.iter().map(|(k, v)| (Str::from(*k), Str::from(*v))).collect();
        properties(&m).map_err(|e| e.to_string())
    }

    #[test]
    fn values_like_runc() {
        assert_eq!(parse("uint64 123456789"), Some(Value::Num("t", 123456789)));
        assert_eq!(parse("int32 -5"), Some(Value::Num("i", -5i64 as u64)));
        assert_eq!(parse("42"), Some(Value::Num("i", 42)));
        assert_eq!(parse("uint32 7"), Some(Value::Num("u", 7)));
        assert_eq!(parse("int32 -5").unwrap().usec(), None);
        assert_eq!(parse("'inactive-or-failed'"), Some(Value::Str("inactive-or-failed")));
        assert_eq!(parse("true"), Some(Value::Bool(true)));
        assert_eq!(parse("1.5"), Some(Value::Float(1_500_000)));
        for bad in ["uint8 1", "[1, 2]", "'a'b'", "1.", "x", "uint64 -1"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn sec_becomes_usec_and_entries_marshal() {
        let e = props(&[
            ("org.systemd.property.TimeoutStopSec", "2"),
            ("other", "ignored"),
            ("org.systemd.property.CollectMode", "'inactive-or-failed'"),
        ])
        .unwrap();
        let mut want = Enc::default();
        want.begin_struct();
        want.str("TimeoutStopUSec");
        want.sig("t");
        want.u64(2_000_000);
        want.begin_struct();
        want.str("CollectMode");
        want.sig("s");
        want.str("inactive-or-failed");
        assert_eq!(e.buf, want.buf);
        // USec names stay, with the value as given.
        let e = props(&[("org.systemd.property.TimeoutStopUSec", "uint64 123456789")]).unwrap();
        assert_eq!(&e.buf[4..20], b"TimeoutStopUSec\0");
        assert!(props(&[("org.systemd.property.lower", "1")]).unwrap_err().contains("invalid systemd property name"));
        assert!(props(&[("org.systemd.property.A-b", "1")]).unwrap_err().contains("invalid systemd property name"));
        let e = props(&[("org.systemd.property.CPUWeight", "[1]")]).unwrap_err();
        assert_eq!(e, "annotations.org.systemd.property.CPUWeight: unsupported value \"[1]\"");
        assert!(props(&[("org.systemd.property.TimeoutSec", "'x'")]).unwrap_err().contains("not a number of seconds"));
    }
}
