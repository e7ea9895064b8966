//! `sluice:destination@0.1.0`.

use sluice_core::destination as core;

wasmtime::component::bindgen!({
    path: "../wit",
    world: "sluice:destination/destination-world@0.1.0",
    imports: { default: async },
    exports: { default: async },
});

pub use self::exports::sluice::destination::destination as guest;
pub use self::sluice::destination::{http, log, types};

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
        }
    }
}

impl From<types::ErrorKind> for crate::error::Kind {
    fn from(k: types::ErrorKind) -> Self {
        use crate::error::Kind;
        use types::ErrorKind as W;
        match k {
            W::Validation => Kind::Validation,
            W::Auth => Kind::Auth,
            W::RateLimited => Kind::RateLimited,
            W::Retryable => Kind::Retryable,
            W::Rejected => Kind::Rejected,
            W::Egress => Kind::Egress,
            W::Guest => Kind::Guest,
        }
    }
}

impl From<types::Error> for crate::error::Error {
    fn from(e: types::Error) -> Self {
        crate::error::Error::new(e.kind.into(), e.message).with_status(e.status)
    }
}

fn default_mapping(field: &str, json: Option<String>) -> Result<Option<serde_json::Value>, String> {
    json.map(|j| serde_json::from_str(&j).map_err(|e| format!("the default of field '{field}' is not JSON: {e}")))
        .transpose()
}

/// The members all three levels of field share; only `properties` differs.
macro_rules! core_field {
    ($f:ident, $properties:expr) => {
        core::Field {
            default: default_mapping(&$f.key, $f.default)?,
            properties: $properties,
            key: $f.key,
            label: $f.label,
            description: $f.description,
            ty: $f.type_.into(),
            required: $f.required,
            multiple: $f.multiple,
            choices: $f.choices,
        }
    };
}

fn field(f: types::Field) -> Result<core::Field, String> {
    Ok(core_field!(f, f.properties.into_iter().map(property).collect::<Result<_, _>>()?))
}

fn property(p: types::Property) -> Result<core::Field, String> {
    Ok(core_field!(p, p.properties.into_iter().map(sub_property).collect::<Result<_, _>>()?))
}

fn sub_property(p: types::SubProperty) -> Result<core::Field, String> {
    Ok(core_field!(p, Vec::new()))
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
                batch: None,
            })
        })
        .collect::<Result<_, String>>()?;
    let presets = d
        .presets
        .into_iter()
        .map(|p| {
            Ok(core::Preset {
                mapping: p
                    .mapping
                    .map(|m| serde_json::from_str(&m).map_err(|e| format!("preset '{}' mapping: {e}", p.name)))
                    .transpose()?,
                name: p.name,
                subscribe: p.subscribe,
                action: p.action,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(core::Description {
        name: d.name,
        slug: d.slug,
        description: d.description,
        settings: d
            .settings
            .into_iter()
            .map(|s| core::Setting {
                key: s.key,
                label: s.label,
                description: s.description,
                ty: s.type_.into(),
                required: s.required,
                secret: s.secret,
            })
            .collect(),
        actions,
        presets,
        hosts: d.hosts,
        auth: d
            .auth
            .into_iter()
            .map(|b| core::AuthBinding { secret: b.secret, header: b.header, format: b.format, hosts: b.hosts })
            .collect(),
        rate_budget: d.rate_budget.map(|r| core::RateBudget { requests: r.requests, window_ms: r.window_ms }),
    })
}
