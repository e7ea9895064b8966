use serde_json::{Map, Value};

use crate::{Error, Result};

/// A validated payload (or the non-secret settings): a JSON object whose keys
/// are the action's fields. Absent fields are simply missing.
#[derive(Debug, Clone, Default)]
pub struct Payload(pub Map<String, Value>);

impl Payload {
    pub fn parse(json: &str) -> Result<Self> {
        match serde_json::from_str(json) {
            Ok(Value::Object(map)) => Ok(Payload(map)),
            Ok(_) => Err(Error::validation("the payload must be a JSON object")),
            Err(e) => Err(Error::validation(format!("the payload is not JSON: {e}"))),
        }
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.0.get(key).cloned()
    }

    /// A string field, as the reference's template literals render it (absent: None).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// JavaScript truthiness of a field.
    pub fn truthy(&self, key: &str) -> bool {
        match self.0.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        }
    }

    /// The named fields, in this order, leaving out the absent ones.
    pub fn pick(&self, keys: &[&str]) -> Value {
        object(keys.iter().map(|k| (*k, self.get(k))))
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// Builds a JSON object from `(key, Option<value>)` pairs; `None` members are
/// left out, as `JSON.stringify` leaves out `undefined`.
pub fn object<'a>(members: impl IntoIterator<Item = (&'a str, Option<Value>)>) -> Value {
    Value::Object(members.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect())
}
