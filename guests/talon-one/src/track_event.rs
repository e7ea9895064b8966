//! [Deprecated] Track event: a custom event with its attributes and their types.

use sluice_guest::prelude::*;

use crate::fields::{ATTRIBUTES_INFO, ATTRIBUTE_INFO_ANY_TYPE, EVENT_ATTRIBUTES, EVENT_CUSTOMER_PROFILE_ID};

pub const EVENT_TYPE: Field = Field::string("eventType", "Event Type")
    .describe("The name of the event sent to Talon.One.")
    .required()
    .default(r#"{"@path":"$.event"}"#);

pub const ACTION: Action = Action {
    key: "trackEvent",
    title: "[Deprecated] Track event",
    description: "This records a custom event in Talon.One. **Important:** This Action is deprecated. Use the **Track event** Action instead.",
    default_subscription: None,
    fields: &[
        EVENT_CUSTOMER_PROFILE_ID,
        EVENT_TYPE,
        Field::string("type", "Type")
            .describe("Type of event. Can be only `string`, `time`, `number`, `boolean`, `location`")
            .required()
            .default(r#""string""#),
        EVENT_ATTRIBUTES,
        ATTRIBUTES_INFO.properties(ATTRIBUTE_INFO_ANY_TYPE),
    ],
    batch: None,
    perform: |payload, settings| crate::put("/event", settings, &body(payload)).send(),
};

pub fn body(payload: &Payload) -> Value {
    object([
        ("customerProfileId", payload.get("customerProfileId")),
        ("eventType", payload.get("eventType")),
        ("type", payload.get("type")),
        ("eventAttributes", payload.get("attributes")),
        ("attributesInfo", payload.get("attributesInfo")),
    ])
}
