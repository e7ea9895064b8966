//! Create Audience: a Segment audience becomes a Talon.One audience.

use sluice_guest::prelude::*;
use sluice_guest::Method;

use crate::fields::{AUDIENCE_ID, AUDIENCE_NAME};

pub const ACTION: Action = Action {
    key: "createAudience",
    title: "Create Audience",
    description: "This creates a new audience entity in Talon.One.",
    default_subscription: None,
    fields: &[AUDIENCE_ID, AUDIENCE_NAME],
    batch: None,
    perform: |payload, settings| {
        let body = payload.pick(&["audienceId", "audienceName"]);
        crate::talon(Method::Post, "/audiences", settings).json(&body).send()
    },
};
