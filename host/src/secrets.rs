//! Secrets: the settings a destination marks secret (API keys).
//!
//! Threat: a guest is third-party code. If it could read a key it could leak it,
//! to another host, into logs or into a response the operator forwards. So a
//! secret value never enters guest memory: the guest names the secret in
//! `request.auth`, and the egress layer adds the header, only for hosts the
//! module's auth binding declares. A key that any declaration marks secret is
//! never a public setting, so a module that declares `apiKey` twice (once
//! secret, once not) cannot get it that way either. The host's own copies are
//! zeroized on drop (copies inside parsed settings JSON, the redaction
//! patterns and outgoing header buffers are not) and print as `[redacted]`.
//!
//! An API may echo a key back, encoded. So the [`Redactor`] looks for the value
//! and its common encodings (hex, base64 and base64url at any alignment inside
//! a longer encoded text, percent-encoding, JSON escaping) and scrubs them from
//! everything that crosses the boundary or leaves the host: response bodies
//! and headers before the guest sees them, guest errors, logs and outcomes,
//! and dry-run output. Egress refuses a request whose URL, headers or body
//! carry any of them outside the secret's auth binding.
//!
//! Default: settings marked secret are read from the settings JSON, or, better,
//! from the environment (`{"env": "VAR"}`) or a file (`{"file": "path"}`) so they
//! stay out of shell history.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use base64::Engine as _;

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
    pub redactor: Redactor,
}

pub const REDACTED: &str = "[redacted]";

impl Settings {
    /// Splits raw settings by the module's declaration. Unknown keys are
    /// dropped (as the reference strips them); missing required ones fail,
    /// named as settings. A key declared secret anywhere in the
    /// description is secret everywhere: it can never land in `public`.
    pub fn split(desc: &Description, raw: &Value) -> Result<Settings> {
        let Value::Object(raw) = raw else {
            return Err(Error::validation("settings must be a JSON object"));
        };
        let secret_keys: std::collections::HashSet<&str> =
            desc.settings.iter().filter(|s| s.secret).map(|s| s.key.as_str()).collect();
        let mut settings = Settings::default();
        let mut missing = Vec::new();
        for s in &desc.settings {
            match raw.get(&s.key) {
                None | Some(Value::Null) => {
                    if s.required && !missing.contains(&s.key) {
                        missing.push(s.key.clone());
                    }
                }
                Some(v) if secret_keys.contains(s.key.as_str()) => {
                    if !settings.secrets.contains_key(&s.key) {
                        settings.secrets.insert(s.key.clone(), Secret::new(resolve_secret(&s.key, v)?));
                    }
                }
                Some(v) => {
                    if s.ty == sluice_core::FieldType::Url && !v.as_str().is_some_and(|u| url::Url::parse(u).is_ok()) {
                        return Err(Error::validation(format!("setting '{}' must be a URL, not {v}", s.key)));
                    }
                    settings.public.insert(s.key.clone(), v.clone());
                }
            }
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|k| format!("'{k}'")).collect();
            let (noun, verb) = if missing.len() == 1 { ("setting", "is") } else { ("settings", "are") };
            return Err(Error::validation(format!(
                "the {noun} {} {verb} required but missing: add {} to the destination's settings",
                list.join(" and "),
                if missing.len() == 1 { "it" } else { "them" }
            )));
        }
        settings.redactor = Redactor::new(settings.secrets.values());
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

    /// Replaces every secret value, and its encodings, in `text` with `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }
}

/// Shorter values would redact ordinary text; they are not secrets worth the name.
const MIN_SECRET: usize = 4;
/// The shortest encoded form looked for: shorter fragments match by chance.
const MIN_ENCODED: usize = 8;

/// Finds secret values and their common encodings in text. Built once per
/// client; cloning shares the automaton.
#[derive(Clone, Default)]
pub struct Redactor {
    matcher: Option<Arc<AhoCorasick>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor")
    }
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut patterns: Vec<Vec<u8>> = secrets.into_iter().flat_map(|s| encodings(s.expose().as_bytes())).collect();
        patterns.sort();
        patterns.dedup();
        if patterns.is_empty() {
            return Redactor::default();
        }
        // Leftmost-longest, so "Bearer <key>" in base64 is cut as one piece.
        let matcher = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok()
            .map(Arc::new);
        Redactor { matcher }
    }

    pub fn redact(&self, text: &str) -> String {
        match &self.matcher {
            Some(m) if m.is_match(text) => m.replace_all(text, &vec![REDACTED; m.patterns_len()]),
            _ => text.to_string(),
        }
    }

    /// Whether `bytes` carry a secret, or an encoding of one.
    pub fn finds(&self, bytes: &[u8]) -> bool {
        self.matcher.as_ref().is_some_and(|m| m.is_match(bytes))
    }
}

/// The forms a secret takes when an API or a guest encodes it.
fn encodings(secret: &[u8]) -> Vec<Vec<u8>> {
    if secret.len() < MIN_SECRET {
        return Vec::new();
    }
    let mut out = vec![secret.to_vec(), hex::encode(secret).into_bytes(), hex::encode_upper(secret).into_bytes()];
    let every_byte: String = secret.iter().map(|b| format!("%{b:02X}")).collect();
    out.push(every_byte.to_ascii_lowercase().into_bytes());
    out.push(every_byte.into_bytes());
    let reserved: String = secret
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    out.push(reserved.to_ascii_lowercase().into_bytes());
    out.push(reserved.into_bytes());
    if let Ok(text) = std::str::from_utf8(secret) {
        let json = serde_json::to_string(text).unwrap_or_default();
        out.push(json.trim_matches('"').as_bytes().to_vec());
    }
    // Inside a longer base64 text the secret starts at one of three byte
    // alignments; for each, keep the characters that depend on its bytes alone.
    for engine in [&base64::engine::general_purpose::STANDARD_NO_PAD, &base64::engine::general_purpose::URL_SAFE_NO_PAD] {
        for shift in 0..3 {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(secret);
            let encoded = engine.encode(&bytes);
            let start = (8 * shift).div_ceil(6);
            let end = 8 * (shift + secret.len()) / 6;
            out.push(encoded.as_bytes()[start..end].to_vec());
        }
    }
    out.retain(|p| p.as_slice() == secret || p.len() >= MIN_ENCODED);
    out
}

/// A secret setting's value: a string, `{"env": "VAR"}` or `{"file": "path"}`.
/// A secret's value: the string itself, or `{"env": VAR}` / `{"file": path}`.
pub fn resolve_secret(key: &str, v: &Value) -> Result<String> {
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
            ..Description::default()
        }
    }

    #[test]
    fn a_url_setting_must_be_a_url() {
        let mut d = desc();
        d.settings[1].ty = FieldType::Url;
        let e = Settings::split(&d, &json!({"apiKey": "k-123456", "deployment": "not a url"})).unwrap_err();
        assert_eq!(e.message, "setting 'deployment' must be a URL, not \"not a url\"");
        Settings::split(&d, &json!({"apiKey": "k-123456", "deployment": "https://x.example"})).unwrap();
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
    fn a_key_declared_both_secret_and_public_stays_secret() {
        let mut d = desc();
        d.settings.push(Setting { secret: false, ..d.settings[0].clone() });
        let s = Settings::split(&d, &json!({"apiKey": "k-123456", "deployment": "https://x"})).unwrap();
        assert_eq!(Value::Object(s.public.clone()), json!({"deployment": "https://x"}));
        assert_eq!(s.secrets["apiKey"].expose(), "k-123456");
    }

    #[test]
    fn encodings_of_the_key_are_redacted() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let key = "sk_live_9f8e7d6c5b4a+/=?";
        let s = Settings::split(&desc(), &json!({"apiKey": key, "deployment": "d"})).unwrap();
        let forms = [
            key.to_string(),
            hex::encode(key),
            hex::encode_upper(key),
            STANDARD.encode(key),
            STANDARD.encode(format!("Bearer {key}")),
            STANDARD.encode(format!("x:{key}")),
            URL_SAFE_NO_PAD.encode(format!("ab{key}")),
            "sk_live_9f8e7d6c5b4a%2B%2F%3D%3F".to_string(),
            key.bytes().map(|b| format!("%{b:02x}")).collect(),
        ];
        for form in forms {
            let text = format!("echo: <{form}>");
            let out = s.redact(&text);
            assert!(out.contains(REDACTED), "{form} not found in {out}");
            assert!(s.redactor.finds(text.as_bytes()));
            assert!(!out.contains(&form), "{form} survives in {out}");
        }
        assert!(!s.redactor.finds(b"an ordinary body with sk_live and 9f8e7d"));
    }

    #[test]
    fn a_missing_setting_is_reported_as_a_setting() {
        let e = Settings::split(&desc(), &json!({})).unwrap_err();
        assert_eq!(
            e.message,
            "the settings 'apiKey' and 'deployment' are required but missing: add them to the destination's settings"
        );
        let e = Settings::split(&desc(), &json!({"apiKey": "k-123456"})).unwrap_err();
        assert_eq!(e.message, "the setting 'deployment' is required but missing: add it to the destination's settings");
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
