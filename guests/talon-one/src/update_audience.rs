//! Update Audience Name: renames an existing Talon.One audience.

use sluice_guest::prelude::*;

use crate::fields::{AUDIENCE_ID, AUDIENCE_NAME};

pub const ACTION: Action = Action {
    key: "updateAudience",
    title: "Update Audience Name",
    description: "This updates the audience name if there is an existing audience entity.",
    default_subscription: None,
    fields: &[AUDIENCE_ID, AUDIENCE_NAME],
    batch: None,
    perform: |payload, settings| {
        let path = format!("/audiences/{}", crate::path_id(payload, "audienceId"));
        crate::put(&path, settings, &payload.pick(&["audienceName"])).send()
    },
};
