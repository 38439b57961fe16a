//! D-Bus message marshalling: the little-endian wire format of the D-Bus specification, reduced to
//! the types the systemd driver sends and reads (y b u t s o g, arrays, structs, variants).
//!
//! Every value is aligned to its size from the start of the message (strings, object paths and
//! array lengths to 4, structs and dict entries to 8, signatures and variants to 1). A message is
//! a 16-byte fixed header, an array of header fields `a(yv)` padded to 8, then the body.
use alloc::string::String;
use alloc::vec::Vec;

pub const METHOD_CALL: u8 = 1;
pub const METHOD_RETURN: u8 = 2;
pub const ERROR: u8 = 3;
pub const SIGNAL: u8 = 4;

/// Header field codes.
const F_PATH: u8 = 1;
const F_INTERFACE: u8 = 2;
const F_MEMBER: u8 = 3;
const F_ERROR_NAME: u8 = 4;
const F_REPLY_SERIAL: u8 = 5;
const F_DESTINATION: u8 = 6;
const F_SIGNATURE: u8 = 8;

/// Writes values into a buffer whose offset 0 is 8-aligned in the message (a whole message, or a
/// body, which always starts 8-aligned).
#[derive(Default, Debug)]
pub struct Enc {
    pub buf: Vec<u8>,
}

impl Enc {
    pub fn pad(&mut self, align: usize) {
        while !self.buf.len().is_multiple_of(align) {
            self.buf.push(0);
        }
    }
    pub fn byte(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.pad(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.pad(8);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bool(&mut self, v: bool) {
        self.u32(v as u32);
    }
    /// A string or an object path.
    pub fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }
    pub fn sig(&mut self, s: &str) {
        self.buf.push(s.len() as u8);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }
    /// Starts an array whose elements align to `elem_align`; returns what `end_array` needs. The
    /// length counts from the first element, after the padding.
    pub fn begin_array(&mut self, elem_align: usize) -> (usize, usize) {
        self.u32(0);
        let at = self.buf.len() - 4;
        self.pad(elem_align);
        (at, self.buf.len())
    }
    pub fn end_array(&mut self, (at, start): (usize, usize)) {
        let n = (self.buf.len() - start) as u32;
        self.buf[at..at + 4].copy_from_slice(&n.to_le_bytes());
    }
    /// Starts a struct (or dict entry): 8-aligned.
    pub fn begin_struct(&mut self) {
        self.pad(8);
    }
}

/// A method call, ready to send: header and `body` (marshalled for `signature`).
pub fn method_call(
    serial: u32,
    dest: Option<&str>,
    path: &str,
    iface: &str,
    member: &str,
    signature: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut e = Enc::default();
    e.buf.extend_from_slice(&[b'l', METHOD_CALL, 0, 1]);
    e.u32(body.len() as u32);
    e.u32(serial);
    let a = e.begin_array(8);
    let field = |e: &mut Enc, code: u8, ty: &str, v: &str| {
        e.begin_struct();
        e.byte(code);
        e.sig(ty);
        if ty == "g" { e.sig(v) } else { e.str(v) }
    };
    field(&mut e, F_PATH, "o", path);
    field(&mut e, F_INTERFACE, "s", iface);
    field(&mut e, F_MEMBER, "s", member);
    if let Some(d) = dest {
        field(&mut e, F_DESTINATION, "s", d);
    }
    if !signature.is_empty() {
        field(&mut e, F_SIGNATURE, "g", signature);
    }
    e.end_array(a);
    e.pad(8);
    e.buf.extend_from_slice(body);
    e.buf
}

/// A message rsrun cannot read: big-endian, another protocol version, or over the size limit.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// How many bytes the message at the start of `buf` takes, once its 16-byte fixed header is in;
/// None: not enough bytes yet.
pub fn message_len(buf: &[u8]) -> Result<Option<usize>, Malformed> {
    if buf.len() < 16 {
        return Ok(None);
    }
    if buf[0] != b'l' || buf[3] != 1 {
        return Err(Malformed);
    }
    let body = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
    let fields = u32::from_le_bytes([buf[12], buf[13], buf[14], buf[15]]) as usize;
    let total = (16 + fields).next_multiple_of(8).checked_add(body).ok_or(Malformed)?;
    // The specification's limit for a whole message.
    if total > 1 << 27 {
        return Err(Malformed);
    }
    Ok(Some(total))
}

/// A received message: the header fields the driver looks at, and the body.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Msg {
    pub kind: u8,
    pub reply_serial: u32,
    pub member: String,
    pub error_name: String,
    pub signature: String,
    pub body: Vec<u8>,
}

/// Parses one whole message (`buf` is exactly `message_len` bytes).
pub fn parse(buf: &[u8]) -> Option<Msg> {
    let fields_len = u32::from_le_bytes(buf.get(12..16)?.try_into().ok()?) as usize;
    let end = 16 + fields_len;
    let mut d = Dec { buf: buf.get(..end)?, pos: 16 };
    let mut m = Msg { kind: buf[1], ..Msg::default() };
    while d.pos < end {
        d.align(8)?;
        let code = d.byte()?;
        let ty = d.sig()?;
        match ty {
            "u" => {
                let v = d.u32()?;
                if code == F_REPLY_SERIAL {
                    m.reply_serial = v;
                }
            }
            "s" | "o" => {
                let v = d.str()?;
                match code {
                    F_MEMBER => m.member = v.into(),
                    F_ERROR_NAME => m.error_name = v.into(),
                    _ => {}
                }
            }
            "g" => {
                let v = d.sig()?;
                if code == F_SIGNATURE {
                    m.signature = v.into();
                }
            }
            _ => return None,
        }
    }
    let body_at = end.next_multiple_of(8);
    m.body = buf.get(body_at..)?.to_vec();
    Some(m)
}

/// Reads values from a body (offset 0 is 8-aligned in the message).
pub struct Dec<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Dec<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Dec { buf, pos: 0 }
    }
    fn align(&mut self, a: usize) -> Option<()> {
        self.pos = self.pos.next_multiple_of(a);
        (self.pos <= self.buf.len()).then_some(())
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    pub fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Option<u32> {
        self.align(4)?;
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    /// A string or an object path.
    pub fn str(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        let s = self.take(n + 1)?;
        core::str::from_utf8(&s[..n]).ok()
    }
    pub fn sig(&mut self) -> Option<&'a str> {
        let n = self.byte()? as usize;
        let s = self.take(n + 1)?;
        core::str::from_utf8(&s[..n]).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1
    /// org.freedesktop.systemd1.Manager StopUnit ss x.scope replace`, serial 2, byte by byte as
    /// the specification lays it out.
    #[test]
    fn method_call_bytes() {
        let mut body = Enc::default();
        body.str("x.scope");
        body.str("replace");
        assert_eq!(body.buf, b"\x07\0\0\0x.scope\0\x07\0\0\0replace\0");
        let m = method_call(
            2,
            Some("org.freedesktop.systemd1"),
            "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager",
            "StopUnit",
            "ss",
            &body.buf,
        );
        let mut want: Vec<u8> = Vec::new();
        want.extend_from_slice(b"l\x01\x00\x01");
        want.extend_from_slice(&(body.buf.len() as u32).to_le_bytes());
        want.extend_from_slice(&2u32.to_le_bytes());
        let mut fields: Vec<u8> = Vec::new();
        // (PATH, o): code, signature "o", padding to 4 (offset 16+4 = 20), length, text, NUL
        fields.extend_from_slice(b"\x01\x01o\0");
        fields.extend_from_slice(b"\x19\0\0\0/org/freedesktop/systemd1\0");
        while !(16 + fields.len()).is_multiple_of(8) {
            fields.push(0);
        }
        fields.extend_from_slice(b"\x02\x01s\0\x20\0\0\0org.freedesktop.systemd1.Manager\0");
        while !(16 + fields.len()).is_multiple_of(8) {
            fields.push(0);
        }
        fields.extend_from_slice(b"\x03\x01s\0\x08\0\0\0StopUnit\0");
        while !(16 + fields.len()).is_multiple_of(8) {
            fields.push(0);
        }
        fields.extend_from_slice(b"\x06\x01s\0\x18\0\0\0org.freedesktop.systemd1\0");
        while !(16 + fields.len()).is_multiple_of(8) {
            fields.push(0);
        }
        fields.extend_from_slice(b"\x08\x01g\0\x02ss\0");
        want.extend_from_slice(&(fields.len() as u32).to_le_bytes());
        want.extend_from_slice(&fields);
        while !want.len().is_multiple_of(8) {
            want.push(0);
        }
        want.extend_from_slice(&body.buf);
        assert_eq!(m, want);
        assert_eq!(message_len(&m), Ok(Some(m.len())));
        let back = parse(&m).unwrap();
        assert_eq!((back.kind, back.member.as_str(), back.signature.as_str()), (METHOD_CALL, "StopUnit", "ss"));
        let mut d = Dec::new(&back.body);
        assert_eq!((d.str(), d.str(), d.str()), (Some("x.scope"), Some("replace"), None));
    }

    #[test]
    fn arrays_align_and_count_from_the_first_element() {
        // a(sv) with one ("Delegate", <true>) and an empty au: lengths exclude the padding.
        let mut e = Enc::default();
        e.byte(7);
        let a = e.begin_array(8);
        e.begin_struct();
        e.str("Delegate");
        e.sig("b");
        e.bool(true);
        e.end_array(a);
        let b = e.begin_array(4);
        e.end_array(b);
        assert_eq!(
            e.buf,
            b"\x07\0\0\0\x14\0\0\0\x08\0\0\0Delegate\0\x01b\0\x01\0\0\0\0\0\0\0".as_slice(),
        );
    }

    #[test]
    fn reads_a_signal_and_rejects_truncation() {
        // JobRemoved(uoss) as systemd sends it, hand-built: serial 9, fields MEMBER and SIGNATURE.
        let mut body = Enc::default();
        body.u32(42);
        body.str("/org/freedesktop/systemd1/job/42");
        body.str("rsrun-a.scope");
        body.str("done");
        let mut e = Enc::default();
        e.buf.extend_from_slice(&[b'l', SIGNAL, 1, 1]);
        e.u32(body.buf.len() as u32);
        e.u32(9);
        let a = e.begin_array(8);
        e.begin_struct();
        e.byte(F_MEMBER);
        e.sig("s");
        e.str("JobRemoved");
        e.begin_struct();
        e.byte(F_SIGNATURE);
        e.sig("g");
        e.sig("uoss");
        e.end_array(a);
        e.pad(8);
        e.buf.extend_from_slice(&body.buf);
        let m = parse(&e.buf).unwrap();
        assert_eq!((m.kind, m.member.as_str(), m.signature.as_str()), (SIGNAL, "JobRemoved", "uoss"));
        let mut d = Dec::new(&m.body);
        assert_eq!(d.u32(), Some(42));
        assert_eq!(d.str(), Some("/org/freedesktop/systemd1/job/42"));
        assert_eq!((d.str(), d.str()), (Some("rsrun-a.scope"), Some("done")));
        assert_eq!(message_len(&e.buf[..15]), Ok(None));
        assert!(message_len(b"B\x01\0\x01\0\0\0\0\0\0\0\0\0\0\0\0").is_err());
        assert!(parse(&e.buf[..20]).is_none());
        let mut d = Dec::new(b"\xff\0\0\0ab");
        assert_eq!(d.str(), None);
    }
}
