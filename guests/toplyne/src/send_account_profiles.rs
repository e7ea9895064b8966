//! Send account profiles: group calls become Toplyne account profiles.

use sluice_guest::prelude::*;

pub const ACTION: Action = Action {
    key: "sendAccountProfiles",
    title: "Send Account Profiles",
    description: "Send group calls to Toplyne",
    default_subscription: Some(r#"type = "group""#),
    fields: &[
        Field::string("accountId", "Account ID")
            .describe("The ID of the account to send properties for")
            .required()
            .default(r#"{"@path":"$.groupId"}"#),
        Field::datetime("creationTime", "Creation time")
            .describe("Toplyne calculates the creation time using the timestamp of the first event or group call")
            .required()
            .default(r#"{"@path":"$.timestamp"}"#),
        Field::object("accountProperties", "Account Properties")
            .describe("The properties of the account")
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
        Ok(crate::record(payload, "creationTime"))
    },
    send: |records, _settings| crate::upload("/upload/accounts/profiles", "accounts", records),
};
