//! From a raw event to the payload a guest gets: choose the mapping, resolve
//! it against the event, validate the result against the action's fields.
//! A payload that fails any step never reaches the guest.

use serde_json::Value;

use crate::destination::{Action, Description};
use crate::mapping;
use crate::validate;

/// Which mapping an action runs with.
#[derive(Debug, Clone)]
pub enum MappingChoice {
    /// The defaults the guest declares for its fields.
    Defaults,
    /// Exactly this mapping.
    Exactly(Value),
    /// This mapping merged over the defaults (`useDefaultMappings`).
    OverDefaults(Value),
}

/// A mapping checked once, at load time, then resolved per event.
#[derive(Debug, Clone)]
pub struct Mapping(Value);

impl Mapping {
    pub fn new(action: &Action, choice: MappingChoice) -> Result<Mapping, String> {
        let defaults = Description::default_mapping(action);
        let mapping = match choice {
            MappingChoice::Defaults => defaults,
            MappingChoice::Exactly(m) => m,
            MappingChoice::OverDefaults(m) => merge(defaults, m)?,
        };
        if !mapping.is_object() {
            return Err("a mapping must be a JSON object of field names to values or directives".into());
        }
        mapping::validate_mapping(&mapping).map_err(|e| e.message)?;
        Ok(Mapping(mapping))
    }

    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// Resolves the mapping against an event and validates the result.
    pub fn payload(&self, action: &Action, event: &Value) -> Result<Value, String> {
        let mapped = mapping::resolve_validated(&self.0, event).map_err(|e| e.message)?;
        validate::validate_payload(&action.fields, mapped, true).map_err(|e| e.message)
    }
}

fn merge(defaults: Value, over: Value) -> Result<Value, String> {
    let (Value::Object(mut base), Value::Object(over)) = (defaults, over) else {
        return Err("a mapping must be a JSON object of field names to values or directives".into());
    };
    base.extend(over);
    Ok(Value::Object(base))
}

/// Validates a payload given directly (no mapping), as `--payload` does.
pub fn validate_payload(action: &Action, payload: Value) -> Result<Value, String> {
    validate::validate_payload(&action.fields, payload, true).map_err(|e| e.message)
}
