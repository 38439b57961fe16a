//! JSON for rsrun: a zero-copy reader (`parse` -> `Document`, navigated through `Value`) and a small
//! writer (`Writer`) for state.json, `state`, `features`, `ps`, `events` and `--log-format json`.
//!
//! The reader validates the whole input up front (grammar, UTF-8 in strings, escapes, nesting depth,
//! trailing garbage) into a flat tape of nodes that point into the input. Strings are unescaped only
//! when asked for and only if they contain escapes, so a typical config.json is read without copying
//! a byte. Parsing is iterative: nesting depth costs heap, not stack, and is capped.
mod reader;
mod writer;

pub use reader::{Document, Kind, Members, ParseError, Str, Value, parse};
pub use writer::Writer;

#[cfg(test)]
mod tests;
