//! Resolution (`resolve`, `transform` and `getMappingToProcess` in `index.ts`).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::directives;
use super::validate::validate_mapping;
use super::value::{in_js_order, utf16_units, Js};
use super::MappingError;

pub(crate) const ROOT_DIRECTIVE_KEY: &str = "__segment_internal_directive";

/// `transform(mapping, data)`: root directive, optional validation, resolution, then
/// `removeUndefined`. The result may be `undefined` when the root is a directive.
pub(crate) fn transform(mapping: &Value, data: &Js, validate: bool) -> Result<Js, MappingError> {
    if !matches!(data, Js::Object(_)) {
        return Err(MappingError::new(format!(
            "data must be an object, got {}",
            data.type_name()
        )));
    }
    let mapping = mapping_to_process(mapping)?;
    if validate {
        validate_mapping(&mapping).map_err(|failures| MappingError::new(failures.join(" ")))?;
    }
    Ok(resolve(&mapping, data)?.remove_undefined())
}

/// Resolves a mapping against a payload: raw values as they are, objects and arrays member by
/// member, directives by running them.
pub(crate) fn resolve(mapping: &Value, payload: &Js) -> Result<Js, MappingError> {
    match mapping {
        Value::Object(map) if is_directive(map) => run_directive(map, payload),
        Value::Object(map) => {
            let mut resolved = Vec::with_capacity(map.len());
            for (key, value) in in_js_order(map.iter()) {
                resolved.push((key.clone(), resolve(value, payload)?));
            }
            Ok(Js::Object(resolved))
        }
        Value::Array(items) => items
            .iter()
            .map(|item| resolve(item, payload))
            .collect::<Result<_, _>>()
            .map(Js::Array),
        raw => Ok(Js::from(raw)),
    }
}

/// `isDirective`: at least one `@` key and nothing else but `_metadata`.
fn is_directive(map: &Map<String, Value>) -> bool {
    map.keys().any(|k| k.starts_with('@'))
        && map.keys().all(|k| k.starts_with('@') || k == "_metadata")
}

fn run_directive(map: &Map<String, Value>, payload: &Js) -> Result<Js, MappingError> {
    // `@` keys are never integer-like, so insertion order is JS order here.
    let Some((name, options)) = map.iter().find(|(k, _)| k.starts_with('@')) else {
        return Ok(Js::Undefined);
    };
    directives::run(name, options, payload).unwrap_or_else(|| {
        Err(MappingError::new(format!(
            "{name} is not a valid directive, got undefined"
        )))
    })
}

/// `getMappingToProcess`: with a `__segment_internal_directive` key, the single directive under
/// it becomes the root and every other key becomes that directive's `mapping` option.
pub(crate) fn mapping_to_process(mapping: &Value) -> Result<Cow<'_, Value>, MappingError> {
    let map = match mapping {
        Value::Object(map) => map,
        Value::Null => {
            return Err(MappingError::new(
                "Cannot convert undefined or null to object",
            ))
        }
        // `{ ...mapping }` of a non-object.
        other => return Ok(Cow::Owned(Value::Object(spread(other)))),
    };
    let Some(root) = map.get(ROOT_DIRECTIVE_KEY) else {
        return Ok(Cow::Borrowed(mapping));
    };
    let customer_mapping: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| *k != ROOT_DIRECTIVE_KEY)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    attach_root_mapping(root.clone(), customer_mapping).map(Cow::Owned)
}

fn attach_root_mapping(
    mut root: Value,
    customer_mapping: Map<String, Value>,
) -> Result<Value, MappingError> {
    let single = || MappingError::new("The root mapping must only have a single directive object");
    let not_object = || MappingError::new("The root directive must be an object");
    let directive = match &mut root {
        Value::Null => {
            return Err(MappingError::new(
                "Cannot convert undefined or null to object",
            ))
        }
        Value::Object(map) if map.len() > 1 => return Err(single()),
        Value::Array(items) if items.len() > 1 => return Err(single()),
        Value::String(s) if s.encode_utf16().nth(1).is_some() => return Err(single()),
        Value::Object(map) => map.values_mut().next(),
        Value::Array(items) => items.first_mut(),
        _ => None,
    };
    match directive {
        Some(Value::Object(directive)) => {
            directive.insert("mapping".into(), Value::Object(customer_mapping));
        }
        // An array takes the property, but nothing ever reads it.
        Some(Value::Array(_)) => {}
        _ => return Err(not_object()),
    }
    Ok(root)
}

/// `{ ...value }` for a non-object: strings and arrays spread their indexes.
fn spread(value: &Value) -> Map<String, Value> {
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.clone()))
            .collect(),
        Value::String(s) => utf16_units(s)
            .enumerate()
            .map(|(i, unit)| (i.to_string(), Value::String(unit)))
            .collect(),
        _ => Map::new(),
    }
}
