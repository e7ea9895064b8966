//! [Deprecated] Update customer session: the whole session as one object, plus
//! the types of its attributes. Callback settings travel as `X-` headers.

use sluice_guest::prelude::*;

use crate::fields::{
    ADDITIONAL_COSTS, ATTRIBUTES_INFO, CALLBACK_API_KEY, CALLBACK_CORRELATION_ID, CALLBACK_DESTINATION, CART_ITEMS,
    CONTENT_FIELDS, COUPON_CODES, CUSTOMER_SESSION_ID, LOYALTY_CARDS, PROFILE_ID, REFERRAL_CODE, SESSION_ATTRIBUTES,
    STATE,
};

pub const ACTION: Action = Action {
    key: "updateCustomerSession",
    title: "[Deprecated] Update customer session",
    description: "This updates a customer session. **Important:** This Action is deprecated. Use the **Update customer session** Action instead.",
    default_subscription: None,
    fields: &[
        CUSTOMER_SESSION_ID,
        CALLBACK_DESTINATION,
        CALLBACK_API_KEY,
        CONTENT_FIELDS,
        CALLBACK_CORRELATION_ID,
        Field::object("customerSession", "Customer Session Data")
            .describe("This contains all the data related to customer session.")
            .required()
            .properties(&[
                PROFILE_ID,
                COUPON_CODES,
                REFERRAL_CODE,
                LOYALTY_CARDS,
                STATE,
                CART_ITEMS,
                ADDITIONAL_COSTS,
                SESSION_ATTRIBUTES,
            ]),
        Field { key: "sessionAttributesInfo", label: "Session Attributes info", ..ATTRIBUTES_INFO }
            .describe("Use this field if you want to identify a session attribute with a specific type"),
        Field { key: "cartItemsAttributesInfo", label: "Cart Items Attributes info", ..ATTRIBUTES_INFO }
            .describe("Use this field if you want to identify a cart item attribute with a specific type"),
    ],
    batch: None,
    perform: |payload, settings| {
        let path = format!("/customer_sessions/{}", crate::path_id(payload, "customerSessionId"));
        crate::callback_headers(crate::put(&path, settings, &body(payload)), payload).send()
    },
};

pub fn body(payload: &Payload) -> Value {
    object([
        ("customerSession", payload.get("customerSession")),
        ("sessionAttributesInfo", payload.get("sessionAttributesInfo")),
        ("cartItemAttributesInfo", payload.get("cartItemsAttributesInfo")),
    ])
}
