//! A small JSON writer into a byte buffer. It manages commas; the caller keeps keys and values paired.
use alloc::vec::Vec;

#[derive(Default)]
pub struct Writer {
    out: Vec<u8>,
    need_comma: bool,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    fn sep(&mut self) {
        if self.need_comma {
            self.out.push(b',');
        }
    }

    pub fn begin_object(&mut self) -> &mut Self {
        self.sep();
        self.out.push(b'{');
        self.need_comma = false;
        self
    }

    pub fn end_object(&mut self) -> &mut Self {
        self.out.push(b'}');
        self.need_comma = true;
        self
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.sep();
        self.out.push(b'[');
        self.need_comma = false;
        self
    }

    pub fn end_array(&mut self) -> &mut Self {
        self.out.push(b']');
        self.need_comma = true;
        self
    }

    /// An object key; the next call writes its value.
    pub fn key(&mut self, k: &str) -> &mut Self {
        self.sep();
        escape_into(&mut self.out, k.as_bytes());
        self.out.push(b':');
        self.need_comma = false;
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes_str(s.as_bytes())
    }

    /// A string from bytes that may not be UTF-8 (e.g. a path): invalid sequences become U+FFFD,
    /// so the output is always valid JSON.
    pub fn bytes_str(&mut self, s: &[u8]) -> &mut Self {
        self.sep();
        escape_into(&mut self.out, s);
        self.need_comma = true;
        self
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.sep();
        self.out.extend_from_slice(crate::rt::dec(v, &mut [0; 20]));
        self.need_comma = true;
        self
    }

    pub fn i64(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.sep();
            self.out.push(b'-');
            self.need_comma = false;
        }
        self.u64(v.unsigned_abs())
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.raw(if v { b"true" } else { b"false" })
    }

    pub fn null(&mut self) -> &mut Self {
        self.raw(b"null")
    }

    /// Already-encoded JSON (e.g. a value copied from a parsed document with `Value::text`).
    pub fn raw(&mut self, json: &[u8]) -> &mut Self {
        self.sep();
        self.out.extend_from_slice(json);
        self.need_comma = true;
        self
    }

    pub fn field_str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k).str(v)
    }

    pub fn field_u64(&mut self, k: &str, v: u64) -> &mut Self {
        self.key(k).u64(v)
    }

    pub fn field_i64(&mut self, k: &str, v: i64) -> &mut Self {
        self.key(k).i64(v)
    }

    pub fn field_bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k).bool(v)
    }
}

/// Appends `s` as a quoted JSON string: quotes, backslashes and control characters escaped,
/// invalid UTF-8 replaced by U+FFFD.
pub fn escape_into(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let mut rest = s;
    while !rest.is_empty() {
        let (valid, bad) = match core::str::from_utf8(rest) {
            Ok(v) => (v, 0),
            Err(e) => {
                let v = e.valid_up_to();
                (
                    // SAFETY: from_utf8 reported the first `v` bytes as valid UTF-8.
                    unsafe { core::str::from_utf8_unchecked(&rest[..v]) },
                    e.error_len().unwrap_or(rest.len() - v),
                )
            }
        };
        escape_str(out, valid);
        if bad > 0 {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
        rest = &rest[valid.len() + bad..];
    }
    out.push(b'"');
}

fn escape_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f | 0x7f => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
}
