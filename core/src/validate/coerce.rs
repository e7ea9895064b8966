//! ajv's type check and `coerceTypes: 'array'` (section 3.3), value by value.

use serde_json::Value;

use sluice_js::{as_f64, number_to_string, number_value, string_to_number};
use super::schema::JsonType;

/// ajv's `checkDataType`.
pub(crate) fn matches(t: JsonType, v: &Value) -> bool {
    match (t, v) {
        (JsonType::String, Value::String(_))
        | (JsonType::Number, Value::Number(_))
        | (JsonType::Boolean, Value::Bool(_))
        | (JsonType::Null, Value::Null)
        | (JsonType::Array, Value::Array(_))
        | (JsonType::Object, Value::Object(_)) => true,
        (JsonType::Integer, Value::Number(n)) => as_f64(n).fract() == 0.0,
        _ => false,
    }
}

pub(crate) fn matches_any(types: &[JsonType], v: &Value) -> bool {
    types.iter().any(|t| matches(*t, v))
}

/// The types ajv tries to coerce to (`object` never is).
pub(crate) fn coercible(types: &[JsonType]) -> Vec<JsonType> {
    types
        .iter()
        .copied()
        .filter(|t| *t != JsonType::Object)
        .collect()
}

/// A value ajv could not coerce. `seen` is what it kept validating: for a
/// one-element array that is the element (ajv unwraps it before trying).
pub(crate) struct Uncoercible<'a> {
    pub seen: &'a Value,
    pub unwrapped: bool,
}

/// ajv's `coerceData`: unwrap `[x]`, then the first target type (in schema order)
/// whose rule accepts the value wins.
pub(crate) fn coerce<'a>(targets: &[JsonType], data: &'a Value) -> Result<Value, Uncoercible<'a>> {
    let (value, unwrapped) = match data {
        Value::Array(items) if items.len() == 1 => (&items[0], true),
        _ => (data, false),
    };
    if unwrapped && matches_any(targets, value) {
        return Ok(value.clone());
    }
    targets
        .iter()
        .find_map(|t| coerce_to(*t, value))
        .ok_or(Uncoercible {
            seen: value,
            unwrapped,
        })
}

fn coerce_to(t: JsonType, v: &Value) -> Option<Value> {
    match t {
        JsonType::String => to_string(v),
        JsonType::Number => to_number(v, false),
        JsonType::Integer => to_number(v, true),
        JsonType::Boolean => to_boolean(v),
        JsonType::Null => to_null(v),
        JsonType::Array => to_array(v),
        JsonType::Object => None,
    }
}

/// `"" + data` for numbers and booleans; `null` → `""`.
fn to_string(v: &Value) -> Option<Value> {
    match v {
        Value::Number(n) => Some(Value::String(number_to_string(as_f64(n)))),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        Value::Null => Some(Value::String(String::new())),
        _ => None,
    }
}

/// `+data` for booleans, `null` and numeric strings (`data && data == +data`);
/// integers also need `!(data % 1)`, which `Infinity` passes.
fn to_number(v: &Value, integer: bool) -> Option<Value> {
    let n = match v {
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Null => 0.0,
        Value::String(s) if !s.is_empty() => string_to_number(s),
        _ => return None,
    };
    let integral = n.is_infinite() || n.fract() == 0.0;
    (!n.is_nan() && (!integer || integral)).then(|| number_value(n))
}

fn to_boolean(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) if s == "false" => Some(Value::Bool(false)),
        Value::String(s) if s == "true" => Some(Value::Bool(true)),
        Value::Number(n) if as_f64(n) == 0.0 => Some(Value::Bool(false)),
        Value::Number(n) if as_f64(n) == 1.0 => Some(Value::Bool(true)),
        Value::Null => Some(Value::Bool(false)),
        _ => None,
    }
}

fn to_null(v: &Value) -> Option<Value> {
    let empty = match v {
        Value::String(s) => s.is_empty(),
        Value::Number(n) => as_f64(n) == 0.0,
        Value::Bool(b) => !b,
        _ => false,
    };
    empty.then_some(Value::Null)
}

fn to_array(v: &Value) -> Option<Value> {
    match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => {
            Some(Value::Array(vec![v.clone()]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use JsonType::*;

    fn ok(types: &[JsonType], v: Value) -> Option<Value> {
        coerce(types, &v).ok()
    }

    #[test]
    fn integer_rows() {
        for (input, want) in [
            (json!(" 12 "), json!(12)),
            (json!("12.0"), json!(12)),
            (json!("1e3"), json!(1000)),
            (json!("0x10"), json!(16)),
            (json!("-3"), json!(-3)),
            (json!(true), json!(1)),
            (json!([7]), json!(7)),
            (json!(["7"]), json!(7)),
            (json!(null), json!(0)),
            (json!("Infinity"), Value::Null),
        ] {
            assert_eq!(ok(&[Integer], input.clone()), Some(want), "{input}");
        }
        for bad in [
            json!(12.5),
            json!("abc"),
            json!(""),
            json!("12.5"),
            json!({}),
            json!([[7]]),
            json!([]),
        ] {
            assert_eq!(ok(&[Integer], bad.clone()), None, "{bad}");
        }
    }

    #[test]
    fn number_rows() {
        assert_eq!(ok(&[Number], json!(" 1.5")), Some(json!(1.5)));
        assert_eq!(ok(&[Number], json!("Infinity")), Some(Value::Null));
        assert_eq!(ok(&[Number], json!(true)), Some(json!(1)));
        assert_eq!(ok(&[Number], json!(false)), Some(json!(0)));
        assert_eq!(ok(&[Number], json!("  ")), Some(json!(0)));
        assert_eq!(ok(&[Number], json!("")), None);
        assert_eq!(ok(&[Number], json!("1,5")), None);
    }

    #[test]
    fn boolean_rows() {
        assert_eq!(ok(&[Boolean], json!("true")), Some(json!(true)));
        assert_eq!(ok(&[Boolean], json!("false")), Some(json!(false)));
        assert_eq!(ok(&[Boolean], json!(1)), Some(json!(true)));
        assert_eq!(ok(&[Boolean], json!(0)), Some(json!(false)));
        assert_eq!(ok(&[Boolean], json!(0.0)), Some(json!(false)));
        assert_eq!(ok(&[Boolean], json!(null)), Some(json!(false)));
        for bad in [json!("TRUE"), json!("1"), json!("0"), json!(2), json!("")] {
            assert_eq!(ok(&[Boolean], bad.clone()), None, "{bad}");
        }
    }

    #[test]
    fn string_rows() {
        assert_eq!(ok(&[String], json!(12)), Some(json!("12")));
        assert_eq!(ok(&[String], json!(1.5)), Some(json!("1.5")));
        assert_eq!(ok(&[String], json!(1e21)), Some(json!("1e+21")));
        assert_eq!(ok(&[String], json!(true)), Some(json!("true")));
        assert_eq!(ok(&[String], json!(null)), Some(json!("")));
        assert_eq!(ok(&[String], json!([1])), Some(json!("1")));
        assert_eq!(ok(&[String], json!(["a"])), Some(json!("a")));
        assert_eq!(ok(&[String], json!({})), None);
        assert_eq!(ok(&[String], json!([])), None);
    }

    #[test]
    fn datetime_prefers_string_then_number() {
        assert_eq!(ok(&[String, Number], json!(true)), Some(json!("true")));
        assert_eq!(ok(&[String, Number], json!([5])), Some(json!(5)));
        assert!(ok(&[String, Number], json!({})).is_none());
    }

    #[test]
    fn array_wraps_scalars_only() {
        assert_eq!(ok(&[Array], json!(5)), Some(json!([5])));
        assert_eq!(ok(&[Array], json!("a")), Some(json!(["a"])));
        assert_eq!(ok(&[Array], json!({"a": 1})), None);
    }

    #[test]
    fn a_failed_unwrap_reports_the_element() {
        let data = json!([{"a": 1}]);
        let failed = coerce(&[String], &data)
            .err()
            .map(|f| (f.seen.clone(), f.unwrapped));
        assert_eq!(failed, Some((json!({"a": 1}), true)));
    }

    #[test]
    fn integer_type_accepts_integral_floats() {
        assert!(matches(Integer, &json!(12.0)));
        assert!(!matches(Integer, &json!(12.5)));
        assert!(matches(Number, &json!(12)));
    }
}
