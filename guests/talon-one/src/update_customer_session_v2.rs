//! Update customer session: the session's parts as top-level fields, through
//! Talon.One's v2 sessions endpoint. Callback settings travel as `X-` headers.

use sluice_guest::prelude::*;

use crate::fields::{
    ADDITIONAL_COSTS, CALLBACK_API_KEY, CALLBACK_CORRELATION_ID, CALLBACK_DESTINATION, CART_ITEMS, CONTENT_FIELDS,
    COUPON_CODES, CUSTOMER_SESSION_ID, IDENTIFIERS, LOYALTY_CARDS, PROFILE_ID, REFERRAL_CODE, SESSION_ATTRIBUTES,
    SKIP_NON_EXISTING_ATTRIBUTES, STATE,
};

pub const ACTION: Action = Action {
    key: "updateCustomerSessionV2",
    title: "Update customer session",
    description: "This updates a customer session. Create all the required attributes before using this Action.",
    default_subscription: None,
    fields: &[
        CUSTOMER_SESSION_ID,
        CALLBACK_DESTINATION,
        CALLBACK_API_KEY,
        CONTENT_FIELDS,
        CALLBACK_CORRELATION_ID,
        SKIP_NON_EXISTING_ATTRIBUTES,
        PROFILE_ID,
        COUPON_CODES,
        REFERRAL_CODE,
        LOYALTY_CARDS,
        STATE,
        CART_ITEMS,
        ADDITIONAL_COSTS,
        IDENTIFIERS,
        SESSION_ATTRIBUTES,
    ],
    batch: None,
    perform: |payload, settings| {
        let id = crate::path_id(payload, "customerSessionId");
        let path = format!("/v2/customer_sessions/{id}{}", crate::skip_flag(payload));
        crate::callback_headers(crate::put(&path, settings, &body(payload)), payload).send()
    },
};

pub fn body(payload: &Payload) -> Value {
    payload.pick(&[
        "profileId",
        "couponCodes",
        "referralCode",
        "loyaltyCards",
        "state",
        "cartItems",
        "additionalCosts",
        "identifiers",
        "attributes",
    ])
}
