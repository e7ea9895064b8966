//! A destination described as static data, close to how the reference writes
//! its `index.ts` files: fields with labels, types and default mappings.

use crate::bindings::sluice::destination::types as t;
use crate::{Payload, Record, Response, Result};

pub use t::FieldType;

/// The members all three levels of field share in the WIT; `$extra` adds the rest.
macro_rules! wit_field {
    ($record:ident, $f:expr, $($extra:tt)*) => {
        t::$record {
            key: $f.key.into(),
            label: $f.label.into(),
            description: $f.description.into(),
            type_: $f.ty,
            required: $f.required,
            multiple: $f.multiple,
            choices: Field::strings($f.choices),
            default: $f.default.map(Into::into),
            $($extra)*
        }
    };
}

#[derive(Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub ty: FieldType,
    pub required: bool,
    pub multiple: bool,
    pub choices: &'static [&'static str],
    /// Default mapping, as JSON text: `r#"{"@path":"$.userId"}"#`.
    pub default: Option<&'static str>,
    pub properties: &'static [Field],
}

impl Field {
    const fn of(ty: FieldType, key: &'static str, label: &'static str) -> Self {
        Field {
            key,
            label,
            description: "",
            ty,
            required: false,
            multiple: false,
            choices: &[],
            default: None,
            properties: &[],
        }
    }
    pub const fn string(key: &'static str, label: &'static str) -> Self {
        Self::of(FieldType::String, key, label)
    }
    pub const fn integer(key: &'static str, label: &'static str) -> Self {
        Self::of(FieldType::Integer, key, label)
    }
    pub const fn number(key: &'static str, label: &'static str) -> Self {
        Self::of(FieldType::Number, key, label)
    }
    pub const fn boolean(key: &'static str, label: &'static str) -> Self {
        Self::of(FieldType::Boolean, key, label)
    }
    pub const fn datetime(key: &'static str, label: &'static str) -> Self {
        Self::of(FieldType::Datetime, key, label)
    }
    pub const fn url(key: &'static str, label: &'static str) -> Self {
        Self::of(FieldType::Url, key, label)
    }
    pub const fn object(key: &'static str, label: &'static str) -> Self {
        Self::of(FieldType::Object, key, label)
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn multiple(mut self) -> Self {
        self.multiple = true;
        self
    }
    pub const fn describe(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }
    pub const fn default(mut self, mapping: &'static str) -> Self {
        self.default = Some(mapping);
        self
    }
    pub const fn choices(mut self, choices: &'static [&'static str]) -> Self {
        self.choices = choices;
        self
    }
    pub const fn properties(mut self, properties: &'static [Field]) -> Self {
        self.properties = properties;
        self
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn wit(&self) -> t::Field {
        wit_field!(Field, self, properties: self.properties.iter().map(Field::wit_property).collect())
    }

    fn wit_property(&self) -> t::Property {
        wit_field!(Property, self, properties: self.properties.iter().map(Field::wit_sub_property).collect())
    }

    /// The contract stops at three levels; deeper properties would be lost.
    fn wit_sub_property(&self) -> t::SubProperty {
        assert!(self.properties.is_empty(), "field '{}': properties nest at most three levels", self.key);
        wit_field!(SubProperty, self,)
    }
}

/// One action: its fields, and `perform`, which gets the validated payload and
/// the non-secret settings and sends one request. An action whose API takes
/// many records in one request also says how, in `batch`.
pub struct Action {
    pub key: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub default_subscription: Option<&'static str>,
    pub fields: &'static [Field],
    pub perform: fn(&Payload, &Payload) -> Result<Response>,
    pub batch: Option<Batch>,
}

/// How an action sends many payloads in one request: each payload becomes a
/// record (or fails alone), and the records go out together. The host groups
/// payloads up to `max_events` and `max_bytes` (their JSON, summed).
pub struct Batch {
    pub max_events: u32,
    pub max_bytes: u32,
    /// One payload's record, given the payload and the settings:
    /// `payload.into_record()` passes it on as it came, without a parse.
    pub record: fn(Payload, &Payload) -> Result<Record>,
    /// Sends the records in one request (`Request::json` writes them as they are).
    pub send: fn(Vec<Record>, &Payload) -> Result<Response>,
}

impl Batch {
    /// One payload as a batch of one: the action's `perform`, so a single
    /// request carries exactly the record a batch would.
    pub fn perform_one(&self, payload: &Payload, settings: &Payload) -> Result<Response> {
        (self.send)(vec![(self.record)(payload.clone(), settings)?], settings)
    }
}

pub struct Setting {
    pub key: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub ty: FieldType,
    pub required: bool,
    pub secret: bool,
}

pub struct Preset {
    pub name: &'static str,
    pub subscribe: &'static str,
    pub action: &'static str,
}

pub struct AuthBinding {
    pub secret: &'static str,
    pub header: &'static str,
    /// `Bearer {secret}`; for a signing binding, `sha256={signature}`.
    pub format: &'static str,
    pub hosts: &'static [&'static str],
    /// Sign instead of sending the secret: the host puts HMAC-SHA256 of the
    /// body, keyed with the secret, in place of `{signature}`.
    pub sign: Option<SignatureEncoding>,
}

pub use t::SignatureEncoding;

pub struct RateBudget {
    pub requests: u32,
    pub window_ms: u32,
}

pub struct Destination {
    pub name: &'static str,
    pub slug: &'static str,
    pub description: &'static str,
    pub settings: &'static [Setting],
    pub actions: &'static [Action],
    pub presets: &'static [Preset],
    pub hosts: &'static [&'static str],
    pub auth: &'static [AuthBinding],
    pub rate_budget: Option<RateBudget>,
    pub test_authentication: Option<fn(&Payload) -> Result<Response>>,
}

impl Destination {
    pub(crate) fn to_wit(&self) -> t::DestinationInfo {
        let strings = Field::strings;
        t::DestinationInfo {
            name: self.name.into(),
            slug: self.slug.into(),
            description: self.description.into(),
            settings: self
                .settings
                .iter()
                .map(|s| t::Setting {
                    key: s.key.into(),
                    label: s.label.into(),
                    description: s.description.into(),
                    type_: s.ty,
                    required: s.required,
                    secret: s.secret,
                })
                .collect(),
            actions: self
                .actions
                .iter()
                .map(|a| t::Action {
                    key: a.key.into(),
                    title: a.title.into(),
                    description: a.description.into(),
                    fields: a.fields.iter().map(Field::wit).collect(),
                    default_subscription: a.default_subscription.map(Into::into),
                    batch: a.batch.as_ref().map(|b| t::BatchLimits { max_events: b.max_events, max_bytes: b.max_bytes }),
                })
                .collect(),
            presets: self
                .presets
                .iter()
                .map(|p| t::Preset {
                    name: p.name.into(),
                    subscribe: p.subscribe.into(),
                    action: p.action.into(),
                    mapping: None,
                })
                .collect(),
            hosts: strings(self.hosts),
            auth: self
                .auth
                .iter()
                .map(|b| t::AuthBinding {
                    secret: b.secret.into(),
                    header: b.header.into(),
                    format: b.format.into(),
                    hosts: strings(b.hosts),
                    sign: b.sign,
                })
                .collect(),
            rate_budget: self
                .rate_budget
                .as_ref()
                .map(|r| t::RateBudget { requests: r.requests, window_ms: r.window_ms }),
            tests_authentication: self.test_authentication.is_some(),
        }
    }
}
