//! `@template` placeholders (`placeholders.ts`): `{{{path}}}` first, then `{{path}}`.
//!
//! No escaping. The second pass also sees what the first one inserted, as in the reference.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::path::lookup;
use super::value::{js_trim, Js};

static TRIPLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{\{([^}]+)\}\}\}").expect("constant regex"));
static DOUBLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{([^}]+)\}\}").expect("constant regex"));

pub(crate) fn render(template: &str, payload: &Js) -> String {
    let replace = |caps: &Captures| placeholder(&caps[1], payload);
    let first = TRIPLE.replace_all(template, replace);
    DOUBLE.replace_all(&first, replace).into_owned()
}

/// The trimmed path's value as `String(value ?? '')`; `$.` is not special here.
fn placeholder(path: &str, payload: &Js) -> String {
    match lookup(payload, js_trim(path)) {
        Some(value) if !value.is_nullish() => value.to_js_string(),
        _ => String::new(),
    }
}
