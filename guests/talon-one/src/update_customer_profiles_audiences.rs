//! Update Multiple Customer Profiles' Audiences: audience ids to add and remove,
//! for several profiles at once.

use sluice_guest::prelude::*;

use crate::fields::{ADD_AUDIENCE_IDS, CUSTOMER_PROFILE_ID, DELETE_AUDIENCE_IDS};

pub const ACTION: Action = Action {
    key: "updateCustomerProfilesAudiences",
    title: "Update Multiple Customer Profiles’ Audiences",
    description: "This updates audiences for multiple customer profiles.",
    default_subscription: None,
    fields: &[Field::object("data", "Data item to change customer profile audiences")
        .describe("An array of JSON objects that contains customer profile identifier and list of audiences to associate and dissociate with the indicated customer profile. Customer profile ID and at least one audience ID are required.")
        .multiple()
        .required()
        .properties(&[
            CUSTOMER_PROFILE_ID,
            Field { key: "adds", ..ADD_AUDIENCE_IDS },
            Field { key: "deletes", ..DELETE_AUDIENCE_IDS },
        ])],
    batch: None,
    perform: |payload, settings| crate::put("/customer_profiles/audiences", settings, &payload.pick(&["data"])).send(),
};
