//! Update customer profile: attributes and audience ids of one profile, through
//! Talon.One's v2 customer profile endpoint.

use sluice_guest::prelude::*;

use crate::fields::{
    ADD_AUDIENCE_IDS, ATTRIBUTES, CUSTOMER_PROFILE_ID, DELETE_AUDIENCE_IDS, RUN_RULE_ENGINE,
    SKIP_NON_EXISTING_ATTRIBUTES,
};

pub const ACTION: Action = Action {
    key: "updateCustomerProfileV3",
    title: "Update customer profile",
    description: "This updates attributes and audiences for a single customer profile. Create all the required attributes and audiences before using this Action.",
    default_subscription: None,
    fields: &[
        CUSTOMER_PROFILE_ID,
        SKIP_NON_EXISTING_ATTRIBUTES,
        DELETE_AUDIENCE_IDS,
        ADD_AUDIENCE_IDS,
        RUN_RULE_ENGINE,
        ATTRIBUTES,
    ],
    batch: None,
    perform: |payload, settings| {
        let id = crate::path_id(payload, "customerProfileId");
        let path = format!("/v2/customer_profiles/{id}{}", crate::skip_flag(payload));
        crate::put(&path, settings, &body(payload)).send()
    },
};

pub fn body(payload: &Payload) -> Value {
    object([
        ("audiencesChanges", crate::audiences_changes(payload, "addAudienceIds", "deleteAudienceIds")),
        ("runRuleEngine", payload.get("runRuleEngine")),
        ("attributes", payload.get("attributes")),
    ])
}
