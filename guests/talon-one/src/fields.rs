//! The fields several actions share (the reference's `t1-properties.ts`).
//! An action takes one as is, or adjusts its label, description or default.

use sluice_guest::Field;

pub const CUSTOMER_PROFILE_ID: Field = Field::string("customerProfileId", "Customer Profile ID")
    .describe("The customer profile integration identifier to use in Talon.One.")
    .required()
    .default(r#"{"@path":"$.userId"}"#);

/// The customer profile ID as the event actions describe it.
pub const EVENT_CUSTOMER_PROFILE_ID: Field = CUSTOMER_PROFILE_ID.describe(
    "The customer profile integration ID to use in Talon.One. It is the identifier of the customer profile associated to the event.",
);

pub const ATTRIBUTES: Field = Field::object("attributes", "Attribute-Value pairs")
    .describe(concat!(
        "Extra attributes associated with the customer profile. ",
        "[See more info](https://docs.talon.one/docs/product/account/dev-tools/managing-attributes)."
    ))
    .default(r#"{"@path":"$.traits"}"#);

/// The attributes of an event: taken from `properties.attributes`.
pub const EVENT_ATTRIBUTES: Field = ATTRIBUTES
    .describe(concat!(
        "Extra attributes associated with the event. ",
        "[See more info](https://docs.talon.one/docs/product/account/dev-tools/managing-attributes)."
    ))
    .default(r#"{"@path":"$.properties.attributes"}"#);

/// The attributes of a session: taken from `properties.attributes`.
pub const SESSION_ATTRIBUTES: Field = ATTRIBUTES
    .describe(concat!(
        "Use this property to set a value for the attributes of your choice. Attributes represent any ",
        "information to attach to your session, like the shipping city. ",
        "[See more info](https://docs.talon.one/docs/product/account/dev-tools/managing-attributes)."
    ))
    .default(r#"{"@path":"$.properties.attributes"}"#);

const AUDIENCE_IDS_DESCRIPTION: &str = "You should get these audience IDs from Talon.One.";

pub const ADD_AUDIENCE_IDS: Field =
    Field::integer("addAudienceIds", "List of audience ID to associate with the customer profile.")
        .describe(AUDIENCE_IDS_DESCRIPTION)
        .multiple();

pub const DELETE_AUDIENCE_IDS: Field =
    Field::integer("deleteAudienceIds", "List of audience ID to dissociate with the customer profile.")
        .describe(AUDIENCE_IDS_DESCRIPTION)
        .multiple();

const AUDIENCE: &[Field] = &[
    Field::string("name", "Name").describe("The audience name.").required(),
    Field::string("integrationId", "integrationID").describe("The audience integration ID."),
];

pub const AUDIENCES_TO_ADD: Field = Field::object("audiencesToAdd", "The audiences for the customer to join.")
    .describe("Audience name and integration ID")
    .multiple()
    .properties(AUDIENCE)
    .default(
        r#"{"@arrayPath":["$.properties.audiencesToAdd",{"name":{"@path":"$.name"},"integrationId":{"@path":"$.integrationId"}}]}"#,
    );

pub const AUDIENCES_TO_DELETE: Field = Field::object("audiencesToDelete", "The audiences for the customer to leave.")
    .describe("Audience name and integration ID")
    .multiple()
    .properties(AUDIENCE)
    .default(
        r#"{"@arrayPath":["$.properties.audiencesToDelete",{"name":{"@path":"$.name"},"integrationId":{"@path":"$.integrationId"}}]}"#,
    );

const ATTRIBUTE_TYPE_DESCRIPTION: &str =
    "Attribute type. Can be only `string`, `time`, `number`, `boolean`, `location`";

/// `{name, type}` with `type` limited to Talon.One's attribute types.
const ATTRIBUTE_INFO: &[Field] = &[
    Field::string("name", "Name").describe("Attribute name").required(),
    Field::string("type", "Type")
        .describe(ATTRIBUTE_TYPE_DESCRIPTION)
        .required()
        .choices(&["string", "time", "number", "boolean", "location"]),
];

/// `{name, type}` with `type` free: the older actions never limited it.
pub const ATTRIBUTE_INFO_ANY_TYPE: &[Field] = &[
    Field::string("name", "Name").describe("Attribute name").required(),
    Field::string("type", "Type").describe(ATTRIBUTE_TYPE_DESCRIPTION).required(),
];

pub const ATTRIBUTES_INFO: Field = Field::object("attributesInfo", "Attributes info")
    .describe("Use this field if you want to identify an attribute with a specific type")
    .multiple()
    .properties(ATTRIBUTE_INFO)
    .default(r#"{"@arrayPath":["$.properties.attributesInfo",{"name":{"@path":"$.name"},"type":{"@path":"$.type"}}]}"#);

/// The attribute types as the profile actions of the first generation read them,
/// from `traits.attributesInfo`.
pub const TRAITS_ATTRIBUTES_INFO: Field = Field::object("attributesInfo", "Attributes with types")
    .describe("Use this field if you want to identify an attribute with a specific type")
    .multiple()
    .properties(ATTRIBUTE_INFO_ANY_TYPE)
    .default(r#"{"@arrayPath":["$.traits.attributesInfo",{"name":{"@path":"$.name"},"type":{"@path":"$.type"}}]}"#);

const CART_ITEM: &[Field] = &[
    Field::string("name", "Name").describe("Name of item"),
    Field::string("sku", "SKU").describe("Stock keeping unit of item."),
    Field::number("quantity", "Quantity").describe(
        "Quantity of item. Important: If you enabled cart item flattening, the quantity is always one and the same cart item might receive multiple per-item discounts. Ensure you can process multiple discounts on one cart item correctly.",
    ),
    Field::number("price", "Price").describe("Price of item."),
    Field::string("returnedQuantity", "Returned quantity")
        .describe("Number of returned items, calculated internally based on returns of this item."),
    Field::string("remainingQuantity", "Remaining quantity")
        .describe("Remaining quantity of the item, calculated internally based on returns of this item."),
    Field::string("category", "Category").describe("Type, group or model of the item."),
    Field::string("weight", "Weight").describe("Weight of item in grams."),
    Field::string("height", "Height").describe("Height of item in mm."),
    Field::string("length", "Length").describe("Length of item in mm."),
    Field::string("position", "Position").describe("Position of the Cart Item in the Cart (calculated internally)."),
    ATTRIBUTES
        .describe(concat!(
            "Use this property to set a value for the attributes of your choice. Attributes represent any ",
            "information to attach to this cart item.\n\nCustom cart item attributes must be created in the ",
            "Campaign Manager before you set them with this property.\n\n",
            "[See more info](https://docs.talon.one/docs/product/account/dev-tools/managing-attributes)."
        ))
        .default(r#"{"@path":"$.properties.attributes"}"#),
    ADDITIONAL_COSTS,
];

pub const CART_ITEMS: Field = Field::object("cartItems", "Card Items")
    .describe(
        "The items to add to this sessions.\n\nIf cart item flattening is disabled: Do not exceed 1000 items (regardless of their quantity) per request.\nIf cart item flattening is enabled: Do not exceed 1000 items and ensure the sum of all cart item's quantity does not exceed 10.000 per request.`",
    )
    .multiple()
    .properties(CART_ITEM);

pub const ADDITIONAL_COSTS: Field = Field::object("additionalCosts", "Additional Costs")
    .describe("Use this property to set a value for the additional costs of this session, such as a shipping cost.`");

pub const PROFILE_ID: Field = Field { key: "profileId", required: false, ..CUSTOMER_PROFILE_ID };

pub const COUPON_CODES: Field =
    Field::string("couponCodes", "Coupon Codes").describe("Any coupon codes entered. Up to 100 coupons.`").multiple();

pub const REFERRAL_CODE: Field =
    Field::string("referralCode", "Referral Codes").describe("Any referral code entered.`");

pub const LOYALTY_CARDS: Field = Field::string("loyaltyCards", "Loyalty Cards")
    .describe("Any loyalty cards used. Up to 1 loyalty cards.`")
    .multiple();

pub const STATE: Field = Field::string("state", "State")
    .describe("Indicates the current state of the session. `")
    .choices(&["open", "closed", "partially_returned", "cancelled"]);

pub const IDENTIFIERS: Field = Field::string("identifiers", "Identifiers")
    .describe(
        "Session custom identifier that you can set limits on or use inside your rules. For example, you can use IP addresses as identifiers to potentially identify devices and limit discounts abuse in case of customers creating multiple accounts.",
    )
    .multiple();

pub const SKIP_NON_EXISTING_ATTRIBUTES: Field =
    Field::boolean("skipNonExistingAttributes", "Skip Non-existing Attributes Flag")
        .describe(
            "Indicates whether to skip non-existing attributes. If `Yes`, the non-existing attributes are skipped and a 400 error is not returned. If `No`, a 400 error is returned in case of non-existing attributes.",
        )
        .default("false");

pub const RUN_RULE_ENGINE: Field = Field::boolean("runRuleEngine", "Run rule engine")
    .describe("This runs rule engine in Talon.One upon updating customer profile. Set to true to trigger rules.")
    .default("true");

pub const CUSTOMER_SESSION_ID: Field = Field::string("customerSessionId", "Customer Session ID")
    .describe("The customer session integration identifier to use in Talon.One.")
    .required();

/// The four callback fields both session actions send as `X-` headers.
pub const CALLBACK_DESTINATION: Field = Field::string("callbackDestination", "Callback Destination URI")
    .describe("This specifies the address of the service and its endpoint to do callback request.");

pub const CALLBACK_API_KEY: Field = Field::string("callbackAPIKey", "Callback API Key")
    .describe("This specifies API key and relative header. The header is specified optionally");

pub const CONTENT_FIELDS: Field = Field::string("contentFields", "Content Fields")
    .describe(
        "This specifies a list of the fields from the response you need to receive. Comma character is separator. If omitted, all the fields will be forwarded from the response to the callback destination.",
    )
    .default(r#""effects""#);

pub const CALLBACK_CORRELATION_ID: Field = Field::string("callbackCorrelationId", "Correlation ID").describe(
    "This specifies ID of the request that will be forwarded to the destination URI with the callback request with the same header name. If omitted, the X-Correlation-ID will not be in the callback request.",
);

pub const AUDIENCE_ID: Field = Field::string("audienceId", "Segment Audience ID")
    .describe("You should get this audience ID from Segment.")
    .required();

pub const AUDIENCE_NAME: Field = Field::string("audienceName", "Audience Name")
    .describe("You should get this audience name from Segment.")
    .required();
