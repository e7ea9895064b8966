//! `sluice:destination@0.2.0`: 0.1.0 plus batching, the `url` field type,
//! signing bindings and `tests-authentication`.

wasmtime::component::bindgen!({
    path: "../wit/v0.2.0",
    world: "sluice:destination/destination-world@0.2.0",
    imports: { default: async },
    exports: { default: async },
});

crate::bindings::common!("sluice:destination/destination@0.2.0");

impl From<types::FieldType> for core::FieldType {
    fn from(t: types::FieldType) -> Self {
        use types::FieldType as W;
        match t {
            W::String => core::FieldType::String,
            W::Text => core::FieldType::Text,
            W::Password => core::FieldType::Password,
            W::Number => core::FieldType::Number,
            W::Integer => core::FieldType::Integer,
            W::Boolean => core::FieldType::Boolean,
            W::Datetime => core::FieldType::Datetime,
            W::Object => core::FieldType::Object,
            W::Url => core::FieldType::Url,
        }
    }
}

/// Converts what the guest says about itself; a malformed default is an error.
pub fn description(d: types::DestinationInfo) -> Result<core::Description, String> {
    let actions = d
        .actions
        .into_iter()
        .map(|a| {
            Ok(core::Action {
                fields: a.fields.into_iter().map(field).collect::<Result<_, String>>()?,
                key: a.key,
                title: a.title,
                description: a.description,
                default_subscription: a.default_subscription,
                batch: a.batch.map(|b| core::BatchLimits { max_events: b.max_events, max_bytes: b.max_bytes }),
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(core::Description {
        name: d.name,
        slug: d.slug,
        description: d.description,
        settings: settings(d.settings),
        actions,
        presets: presets(d.presets)?,
        hosts: d.hosts,
        auth: d
            .auth
            .into_iter()
            .map(|b| core::AuthBinding {
                secret: b.secret,
                header: b.header,
                format: b.format,
                hosts: b.hosts,
                sign: b.sign.map(|s| match s {
                    types::SignatureEncoding::Hex => core::SignatureEncoding::Hex,
                    types::SignatureEncoding::Base64 => core::SignatureEncoding::Base64,
                }),
            })
            .collect(),
        rate_budget: d.rate_budget.map(|r| core::RateBudget { requests: r.requests, window_ms: r.window_ms }),
        tests_authentication: d.tests_authentication,
    })
}
