//! Any byte string: the reader either rejects it or yields a document whose every string unescapes,
//! whose numbers convert without panicking, and which the writer re-encodes to JSON the reader accepts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rsrun::json::{Kind, Value, Writer, parse};

fn copy(v: Value, w: &mut Writer) {
    match v.kind() {
        Kind::Null => {
            w.null();
        }
        Kind::Bool => {
            w.bool(v.as_bool() == Some(true));
        }
        Kind::Number => {
            let _ = (v.as_u64(), v.as_i64());
            w.raw(v.text().as_bytes());
        }
        Kind::String => {
            w.str(&v.as_str().map(|s| s.get()).unwrap_or_default());
        }
        Kind::Array => {
            w.begin_array();
            for x in v.items() {
                copy(x, w);
            }
            w.end_array();
        }
        Kind::Object => {
            w.begin_object();
            for (k, x) in v.unique_members() {
                w.key(&k.get());
                copy(x, w);
            }
            w.end_object();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = parse(data) {
        let mut w = Writer::new();
        copy(doc.root(), &mut w);
        let out = w.into_bytes();
        assert!(parse(&out).is_ok(), "writer output must parse");
    }
});
