use super::*;
use alloc::string::String;

fn ok(s: &str) -> Document<'_> {
    parse(s.as_bytes()).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn err(s: &[u8]) -> ParseError {
    match parse(s) {
        Ok(_) => panic!("{:?} parsed", String::from_utf8_lossy(s)),
        Err(e) => e,
    }
}

#[test]
fn scalars_and_navigation() {
    let d = ok(r#" {"a": [1, -2, 3.5e1, true, false, null, "x"], "b": {"c": "d"}, "a2": {}} "#);
    let r = d.root();
    assert_eq!(r.kind(), Kind::Object);
    let a: Vec<_> = r.get("a").unwrap().items().collect();
    assert_eq!(a.len(), 7);
    assert_eq!(a[0].as_u64(), Some(1));
    assert_eq!(a[1].as_i64(), Some(-2));
    assert_eq!(a[1].as_u64(), None);
    assert_eq!(a[2].as_i64(), None, "3.5e1 is not an integer");
    assert_eq!(a[2].as_number(), Some("3.5e1"));
    assert_eq!(a[3].as_bool(), Some(true));
    assert_eq!(a[4].as_bool(), Some(false));
    assert!(a[5].is_null());
    assert_eq!(a[6].as_str().unwrap().borrowed(), Some("x"));
    assert_eq!(r.get("b").unwrap().get("c").unwrap().as_str().unwrap().get(), "d");
    assert!(r.get("a2").unwrap().is_empty());
    assert!(r.get("zz").is_none());
    assert_eq!(r.get("b").unwrap().text(), r#"{"c": "d"}"#);
    assert_eq!(a[6].text(), "\"x\"");
}

#[test]
fn integer_ranges() {
    let d = ok("[18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809, 9223372036854775807, -1, 0, -0]");
    let v: Vec<_> = d.root().items().collect();
    assert_eq!(v[0].as_u64(), Some(u64::MAX));
    assert_eq!(v[1].as_u64(), None);
    assert_eq!(v[2].as_i64(), Some(i64::MIN));
    assert_eq!(v[3].as_i64(), None);
    assert_eq!(v[4].as_i64(), Some(i64::MAX));
    assert_eq!(v[5].as_i64(), Some(-1));
    assert_eq!(v[6].as_u64(), Some(0));
    assert_eq!(v[7].as_i64(), Some(0));
}

#[test]
fn escapes_are_lazy_and_complete() {
    let d = ok(r#"["plain", "a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20ac", "\ud83d\ude00", "\u003cscript\u003e"]"#);
    let v: Vec<_> = d.root().items().map(|v| v.as_str().unwrap()).collect();
    assert!(v[0].borrowed().is_some());
    assert!(v[1].borrowed().is_none());
    assert_eq!(v[1].get(), "a\"b\\c/d\u{8}\u{c}\n\r\t");
    assert_eq!(v[2].get(), "é€");
    assert_eq!(v[3].get(), "😀");
    assert_eq!(v[4].get(), "<script>");
    assert!(v[4].eq_str("<script>"));
}

#[test]
fn duplicate_keys_last_wins() {
    let d = ok(r#"{"k": 1, "j": 0, "k": 2, "\u006b": 3}"#);
    assert_eq!(d.root().get("k").unwrap().as_u64(), Some(3));
    let u = d.root().unique_members();
    assert_eq!(u.len(), 2);
    assert_eq!(u[0].0.get(), "j");
    assert_eq!(u[1].1.as_u64(), Some(3));
}

#[test]
fn rejects_invalid_input() {
    for bad in [
        &b""[..], b"   ", b"{", b"[1,]", b"{\"a\":1,}", b"[1 2]", b"{\"a\" 1}", b"{1:2}", b"01", b"1.", b".5", b"-",
        b"1e", b"+1", b"tru", b"nul", b"\"abc", b"\"a\\x\"", b"\"\\u12\"", b"\"\\ud800\"", b"\"\\udc00\"",
        b"\"\\ud800\\u0041\"", b"\"a\x01\"", b"\"\xff\"", b"[] x", b"{} {}", b"NaN", b"[Infinity]", b"'a'",
        b"\"\t\"", b"[\"a\"]]",
    ] {
        err(bad);
    }
}

#[test]
fn error_positions() {
    let e = err(b"{\n  \"a\": tru\n}");
    assert_eq!((e.line, e.column), (2, 8));
    assert!(alloc::format!("{e}").contains("line 2 column 8"));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(1_000_000);
    assert_eq!(err(deep.as_bytes()).msg, "nesting too deep");
    let ok_depth = alloc::format!("{}{}", "[".repeat(500), "]".repeat(500));
    ok(&ok_depth);
}

#[test]
fn writer_escapes_and_roundtrips() {
    let mut w = Writer::new();
    w.begin_object()
        .field_str("q", "a\"b\\c\n\u{1}\u{7f}é")
        .field_i64("neg", i64::MIN)
        .field_u64("max", u64::MAX)
        .key("arr")
        .begin_array()
        .bool(true)
        .null()
        .bytes_str(b"bad\xffutf8")
        .begin_object()
        .end_object()
        .end_array()
        .end_object();
    let out = w.into_bytes();
    let text = core::str::from_utf8(&out).unwrap();
    assert_eq!(
        text,
        "{\"q\":\"a\\\"b\\\\c\\n\\u0001\\u007fé\",\"neg\":-9223372036854775808,\"max\":18446744073709551615,\"arr\":[true,null,\"bad\u{fffd}utf8\",{}]}"
    );
    let d = ok(text);
    assert_eq!(d.root().get("q").unwrap().as_str().unwrap().get(), "a\"b\\c\n\u{1}\u{7f}é");
    assert_eq!(d.root().get("neg").unwrap().as_i64(), Some(i64::MIN));
}
