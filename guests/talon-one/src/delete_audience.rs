//! Delete Audience: removes a Talon.One audience. The request has no body.

use sluice_guest::prelude::*;
use sluice_guest::Method;

use crate::fields::AUDIENCE_ID;

pub const ACTION: Action = Action {
    key: "deleteAudience",
    title: "Delete Audience",
    description: "This deletes the audience entity in Talon.One.",
    default_subscription: None,
    fields: &[AUDIENCE_ID],
    batch: None,
    perform: |payload, settings| {
        let path = format!("/audiences/{}", crate::path_id(payload, "audienceId"));
        crate::talon(Method::Delete, &path, settings).send()
    },
};
