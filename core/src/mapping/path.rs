//! The reference's `get(obj, path)` (`get.ts`): a lodash-like lookup with JS quirks.
//!
//! Each step is `prev && prev[key]`, so a falsy value met on the way (`null`, `0`, `''`,
//! `false`) is the result, and strings are indexable (`'abc'.length`, `'abc'[1]`).

use std::borrow::Cow;

use serde_json::Value;

use super::value::{array_index, js_length, utf16_units, Js};

/// One step of `prev && prev[key]` over a value type.
pub(crate) trait Indexable: Clone {
    fn is_falsy(&self) -> bool;
    /// `self[key]` for a truthy `self`; `None` is `undefined`.
    fn index(&self, key: &str) -> Option<Cow<'_, Self>>;
}

/// Looks `path` up in `root`; `None` is `undefined`.
pub(crate) fn lookup<'a, T: Indexable>(root: &'a T, path: &str) -> Option<Cow<'a, T>> {
    lookup_keys(root, &keys(path))
}

/// A path split once, for many lookups: the keys `lookup` walks (none for
/// the root itself).
pub(crate) fn keys(path: &str) -> Vec<String> {
    if path.is_empty() || path == "." {
        return Vec::new();
    }
    split_path(path)
}

/// The keys of an `@path`/`@arrayPath` option: those directives strip the
/// first `$.` found anywhere, not only a prefix.
pub(crate) fn directive_keys(path: &str) -> Vec<String> {
    keys(&path.replacen("$.", "", 1))
}

/// [`lookup`] with the path already split by [`keys`].
pub(crate) fn lookup_keys<'a, T: Indexable>(root: &'a T, keys: &[String]) -> Option<Cow<'a, T>> {
    let mut current = Cow::Borrowed(root);
    for key in keys {
        if current.is_falsy() {
            break;
        }
        current = match current {
            Cow::Borrowed(value) => value.index(key)?,
            Cow::Owned(value) => Cow::Owned(value.index(key)?.into_owned()),
        };
    }
    Some(current)
}

/// Splits like `path.split(/\[(?="|'|\d)|\.|(?<="|'|\d)]+/)`, drops empty pieces, then strips
/// every quote: `a.b[0]` → `a,b,0`; `a['b c']` → `a,b c`; `a[b]` stays one key.
pub(crate) fn split_path(path: &str) -> Vec<String> {
    // Without brackets or quotes the pattern only splits on dots.
    if !path.contains(['[', ']', '\'', '"']) {
        return path.split('.').filter(|p| !p.is_empty()).map(str::to_string).collect();
    }
    let chars: Vec<char> = path.chars().collect();
    let quote_or_digit = |c: Option<&char>| matches!(c, Some('"' | '\'' | '0'..='9'));
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let is_separator = match c {
            '.' => true,
            '[' => quote_or_digit(chars.get(i + 1)),
            ']' => i > 0 && quote_or_digit(chars.get(i - 1)),
            _ => false,
        };
        i += 1;
        if !is_separator {
            piece.push(c);
            continue;
        }
        if c == ']' {
            // `]+` swallows the whole run of closing brackets.
            while chars.get(i) == Some(&']') {
                i += 1;
            }
        }
        pieces.push(std::mem::take(&mut piece));
    }
    pieces.push(piece);
    pieces
        .into_iter()
        .filter(|piece| !piece.is_empty())
        .map(|piece| piece.replace(['\'', '"'], ""))
        .collect()
}

/// `'str'[key]`: a UTF-16 unit by index, or `length`.
fn index_string(s: &str, key: &str) -> Option<Js> {
    if key == "length" {
        return Some(Js::Number(js_length(s).into()));
    }
    array_index(key)
        .and_then(|i| utf16_units(s).nth(i))
        .map(Js::String)
}

impl Indexable for Js {
    fn is_falsy(&self) -> bool {
        !self.is_truthy()
    }

    fn index(&self, key: &str) -> Option<Cow<'_, Self>> {
        let found = match self {
            Js::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Js::Array(items) if key == "length" => {
                return Some(Cow::Owned(Js::Number(items.len().into())))
            }
            Js::Array(items) => array_index(key).and_then(|i| items.get(i)),
            Js::String(s) => return index_string(s, key).map(Cow::Owned),
            _ => None,
        };
        found
            .filter(|v| !matches!(v, Js::Undefined))
            .map(Cow::Borrowed)
    }
}

impl Indexable for Value {
    fn is_falsy(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::String(s) => s.is_empty(),
            Value::Array(_) | Value::Object(_) => false,
        }
    }

    fn index(&self, key: &str) -> Option<Cow<'_, Self>> {
        match self {
            Value::Object(map) => crate::json::get(map, key).map(Cow::Borrowed),
            Value::Array(items) if key == "length" => Some(Cow::Owned(Value::from(items.len()))),
            Value::Array(items) => array_index(key)
                .and_then(|i| items.get(i))
                .map(Cow::Borrowed),
            Value::String(s) => index_string(s, key).and_then(Js::into_json).map(Cow::Owned),
            _ => None,
        }
    }
}
