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

/// A mapping checked once, at load time, then resolved per event; the
/// action's schema is built once with it.
#[derive(Debug, Clone)]
pub struct Mapping(mapping::CompiledMapping, std::sync::Arc<validate::Compiled>);

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
        Ok(Mapping(mapping::CompiledMapping::new(mapping), std::sync::Arc::new(validate::Compiled::new(&action.fields))))
    }

    pub fn as_value(&self) -> &Value {
        self.0.as_value()
    }

    /// Resolves the mapping against an event and validates the result
    /// against the schema of the action the mapping was made for.
    pub fn payload(&self, _action: &Action, event: &Value) -> Result<Value, String> {
        let mapped = self.0.resolve(event).map_err(|e| e.message)?;
        self.1.validate(mapped, true).map_err(|e| e.message)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::{Field, FieldType};
    use proptest::prelude::*;
    use serde_json::json;

    fn action() -> Action {
        let mut id = Field::new("customerProfileId", "Customer Profile ID", FieldType::String);
        id.required = true;
        id.default = Some(json!({"@path": "$.userId"}));
        let mut attrs = Field::new("attributes", "Attribute-Value pairs", FieldType::Object);
        attrs.default = Some(json!({"@path": "$.traits"}));
        let mut ids = Field::new("addAudienceIds", "Audiences", FieldType::Integer);
        ids.multiple = true;
        let mut when = Field::new("timestamp", "Timestamp", FieldType::Datetime);
        when.default = Some(json!({"@path": "$.timestamp"}));
        Action { key: "a".into(), title: "A".into(), description: String::new(), fields: vec![id, attrs, ids, when], default_subscription: None, batch: None }
    }

    #[test]
    fn defaults_exact_and_merged_mappings() {
        let a = action();
        let event = json!({"userId": "u1", "traits": {"plan": "pro"}, "timestamp": "2023-02-22T15:21:15.449Z"});
        let d = Mapping::new(&a, MappingChoice::Defaults).unwrap();
        assert_eq!(
            d.payload(&a, &event).unwrap(),
            json!({"customerProfileId": "u1", "attributes": {"plan": "pro"}, "timestamp": "2023-02-22T15:21:15.449Z"})
        );
        let exact = Mapping::new(&a, MappingChoice::Exactly(json!({"customerProfileId": "fixed"}))).unwrap();
        assert_eq!(exact.payload(&a, &event).unwrap(), json!({"customerProfileId": "fixed"}));
        let merged = Mapping::new(&a, MappingChoice::OverDefaults(json!({"addAudienceIds": "7"}))).unwrap();
        assert_eq!(merged.payload(&a, &event).unwrap()["addAudienceIds"], json!([7]));
        assert_eq!(
            Mapping::new(&a, MappingChoice::Defaults).unwrap().payload(&a, &json!({})).unwrap_err(),
            "The root value is missing the required field 'customerProfileId'."
        );
    }

    #[test]
    fn invalid_mappings_fail_at_load() {
        let e = Mapping::new(&action(), MappingChoice::Exactly(json!({"x": {"@oops": 1}}))).unwrap_err();
        assert_eq!(e, "/x has an invalid directive: @oops.");
        assert!(Mapping::new(&action(), MappingChoice::Exactly(json!([1]))).is_err());
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            "[a-z$.@ ]{0,12}".prop_map(Value::from),
            prop_oneof![Just("$.userId"), Just("$.traits"), Just("$.properties.x"), Just("")].prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("@path".to_string()), Just("@template".to_string()), Just("@if".to_string()),
                        Just("@arrayPath".to_string()), Just("@merge".to_string()), Just("exists".to_string()),
                        Just("then".to_string()), Just("customerProfileId".to_string()), Just("attributes".to_string()),
                        "[a-z]{1,6}",
                    ],
                    inner,
                    0..4,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Arbitrary events and mappings through mapping and validation: errors are fine, panics are not.
        #[test]
        fn mapping_then_validation_never_panics(event in json_value(), mapping in json_value(), merge in any::<bool>()) {
            let a = action();
            let choice = if merge { MappingChoice::OverDefaults(mapping) } else { MappingChoice::Exactly(mapping) };
            if let Ok(m) = Mapping::new(&a, choice) {
                let _ = m.payload(&a, &event);
            }
        }
    }
}
