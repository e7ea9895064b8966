//! The JavaScript semantics the reference implementation relies on, for code
//! that must reproduce it exactly: `Number(string)`, `String(number)`, how
//! `JSON.stringify` writes a number, and V8's `Date.parse`. No dependencies
//! beyond serde_json, so guests can use it too.

mod date;
mod number;

pub use date::{js_date_parse, plain_iso_ms, time_clip};
pub use number::*;
