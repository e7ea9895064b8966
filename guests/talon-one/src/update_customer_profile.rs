//! [Deprecated] Upsert customer profile: attributes and audience ids of one profile.

use sluice_guest::prelude::*;

use crate::fields::{
    ADD_AUDIENCE_IDS, ATTRIBUTES, CUSTOMER_PROFILE_ID, DELETE_AUDIENCE_IDS, RUN_RULE_ENGINE, TRAITS_ATTRIBUTES_INFO,
};

pub const ACTION: Action = Action {
    key: "updateCustomerProfile",
    title: "[Deprecated] Upsert customer profile",
    description: "This updates attributes and audiences for a single customer profile. **Important:** This Action is deprecated. Use the **Update customer profile** Action instead.",
    default_subscription: None,
    fields: &[
        ATTRIBUTES,
        CUSTOMER_PROFILE_ID,
        DELETE_AUDIENCE_IDS,
        ADD_AUDIENCE_IDS,
        RUN_RULE_ENGINE
            .describe("This runs rule engine in Talon.One upon updating customer profile. Set to true to trigger rules. Setting this property to false improves response times. For audiences changes the runRuleEngine should be true. Default value is false.")
            .default("false"),
        TRAITS_ATTRIBUTES_INFO,
    ],
    batch: None,
    perform: |payload, settings| {
        let path = format!("/customer_profile/{}", crate::path_id(payload, "customerProfileId"));
        crate::put(&path, settings, &body(payload)).send()
    },
};

pub fn body(payload: &Payload) -> Value {
    object([
        ("attributes", payload.get("attributes")),
        ("audiencesChanges", crate::audiences_changes(payload, "addAudienceIds", "deleteAudienceIds")),
        ("runRuleEngine", payload.get("runRuleEngine")),
        ("attributesInfo", payload.get("attributesInfo")),
    ])
}
