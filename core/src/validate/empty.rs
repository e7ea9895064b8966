//! Section 3.2 `removeEmptyValues` and `arrifyFields`, the two passes the
//! reference makes over a payload before ajv sees it.

use serde_json::{Map, Value};

use super::schema::{JsonType, Schema};

/// `removeEmptyValues(value, schema, isRoot)`: drops `null` where the schema's
/// type lacks `null`, and `''` where it lacks `string`. `None` means the value
/// itself is dropped (JS `undefined`).
pub(crate) fn remove_empty_values(
    value: Value,
    schema: Option<&Schema>,
    is_root: bool,
) -> Option<Value> {
    // Untyped schemas (unknown keys) are left alone.
    let Some(schema) = schema.filter(|s| !s.types.is_empty()) else {
        return Some(value);
    };
    match value {
        Value::Array(items) => Some(Value::Array(filter_items(items, schema))),
        Value::Object(map) => Some(Value::Object(clean_object(map, schema, is_root))),
        scalar if is_empty_for(&scalar, schema) => None,
        scalar => Some(scalar),
    }
}

/// Drops the items that would be removed, but keeps the others untouched: the
/// reference filters with the cleaned item and keeps the original.
fn filter_items(items: Vec<Value>, schema: &Schema) -> Vec<Value> {
    match &schema.items {
        Some(item_schema) => items
            .into_iter()
            .filter(|item| !is_empty_for(item, item_schema))
            .collect(),
        None => items,
    }
}

fn clean_object(mut map: Map<String, Value>, schema: &Schema, is_root: bool) -> Map<String, Value> {
    let Some(object) = &schema.object else {
        return map;
    };
    // In place: the kept members keep their order.
    map.retain(|key, value| match remove_empty_values(value.take(), object.property(key), false) {
        // Only at the root of a single execute: `''` goes even for string fields.
        Some(cleaned) if !(is_root && cleaned == "") => {
            *value = cleaned;
            true
        }
        _ => false,
    });
    map
}

fn is_empty_for(value: &Value, schema: &Schema) -> bool {
    let allows = |t| schema.types.contains(&t);
    match value {
        Value::Null => !schema.types.is_empty() && !allows(JsonType::Null),
        Value::String(s) if s.is_empty() => !schema.types.is_empty() && !allows(JsonType::String),
        _ => false,
    }
}

/// `arrifyFields`: a top-level `multiple` field given a single value (an object
/// included) becomes a one-element array. `null` stays.
pub(crate) fn arrify_fields(payload: &mut Value, schema: &Schema) {
    let (Value::Object(map), Some(object)) = (payload, &schema.object) else {
        return;
    };
    for (key, value) in map.iter_mut() {
        let is_array_field = object
            .property(key)
            .is_some_and(|s| s.is_only(JsonType::Array));
        if is_array_field && !value.is_array() && !value.is_null() {
            *value = Value::Array(vec![value.take()]);
        }
    }
}
