//! Track event: a custom event, through Talon.One's v2 events endpoint.

use sluice_guest::prelude::*;

use crate::fields::{EVENT_ATTRIBUTES, EVENT_CUSTOMER_PROFILE_ID, SKIP_NON_EXISTING_ATTRIBUTES};
use crate::track_event::EVENT_TYPE;

pub const ACTION: Action = Action {
    key: "trackEventV2",
    title: "Track event",
    description: "This records a custom event in Talon.One. Create the event and all the required attributes before using this Action.",
    default_subscription: None,
    fields: &[SKIP_NON_EXISTING_ATTRIBUTES, EVENT_CUSTOMER_PROFILE_ID, EVENT_TYPE, EVENT_ATTRIBUTES],
    batch: None,
    perform: |payload, settings| {
        let path = format!("/v2/events{}", crate::skip_flag(payload));
        crate::put(&path, settings, &body(payload)).send()
    },
};

pub fn body(payload: &Payload) -> Value {
    object([
        ("customerProfileId", payload.get("customerProfileId")),
        ("eventType", payload.get("eventType")),
        ("eventAttributes", payload.get("attributes")),
    ])
}
