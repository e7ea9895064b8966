//! The JavaScript view of JSON that resolution computes with.
//!
//! The reference resolves mappings in JS, where `undefined` is a value: a key whose value is
//! `undefined` is still an own key (it counts in `Object.assign`, it overwrites) until
//! `removeUndefined` drops it at the very end. [`Js`] keeps that distinction.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

/// A resolved value: JSON plus `undefined`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Js {
    Undefined,
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Js>),
    Object(JsObject),
}

/// Own keys in insertion order; keys are unique.
pub(crate) type JsObject = Vec<(String, Js)>;

/// The largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

impl Js {
    /// `realTypeOf` from the reference: `typeof`, with `null` and `array` told apart.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Js::Undefined => "undefined",
            Js::Null => "null",
            Js::Bool(_) => "boolean",
            Js::Number(_) => "number",
            Js::String(_) => "string",
            Js::Array(_) => "array",
            Js::Object(_) => "object",
        }
    }

    pub(crate) fn is_nullish(&self) -> bool {
        matches!(self, Js::Undefined | Js::Null)
    }

    pub(crate) fn is_truthy(&self) -> bool {
        match self {
            Js::Undefined | Js::Null => false,
            Js::Bool(b) => *b,
            Js::Number(n) => !is_zero(n),
            Js::String(s) => !s.is_empty(),
            Js::Array(_) | Js::Object(_) => true,
        }
    }

    /// JS `value != ''` for a non-nullish value (loose equality converts both sides).
    pub(crate) fn loosely_differs_from_empty_string(&self) -> bool {
        match self {
            Js::Bool(b) => *b,
            Js::Number(n) => !is_zero(n),
            Js::String(s) => !s.is_empty(),
            Js::Array(_) | Js::Object(_) => !self.to_js_string().is_empty(),
            Js::Undefined | Js::Null => true,
        }
    }

    /// JS `String(value)`.
    pub(crate) fn to_js_string(&self) -> String {
        match self {
            Js::Undefined => "undefined".into(),
            Js::Null => "null".into(),
            Js::Bool(b) => b.to_string(),
            Js::Number(n) => number_to_js_string(n),
            Js::String(s) => s.clone(),
            Js::Array(items) => join_array(items),
            Js::Object(_) => "[object Object]".into(),
        }
    }

    /// `removeUndefined`: drops object keys whose value is `undefined`, at any depth.
    /// `undefined` array elements stay (they serialize as `null`).
    pub(crate) fn remove_undefined(self) -> Js {
        match self {
            Js::Array(items) => Js::Array(items.into_iter().map(Js::remove_undefined).collect()),
            Js::Object(entries) => Js::Object(
                entries
                    .into_iter()
                    .filter(|(_, v)| !matches!(v, Js::Undefined))
                    .map(|(k, v)| (k, v.remove_undefined()))
                    .collect(),
            ),
            other => other,
        }
    }

    /// The JSON a JS engine would serialize: `None` for `undefined`, `undefined` array elements
    /// become `null`, `undefined` keys vanish, and keys come in JS order.
    pub(crate) fn into_json(self) -> Option<Value> {
        Some(match self {
            Js::Undefined => return None,
            Js::Null => Value::Null,
            Js::Bool(b) => Value::Bool(b),
            Js::Number(n) => Value::Number(n),
            Js::String(s) => Value::String(s),
            Js::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| v.into_json().unwrap_or(Value::Null))
                    .collect(),
            ),
            Js::Object(entries) => {
                let mut map = Map::new();
                for (key, value) in in_js_order(entries) {
                    if let Some(value) = value.into_json() {
                        map.insert(key, value);
                    }
                }
                Value::Object(map)
            }
        })
    }
}

impl From<&Value> for Js {
    fn from(value: &Value) -> Self {
        match value {
            Value::Null => Js::Null,
            Value::Bool(b) => Js::Bool(*b),
            Value::Number(n) => Js::Number(n.clone()),
            Value::String(s) => Js::String(s.clone()),
            Value::Array(items) => Js::Array(items.iter().map(Js::from).collect()),
            Value::Object(map) => {
                Js::Object(map.iter().map(|(k, v)| (k.clone(), Js::from(v))).collect())
            }
        }
    }
}

impl From<Value> for Js {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Js::Null,
            Value::Bool(b) => Js::Bool(b),
            Value::Number(n) => Js::Number(n),
            Value::String(s) => Js::String(s),
            Value::Array(items) => Js::Array(items.into_iter().map(Js::from).collect()),
            Value::Object(map) => {
                Js::Object(map.into_iter().map(|(k, v)| (k, Js::from(v))).collect())
            }
        }
    }
}

/// `realTypeOf` for a mapping value; `None` is a missing key (`undefined`).
pub(crate) fn json_type_name(value: Option<&Value>) -> &'static str {
    match value {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

/// JS truthiness of a raw mapping value; `None` is `undefined`.
pub(crate) fn json_is_truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => !is_zero(n),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

fn is_zero(n: &Number) -> bool {
    n.as_f64() == Some(0.0)
}

/// `Array.prototype.join(',')`: `null`/`undefined` elements print as nothing.
fn join_array(items: &[Js]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|item| {
            if item.is_nullish() {
                String::new()
            } else {
                item.to_js_string()
            }
        })
        .collect();
    parts.join(",")
}

/// A JSON number printed as JS prints it (`1.0` → `1`, `1e21` → `1e+21`).
pub(crate) fn number_to_js_string(n: &Number) -> String {
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER) {
        return i.to_string();
    }
    if let Some(u) = n.as_u64().filter(|u| *u <= MAX_SAFE_INTEGER) {
        return u.to_string();
    }
    sluice_js::number_to_string(n.as_f64().unwrap_or(f64::NAN))
}


/// `JSON.stringify`: `None` for `undefined`; keys in JS order; numbers printed as JS does.
pub(crate) fn json_stringify(value: &Js) -> Option<String> {
    if matches!(value, Js::Undefined) {
        return None;
    }
    let mut out = String::new();
    write_json(value, &mut out);
    Some(out)
}

fn write_json(value: &Js, out: &mut String) {
    match value {
        Js::Undefined | Js::Null => out.push_str("null"),
        Js::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Js::Number(n) => out.push_str(&number_to_js_string(n)),
        Js::String(s) => write_json_string(s, out),
        Js::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Js::Object(entries) => {
            out.push('{');
            let defined = entries.iter().filter(|(_, v)| !matches!(v, Js::Undefined));
            for (i, (key, item)) in in_js_order(defined.map(|(k, v)| (k, v)))
                .into_iter()
                .enumerate()
            {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(key, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

fn write_json_string(s: &str, out: &mut String) {
    // serde_json escapes exactly what JSON.stringify escapes for well-formed strings.
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

/// The index an array-index key denotes (`"0"`, `"17"`; not `"01"`, `"-1"`, `"4294967295"`).
pub(crate) fn array_index(key: &str) -> Option<usize> {
    let canonical = !key.is_empty()
        && key.bytes().all(|b| b.is_ascii_digit())
        && (key == "0" || !key.starts_with('0'));
    if !canonical {
        return None;
    }
    key.parse::<u32>()
        .ok()
        .filter(|i| *i != u32::MAX)
        .map(|i| i as usize)
}

/// A JSON value as `into_json` would give it back after a round trip
/// through `Js`: the same, with every object's keys in JS order.
pub(crate) fn js_ordered(value: std::borrow::Cow<'_, Value>) -> Value {
    fn needs(value: &Value) -> bool {
        match value {
            Value::Array(items) => items.iter().any(needs),
            Value::Object(map) => map.iter().any(|(k, v)| array_index(k).is_some() || needs(v)),
            _ => false,
        }
    }
    fn reorder(value: Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.into_iter().map(reorder).collect()),
            Value::Object(map) => Value::Object(in_js_order(map).into_iter().map(|(k, v)| (k, reorder(v))).collect()),
            other => other,
        }
    }
    if needs(&value) {
        reorder(value.into_owned())
    } else {
        value.into_owned()
    }
}

/// Entries in the order JS enumerates an object: array-index keys first, ascending, then
/// the other keys in insertion order.
pub(crate) fn in_js_order<K: AsRef<str>, V>(
    entries: impl IntoIterator<Item = (K, V)>,
) -> Vec<(K, V)> {
    let mut entries: Vec<(K, V)> = entries.into_iter().collect();
    if entries
        .iter()
        .any(|(k, _)| array_index(k.as_ref()).is_some())
    {
        entries.sort_by_key(|(k, _)| array_index(k.as_ref()).map_or((1, 0), |i| (0, i)));
    }
    entries
}

/// Builds an object with JS assignment semantics: assigning an existing key overwrites its
/// value but keeps its position.
#[derive(Default)]
pub(crate) struct ObjectBuilder {
    entries: JsObject,
    positions: HashMap<String, usize>,
}

impl ObjectBuilder {
    pub(crate) fn set(&mut self, key: String, value: Js) {
        match self.positions.get(&key) {
            Some(&at) => self.entries[at].1 = value,
            None => {
                self.positions.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
    }

    pub(crate) fn build(self) -> Js {
        Js::Object(self.entries)
    }
}

/// The UTF-16 code units of `s` as one-unit JS strings, as `'ab'[i]` or `Object.assign({}, 'ab')`
/// see them. A lone surrogate half cannot live in a Rust string and becomes U+FFFD.
pub(crate) fn utf16_units(s: &str) -> impl Iterator<Item = String> + '_ {
    s.encode_utf16().map(|unit| {
        char::from_u32(u32::from(unit))
            .unwrap_or(char::REPLACEMENT_CHARACTER)
            .to_string()
    })
}

/// JS `string.length`.
pub(crate) fn js_length(s: &str) -> usize {
    s.encode_utf16().count()
}

/// JS `String.prototype.trim` (its whitespace set differs from Rust's: it includes U+FEFF,
/// excludes U+0085).
pub(crate) fn js_trim(s: &str) -> &str {
    s.trim_matches(sluice_js::is_js_space)
}


/// The `$` patterns of a JS `String.prototype.replace` replacement string, for a pattern without
/// capture groups: `$$`, `$&` (the match), `` $` `` (before it) and `$'` (after it).
pub(crate) fn expand_replacement(
    replacement: &str,
    text: &str,
    found: std::ops::Range<usize>,
    out: &mut String,
) {
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        let expansion = match (c, chars.peek()) {
            ('$', Some('$')) => "$",
            ('$', Some('&')) => &text[found.clone()],
            ('$', Some('`')) => &text[..found.start],
            ('$', Some('\'')) => &text[found.end..],
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(expansion);
        chars.next();
    }
}
