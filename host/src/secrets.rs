//! Secrets: the settings a destination marks secret (API keys).
//!
//! Threat: a guest is third-party code. If it could read a key it could leak it,
//! to another host, into logs or into a response the operator forwards. So a
//! secret value never enters guest memory: the guest names the secret in
//! `request.auth`, and the egress layer adds the header, only for hosts the
//! module's auth binding declares. The host's own copies are zeroized on drop
//! (copies inside parsed settings JSON and outgoing header buffers are not),
//! print as `[redacted]`, and are scrubbed from anything that leaves the host (guest
//! logs, response bodies handed to the guest, errors, dry-run output).
//!
//! Default: settings marked secret are read from the settings JSON, or, better,
//! from the environment (`{"env": "VAR"}`) or a file (`{"file": "path"}`) so they
//! stay out of shell history.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sluice_core::Description;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A secret value. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Settings split the way the contract requires: `public` goes to the guest,
/// `secrets` stays in the host.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub public: Map<String, Value>,
    pub secrets: BTreeMap<String, Secret>,
}

pub const REDACTED: &str = "[redacted]";

impl Settings {
    /// Splits raw settings by the module's declaration. Unknown keys are
    /// dropped (as the reference strips them); missing required ones fail
    /// with the reference's message.
    pub fn split(desc: &Description, raw: &Value) -> Result<Settings> {
        let Value::Object(raw) = raw else {
            return Err(Error::validation("settings must be a JSON object"));
        };
        let mut settings = Settings::default();
        let mut missing = Vec::new();
        for s in &desc.settings {
            match raw.get(&s.key) {
                None | Some(Value::Null) => {
                    if s.required {
                        missing.push(format!("The root value is missing the required field '{}'.", s.key));
                    }
                }
                Some(v) if s.secret => {
                    settings.secrets.insert(s.key.clone(), Secret::new(resolve_secret(&s.key, v)?));
                }
                Some(v) => {
                    settings.public.insert(s.key.clone(), v.clone());
                }
            }
        }
        if !missing.is_empty() {
            return Err(Error::validation(missing.join(" ")));
        }
        Ok(settings)
    }

    /// Identifies the client for rate budgets without revealing the secret.
    pub fn client_key(&self, module: &str) -> String {
        let mut h = Sha256::new();
        h.update(module.as_bytes());
        for (k, v) in &self.secrets {
            h.update([0]);
            h.update(k.as_bytes());
            h.update([0]);
            h.update(v.expose().as_bytes());
        }
        format!("{module}:{}", &hex::encode(h.finalize())[..16])
    }

    /// Replaces every secret value in `text` with `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        redact(text, self.secrets.values())
    }
}

pub fn redact<'a>(text: &str, secrets: impl IntoIterator<Item = &'a Secret>) -> String {
    let mut out = text.to_string();
    for s in secrets {
        // Very short values would redact ordinary text; they are not secrets worth the name.
        if s.expose().len() >= 4 && out.contains(s.expose()) {
            out = out.replace(s.expose(), REDACTED);
        }
    }
    out
}

/// A secret setting's value: a string, `{"env": "VAR"}` or `{"file": "path"}`.
fn resolve_secret(key: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Object(o) if o.len() == 1 && o.get("env").is_some_and(Value::is_string) => {
            let var = o["env"].as_str().unwrap_or_default();
            std::env::var(var).map_err(|_| {
                Error::config(format!("secret '{key}' comes from environment variable {var}, which is not set"))
            })
        }
        Value::Object(o) if o.len() == 1 && o.get("file").is_some_and(Value::is_string) => {
            let path = o["file"].as_str().unwrap_or_default();
            crate::files::read_to_string(std::path::Path::new(path))
                .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
                .map_err(|e| Error::config(format!("secret '{key}' comes from file {path}: {e}")))
        }
        _ => Err(Error::validation(format!(
            "secret setting '{key}' must be a string, {{\"env\": \"VAR\"}} or {{\"file\": \"path\"}}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sluice_core::{FieldType, Setting};

    fn desc() -> Description {
        let setting = |key: &str, secret| Setting {
            key: key.into(),
            label: key.into(),
            description: String::new(),
            ty: FieldType::String,
            required: true,
            secret,
        };
        Description {
            name: "T".into(),
            slug: "t".into(),
            description: String::new(),
            settings: vec![setting("apiKey", true), setting("deployment", false)],
            actions: vec![],
            presets: vec![],
            hosts: vec![],
            auth: vec![],
            rate_budget: None,
        }
    }

    #[test]
    fn secrets_stay_out_of_public_settings() {
        let s = Settings::split(&desc(), &json!({"apiKey": "k-123456", "deployment": "https://x", "extra": 1})).unwrap();
        assert_eq!(Value::Object(s.public.clone()), json!({"deployment": "https://x"}));
        assert_eq!(s.secrets["apiKey"].expose(), "k-123456");
        assert_eq!(format!("{:?}", s), format!("{:?}", s).replace("k-123456", "?"));
        assert_eq!(s.redact("Bearer k-123456!"), "Bearer [redacted]!");
    }

    #[test]
    fn missing_required_settings_use_the_reference_message() {
        let e = Settings::split(&desc(), &json!({})).unwrap_err();
        assert_eq!(
            e.message,
            "The root value is missing the required field 'apiKey'. The root value is missing the required field 'deployment'."
        );
    }

    #[test]
    fn secrets_from_the_environment() {
        std::env::set_var("SLUICE_TEST_SECRET_ENV", "from-env-42");
        let s = Settings::split(&desc(), &json!({"apiKey": {"env": "SLUICE_TEST_SECRET_ENV"}, "deployment": "d"})).unwrap();
        assert_eq!(s.secrets["apiKey"].expose(), "from-env-42");
        let e = Settings::split(&desc(), &json!({"apiKey": {"env": "SLUICE_TEST_UNSET_VAR"}, "deployment": "d"})).unwrap_err();
        assert!(e.message.contains("SLUICE_TEST_UNSET_VAR"), "{}", e.message);
    }

    #[test]
    fn client_key_differs_per_secret_and_hides_it() {
        let a = Settings::split(&desc(), &json!({"apiKey": "key-aaaa", "deployment": "d"})).unwrap();
        let b = Settings::split(&desc(), &json!({"apiKey": "key-bbbb", "deployment": "d"})).unwrap();
        assert_ne!(a.client_key("t"), b.client_key("t"));
        assert!(!a.client_key("t").contains("key-aaaa"));
    }
}
