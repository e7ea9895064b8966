//! Payload validation: what Segment's actions-core does between the mapping and
//! `perform` (reference section 3). The mapped payload goes through
//! `removeEmptyValues`, `arrifyFields`, then ajv with `coerceTypes: 'array'`,
//! `allErrors` and `removeAdditional`, and comes out coerced and stripped of
//! unknown keys, or as the reference's exact error text.

mod coerce;
mod date_like;
mod empty;

mod messages;
mod schema;
mod validator;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::destination::Field;

pub use date_like::{is_date_like, js_date_parse};

use empty::{arrify_fields, remove_empty_values};
use messages::{aggregate, type_of, Issue, Problem};
use schema::Schema;

/// A payload the action's schema rejects (the reference's `AggregateAjvError`,
/// status 400). `message` is every failure, each capitalised and ending in
/// '.', joined by one space.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PayloadError {
    pub message: String,
}

/// `removeEmptyValues(payload, schema, isRoot)` → coercion → validation →
/// removal of unknown keys. Returns the cleaned, coerced payload, e.g. a
/// validation failure reads
/// "The root value is missing the required field 'customerProfileId'. Attribute-Value pairs must be an object but it was an array."
///
/// `single` is true for a single execute: `''` is then dropped from top-level
/// fields even when they are strings. A batch keeps it.
pub fn validate_payload(
    fields: &[Field],
    payload: Value,
    single: bool,
) -> Result<Value, PayloadError> {
    Compiled::new(fields).validate(payload, single)
}

/// An action's schema, built once (at load) and used for every payload.
#[derive(Debug, Clone)]
pub struct Compiled(Schema);

impl Compiled {
    pub fn new(fields: &[Field]) -> Compiled {
        Compiled(Schema::from_fields(fields))
    }

    /// [`validate_payload`] with the schema already built.
    pub fn validate(&self, payload: Value, single: bool) -> Result<Value, PayloadError> {
        validate_with(&self.0, payload, single)
    }
}

fn validate_with(schema: &Schema, payload: Value, single: bool) -> Result<Value, PayloadError> {
    let schema = schema;
    let Some(mut payload) = remove_empty_values(payload, Some(&schema), single) else {
        // A null or '' payload is removed whole; ajv then sees `undefined`.
        let problem = Problem::Type {
            expected: schema.types.clone(),
            found: type_of(None),
        };
        return Err(PayloadError {
            message: Issue::new(&schema, "", problem).message(),
        });
    };
    arrify_fields(&mut payload, schema);
    let mut issues = Vec::new();
    validator::validate(schema, &mut payload, &validator::Pointer::Root, &mut issues);
    if issues.is_empty() {
        Ok(payload)
    } else {
        Err(PayloadError {
            message: aggregate(&issues),
        })
    }
}

/// The JSON Schema the reference builds from an action's fields (section 3.1),
/// e.g. for `describe --json`.
pub fn to_json_schema(fields: &[Field]) -> Value {
    Schema::from_fields(fields).to_json()
}
