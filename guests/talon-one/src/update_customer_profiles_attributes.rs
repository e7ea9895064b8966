//! Update Multiple Customer Profiles' Attributes: attributes for several profiles
//! at once, plus attributes they all share. Upstream has since removed this
//! action; this is its last published definition.

use sluice_guest::prelude::*;

use crate::fields::{ATTRIBUTES, CUSTOMER_PROFILE_ID, TRAITS_ATTRIBUTES_INFO};

pub const ACTION: Action = Action {
    key: "updateCustomerProfilesAttributes",
    title: "Update Multiple Customer Profiles’ Attributes",
    description: "This updates attributes for multiple customer profiles.",
    default_subscription: None,
    fields: &[
        Field::object("data", "Data item to change customer profile attributes")
            .describe("An array of JSON objects that contains customer profile identifier and list of attributes and their values. Customer profile ID is required.")
            .multiple()
            .required()
            .properties(&[CUSTOMER_PROFILE_ID, ATTRIBUTES]),
        Field { key: "mutualAttributes", label: "Mutual Attribute-Value pairs", ..ATTRIBUTES }.describe(
            "This may contain mutual list of attributes and their values for every customer profile in the \"data\" array.",
        ),
        TRAITS_ATTRIBUTES_INFO,
    ],
    batch: None,
    perform: |payload, settings| {
        let body = payload.pick(&["data", "mutualAttributes", "attributesInfo"]);
        crate::put("/customer_profiles/attributes", settings, &body).send()
    },
};
