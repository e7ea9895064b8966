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

impl Part {
    fn text<'a>(&'a self, payload: &'a str) -> &'a str {
        match self {
            Part::Span(r) => &payload[r.clone()],
            Part::Own(s) => s,
        }
    }
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
        let members = de.deserialize_any(Members { text: &text }).map_err(|e| {
            if e.is_data() {
                Error::validation("the payload must be a JSON object")
            } else {
                Error::validation(format!("the payload is not JSON: {e}"))
            }
        })?;
        de.end().map_err(|e| Error::validation(format!("the payload is not JSON: {e}")))?;
        Ok(Payload { text, members })
    }

    /// A payload or settings object as the host sends it: JSON that serde_json
    /// wrote, so valid by construction. Its members are found in one pass
    /// without checking every value again; anything unexpected goes the way
    /// of [`Payload::from_string`], which also gives the error.
    pub(crate) fn from_host(text: String) -> Result<Self> {
        match scan_members(&text) {
            Some(members) => Ok(Payload { text, members }),
            None => Self::from_string(text),
        }
    }

    fn part<'a>(&'a self, part: &'a Part) -> &'a str {
        part.text(&self.text)
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

/// The members of a JSON object, as [`Members`] finds them, in one pass that
/// trusts the text to be JSON: strings are skipped to their closing quote,
/// containers to their closing bracket, scalars to the next delimiter. `None`
/// for anything else (not an object, nesting past [`MAX_DEPTH`], a key
/// that does not unescape), left to serde_json to judge.
fn scan_members(text: &str) -> Option<Vec<(Part, Part)>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut members: Vec<(Part, Part)> = Vec::with_capacity(8);
    if b.get(i) == Some(&b'}') {
        return (skip_ws(b, i + 1) == b.len()).then_some(members);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key_end, escaped) = string_end(b, i)?;
        let key = if escaped {
            Part::Own(serde_json::from_str::<String>(&text[i..key_end]).ok()?)
        } else {
            Part::Span(i + 1..key_end - 1)
        };
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start)?;
        let value = Part::Span(start..end);
        add_member(&mut members, text, key, value);
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return (skip_ws(b, i + 1) == b.len()).then_some(members),
            _ => return None,
        }
    }
}

/// Bytes the scan stops at: in a string, a quote or backslash (1); in a
/// container, a quote or bracket (2); after a scalar, a delimiter (4).
const STOPS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = 1 | 2;
    t[b'\\' as usize] = 1;
    t[b'{' as usize] = 2;
    t[b'[' as usize] = 2;
    t[b'}' as usize] = 2 | 4;
    t[b']' as usize] = 2 | 4;
    t[b',' as usize] = 4;
    t[b' ' as usize] = 4;
    t[b'\t' as usize] = 4;
    t[b'\n' as usize] = 4;
    t[b'\r' as usize] = 4;
    t
};

/// The first index from `i` whose byte is in the `class` of [`STOPS`].
/// Eight bytes at a time while none of them can be a stop.
fn next_stop(b: &[u8], mut i: usize, class: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Nonzero when some byte of `x` is `n` (exact for "is there any").
    let has = |x: u64, n: u8| {
        let y = x ^ (ONES * u64::from(n));
        y.wrapping_sub(ONES) & !y & (ONES << 7)
    };
    if class != 4 {
        while let Some(chunk) = b.get(i..i + 8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let mut stop = has(x, b'"');
            stop |= if class == 1 { has(x, b'\\') } else { has(x, b'{') | has(x, b'[') | has(x, b'}') | has(x, b']') };
            if stop != 0 {
                break;
            }
            i += 8;
        }
    }
    b.get(i..)?.iter().position(|&c| STOPS[c as usize] & class != 0).map(|k| i + k)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Just past the string that opens at `i`, and whether it has escapes.
fn string_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = next_stop(b, i + 1, 1)?;
    let mut escaped = false;
    while b[j] == b'\\' {
        escaped = true;
        j = next_stop(b, j + 2, 1)?;
    }
    Some((j + 1, escaped))
}

/// Just past the value that starts at `i`, a member of the top-level object.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i).map(|(end, _)| end),
        b'{' | b'[' => {
            // The object is level 1, this value level 2.
            let mut depth = 2;
            let mut j = i + 1;
            loop {
                j = next_stop(b, j, 2)?;
                match b[j] {
                    b'"' => j = string_end(b, j)?.0,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return None;
                        }
                        j += 1;
                    }
                    _ => {
                        depth -= 1;
                        j += 1;
                        if depth == 1 {
                            return Some(j);
                        }
                    }
                }
            }
        }
        _ => {
            let end = next_stop(b, i, 4).unwrap_or(b.len());
            (end > i).then_some(end)
        }
    }
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

/// A JSON object's members, in order, as spans of `text` (see [`add_member`]).
struct Members<'t> {
    text: &'t str,
}

impl Members<'_> {
    fn span(&self, s: &str) -> Range<usize> {
        let start = s.as_ptr() as usize - self.text.as_ptr() as usize;
        start..start + s.len()
    }
}

/// Adds a member found in `text`: a repeated key keeps its first place and
/// its last value, as `JSON.parse` does.
fn add_member(members: &mut Vec<(Part, Part)>, text: &str, key: Part, value: Part) {
    match members.iter().position(|(k, _)| k.text(text) == key.text(text)) {
        Some(at) => members[at].1 = value,
        None => members.push((key, value)),
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

impl<'de> Visitor<'de> for Members<'_> {
    type Value = Vec<(Part, Part)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut members: Self::Value = Vec::with_capacity(8);
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            let value = Part::Span(self.span(value.get()));
            let key = match key {
                Key::Borrowed(k) => Part::Span(self.span(k)),
                Key::Owned(k) => Part::Own(k),
            };
            add_member(&mut members, self.text, key, value);
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

    /// What a payload is made of, compared in full (spans or own text).
    fn members(p: &Payload) -> Vec<(String, String)> {
        p.members.iter().map(|(k, v)| (p.part(k).to_string(), p.part(v).to_string())).collect()
    }

    #[test]
    fn the_host_path_finds_what_serde_json_finds() {
        let cases = [
            r#"{}"#,
            r#" { } "#,
            r#"{"a":1,"b":"x","c":null,"d":true,"e":-1.5e3}"#,
            r#"{"s":"q\"}{[","o":{"k":["]",{"}":"\\"}]},"t":"é\u00e9"}"#,
            r#"{ "a" : [ 1 , 2 ] ,
                "b" : { } }"#,
            r#"{"a\"b": 1, "\u0063": [true], "c": 3}"#,
            r#"{"a":1,"a":2,"b":3,"a":4}"#,
        ];
        for text in cases {
            let host = Payload::from_host(text.to_string()).unwrap();
            assert_eq!(members(&host), members(&Payload::parse(text).unwrap()), "{text}");
            assert!(scan_members(text).is_some(), "{text} took the slow path");
        }
    }

    /// Not an object, or not the shape of one: the answer serde_json gives.
    /// (A value's own text, a bad escape say, is not checked again: the host
    /// wrote it with serde_json.)
    #[test]
    fn the_host_path_leaves_anything_else_to_serde_json() {
        for text in ["[1]", "1", "", "{", r#"{"a":1"#, r#"{"a" 1}"#, r#"{"a":}"#, r#"{"a":1}x"#, r#"{a:1}"#] {
            assert_eq!(
                Payload::from_host(text.to_string()).map(|p| members(&p)).map_err(|e| e.message),
                Payload::parse(text).map(|p| members(&p)).map_err(|e| e.message),
                "{text}"
            );
        }
        let nest = |n: usize| format!(r#"{{"a":{}1{}}}"#, "[".repeat(n), "]".repeat(n));
        assert!(Payload::from_host(nest(126)).is_ok() && scan_members(&nest(126)).is_some());
        let err = Payload::from_host(nest(127)).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{}", err.message);
    }

    proptest::proptest! {
        #[test]
        fn the_host_path_agrees_with_serde_json_on_any_object(value in json_object(), pretty in proptest::bool::ANY) {
            let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) }.unwrap();
            let host = Payload::from_host(text.clone()).unwrap();
            proptest::prop_assert!(scan_members(&text).is_some());
            proptest::prop_assert_eq!(members(&host), members(&Payload::parse(&text).unwrap()));
        }
    }

    proptest::proptest! {
        /// Any text at all: the host path never panics, and where serde_json
        /// reads the text as an object, both find the same members.
        #[test]
        fn the_host_path_survives_any_text(text in "[{}\\[\\]\":,\\\\ a-z0-9é\n]{0,40}") {
            let host = Payload::from_host(text.clone());
            if let Ok(parsed) = Payload::parse(&text) {
                proptest::prop_assert_eq!(members(&host.unwrap()), members(&parsed));
            }
        }
    }

    fn json_object() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let text = "[a-z\"\\\\{}\\[\\],: é\u{1F600}\n]{0,8}";
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            text.prop_map(Value::from),
        ];
        let value = leaf.prop_recursive(4, 32, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((text, inner), 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        proptest::collection::vec((text, value), 0..8).prop_map(|m| Value::Object(m.into_iter().collect()))
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
