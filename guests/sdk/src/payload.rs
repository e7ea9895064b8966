use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::{Error, Result};

/// A validated payload (or the non-secret settings): a JSON object whose keys
/// are the action's fields. Absent fields are simply missing. Members stay raw
/// JSON text until one is read, so a payload passed on whole (a batch record)
/// is never built into a tree and serialized again.
#[derive(Debug, Clone, Default)]
pub struct Payload {
    members: Vec<(String, Box<RawValue>)>,
}

impl Payload {
    pub fn parse(json: &str) -> Result<Self> {
        let mut de = serde_json::Deserializer::from_str(json);
        let members = de.deserialize_any(Members).map_err(|e| {
            if e.is_data() {
                Error::validation("the payload must be a JSON object")
            } else {
                Error::validation(format!("the payload is not JSON: {e}"))
            }
        })?;
        de.end().map_err(|e| Error::validation(format!("the payload is not JSON: {e}")))?;
        Ok(Payload { members })
    }

    fn raw(&self, key: &str) -> Option<&RawValue> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| &**v)
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.raw(key).map(|raw| serde_json::from_str(raw.get()).unwrap_or(Value::Null))
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
        let raw = serde_json::value::to_raw_value(value).expect("a JSON value serializes");
        match self.members.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = raw,
            None => self.members.push((key.to_string(), raw)),
        }
    }

    pub fn into_value(self) -> Value {
        Value::Object(
            self.members
                .into_iter()
                .map(|(k, raw)| {
                    let v = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                    (k, v)
                })
                .collect::<Map<String, Value>>(),
        )
    }

    /// The payload as a batch record, copied as it came (members in order).
    pub fn into_record(self) -> Record {
        let size: usize = self.members.iter().map(|(k, v)| k.len() + v.get().len() + 4).sum();
        let mut text = String::with_capacity(size + 2);
        text.push('{');
        for (i, (key, value)) in self.members.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&serde_json::to_string(key).expect("a string serializes"));
            text.push(':');
            text.push_str(value.get());
        }
        text.push('}');
        Record(RawValue::from_string(text).expect("members of a JSON object make a JSON object"))
    }
}

/// One record of a batch, as JSON text: it serializes as itself, so a list of
/// records goes out without being parsed again.
#[derive(Debug, Clone, Serialize)]
pub struct Record(Box<RawValue>);

impl Record {
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl From<Value> for Record {
    fn from(value: Value) -> Record {
        Record(serde_json::value::to_raw_value(&value).expect("a JSON value serializes"))
    }
}

/// A JSON object's members, in order, each left as raw text (a repeated key
/// keeps its last value, as JSON.parse does).
struct Members;

impl<'de> Visitor<'de> for Members {
    type Value = Vec<(String, Box<RawValue>)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut members: Self::Value = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
            match members.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => *v = value,
                None => members.push((key, value)),
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
    fn only_an_object_is_a_payload() {
        assert_eq!(Payload::parse("[1]").unwrap_err().message, "the payload must be a JSON object");
        assert!(Payload::parse("{").unwrap_err().message.starts_with("the payload is not JSON"));
        assert!(Payload::parse("{} x").unwrap_err().message.starts_with("the payload is not JSON"));
        assert_eq!(Payload::parse(r#"{"a":1,"a":2}"#).unwrap().get("a"), Some(Value::from(2)));
    }
}
