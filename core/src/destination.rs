//! The description a destination gives of itself: settings, actions and their
//! fields, presets, the hosts it reaches and its rate budget. The host reads it
//! from the guest's `describe` export; these are the host-side types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Text,
    Password,
    Number,
    Integer,
    Boolean,
    Datetime,
    Object,
    /// A string that must be an absolute URL.
    Url,
}

/// One field of an action (or one property of an object field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub multiple: bool,
    /// Allowed values (`enum` in the schema); empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// The default mapping for this field: a raw value or a mapping directive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Nested properties of an object field. Empty means "any keys".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Field>,
}

impl Field {
    pub fn new(key: &str, label: &str, ty: FieldType) -> Self {
        Field {
            key: key.into(),
            label: label.into(),
            description: String::new(),
            ty,
            required: false,
            multiple: false,
            choices: Vec::new(),
            default: None,
            properties: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub fields: Vec<Field>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_subscription: Option<String>,
    /// Present when the action sends many payloads in one request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchLimits>,
}

/// How much one batched request may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchLimits {
    pub max_events: u32,
    /// The payloads' JSON bytes, summed.
    pub max_bytes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
    #[serde(default)]
    pub required: bool,
    /// A secret never reaches the guest; the host injects it through an [`AuthBinding`].
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub name: String,
    /// The trigger, in the subscription language.
    pub subscribe: String,
    pub action: String,
    /// `None`: the action's default mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<Value>,
}

/// How the host puts a secret into a request: header `header` gets `format`
/// with `{secret}` replaced, and only for requests to `hosts`. A signing
/// binding puts `{signature}` instead: HMAC-SHA256 of the body keyed with the
/// secret, so the secret itself never leaves the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthBinding {
    pub secret: String,
    pub header: String,
    pub format: String,
    pub hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<SignatureEncoding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureEncoding {
    Hex,
    Base64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateBudget {
    pub requests: u32,
    pub window_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Description {
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    pub settings: Vec<Setting>,
    pub actions: Vec<Action>,
    #[serde(default)]
    pub presets: Vec<Preset>,
    /// Origins the module may reach: `https://host[:port]`, or `{setting}` for the
    /// origin of a setting's URL value.
    pub hosts: Vec<String>,
    #[serde(default)]
    pub auth: Vec<AuthBinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_budget: Option<RateBudget>,
    /// Whether `test-authentication` checks anything (0.1.0 modules cannot say: true).
    #[serde(default = "yes")]
    pub tests_authentication: bool,
}

fn yes() -> bool {
    true
}

impl Default for Description {
    fn default() -> Self {
        Description {
            name: String::new(),
            slug: String::new(),
            description: String::new(),
            settings: Vec::new(),
            actions: Vec::new(),
            presets: Vec::new(),
            hosts: Vec::new(),
            auth: Vec::new(),
            rate_budget: None,
            tests_authentication: true,
        }
    }
}

impl Description {
    pub fn action(&self, key: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.key == key)
    }

    /// Section 1.5: `{key: default}` for every top-level field with a default.
    pub fn default_mapping(action: &Action) -> Value {
        let mut m = serde_json::Map::new();
        for f in &action.fields {
            if let Some(d) = &f.default {
                m.insert(f.key.clone(), d.clone());
            }
        }
        Value::Object(m)
    }
}
