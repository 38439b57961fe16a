//! rsrun's JSON reader against an independent decoder: python3's json module judges thousands of
//! generated documents (valid and mutated); the reader must accept exactly the same ones and see the
//! same values (duplicate keys: last wins; numbers compared by their text).
use rsrun::json::{Kind, Value, parse};
use std::process::Command;

/// The canonical form python's side writes: sorted keys, ASCII-only escapes, numbers as written.
fn canon(v: Value, out: &mut String) {
    match v.kind() {
        Kind::Null | Kind::Bool | Kind::Number => out.push_str(v.text()),
        Kind::String => quote(&v.as_str().unwrap().get(), out),
        Kind::Array => {
            out.push('[');
            for (i, x) in v.items().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canon(x, out);
            }
            out.push(']');
        }
        Kind::Object => {
            let mut m: Vec<_> = v.unique_members().into_iter().map(|(k, v)| (k.get().into_owned(), v)).collect();
            m.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, x)) in m.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quote(&k, out);
                out.push(':');
                canon(x, out);
            }
            out.push('}');
        }
    }
}

/// json.dumps(s, ensure_ascii=True)
fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", u));
                }
            }
        }
    }
    out.push('"');
}

#[test]
fn reader_agrees_with_python_json() {
    let path = std::env::temp_dir().join(format!("rsrun-json-cases-{}", std::process::id()));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/json_gen.py");
    let st = Command::new("python3").args([script, "20261129", "6000"]).arg(&path).status().expect("run python3");
    assert!(st.success(), "json_gen.py failed");
    let data = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let (mut i, mut cases, mut valid) = (0, 0, 0);
    while i < data.len() {
        let nl = i + data[i..].iter().position(|&b| b == b'\n').unwrap();
        let len: usize = std::str::from_utf8(&data[i..nl]).unwrap().parse().unwrap();
        let doc = &data[nl + 1..nl + 1 + len];
        let vstart = nl + 2 + len;
        let vend = vstart + data[vstart..].iter().position(|&b| b == b'\n').unwrap();
        let expect = std::str::from_utf8(&data[vstart..vend]).unwrap();
        i = vend + 1;
        cases += 1;
        let got = match parse(doc) {
            Ok(d) => {
                let mut s = String::new();
                canon(d.root(), &mut s);
                s
            }
            Err(_) => "ERROR".to_string(),
        };
        assert_eq!(got, expect, "document {:?}", String::from_utf8_lossy(doc));
        if expect != "ERROR" {
            valid += 1;
        }
    }
    assert_eq!(cases, 6000);
    assert!(valid > 3000 && valid < cases, "generator should give both kinds: {valid} valid of {cases}");
}
