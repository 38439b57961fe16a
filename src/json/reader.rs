//! The zero-copy reader. See the module docs in `json/mod.rs`.
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Deeper nesting than this is refused; no real config comes near it.
const MAX_DEPTH: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

#[derive(Clone, Copy)]
struct Node {
    kind: Kind,
    /// String contains at least one backslash escape (so it must be unescaped to be read).
    escaped: bool,
    /// Byte range in the input: string contents without quotes; number text; for true/false the
    /// literal; for containers from the opening to one past the closing bracket.
    start: u32,
    end: u32,
    /// Index of the node after this one and all its descendants.
    next: u32,
}

/// A parsed document: the input plus a tape of nodes in document order.
pub struct Document<'a> {
    src: &'a [u8],
    nodes: Vec<Node>,
}

/// Where and why the input is not valid JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub msg: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at line {} column {}: {}", self.line, self.column, self.msg)
    }
}

/// Parses `src` as one JSON value (with optional surrounding whitespace).
pub fn parse(src: &[u8]) -> Result<Document<'_>, ParseError> {
    Parser { src, pos: 0, nodes: Vec::new(), stack: Vec::new() }.run()
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    /// Open containers: (node index, is_object).
    stack: Vec<(u32, bool)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Expect {
    Value,
    /// First element of an array, or `]`.
    ValueOrClose,
    /// First key of an object, or `}`.
    KeyOrClose,
    Key,
    CommaOrClose,
    Done,
}

impl<'a> Parser<'a> {
    fn err(&self, msg: &'static str) -> ParseError {
        let at = self.pos.min(self.src.len());
        let before = &self.src[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = at - before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        ParseError { offset: at, line, column, msg }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize, escaped: bool) -> u32 {
        let i = self.nodes.len() as u32;
        self.nodes.push(Node { kind, escaped, start: start as u32, end: end as u32, next: i + 1 });
        i
    }

    fn after_value(&self) -> Expect {
        if self.stack.is_empty() { Expect::Done } else { Expect::CommaOrClose }
    }

    fn run(mut self) -> Result<Document<'a>, ParseError> {
        if self.src.len() >= u32::MAX as usize {
            return Err(self.err("document too large"));
        }
        let mut expect = Expect::Value;
        loop {
            self.skip_ws();
            let Some(b) = self.peek() else {
                if expect == Expect::Done {
                    return Ok(Document { src: self.src, nodes: self.nodes });
                }
                return Err(self.err("unexpected end of input"));
            };
            expect = match expect {
                Expect::Done => return Err(self.err("trailing characters after the JSON value")),
                Expect::ValueOrClose if b == b']' => self.close(),
                Expect::KeyOrClose if b == b'}' => self.close(),
                Expect::Value | Expect::ValueOrClose => self.value(b)?,
                Expect::Key | Expect::KeyOrClose => {
                    if b != b'"' {
                        return Err(self.err("expected a string key"));
                    }
                    self.string()?;
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected ':' after an object key"));
                    }
                    self.pos += 1;
                    Expect::Value
                }
                Expect::CommaOrClose => {
                    let Some(&(_, is_object)) = self.stack.last() else {
                        return Err(self.err("internal: no open container"));
                    };
                    match (b, is_object) {
                        (b',', true) => {
                            self.pos += 1;
                            Expect::Key
                        }
                        (b',', false) => {
                            self.pos += 1;
                            Expect::Value
                        }
                        (b'}', true) | (b']', false) => self.close(),
                        (_, true) => return Err(self.err("expected ',' or '}' in object")),
                        (_, false) => return Err(self.err("expected ',' or ']' in array")),
                    }
                }
            };
        }
    }

    /// Closes the innermost container at the current `}` or `]`.
    fn close(&mut self) -> Expect {
        self.pos += 1;
        if let Some((i, _)) = self.stack.pop() {
            let next = self.nodes.len() as u32;
            let node = &mut self.nodes[i as usize];
            node.next = next;
            node.end = self.pos as u32;
        }
        self.after_value()
    }

    fn value(&mut self, b: u8) -> Result<Expect, ParseError> {
        match b {
            b'{' | b'[' => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.err("nesting too deep"));
                }
                let obj = b == b'{';
                let i = self.push(if obj { Kind::Object } else { Kind::Array }, self.pos, self.pos, false);
                self.stack.push((i, obj));
                self.pos += 1;
                return Ok(if obj { Expect::KeyOrClose } else { Expect::ValueOrClose });
            }
            b'"' => self.string()?,
            b'-' | b'0'..=b'9' => self.number()?,
            b't' => self.literal(b"true", Kind::Bool)?,
            b'f' => self.literal(b"false", Kind::Bool)?,
            b'n' => self.literal(b"null", Kind::Null)?,
            _ => return Err(self.err("expected a value")),
        }
        Ok(self.after_value())
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Result<(), ParseError> {
        if !self.src[self.pos..].starts_with(word) {
            return Err(self.err("invalid literal"));
        }
        self.push(kind, self.pos, self.pos + word.len(), false);
        self.pos += word.len();
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number: digits expected after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number: digits expected in exponent"));
            }
        }
        self.push(Kind::Number, start, self.pos, false);
        Ok(())
    }

    /// A string at `"`: checks escapes, control characters and UTF-8; records the raw contents.
    fn string(&mut self) -> Result<(), ParseError> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            let Some(off) = memchr::memchr2(b'"', b'\\', &self.src[self.pos..]) else {
                self.pos = self.src.len();
                return Err(self.err("unterminated string"));
            };
            if let Some(c) = self.src[self.pos..self.pos + off].iter().position(|&c| c < 0x20) {
                self.pos += c;
                return Err(self.err("control character in string"));
            }
            self.pos += off;
            if self.src[self.pos] == b'"' {
                break;
            }
            escaped = true;
            self.pos += 1; // the backslash
            match self.peek() {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 1,
                Some(b'u') => {
                    let unit = self.hex4()?;
                    if (0xDC00..0xE000).contains(&unit) {
                        return Err(self.err("lone low surrogate in \\u escape"));
                    }
                    if (0xD800..0xDC00).contains(&unit) {
                        if !self.src[self.pos..].starts_with(b"\\u") {
                            return Err(self.err("high surrogate not followed by a low surrogate"));
                        }
                        self.pos += 1;
                        let low = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&low) {
                            return Err(self.err("high surrogate not followed by a low surrogate"));
                        }
                    }
                }
                _ => return Err(self.err("invalid escape in string")),
            }
        }
        if core::str::from_utf8(&self.src[start..self.pos]).is_err() {
            return Err(self.err("invalid UTF-8 in string"));
        }
        self.push(Kind::String, start, self.pos, escaped);
        self.pos += 1; // closing quote
        Ok(())
    }

    /// Reads `uXXXX` at the current position (just after the backslash).
    fn hex4(&mut self) -> Result<u32, ParseError> {
        let h = self.src.get(self.pos + 1..self.pos + 5).ok_or_else(|| self.err("truncated \\u escape"))?;
        let mut v = 0;
        for &c in h {
            let d = (c as char).to_digit(16).ok_or_else(|| self.err("invalid hex digit in \\u escape"))?;
            v = v * 16 + d;
        }
        self.pos += 5;
        Ok(v)
    }
}

/// A string as it appears in the input; unescaped on demand.
#[derive(Clone, Copy)]
pub struct Str<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> Str<'a> {
    /// The string's value: borrowed from the input unless it contains escapes.
    pub fn get(&self) -> Cow<'a, str> {
        if self.escaped { Cow::Owned(unescape(self.raw)) } else { Cow::Borrowed(self.raw) }
    }

    /// The string's value when it has no escapes (the usual case), without allocating.
    pub fn borrowed(&self) -> Option<&'a str> {
        (!self.escaped).then_some(self.raw)
    }

    /// The text between the quotes, escapes and all.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    pub fn eq_str(&self, s: &str) -> bool {
        if self.escaped { unescape(self.raw) == s } else { self.raw == s }
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.get())
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.get(), f)
    }
}

/// Decodes escapes in string contents the parser already validated.
fn unescape(raw: &str) -> String {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let Some(off) = memchr::memchr(b'\\', &b[i..]) else {
            out.push_str(crate::rt::tail(raw, i));
            break;
        };
        out.push_str(raw.get(i..i + off).unwrap_or(""));
        i += off + 1;
        let c = match b[i] {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex(&b[i + 1..i + 5]);
                i += 4;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    let lo = hex(&b[i + 3..i + 7]);
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                char::from_u32(cp).unwrap_or('\u{fffd}')
            }
            other => other as char, // " \ /
        };
        out.push(c);
        i += 1;
    }
    out
}

fn hex(h: &[u8]) -> u32 {
    h.iter().fold(0, |v, &c| v * 16 + (c as char).to_digit(16).unwrap_or(0))
}

impl<'a> Document<'a> {
    pub fn root(&self) -> Value<'_, 'a> {
        Value { doc: self, i: 0 }
    }

    /// The input the document was parsed from.
    pub fn source(&self) -> &'a [u8] {
        self.src
    }
}

/// A node of a parsed document.
#[derive(Clone, Copy)]
pub struct Value<'d, 'a> {
    doc: &'d Document<'a>,
    i: u32,
}

impl<'d, 'a> Value<'d, 'a> {
    fn node(&self) -> &'d Node {
        &self.doc.nodes[self.i as usize]
    }

    fn at(&self, i: u32) -> Value<'d, 'a> {
        Value { doc: self.doc, i }
    }

    pub fn kind(&self) -> Kind {
        self.node().kind
    }

    pub fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }

    /// The value's JSON text in the input (for error messages; long values are cut by the caller).
    pub fn text(&self) -> &'a str {
        let n = self.node();
        let (s, e) = if n.kind == Kind::String { (n.start - 1, n.end + 1) } else { (n.start, n.end) };
        // The parser only records ranges on ASCII token boundaries, and string contents are valid UTF-8.
        core::str::from_utf8(&self.doc.src[s as usize..e as usize]).unwrap_or("")
    }

    pub fn as_bool(&self) -> Option<bool> {
        (self.kind() == Kind::Bool).then(|| self.doc.src[self.node().start as usize] == b't')
    }

    pub fn as_str(&self) -> Option<Str<'a>> {
        let n = self.node();
        if n.kind != Kind::String {
            return None;
        }
        let raw = core::str::from_utf8(&self.doc.src[n.start as usize..n.end as usize]).ok()?;
        Some(Str { raw, escaped: n.escaped })
    }

    /// The number's text, if this is a number.
    pub fn as_number(&self) -> Option<&'a str> {
        (self.kind() == Kind::Number).then(|| self.text())
    }

    /// An integer in u64 range; None for anything else (fractions, exponents, negatives, overflow).
    pub fn as_u64(&self) -> Option<u64> {
        let t = self.as_number()?;
        let mut v: u64 = 0;
        for c in t.bytes() {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
        }
        Some(v)
    }

    /// An integer in i64 range; None for anything else.
    pub fn as_i64(&self) -> Option<i64> {
        let t = self.as_number()?;
        let (neg, digits) = match t.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, t),
        };
        let mut v: i64 = 0;
        for c in digits.bytes() {
            if !c.is_ascii_digit() {
                return None;
            }
            let d = (c - b'0') as i64;
            v = v.checked_mul(10)?;
            v = if neg { v.checked_sub(d)? } else { v.checked_add(d)? };
        }
        Some(v)
    }

    /// The array's elements (empty for a non-array).
    pub fn items(&self) -> impl Iterator<Item = Value<'d, 'a>> + 'd {
        let n = *self.node();
        let (mut i, end) = if n.kind == Kind::Array { (self.i + 1, n.next) } else { (0, 0) };
        let doc = self.doc;
        core::iter::from_fn(move || {
            if i >= end {
                return None;
            }
            let v = Value { doc, i };
            i = v.node().next;
            Some(v)
        })
    }

    /// Number of elements of an array or members of an object.
    pub fn len(&self) -> usize {
        match self.kind() {
            Kind::Array => self.items().count(),
            Kind::Object => self.members().count(),
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All members of an object in input order, duplicates included (empty for a non-object).
    pub fn members(&self) -> Members<'d, 'a> {
        let n = *self.node();
        let (i, end) = if n.kind == Kind::Object { (self.i + 1, n.next) } else { (0, 0) };
        Members { doc: self.doc, i, end }
    }

    /// The value of member `key`; with duplicate keys the last one wins, as in Go's decoder.
    pub fn get(&self, key: &str) -> Option<Value<'d, 'a>> {
        let mut found = None;
        for (k, v) in self.members() {
            if k.eq_str(key) {
                found = Some(v);
            }
        }
        found
    }

    /// Members with duplicate keys removed (the last occurrence kept), in first-seen order of the
    /// surviving entries.
    pub fn unique_members(&self) -> Vec<(Str<'a>, Value<'d, 'a>)> {
        let all: Vec<_> = self.members().collect();
        if all.len() < 2 {
            return all;
        }
        let keys: Vec<Cow<'a, str>> = all.iter().map(|(k, _)| k.get()).collect();
        let mut order: Vec<usize> = (0..all.len()).collect();
        // Stable sort by key keeps input order within equal keys; the last of each run survives.
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        let mut keep = alloc::vec![false; all.len()];
        for (j, &idx) in order.iter().enumerate() {
            if order.get(j + 1).is_none_or(|&n| keys[n] != keys[idx]) {
                keep[idx] = true;
            }
        }
        all.into_iter().zip(keep).filter_map(|(m, k)| k.then_some(m)).collect()
    }
}

impl fmt::Debug for Value<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// Iterator over an object's (key, value) pairs.
pub struct Members<'d, 'a> {
    doc: &'d Document<'a>,
    i: u32,
    end: u32,
}

impl<'d, 'a> Iterator for Members<'d, 'a> {
    type Item = (Str<'a>, Value<'d, 'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.i >= self.end {
            return None;
        }
        let key = Value { doc: self.doc, i: self.i };
        let val = key.at(self.i + 1);
        self.i = val.node().next;
        Some((key.as_str()?, val))
    }
}
