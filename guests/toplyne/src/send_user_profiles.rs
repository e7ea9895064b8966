//! Send user profiles: identify calls become Toplyne user profiles.

use sluice_guest::prelude::*;

pub const ACTION: Action = Action {
    key: "sendUserProfiles",
    title: "Send User Profiles",
    description: "Send identify calls to Toplyne",
    default_subscription: Some(r#"type = "identify""#),
    fields: &[
        Field::string("userId", "User ID")
            .describe("The ID of the user to send properties for. Required if anonymousId is not provided")
            .default(r#"{"@path":"$.userId"}"#),
        Field::string("anonymousId", "Anonymous ID")
            .describe("The anonymous ID of the user to send properties for. Required if userId is not provided")
            .default(r#"{"@path":"$.anonymousId"}"#),
        Field::datetime("creationTime", "Creation time")
            .describe("Toplyne calculates the creation time of the user using the timestamp of the first track or identify call")
            .required()
            .default(r#"{"@path":"$.timestamp"}"#),
        Field::object("userProperties", "User Properties")
            .describe("The properties of the user")
            .default(r#"{"@path":"$.traits"}"#),
    ],
    batch: Some(BATCH),
    perform: |payload, settings| BATCH.perform_one(payload, settings),
};

/// Toplyne's upload API takes a list: one request carries many records.
const BATCH: Batch = Batch {
    max_events: crate::MAX_EVENTS,
    max_bytes: crate::MAX_BYTES,
    record: |payload, _settings| {
        crate::require_user_or_anonymous_id(&payload)?;
        Ok(crate::record(payload, "creationTime"))
    },
    send: |records, _settings| crate::upload("/upload/users/profiles", "profiles", records),
};
