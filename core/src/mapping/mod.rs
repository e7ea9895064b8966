//! The mapping kit: turns an event into an action's payload with a mapping of raw values and
//! `@` directives (`@path`, `@if`, `@template`, `@liquid`, …). A port of Segment's `mapping-kit`
//! that keeps its JavaScript quirks, down to `undefined` existing until resolution ends.

mod directives;
mod flatten;
mod liquid_directive;
mod path;
mod resolve;
mod template;
mod validate;
mod value;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use serde_json::Value;

use value::Js;

/// A mapping that is invalid, or that failed on an event; the message is the reference's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MappingError {
    pub message: String,
}

impl MappingError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        MappingError {
            message: message.into(),
        }
    }
}

/// Validates a mapping as the reference's `validate.ts` does (after resolving the root
/// `__segment_internal_directive`), e.g. `/@if/then has an invalid directive: @oops.`.
/// Several errors are joined with a single space.
pub fn validate_mapping(mapping: &Value) -> Result<(), MappingError> {
    let mapping = resolve::mapping_to_process(mapping)?;
    validate::validate_mapping(&mapping).map_err(|failures| MappingError::new(failures.join(" ")))
}

/// `transform(mapping, data)`: validates the mapping, resolves it against `data` (which must be
/// an object: `data must be an object, got <type>`) and drops `undefined` keys.
///
/// A mapping whose root is a directive that resolves to `undefined` gives `null`.
pub fn transform(mapping: &Value, data: &Value) -> Result<Value, MappingError> {
    transform_with(mapping, data, true)
}

/// [`transform`] without validation, for a mapping already checked by [`validate_mapping`].
pub fn resolve_validated(mapping: &Value, data: &Value) -> Result<Value, MappingError> {
    transform_with(mapping, data, false)
}

fn transform_with(mapping: &Value, data: &Value, validate: bool) -> Result<Value, MappingError> {
    if !data.is_object() {
        let type_name = Js::from(data).type_name();
        return Err(MappingError::new(format!(
            "data must be an object, got {type_name}"
        )));
    }
    let resolved = resolve::transform(mapping, &Js::from(data), validate)?;
    Ok(resolved.into_json().unwrap_or(Value::Null))
}

/// A mapping prepared once for many events. When every member is a raw
/// value or a plain `{"@path": "…"}` (every default mapping is), members are
/// looked up straight in the event with their paths split once; anything else
/// goes through the general resolver, which converts the event first. Both
/// give the same payload (tested by `proptests::compiled_equals_general`).
#[derive(Debug, Clone)]
pub struct CompiledMapping {
    mapping: Value,
    plan: Option<Vec<(String, Member)>>,
}

#[derive(Debug, Clone)]
enum Member {
    Raw(Value),
    Path(Vec<String>),
}

impl CompiledMapping {
    /// `mapping` must already be valid ([`validate_mapping`]).
    pub fn new(mapping: Value) -> CompiledMapping {
        let plan = Self::plan(&mapping);
        CompiledMapping { mapping, plan }
    }

    fn plan(mapping: &Value) -> Option<Vec<(String, Member)>> {
        let map = mapping.as_object()?;
        if map.keys().any(|k| k.starts_with('@') || k == resolve::ROOT_DIRECTIVE_KEY) {
            return None;
        }
        value::in_js_order(map.iter())
            .into_iter()
            .map(|(key, member)| {
                let member = match member {
                    Value::Object(d) if d.len() == 1 => match d.get("@path") {
                        Some(Value::String(path)) => Member::Path(path::directive_keys(path)),
                        _ => return None,
                    },
                    Value::Object(_) | Value::Array(_) => return None,
                    raw => Member::Raw(raw.clone()),
                };
                Some((key.clone(), member))
            })
            .collect()
    }

    pub fn as_value(&self) -> &Value {
        &self.mapping
    }

    /// [`resolve_validated`] of this mapping against `data`.
    pub fn resolve(&self, data: &Value) -> Result<Value, MappingError> {
        let (Some(plan), true) = (&self.plan, data.is_object()) else {
            return resolve_validated(&self.mapping, data);
        };
        let mut out = serde_json::Map::with_capacity(plan.len());
        for (key, member) in plan {
            let value = match member {
                Member::Raw(v) => v.clone(),
                Member::Path(keys) => match path::lookup_keys(data, keys) {
                    Some(found) => value::js_ordered(found),
                    None => continue,
                },
            };
            out.insert(key.clone(), value);
        }
        Ok(Value::Object(out))
    }
}

/// The reference's path lookup (`get.ts`), as `@path` uses it after stripping `$.`:
/// `a.b[0]`, `a['b c']`; a falsy value on the way is the result (`{a: 0}` → `a.b` is `0`);
/// strings are indexable (`a.length`). `None` is `undefined`.
///
/// The value is owned because some results are computed (`length`, a string's character).
pub fn get(data: &Value, path: &str) -> Option<Value> {
    path::lookup(data, path).map(std::borrow::Cow::into_owned)
}
