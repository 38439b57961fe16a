//! The machinery the config tables in `parse.rs` run on: field paths, error text, readers for
//! scalars, lists and maps, and the one [`fill`] loop that reads every struct (see the "Code size"
//! notes in `parse.rs` for why it is table-driven).
use super::types::{Map, Str};
use crate::error::{Error, Result};
use crate::json::{Kind, Members, Value};
use alloc::vec::Vec;
use core::fmt;

pub(super) type V<'d, 'a> = Value<'d, 'a>;

// ---- field paths ------------------------------------------------------------------------------

/// A field path as a linked list of stack frames: building one costs nothing, and it is turned into
/// text (`linux.namespaces[1].type`, `linux.sysctl["net.ipv4.ip_forward"]`) only for an error.
#[derive(Clone, Copy)]
pub(super) struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    seg: Seg<'p>,
}

#[derive(Clone, Copy)]
enum Seg<'p> {
    Root,
    Field(&'p str),
    Index(usize),
    Key(&'p str),
}

impl<'p> Path<'p> {
    pub(super) const ROOT: Path<'static> = Path { parent: None, seg: Seg::Root };

    pub(super) fn field(&'p self, name: &'p str) -> Path<'p> {
        Path { parent: Some(self), seg: Seg::Field(name) }
    }

    fn index(&'p self, i: usize) -> Path<'p> {
        Path { parent: Some(self), seg: Seg::Index(i) }
    }

    fn key(&'p self, k: &'p str) -> Path<'p> {
        Path { parent: Some(self), seg: Seg::Key(k) }
    }

    fn is_root(&self) -> bool {
        matches!(self.seg, Seg::Root)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(parent) = self.parent else { return Ok(()) };
        parent.fmt(f)?;
        match self.seg {
            Seg::Root => Ok(()),
            Seg::Field(name) if parent.is_root() => f.write_str(name),
            Seg::Field(name) => write!(f, ".{name}"),
            Seg::Index(i) => write!(f, "[{i}]"),
            Seg::Key(k) => write!(f, "[\"{k}\"]"),
        }
    }
}

// ---- errors -----------------------------------------------------------------------------------

/// JSON text quoted in an error: on one line (newlines and indentation become one space) and cut
/// to about 40 characters.
pub(super) struct Snippet<'a>(pub(super) &'a str);

impl fmt::Display for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 40;
        let (mut n, mut gap) = (0, false);
        for c in self.0.chars() {
            // Raw \n \r \t cannot occur inside JSON strings, so they and the spaces after them are
            // layout, not content.
            if matches!(c, '\n' | '\r' | '\t') || (gap && c == ' ') {
                gap = true;
                continue;
            }
            if n == MAX {
                return f.write_str("...");
            }
            if gap && n > 0 {
                f.write_str(" ")?;
            }
            gap = false;
            write!(f, "{c}")?;
            n += 1;
        }
        Ok(())
    }
}

/// `path: what` (just `what` at the root, where the caller names the file).
#[cold]
#[inline(never)]
pub(super) fn fail(p: &Path, what: fmt::Arguments<'_>) -> Error {
    if p.is_root() { Error::msg(what) } else { Error::msg(format_args!("{p}: {what}")) }
}

#[cold]
#[inline(never)]
fn expected(p: &Path, what: &str, v: V) -> Error {
    fail(p, format_args!("expected {what}, got {}", Snippet(v.text())))
}

// ---- scalars: None for null -------------------------------------------------------------------

fn string<'a>(v: V<'_, 'a>, p: &Path) -> Result<Option<Str<'a>>> {
    match v.as_str() {
        Some(s) => Ok(Some(s.get())),
        None if v.is_null() => Ok(None),
        None => Err(expected(p, "a string", v)),
    }
}

fn boolean(v: V, p: &Path) -> Result<Option<bool>> {
    match v.as_bool() {
        Some(b) => Ok(Some(b)),
        None if v.is_null() => Ok(None),
        None => Err(expected(p, "a boolean", v)),
    }
}

/// An integer in `min..=max`, returned as its two's-complement bits so one function serves every
/// integer type (the callers cast back, exactly, since the range was checked).
fn int(v: V, p: &Path, min: i64, max: u64) -> Result<Option<u64>> {
    match v.kind() {
        Kind::Null => return Ok(None),
        Kind::Number => {}
        _ => return Err(expected(p, "an integer", v)),
    }
    let t = v.text();
    let n = if t.starts_with('-') {
        v.as_i64().filter(|&n| n >= min).map(|n| n as u64)
    } else {
        v.as_u64().filter(|&n| n <= max)
    };
    match n {
        Some(n) => Ok(Some(n)),
        // An integer, but too large for its type (or negative for an unsigned one).
        None if t.bytes().all(|b| b == b'-' || b.is_ascii_digit()) => {
            Err(fail(p, format_args!("expected an integer from {min} to {max}, got {}", Snippet(t))))
        }
        None => Err(expected(p, "an integer", v)),
    }
}

fn u32_(v: V, p: &Path) -> Result<Option<u32>> {
    Ok(int(v, p, 0, u32::MAX.into())?.map(|n| n as u32))
}

fn i64_(v: V, p: &Path) -> Result<Option<i64>> {
    Ok(int(v, p, i64::MIN, i64::MAX as u64)?.map(|n| n as i64))
}

/// List and map elements: null reads as the zero value, as Go decodes it.
fn str_item<'a>(v: V<'_, 'a>, p: &Path) -> Result<Str<'a>> {
    Ok(string(v, p)?.unwrap_or_default())
}

fn u32_item(v: V, p: &Path) -> Result<u32> {
    Ok(u32_(v, p)?.unwrap_or_default())
}

// ---- containers -------------------------------------------------------------------------------

/// The members of an object (none for null).
fn members<'d, 'a>(v: V<'d, 'a>, p: &Path) -> Result<Members<'d, 'a>> {
    match v.kind() {
        Kind::Object | Kind::Null => Ok(v.members()),
        _ => Err(expected(p, "an object", v)),
    }
}

/// Calls `f` on every element of array `v` (none for null) with the element's path. Not generic, so
/// the checks and the walk exist once; [`list`] adds only a push per element type.
#[inline(never)]
fn each<'a>(v: V<'_, 'a>, p: &Path, f: &mut dyn FnMut(V<'_, 'a>, &Path) -> Result<()>) -> Result<()> {
    match v.kind() {
        Kind::Null => return Ok(()),
        Kind::Array => {}
        _ => return Err(expected(p, "an array", v)),
    }
    for (i, x) in v.items().enumerate() {
        f(x, &p.index(i))?;
    }
    Ok(())
}

/// An array read element by element with `f` (empty for null).
pub(super) fn list<'a, T>(v: V<'_, 'a>, p: &Path, f: fn(V<'_, 'a>, &Path) -> Result<T>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    each(v, p, &mut |x, p| f(x, p).map(|x| out.push(x)))?;
    Ok(out)
}

/// Calls `f` on every member of object `v` (none for null) with the key and the member's path (which
/// names the key as written, escapes and all, so the decoded key can move into the map).
#[inline(never)]
fn each_member<'a>(v: V<'_, 'a>, p: &Path, f: &mut dyn FnMut(Str<'a>, V<'_, 'a>, &Path) -> Result<()>) -> Result<()> {
    for (k, x) in members(v, p)? {
        f(k.get(), x, &p.key(k.raw()))?;
    }
    Ok(())
}

/// An object used as a map (annotations, sysctl, ...): input order, a duplicate key replaces the
/// earlier value in place. The duplicate search is linear per key: maps in configs hold tens of
/// entries, and this avoids linking a sort.
pub(super) fn map<'a, T>(v: V<'_, 'a>, p: &Path, f: fn(V<'_, 'a>, &Path) -> Result<T>) -> Result<Map<'a, T>> {
    let mut out: Map<'a, T> = Vec::new();
    each_member(v, p, &mut |k, x, p| {
        let val = f(x, p)?;
        match out.iter_mut().find(|e| e.0 == k) {
            Some(e) => e.1 = val,
            None => out.push((k, val)),
        }
        Ok(())
    })?;
    Ok(out)
}

/// Where a member's value goes. Every struct is read by one [`fill`] over a table of these, so a
/// struct costs its table, not its own copy of the member loop, key matching, type checks and drop
/// glue (written that way, the parser was 110 KB of code; see the module docs for what it is now).
pub(super) enum Slot<'s, 'a> {
    Str(&'s mut Str<'a>),
    OptStr(&'s mut Option<Str<'a>>),
    Strs(&'s mut Vec<Str<'a>>),
    StrMap(&'s mut Map<'a, Str<'a>>),
    Bool(&'s mut bool),
    OptBool(&'s mut Option<bool>),
    OptU16(&'s mut Option<u16>),
    U32(&'s mut u32),
    OptU32(&'s mut Option<u32>),
    U32s(&'s mut Vec<u32>),
    U64(&'s mut u64),
    OptU64(&'s mut Option<u64>),
    I32(&'s mut i32),
    I64(&'s mut i64),
    OptI64(&'s mut Option<i64>),
    /// A struct.
    Struct(&'s mut dyn Fill<'a>),
    /// An `Option` or `Vec` of structs.
    Obj(&'s mut dyn Nested<'a>),
    /// Anything else (maps of structs, namespaces with their duplicate check).
    With(&'s mut dyn FnMut(V<'_, 'a>, &Path) -> Result<()>),
}

/// Reads the members of object `v` into `slots`, where the i-th NUL-terminated key in `names` is the
/// key of `slots[i]` (one string per table rather than a `&str` array: 16 bytes less per key); keys
/// not in the table are ignored. Members are visited in order, so with duplicate keys the last one
/// wins. A null leaves a plain field at its default and makes an `Option` None, as Go's decoder does.
pub(super) fn fill<'a>(v: V<'_, 'a>, p: &Path, names: &'static str, slots: &mut [Slot<'_, 'a>]) -> Result<()> {
    for (k, v) in members(v, p)? {
        let k = k.get();
        let Some((name, slot)) = names.split('\0').zip(slots.iter_mut()).find(|(n, _)| *n == k) else { continue };
        let p = &p.field(name);
        match slot {
            Slot::Str(d) => set(*d, string(v, p)?),
            Slot::OptStr(d) => **d = string(v, p)?,
            Slot::Strs(d) => **d = list(v, p, str_item)?,
            Slot::StrMap(d) => **d = map(v, p, str_item)?,
            Slot::Bool(d) => set(*d, boolean(v, p)?),
            Slot::OptBool(d) => **d = boolean(v, p)?,
            Slot::OptU16(d) => **d = int(v, p, 0, u16::MAX.into())?.map(|n| n as u16),
            Slot::U32(d) => set(*d, u32_(v, p)?),
            Slot::OptU32(d) => **d = u32_(v, p)?,
            Slot::U32s(d) => **d = list(v, p, u32_item)?,
            Slot::U64(d) => set(*d, int(v, p, 0, u64::MAX)?),
            Slot::OptU64(d) => **d = int(v, p, 0, u64::MAX)?,
            Slot::I32(d) => set(*d, int(v, p, i32::MIN.into(), i32::MAX as u64)?.map(|n| n as i32)),
            Slot::I64(d) => set(*d, i64_(v, p)?),
            Slot::OptI64(d) => **d = i64_(v, p)?,
            Slot::Struct(d) => d.fill(v, p)?,
            Slot::Obj(d) => d.read(v, p)?,
            Slot::With(f) => f(v, p)?,
        }
    }
    Ok(())
}

/// `fields!(v, p, [("key", slot), ...])`: [`fill`] with the keys split off into one static string, so
/// only the slots are built at run time.
macro_rules! fields {
    ($v:expr, $p:expr, [$(($key:literal, $slot:expr)),* $(,)?]) => {
        $crate::spec::fill::fill($v, $p, concat!($($key, "\0"),*), &mut [$($slot),*])
    };
}
pub(super) use fields;

/// Stores a present value into a plain (non-`Option`) field; null leaves it as it was.
fn set<T>(dst: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *dst = v;
    }
}

/// A struct filled in place from a JSON object. In place, so that no struct is moved or wrapped in
/// a `Result`, and a failed parse needs no per-type cleanup (the caller drops what it holds).
pub(super) trait Fill<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()>;
}

/// A field holding structs, read through [`Slot::Obj`].
pub(super) trait Nested<'a> {
    fn read(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()>;
}

impl<'a, T: Fill<'a> + Default> Nested<'a> for Option<T> {
    fn read(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        if v.is_null() {
            *self = None;
            return Ok(());
        }
        self.insert(T::default()).fill(v, p)
    }
}

impl<'a, T: Fill<'a> + Default> Nested<'a> for Vec<T> {
    fn read(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        self.clear();
        each(v, p, &mut |x, p| {
            self.push(T::default());
            self.last_mut().map_or(Ok(()), |o| o.fill(x, p))
        })
    }
}

/// A struct as a map value.
pub(super) fn item<'a, T: Fill<'a> + Default>(v: V<'_, 'a>, p: &Path) -> Result<T> {
    let mut o = T::default();
    o.fill(v, p)?;
    Ok(o)
}
