//! `validate_payload` end to end, on field lists shaped like the Toplyne and
//! Talon.One actions (reference section 7), with the messages of the
//! conformance expectations.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::{to_json_schema, validate_payload};
use crate::destination::{Field, FieldType};

mod fixtures {
    use super::*;
    use FieldType::*;

    pub fn f(key: &str, label: &str, ty: FieldType) -> Field {
        Field::new(key, label, ty)
    }

    pub trait FieldExt {
        fn required(self) -> Self;
        fn multiple(self) -> Self;
        fn choices(self, choices: &[&str]) -> Self;
        fn properties(self, properties: Vec<Field>) -> Self;
    }

    impl FieldExt for Field {
        fn required(mut self) -> Self {
            self.required = true;
            self
        }
        fn multiple(mut self) -> Self {
            self.multiple = true;
            self
        }
        fn choices(mut self, choices: &[&str]) -> Self {
            self.choices = choices.iter().map(|c| c.to_string()).collect();
            self
        }
        fn properties(mut self, properties: Vec<Field>) -> Self {
            self.properties = properties;
            self
        }
    }

    const ATTRIBUTE_TYPES: &[&str] = &["string", "time", "number", "boolean", "location"];
    const STATES: &[&str] = &["open", "closed", "partially_returned", "cancelled"];

    fn customer_profile_id() -> Field {
        f("customerProfileId", "Customer Profile ID", String).required()
    }
    fn attributes() -> Field {
        f("attributes", "Attribute-Value pairs", Object)
    }
    fn audience_ids(key: &str, label: &str) -> Field {
        f(key, label, Integer).multiple()
    }
    fn attributes_info(key: &str, label: &str, typed: bool) -> Field {
        let ty = f("type", "Type", String).required();
        let ty = if typed {
            ty.choices(ATTRIBUTE_TYPES)
        } else {
            ty
        };
        f(key, label, Object)
            .multiple()
            .properties(vec![f("name", "Name", String).required(), ty])
    }
    fn audiences(key: &str, label: &str) -> Field {
        f(key, label, Object).multiple().properties(vec![
            f("name", "Name", String).required(),
            f("integrationId", "integrationID", String),
        ])
    }
    pub fn cart_items() -> Field {
        let strings = [
            ("name", "Name"),
            ("sku", "SKU"),
            ("returnedQuantity", "Returned quantity"),
            ("remainingQuantity", "Remaining quantity"),
            ("category", "Category"),
            ("weight", "Weight"),
            ("height", "Height"),
            ("length", "Length"),
            ("position", "Position"),
        ];
        let mut props: Vec<Field> = strings.iter().map(|(k, l)| f(k, l, String)).collect();
        props.insert(2, f("quantity", "Quantity", Number));
        props.insert(3, f("price", "Price", Number));
        props.push(attributes());
        props.push(f("additionalCosts", "Additional Costs", Object));
        f("cartItems", "Card Items", Object)
            .multiple()
            .properties(props)
    }
    fn callback_fields() -> Vec<Field> {
        vec![
            f("customerSessionId", "Customer Session ID", String).required(),
            f("callbackDestination", "Callback Destination URI", String),
            f("callbackAPIKey", "Callback API Key", String),
            f("contentFields", "Content Fields", String),
            f("callbackCorrelationId", "Correlation ID", String),
        ]
    }
    fn session_properties() -> Vec<Field> {
        vec![
            f("profileId", "Customer Profile ID", String),
            f("couponCodes", "Coupon Codes", String).multiple(),
            f("referralCode", "Referral Codes", String),
            f("loyaltyCards", "Loyalty Cards", String).multiple(),
            f("state", "State", String).choices(STATES),
            cart_items(),
            f("additionalCosts", "Additional Costs", Object),
            attributes(),
        ]
    }

    pub fn toplyne_send_events() -> Vec<Field> {
        vec![
            f("userId", "User ID", String),
            f("anonymousId", "Anonymous ID", String),
            f("accountId", "Account ID", String),
            f("eventName", "Event Name", String).required(),
            f("timestamp", "Timestamp", Datetime).required(),
            f("eventProperties", "Event Properties", Object),
        ]
    }

    pub fn toplyne_send_user_profiles() -> Vec<Field> {
        vec![
            f("userId", "User ID", String),
            f("anonymousId", "Anonymous ID", String),
            f("creationTime", "Creation time", Datetime).required(),
            f("userProperties", "User Properties", Object),
        ]
    }

    pub fn create_audience() -> Vec<Field> {
        vec![
            f("audienceId", "Segment Audience ID", String).required(),
            f("audienceName", "Audience Name", String).required(),
        ]
    }

    pub fn update_customer_profile() -> Vec<Field> {
        vec![
            attributes(),
            customer_profile_id(),
            audience_ids(
                "deleteAudienceIds",
                "List of audience ID to dissociate with the customer profile.",
            ),
            audience_ids(
                "addAudienceIds",
                "List of audience ID to associate with the customer profile.",
            ),
            f("runRuleEngine", "Run rule engine", Boolean),
            attributes_info("attributesInfo", "Attributes with types", false),
        ]
    }

    pub fn update_customer_profile_v2() -> Vec<Field> {
        vec![
            customer_profile_id(),
            audiences("audiencesToAdd", "The audiences for the customer to join."),
            audiences(
                "audiencesToDelete",
                "The audiences for the customer to leave.",
            ),
            f("runRuleEngine", "Run rule engine", Boolean),
            attributes(),
            attributes_info("attributesInfo", "Attributes info", true),
        ]
    }

    pub fn update_customer_profile_v3() -> Vec<Field> {
        vec![
            customer_profile_id(),
            f(
                "skipNonExistingAttributes",
                "Skip Non-existing Attributes Flag",
                Boolean,
            ),
            audience_ids(
                "deleteAudienceIds",
                "List of audience ID to dissociate with the customer profile.",
            ),
            audience_ids(
                "addAudienceIds",
                "List of audience ID to associate with the customer profile.",
            ),
            f("runRuleEngine", "Run rule engine", Boolean),
            attributes(),
        ]
    }

    pub fn update_customer_profiles_audiences() -> Vec<Field> {
        let item = vec![
            customer_profile_id(),
            f("adds", "List of audience ID to associate", Integer).multiple(),
            f("deletes", "List of audience ID to dissociate", Integer).multiple(),
        ];
        vec![f(
            "data",
            "Data item to change customer profile audiences",
            Object,
        )
        .multiple()
        .required()
        .properties(item)]
    }

    pub fn track_event() -> Vec<Field> {
        vec![
            customer_profile_id(),
            f("eventType", "Event Type", String).required(),
            f("type", "Type", String).required(),
            attributes(),
            attributes_info("attributesInfo", "Attributes info", false),
        ]
    }

    pub fn update_customer_session() -> Vec<Field> {
        let mut fields = callback_fields();
        fields.push(
            f("customerSession", "Customer Session Data", Object)
                .required()
                .properties(session_properties()),
        );
        fields.push(attributes_info(
            "sessionAttributesInfo",
            "Session Attributes info",
            true,
        ));
        fields.push(attributes_info(
            "cartItemsAttributesInfo",
            "Cart Items Attributes info",
            true,
        ));
        fields
    }

    pub fn update_customer_session_v2() -> Vec<Field> {
        let mut fields = callback_fields();
        fields.push(f(
            "skipNonExistingAttributes",
            "Skip Non-existing Attributes Flag",
            Boolean,
        ));
        fields.extend(session_properties());
        fields.insert(
            fields.len() - 1,
            f("identifiers", "Identifiers", String).multiple(),
        );
        fields
    }
}

use fixtures::*;

fn error(fields: &[Field], payload: Value) -> String {
    match validate_payload(fields, payload, true) {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e.to_string(),
    }
}

fn ok(fields: &[Field], payload: Value) -> Value {
    validate_payload(fields, payload, true).unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

// --- messages seen in the conformance expectations ---------------------------

#[test]
fn conformance_messages() {
    let cases: Vec<(Vec<Field>, Value, &str)> = vec![
        (
            update_customer_profile_v3(),
            json!({"customerProfileId": "id-980ifd", "deleteAudienceIds": ["abc"], "addAudienceIds": [36024]}),
            "The value at /deleteAudienceIds/0 must be an integer but it was a string.",
        ),
        (
            update_customer_session_v2(),
            json!({"customerSessionId": "id-3l3lut", "state": "closed", "additionalCosts": "text"}),
            "Additional Costs must be an object but it was a string.",
        ),
        (
            update_customer_session(),
            json!({"customerSessionId": "id-eevuwb", "customerSession": "text"}),
            "Customer Session Data must be an object but it was a string.",
        ),
        (
            update_customer_profile_v3(),
            json!({"customerProfileId": "id-ezh7bt", "attributes": 42}),
            "Attribute-Value pairs must be an object but it was a number.",
        ),
        (
            toplyne_send_events(),
            json!({"eventName": "delta 4", "timestamp": "2022-11-02T18:10:58+14:00", "eventProperties": 42}),
            "Event Properties must be an object but it was a number.",
        ),
        (
            toplyne_send_user_profiles(),
            json!({"anonymousId": "id-8ekgj3"}),
            "The root value is missing the required field 'creationTime'.",
        ),
        (
            update_customer_profiles_audiences(),
            json!({}),
            "The root value is missing the required field 'data'.",
        ),
        (
            update_customer_profiles_audiences(),
            json!({"data": [{"adds": [1, 2, 3], "deletes": [4, 5, 6]}]}),
            "The value at /data/0 is missing the required field 'customerProfileId'.",
        ),
        (
            update_customer_session(),
            json!({}),
            "The root value is missing the required field 'customerSessionId'. \
             The root value is missing the required field 'customerSession'.",
        ),
        (
            track_event(),
            json!({}),
            "The root value is missing the required field 'customerProfileId'. \
             The root value is missing the required field 'eventType'. \
             The root value is missing the required field 'type'.",
        ),
        (
            // The reference test "updateCustomerProfile errors" (Full message).
            update_customer_profile(),
            json!({"customerProfileId": "", "attributes": [], "audiencesChanges": {}, "runRuleEngine": true}),
            "The root value is missing the required field 'customerProfileId'. \
             Attribute-Value pairs must be an object but it was an array.",
        ),
    ];
    for (fields, payload, want) in cases {
        assert_eq!(error(&fields, payload.clone()), want, "payload {payload}");
    }
}

#[test]
fn conformance_coercions() {
    let got = ok(
        &update_customer_profile(),
        json!({
            "customerProfileId": 986,
            "deleteAudienceIds": ["82151", "87807"],
            "addAudienceIds": ["24369"],
            "runRuleEngine": "true",
            "attributesInfo": [{"name": "tab\there", "type": "a/b?c=d&e"}],
            "attributes": {"email6": [[null, true, 9099.165], "x"]}
        }),
    );
    assert_eq!(got["customerProfileId"], "986");
    assert_eq!(got["deleteAudienceIds"], json!([82151, 87807]));
    assert_eq!(got["addAudienceIds"], json!([24369]));
    assert_eq!(got["runRuleEngine"], true);
    // V1 attributesInfo has no choices; free-form objects are untouched.
    assert_eq!(
        got["attributesInfo"],
        json!([{"name": "tab\there", "type": "a/b?c=d&e"}])
    );
    assert_eq!(
        got["attributes"],
        json!({"email6": [[null, true, 9099.165], "x"]})
    );

    let got = ok(
        &update_customer_profile_v3(),
        json!({"customerProfileId": "x", "runRuleEngine": 0, "skipNonExistingAttributes": "false"}),
    );
    assert_eq!(
        got,
        json!({"customerProfileId": "x", "runRuleEngine": false, "skipNonExistingAttributes": false})
    );

    let got = ok(
        &toplyne_send_events(),
        json!({"accountId": 805, "eventName": "0", "timestamp": "2021-03-12T01:26:26.634Z"}),
    );
    assert_eq!(got["accountId"], "805");
}

// --- 3.3 coercion rows, through the whole pipeline ---------------------------

fn one(ty: FieldType) -> Vec<Field> {
    vec![f("v", "V", ty)]
}

fn coerced(ty: FieldType, v: Value) -> Result<Value, String> {
    validate_payload(&one(ty), json!({ "v": v }), true)
        .map(|p| p["v"].clone())
        .map_err(|e| e.message)
}

#[test]
fn integer_coercions() {
    for (input, want) in [
        (json!(" 12 "), json!(12)),
        (json!("12.0"), json!(12)),
        (json!("1e3"), json!(1000)),
        (json!("0x10"), json!(16)),
        (json!("-3"), json!(-3)),
        (json!(true), json!(1)),
        (json!([7]), json!(7)),
        (json!(12.0), json!(12.0)),
    ] {
        assert_eq!(
            coerced(FieldType::Integer, input.clone()),
            Ok(want),
            "{input}"
        );
    }
    let is_number = Err("V must be an integer but it was a number.".to_string());
    assert_eq!(coerced(FieldType::Integer, json!(12.5)), is_number);
    assert_eq!(
        coerced(FieldType::Integer, json!("abc")),
        Err("V must be an integer but it was a string.".into())
    );
    // A one-element array is unwrapped before failing, so the element is reported.
    assert_eq!(
        coerced(FieldType::Integer, json!(["abc"])),
        Err("V must be an integer but it was a string.".into())
    );
    assert_eq!(
        coerced(FieldType::Integer, json!([[7]])),
        Err("V must be an integer but it was an array.".into())
    );
}

#[test]
fn number_coercions() {
    assert_eq!(coerced(FieldType::Number, json!(" 1.5")), Ok(json!(1.5)));
    // JSON.stringify(Infinity) is null.
    assert_eq!(
        coerced(FieldType::Number, json!("Infinity")),
        Ok(Value::Null)
    );
    assert_eq!(coerced(FieldType::Number, json!(true)), Ok(json!(1)));
    assert_eq!(
        coerced(FieldType::Number, json!("1,5")),
        Err("V must be a number but it was a string.".into())
    );
    // '' only reaches ajv inside array items (removeEmptyValues drops it elsewhere).
    assert_eq!(coerced(FieldType::Number, json!("")), Ok(Value::Null));
    let fields = vec![cart_items()];
    assert_eq!(
        error(&fields, json!({"cartItems": [{"quantity": ""}]})),
        "Quantity must be a number but it was a string."
    );
}

#[test]
fn boolean_coercions() {
    for (input, want) in [
        (json!("true"), true),
        (json!("false"), false),
        (json!(1), true),
        (json!(0), false),
    ] {
        assert_eq!(
            coerced(FieldType::Boolean, input.clone()),
            Ok(json!(want)),
            "{input}"
        );
    }
    for bad in [json!("TRUE"), json!("1"), json!("0"), json!(2)] {
        assert_eq!(
            coerced(FieldType::Boolean, bad.clone()),
            Err(format!(
                "V must be a boolean but it was {}.",
                if bad.is_string() {
                    "a string"
                } else {
                    "a number"
                }
            )),
            "{bad}"
        );
    }
    // Inside an array of objects nulls survive removeEmptyValues, and ajv turns null into false.
    let fields = vec![f("items", "Items", FieldType::Object)
        .multiple()
        .properties(vec![f("b", "B", FieldType::Boolean)])];
    assert_eq!(
        ok(&fields, json!({"items": [{"b": null}]})),
        json!({"items": [{"b": false}]})
    );
}

#[test]
fn string_coercions() {
    for (input, want) in [
        (json!(12), "12"),
        (json!(1.5), "1.5"),
        (json!(1e21), "1e+21"),
        (json!(true), "true"),
        (json!([1]), "1"),
    ] {
        assert_eq!(
            coerced(FieldType::String, input.clone()),
            Ok(json!(want)),
            "{input}"
        );
    }
    assert_eq!(
        coerced(FieldType::String, json!({})),
        Err("V must be a string but it was an object.".into())
    );
    assert_eq!(
        coerced(FieldType::String, json!([])),
        Err("V must be a string but it was an array.".into())
    );
    // null → "" only where removeEmptyValues leaves the null: inside array items.
    let fields = vec![f("items", "Items", FieldType::Object)
        .multiple()
        .properties(vec![f("s", "S", FieldType::String)])];
    assert_eq!(
        ok(&fields, json!({"items": [{"s": null}]})),
        json!({"items": [{"s": ""}]})
    );
    // text and password are strings whose formats always pass.
    assert_eq!(coerced(FieldType::Text, json!(5)), Ok(json!("5")));
    assert_eq!(coerced(FieldType::Password, json!("")), Ok(Value::Null));
}

#[test]
fn datetime_coercions() {
    assert_eq!(
        coerced(FieldType::Datetime, json!(1_677_079_275_449_i64)),
        Ok(json!(1_677_079_275_449_i64))
    );
    // Numbers are not format-checked.
    assert_eq!(
        coerced(FieldType::Datetime, json!(-1e300)),
        Ok(json!(-1e300))
    );
    assert_eq!(
        coerced(FieldType::Datetime, json!("2021-01-01")),
        Ok(json!("2021-01-01"))
    );
    let invalid = Err("V must be a valid date-like string but it was not.".to_string());
    assert_eq!(coerced(FieldType::Datetime, json!("yesterday")), invalid);
    assert_eq!(
        coerced(FieldType::Datetime, json!(true)),
        invalid,
        "true becomes \"true\" first"
    );
    assert_eq!(
        coerced(FieldType::Datetime, json!({})),
        Err("V must be a string or number but it was an object.".into())
    );
    // Items of a multiple datetime carry no format.
    let fields = vec![f("v", "V", FieldType::Datetime).multiple()];
    assert_eq!(
        ok(&fields, json!({"v": "yesterday"})),
        json!({"v": ["yesterday"]})
    );
}

#[test]
fn multiple_coercions() {
    let fields = update_customer_profile_v2();
    let got = ok(
        &fields,
        json!({"customerProfileId": "x", "audiencesToAdd": {"name": "a", "integrationId": 5}, "audiencesToDelete": [{"name": 1}]}),
    );
    assert_eq!(
        got["audiencesToAdd"],
        json!([{"name": "a", "integrationId": "5"}])
    );
    assert_eq!(got["audiencesToDelete"], json!([{"name": "1"}]));

    let got = ok(
        &update_customer_profile_v3(),
        json!({"customerProfileId": "x", "addAudienceIds": "5"}),
    );
    assert_eq!(got["addAudienceIds"], json!([5]));

    // Nested multiple fields are wrapped by ajv's array coercion; objects are not.
    let session = update_customer_session();
    let got = ok(
        &session,
        json!({"customerSessionId": "s", "customerSession": {"couponCodes": "abc", "loyaltyCards": 7}}),
    );
    assert_eq!(
        got["customerSession"],
        json!({"couponCodes": ["abc"], "loyaltyCards": ["7"]})
    );
    assert_eq!(
        error(
            &session,
            json!({"customerSessionId": "s", "customerSession": {"couponCodes": {"a": 1}}})
        ),
        "Coupon Codes must be an array but it was an object."
    );
}

#[test]
fn object_coercions() {
    let fields = update_customer_profile_v3();
    for (bad, found) in [
        (json!("text"), "a string"),
        (json!([]), "an array"),
        (json!([{}]), "an array"),
        (json!(true), "a boolean"),
    ] {
        assert_eq!(
            error(
                &fields,
                json!({"customerProfileId": "x", "attributes": bad})
            ),
            format!("Attribute-Value pairs must be an object but it was {found}.")
        );
    }
}

// --- 3.4 message formats and ordering ----------------------------------------

#[test]
fn required_errors_come_first_then_properties_in_field_order() {
    let fields = update_customer_profile_v3();
    let got = error(
        &fields,
        json!({"attributes": "a", "addAudienceIds": ["x"], "deleteAudienceIds": [1, "y"], "runRuleEngine": "maybe"}),
    );
    assert_eq!(
        got,
        "The root value is missing the required field 'customerProfileId'. \
         The value at /deleteAudienceIds/1 must be an integer but it was a string. \
         The value at /addAudienceIds/0 must be an integer but it was a string. \
         Run rule engine must be a boolean but it was a string. \
         Attribute-Value pairs must be an object but it was a string."
    );
}

#[test]
fn nested_errors_use_titles_and_pointers() {
    let fields = update_customer_session();
    let got = error(
        &fields,
        json!({
            "customerSessionId": "s",
            "customerSession": {"state": "", "cartItems": [{"price": "cheap"}, {"quantity": {}}]},
            "sessionAttributesInfo": [{"name": "n", "type": "colour"}, {"type": "time"}]
        }),
    );
    assert_eq!(
        got,
        "State must be one of: \"open\", \"closed\", \"partially_returned\", or \"cancelled\". \
         Price must be a number but it was a string. \
         Quantity must be a number but it was an object. \
         Type must be one of: \"string\", \"time\", \"number\", \"boolean\", or \"location\". \
         The value at /sessionAttributesInfo/1 is missing the required field 'name'."
    );
}

#[test]
fn enum_runs_after_a_failed_type_check() {
    let fields = vec![f("state", "State", FieldType::String).choices(&["open", "closed"])];
    assert_eq!(
        error(&fields, json!({"state": {}})),
        "State must be a string but it was an object. State must be one of: \"open\" or \"closed\"."
    );
    assert_eq!(
        ok(&fields, json!({"state": ["open"]})),
        json!({"state": "open"})
    );
    let items = vec![f("states", "States", FieldType::String)
        .multiple()
        .choices(&["open"])];
    assert_eq!(
        error(&items, json!({"states": ["shut"]})),
        "The value at /states/0 must be one of: \"open\"."
    );
}

#[test]
fn root_value_errors() {
    let fields = create_audience();
    assert_eq!(
        error(&fields, json!([])),
        "The root value must be an object but it was an array."
    );
    assert_eq!(
        error(&fields, json!("x")),
        "The root value must be an object but it was a string."
    );
    assert_eq!(
        error(&fields, Value::Null),
        "The root value must be an object but it was undefined."
    );
    assert_eq!(
        error(&fields, json!("")),
        "The root value must be an object but it was undefined."
    );
}

#[test]
fn pointer_escapes_keys() {
    let fields = [f("a/b~c", "", FieldType::Integer).multiple()];
    assert_eq!(
        error(&fields, json!({"a/b~c": ["x"]})),
        "The value at /a~1b~0c/0 must be an integer but it was a string."
    );
    let unlabelled = [f("k", "", FieldType::Integer)];
    assert_eq!(
        error(&unlabelled, json!({"k": "x"})),
        "The value at /k must be an integer but it was a string."
    );
}

// --- 3.2 removeEmptyValues ----------------------------------------------------

#[test]
fn root_empty_string_is_removed_only_in_single_execute() {
    let fields = create_audience();
    let payload = json!({"audienceId": "", "audienceName": "n"});
    assert_eq!(
        error(&fields, payload.clone()),
        "The root value is missing the required field 'audienceId'."
    );
    assert_eq!(
        validate_payload(&fields, payload.clone(), false),
        Ok(payload)
    );
}

#[test]
fn nested_empty_strings_stay() {
    let fields = update_customer_session();
    let got = ok(
        &fields,
        json!({"customerSessionId": "s", "customerSession": {"referralCode": "", "cartItems": [{"sku": ""}]}}),
    );
    assert_eq!(
        got["customerSession"],
        json!({"referralCode": "", "cartItems": [{"sku": ""}]})
    );
}

#[test]
fn nulls_are_removed_where_the_type_lacks_null() {
    let fields = update_customer_session();
    let got = ok(
        &fields,
        json!({
            "customerSessionId": "s",
            "callbackAPIKey": null,
            "customerSession": {"profileId": null, "attributes": {"k": null}, "additionalCosts": null}
        }),
    );
    assert_eq!(
        got,
        json!({"customerSessionId": "s", "customerSession": {"attributes": {"k": null}}})
    );
}

#[test]
fn array_items_are_filtered_but_not_cleaned() {
    let got = ok(
        &update_customer_profile_v3(),
        json!({"customerProfileId": "x", "addAudienceIds": [1, null, "", 2]}),
    );
    assert_eq!(got["addAudienceIds"], json!([1, 2]));

    let fields = update_customer_session_v2();
    let got = ok(
        &fields,
        json!({"customerSessionId": "s", "identifiers": ["a", "", null]}),
    );
    assert_eq!(got["identifiers"], json!(["a", ""]));

    // The reference keeps the original item, so null inside it reaches ajv (null → "").
    let got = ok(
        &update_customer_profiles_audiences(),
        json!({"data": [{"customerProfileId": null, "adds": [1]}, null]}),
    );
    assert_eq!(
        got,
        json!({"data": [{"customerProfileId": "", "adds": [1]}]})
    );
}

#[test]
fn top_level_multiple_fields_are_arrified_after_cleaning() {
    let fields = update_customer_profile_v3();
    let got = ok(
        &fields,
        json!({"customerProfileId": "x", "addAudienceIds": null, "deleteAudienceIds": ""}),
    );
    assert_eq!(got, json!({"customerProfileId": "x"}));
}

// --- removeAdditional ----------------------------------------------------------

#[test]
fn unknown_keys_are_stripped_at_every_schema_level() {
    let fields = update_customer_session();
    let got = ok(
        &fields,
        json!({
            "customerSessionId": "s",
            "extra": 1,
            "customerSession": {
                "state": "open",
                "bogus": true,
                "cartItems": [{"sku": "a", "colour": "red"}],
                "attributes": {"free": "form"}
            },
            "sessionAttributesInfo": [{"name": "n", "type": "time", "x": 1}]
        }),
    );
    assert_eq!(
        got,
        json!({
            "customerSessionId": "s",
            "customerSession": {"state": "open", "cartItems": [{"sku": "a"}], "attributes": {"free": "form"}},
            "sessionAttributesInfo": [{"name": "n", "type": "time"}]
        })
    );
}

#[test]
fn key_order_is_kept() {
    let fields = toplyne_send_events();
    let got = ok(
        &fields,
        json!({"timestamp": 1, "x": 0, "eventName": "e", "userId": 5}),
    );
    let keys: Vec<&String> = got
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["timestamp", "eventName", "userId"]);
}

#[test]
fn json_schema_is_exposed() {
    let schema = to_json_schema(&update_customer_profiles_audiences());
    assert_eq!(schema["required"], json!(["data"]));
    assert_eq!(
        schema["properties"]["data"]["items"]["required"],
        json!(["customerProfileId"])
    );
}

// --- never panics ------------------------------------------------------------

fn arb_key() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        Just("customerProfileId".to_string()),
        Just("customerSession".to_string()),
        Just("cartItems".to_string()),
        Just("data".to_string()),
        Just("state".to_string()),
        Just("timestamp".to_string()),
        Just("addAudienceIds".to_string()),
        Just("attributesInfo".to_string()),
        Just("sessionAttributesInfo".to_string()),
        Just("v".to_string()),
        Just("n".to_string()),
        "[a-zA-Z/~]{0,6}",
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let key = arb_key();
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![
            Just(" 12 "),
            Just("0x1F"),
            Just("Infinity"),
            Just("-0"),
            Just("1e400"),
            Just("true"),
            Just(""),
            Just("2021-01-01T00:00:00Z"),
            Just("Jan 1 2021 (x"),
            Just("+275760-09-13T00:00:00Z"),
            Just("open"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Mostly objects at the root, so the field rules get exercised.
fn arb_payload() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => arb_json(),
        4 => prop::collection::vec((arb_key(), arb_json()), 0..8)
            .prop_map(|entries| Value::Object(entries.into_iter().collect())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(payload in arb_payload(), which in 0usize..6, single in any::<bool>()) {
        let fields = match which {
            0 => update_customer_session(),
            1 => update_customer_profiles_audiences(),
            2 => toplyne_send_events(),
            3 => update_customer_profile(),
            4 => update_customer_session_v2(),
            _ => vec![f("v", "V", FieldType::Datetime).multiple(), f("n", "N", FieldType::Number)],
        };
        if let Ok(out) = validate_payload(&fields, payload, single) {
            // Whatever passes is an object holding only declared fields.
            let keys: Vec<String> = out.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            prop_assert!(out.is_object());
            prop_assert!(keys.iter().all(|k| fields.iter().any(|f| &f.key == k)));
        }
    }

    #[test]
    fn date_like_never_panics(s in "\\PC{0,40}") {
        let _ = super::is_date_like(&s);
    }
}
