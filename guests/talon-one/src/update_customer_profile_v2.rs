//! [Deprecated] Upsert customer profile V2: audiences named by name and integration id,
//! so they need not exist in Talon.One beforehand.

use sluice_guest::prelude::*;

use crate::fields::{
    ATTRIBUTES, ATTRIBUTES_INFO, AUDIENCES_TO_ADD, AUDIENCES_TO_DELETE, CUSTOMER_PROFILE_ID, RUN_RULE_ENGINE,
};

pub const ACTION: Action = Action {
    key: "updateCustomerProfileV2",
    title: "[Deprecated] Upsert customer profile V2",
    description: "You do not have to create attributes or audiences before using this Action. **Important:** This Action is deprecated. Use the **Update customer profile** Action instead.",
    default_subscription: None,
    fields: &[CUSTOMER_PROFILE_ID, AUDIENCES_TO_ADD, AUDIENCES_TO_DELETE, RUN_RULE_ENGINE, ATTRIBUTES, ATTRIBUTES_INFO],
    batch: None,
    perform: |payload, settings| {
        let path = format!("/customer_profile_v2/{}", crate::path_id(payload, "customerProfileId"));
        crate::put(&path, settings, &body(payload)).send()
    },
};

pub fn body(payload: &Payload) -> Value {
    object([
        ("audiencesChanges", crate::audiences_changes(payload, "audiencesToAdd", "audiencesToDelete")),
        ("runRuleEngine", payload.get("runRuleEngine")),
        ("attributes", payload.get("attributes")),
        ("attributesInfo", payload.get("attributesInfo")),
    ])
}
