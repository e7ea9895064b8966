//! Send events: track calls become Toplyne events.

use sluice_guest::prelude::*;

pub const ACTION: Action = Action {
    key: "sendEvents",
    title: "Send Events",
    description: "Send event track calls to Toplyne",
    default_subscription: Some(r#"type = "track""#),
    fields: &[
        Field::string("userId", "User ID")
            .describe("The ID of the user to send events for. Required if anonymousId is not provided")
            .default(r#"{"@path":"$.userId"}"#),
        Field::string("anonymousId", "Anonymous ID")
            .describe("The anonymous ID of the user to send events for. Required if userId is not provided")
            .default(r#"{"@path":"$.anonymousId"}"#),
        Field::string("accountId", "Account ID")
            .describe("The ID of the account to send events for")
            .default(r#"{"@path":"$.context.groupId"}"#),
        Field::string("eventName", "Event Name")
            .describe("The name of the event to send")
            .required()
            .default(r#"{"@path":"$.event"}"#),
        Field::datetime("timestamp", "Timestamp")
            .describe("The timestamp of the event")
            .required()
            .default(r#"{"@path":"$.timestamp"}"#),
        Field::object("eventProperties", "Event Properties")
            .describe("The properties of the event")
            .default(r#"{"@path":"$.properties"}"#),
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
        Ok(crate::record(payload, "timestamp"))
    },
    send: |records, _settings| crate::upload("/upload/events", "events", records),
};
