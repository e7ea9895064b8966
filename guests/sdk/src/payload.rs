use std::fmt;
use std::ops::Range;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::{Error, Result};

/// A validated payload (or the non-secret settings): a JSON object whose keys
/// are the action's fields. Absent fields are simply missing. The payload
/// keeps its JSON text and where each member is in it; a member is parsed
/// only when read, so a payload passed on whole (a batch record) is copied
/// out, never built into a tree and serialized again.
#[derive(Debug, Clone, Default)]
pub struct Payload {
    text: String,
    members: Vec<(Part, Part)>,
}

/// A key or value: a span of the payload's text, or text of its own (a key
/// that had escapes, unescaped; a value that was `set`, as JSON).
#[derive(Debug, Clone)]
enum Part {
    Span(Range<usize>),
    Own(String),
}

impl Payload {
    pub fn parse(json: &str) -> Result<Self> {
        Self::from_string(json.to_string())
    }

    /// [`Payload::parse`], keeping `text` instead of copying it.
    pub fn from_string(text: String) -> Result<Self> {
        if nested_too_deep(&text) {
            return Err(Error::validation("the payload is not JSON: recursion limit exceeded (more than 127 levels of nesting)"));
        }
        let mut de = serde_json::Deserializer::from_str(&text);
        let members = de.deserialize_any(Members { base: text.as_ptr() as usize }).map_err(|e| {
            if e.is_data() {
                Error::validation("the payload must be a JSON object")
            } else {
                Error::validation(format!("the payload is not JSON: {e}"))
            }
        })?;
        de.end().map_err(|e| Error::validation(format!("the payload is not JSON: {e}")))?;
        Ok(Payload { text, members })
    }

    fn part<'a>(&'a self, part: &'a Part) -> &'a str {
        match part {
            Part::Span(r) => &self.text[r.clone()],
            Part::Own(s) => s,
        }
    }

    fn raw(&self, key: &str) -> Option<&str> {
        self.members.iter().find(|(k, _)| self.part(k) == key).map(|(_, v)| self.part(v))
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.raw(key).map(|raw| serde_json::from_str(raw).unwrap_or(Value::Null))
    }

    /// Whether a field is present and not null (what `str` answers `Some` for).
    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some_and(|raw| raw != "null")
    }

    /// A string field, as the reference's template literals render it (absent: None).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// JavaScript truthiness of a field.
    pub fn truthy(&self, key: &str) -> bool {
        match self.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        }
    }

    /// The named fields, in this order, leaving out the absent ones.
    pub fn pick(&self, keys: &[&str]) -> Value {
        object(keys.iter().map(|k| (*k, self.get(k))))
    }

    /// Sets a field (in place if present, else last).
    pub fn set(&mut self, key: &str, value: &Value) {
        let json = Part::Own(value.to_string());
        match self.members.iter().position(|(k, _)| self.part(k) == key) {
            Some(at) => self.members[at].1 = json,
            None => self.members.push((Part::Own(key.to_string()), json)),
        }
    }

    pub fn into_value(self) -> Value {
        let members = self.members.iter().map(|(k, v)| {
            (self.part(k).to_string(), serde_json::from_str(self.part(v)).unwrap_or(Value::Null))
        });
        Value::Object(members.collect::<Map<String, Value>>())
    }

    /// The payload as a batch record, copied as it came (members in order).
    pub fn into_record(self) -> Record {
        let size: usize = self.members.iter().map(|(k, v)| self.part(k).len() + self.part(v).len() + 4).sum();
        let mut text = String::with_capacity(size + 2);
        text.push('{');
        for (i, (key, value)) in self.members.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            match key {
                // A key taken from the text had no escapes: it is its own JSON.
                Part::Span(r) => {
                    text.push('"');
                    text.push_str(&self.text[r.clone()]);
                    text.push('"');
                }
                Part::Own(k) => text.push_str(&serde_json::to_string(k).expect("a string serializes")),
            }
            text.push(':');
            text.push_str(self.part(value));
        }
        text.push('}');
        Record(text)
    }
}

/// serde_json refuses values nested deeper than this when it builds them;
/// members kept raw are not built, so the payload is held to the same limit
/// up front (and a member that is read then always parses).
const MAX_DEPTH: usize = 127;

/// Whether containers nest deeper than [`MAX_DEPTH`] (strings skipped).
fn nested_too_deep(text: &str) -> bool {
    // Nesting that deep takes that many opening brackets: counting them is
    // cheap, and all an ordinary payload needs.
    if text.bytes().filter(|&b| b == b'{' || b == b'[').count() <= MAX_DEPTH {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text.as_bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// One record of a batch, as JSON text: it serializes as itself, so a list of
/// records goes out without being parsed again.
#[derive(Debug, Clone)]
pub struct Record(String);

impl Record {
    pub fn json(&self) -> &str {
        &self.0
    }
}

/// serde_json's marker for text written out as it is (what its `RawValue`
/// serializes as). A record's text is valid JSON by construction (spans
/// checked when the payload was parsed, values written by serde_json), so
/// it is not checked a second time, as `RawValue::from_string` would; a test
/// holds this to `RawValue`'s own output.
const RAW_JSON: &str = "$serde_json::private::RawValue";

impl Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct(RAW_JSON, 1)?;
        s.serialize_field(RAW_JSON, &self.0)?;
        s.end()
    }
}

impl From<Value> for Record {
    fn from(value: Value) -> Record {
        Record(value.to_string())
    }
}

/// A JSON object's members, in order, as spans of the text starting at
/// `base` (a repeated key keeps its last value, as JSON.parse does).
struct Members {
    base: usize,
}

impl Members {
    fn span(&self, s: &str) -> Range<usize> {
        let start = s.as_ptr() as usize - self.base;
        start..start + s.len()
    }
}

/// A key as the deserializer gives it: borrowed from the text when it has no
/// escapes, else unescaped into a string of its own.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Key<'de>, E> {
                Ok(Key::Borrowed(s))
            }
            fn visit_str<E>(self, s: &str) -> std::result::Result<Key<'de>, E> {
                Ok(Key::Owned(s.to_string()))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Visitor<'de> for Members {
    type Value = Vec<(Part, Part)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut members: Self::Value = Vec::with_capacity(8);
        // The members' names, to find a repeated key (index-aligned).
        let mut names: Vec<std::borrow::Cow<'de, str>> = Vec::with_capacity(8);
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            let value = Part::Span(self.span(value.get()));
            let (name, part) = match key {
                Key::Borrowed(k) => (std::borrow::Cow::Borrowed(k), Part::Span(self.span(k))),
                Key::Owned(k) => (std::borrow::Cow::Owned(k.clone()), Part::Own(k)),
            };
            match names.iter().position(|n| *n == name) {
                Some(at) => members[at].1 = value,
                None => {
                    names.push(name);
                    members.push((part, value));
                }
            }
        }
        Ok(members)
    }
}

/// Builds a JSON object from `(key, Option<value>)` pairs; `None` members are
/// left out, as `JSON.stringify` leaves out `undefined`.
pub fn object<'a>(members: impl IntoIterator<Item = (&'a str, Option<Value>)>) -> Value {
    Value::Object(members.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_stay_as_they_came_until_read() {
        let mut p = Payload::parse(r#"{"b": {"x": [1, 2.50]}, "a": "\u00e9", "t": "2023-02-22T15:21:15.449Z"}"#).unwrap();
        assert_eq!(p.str("a").as_deref(), Some("é"));
        assert_eq!(p.get("b"), Some(serde_json::json!({"x": [1, 2.5]})));
        p.set("t", &Value::from(1677079275));
        p.set("n", &Value::Null);
        assert_eq!(p.clone().into_record().json(), r#"{"b":{"x": [1, 2.50]},"a":"\u00e9","t":1677079275,"n":null}"#);
        assert_eq!(p.into_value().to_string(), r#"{"b":{"x":[1,2.5]},"a":"é","t":1677079275,"n":null}"#);
    }

    #[test]
    fn a_record_serializes_as_raw_value_does() {
        let p = Payload::parse(r#"{"b": {"x": [1, 2.50]}, "a\"": "\u00e9"}"#).unwrap();
        let records = vec![p.into_record(), Record::from(serde_json::json!({"n": null}))];
        let raw: Vec<Box<RawValue>> = records.iter().map(|r| RawValue::from_string(r.json().to_string()).unwrap()).collect();
        assert_eq!(serde_json::to_string(&records).unwrap(), r#"[{"b":{"x": [1, 2.50]},"a\"":"\u00e9"},{"n":null}]"#);
        assert_eq!(serde_json::to_string(&records).unwrap(), serde_json::to_string(&raw).unwrap());
        assert_eq!(serde_json::to_string_pretty(&records).unwrap(), serde_json::to_string_pretty(&raw).unwrap());
        let body = std::collections::BTreeMap::from([("events", &records)]);
        let raw_body = std::collections::BTreeMap::from([("events", &raw)]);
        assert_eq!(serde_json::to_vec(&body).unwrap(), serde_json::to_vec(&raw_body).unwrap());
    }

    #[test]
    fn has_is_present_and_not_null() {
        let p = Payload::parse(r#"{"a": null, "b": "", "c": 0}"#).unwrap();
        for key in ["a", "b", "c", "d"] {
            assert_eq!(p.has(key), p.str(key).is_some(), "{key}");
        }
    }

    #[test]
    fn only_an_object_is_a_payload() {
        assert_eq!(Payload::parse("[1]").unwrap_err().message, "the payload must be a JSON object");
        assert!(Payload::parse("{").unwrap_err().message.starts_with("the payload is not JSON"));
        assert!(Payload::parse("{} x").unwrap_err().message.starts_with("the payload is not JSON"));
        assert_eq!(Payload::parse(r#"{"a":1,"a":2}"#).unwrap().get("a"), Some(Value::from(2)));
    }

    #[test]
    fn a_payload_nested_deeper_than_serde_json_reads_is_refused_whole() {
        let nest = |n: usize| format!(r#"{{"a":{}1{}, "s": "[[[{{\""}}"#, "[".repeat(n), "]".repeat(n));
        assert_eq!(Payload::parse(&nest(126)).unwrap().get("a").map(|v| v.is_array()), Some(true));
        let err = Payload::parse(&nest(127)).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{}", err.message);
        // As serde_json itself decides.
        assert!(serde_json::from_str::<Value>(&nest(126)).is_ok() && serde_json::from_str::<Value>(&nest(127)).is_err());
    }

    #[test]
    fn escaped_keys_are_unescaped_and_written_back_as_json() {
        let mut p = Payload::parse(r#"{"a\"b": 1, "\u0063": [true], "c": 3}"#).unwrap();
        assert_eq!(p.get("a\"b"), Some(Value::from(1)));
        // "\u0063" is "c": the later member replaces it, in its place.
        assert_eq!(p.get("c"), Some(Value::from(3)));
        p.set("d", &Value::from("é"));
        assert_eq!(p.clone().into_record().json(), r#"{"a\"b":1,"c":3,"d":"é"}"#);
        assert_eq!(p.into_value().to_string(), r#"{"a\"b":1,"c":3,"d":"é"}"#);
    }
}
