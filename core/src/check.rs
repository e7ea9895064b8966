//! What the host insists on before it trusts a destination's description of
//! itself. The host refuses a component with any problem found here, and
//! `sluice validate` lists them all, each with where it is.
//!
//! Most rules close a door a hostile module could use: a key declared twice
//! (a secret `apiKey` and a public `apiKey` would hand the key to the guest),
//! an auth binding that writes the secret into a framing header such as
//! `host` (routing at a shared CDN would then send it elsewhere), or a host
//! that is not an https origin. The others catch what partners get wrong
//! before an event ever reaches the module.

use std::collections::HashSet;
use std::fmt;

use crate::destination::{AuthBinding, Description, Field};
use crate::origin::HostSpec;
use crate::prepare::{Mapping, MappingChoice};
use crate::subscription::Subscription;

/// One thing wrong with a description, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A path into the description: `settings.apiKey`, `actions.sendEvents.fields.userId`, `auth[0].header`.
    pub at: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Headers an auth binding may not write: framing, routing and hop-by-hop
/// headers, whose meaning a secret must never take on.
const UNSAFE_BINDING_HEADERS: &[&str] =
    &["host", "content-length", "transfer-encoding", "connection", "te", "upgrade", "trailer", "keep-alive", "expect"];

/// Every problem in `d`; empty when the host may load it.
pub fn check(d: &Description) -> Vec<Problem> {
    let mut out = Problems::default();
    let valid_slug = !d.slug.is_empty() && d.slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_slug {
        out.add("slug", format!("'{}' must be lowercase letters, digits and '-'", d.slug));
    }
    for (at, text) in [("name", &d.name), ("slug", &d.slug), ("description", &d.description)] {
        out.no_control(at, text);
    }

    out.unique("settings", d.settings.iter().map(|s| s.key.as_str()));
    for s in &d.settings {
        out.no_control(&format!("settings.{}", s.key), &s.key);
        out.no_control(&format!("settings.{}.label", s.key), &s.label);
    }

    out.unique("actions", d.actions.iter().map(|a| a.key.as_str()));
    for a in &d.actions {
        let at = format!("actions.{}", a.key);
        out.no_control(&at, &a.key);
        out.no_control(&format!("{at}.title"), &a.title);
        fields(&mut out, &format!("{at}.fields"), &a.fields);
        if let Some(trigger) = &a.default_subscription {
            if let Err(e) = Subscription::parse(trigger) {
                out.add(&format!("{at}.default_subscription"), format!("the trigger does not parse: {e}"));
            }
        }
        if let Err(e) = Mapping::new(a, MappingChoice::Defaults) {
            out.add(&format!("{at}.fields"), format!("the default mapping is invalid: {e}"));
        }
        if let Some(b) = &a.batch {
            if b.max_events == 0 || b.max_bytes == 0 {
                out.add(&format!("{at}.batch"), "a batch must allow at least one event and one byte".into());
            }
        }
    }

    out.unique("presets", d.presets.iter().map(|p| p.name.as_str()));
    for p in &d.presets {
        let at = format!("presets.{}", p.name);
        out.no_control(&at, &p.name);
        if let Err(e) = Subscription::parse(&p.subscribe) {
            out.add(&format!("{at}.subscribe"), format!("the trigger does not parse: {e}"));
        }
        match d.action(&p.action) {
            None => out.add(&format!("{at}.action"), format!("names no action: '{}'", p.action)),
            Some(a) => {
                let choice = p.mapping.clone().map_or(MappingChoice::Defaults, MappingChoice::Exactly);
                if let Err(e) = Mapping::new(a, choice) {
                    out.add(&format!("{at}.mapping"), format!("the mapping is invalid: {e}"));
                }
            }
        }
    }

    for (i, h) in d.hosts.iter().enumerate() {
        host(&mut out, d, &format!("hosts[{i}]"), h);
    }
    for (i, b) in d.auth.iter().enumerate() {
        binding(&mut out, d, &format!("auth[{i}]"), b);
    }
    if let Some(r) = &d.rate_budget {
        if r.requests == 0 || r.window_ms == 0 {
            out.add("rate_budget", "must allow at least one request per non-empty window".into());
        }
    }
    out.0
}

/// What `sluice validate` adds for partners: things the host accepts but that
/// are almost certainly mistakes (a secret nothing can use, a key sent
/// wherever a setting points, field shapes that cannot be filled).
pub fn advise(d: &Description) -> Vec<Problem> {
    let mut out = Problems::default();
    for s in d.settings.iter().filter(|s| s.secret) {
        if !d.auth.iter().any(|b| b.secret == s.key) {
            out.add(
                &format!("settings.{}", s.key),
                "is secret but no auth binding uses it: a guest never sees a secret, so nothing can send it".into(),
            );
        }
    }
    for (i, b) in d.auth.iter().enumerate() {
        for (j, h) in b.hosts.iter().enumerate() {
            if let Ok(HostSpec::Setting { key, pattern: None }) = HostSpec::parse(h) {
                out.add(
                    &format!("auth[{i}].hosts[{j}]"),
                    format!(
                        "sends '{}' wherever setting '{key}' points; constrain it with a pattern, e.g. {{{key}|https://*.example.com}}",
                        b.secret
                    ),
                );
            }
        }
    }
    for a in &d.actions {
        shapes(&mut out, &format!("actions.{}.fields", a.key), &a.fields);
    }
    out.0
}

fn shapes(out: &mut Problems, at: &str, list: &[Field]) {
    use crate::destination::FieldType;
    for f in list {
        let here = format!("{at}.{}", f.key);
        if !f.properties.is_empty() && f.ty != FieldType::Object {
            out.add(&here, format!("has properties but is of type {:?}; only an object field has properties", f.ty).to_lowercase());
        }
        if !f.choices.is_empty() && !matches!(f.ty, FieldType::String | FieldType::Text) {
            out.add(&here, "has choices but is not a string field".into());
        }
        shapes(out, &format!("{here}.properties"), &f.properties);
    }
}

fn fields(out: &mut Problems, at: &str, list: &[Field]) {
    out.unique(at, list.iter().map(|f| f.key.as_str()));
    for f in list {
        let here = format!("{at}.{}", f.key);
        out.no_control(&here, &f.key);
        out.no_control(&format!("{here}.label"), &f.label);
        if !f.properties.is_empty() {
            fields(out, &format!("{here}.properties"), &f.properties);
        }
    }
}

fn host(out: &mut Problems, d: &Description, at: &str, h: &str) {
    match HostSpec::parse(h) {
        Err(e) => out.add(at, e),
        Ok(HostSpec::Fixed(_)) => {}
        Ok(HostSpec::Setting { key, .. }) => match d.settings.iter().find(|s| s.key == key) {
            None => out.add(at, format!("'{h}' names no setting")),
            Some(s) if s.secret => out.add(at, format!("'{h}' names a secret setting; a host must be public")),
            _ => {}
        },
    }
}

fn binding(out: &mut Problems, d: &Description, at: &str, b: &AuthBinding) {
    if !d.settings.iter().any(|s| s.key == b.secret && s.secret) {
        out.add(&format!("{at}.secret"), format!("'{}' is not a secret setting", b.secret));
    }
    let header = b.header.to_ascii_lowercase();
    if http_token(&header).is_err() {
        out.add(&format!("{at}.header"), format!("'{}' is not a legal HTTP header name", b.header.escape_debug()));
    } else if UNSAFE_BINDING_HEADERS.contains(&header.as_str()) || header.starts_with("proxy-") {
        out.add(
            &format!("{at}.header"),
            format!("'{header}' frames or routes the request; a secret may only go in an ordinary header such as authorization"),
        );
    }
    match b.sign {
        None if !b.format.contains("{secret}") => out.add(&format!("{at}.format"), "must contain {secret}".into()),
        Some(_) if !b.format.contains("{signature}") || b.format.contains("{secret}") => out.add(
            &format!("{at}.format"),
            "a signing binding must contain {signature} and not {secret}: the secret itself never leaves the host".into(),
        ),
        _ => {}
    }
    if b.format.chars().any(char::is_control) {
        out.add(&format!("{at}.format"), "contains a control character".into());
    }
    for (i, h) in b.hosts.iter().enumerate() {
        if !d.hosts.contains(h) {
            out.add(&format!("{at}.hosts[{i}]"), format!("'{h}' is not among the module's hosts"));
        }
    }
}

/// RFC 9110 token characters; a `:`-pseudo header or an empty name fails.
fn http_token(name: &str) -> Result<(), ()> {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(tchar) {
        return Err(());
    }
    Ok(())
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, at: &str, message: String) {
        self.0.push(Problem { at: at.to_string(), message });
    }

    fn unique<'a>(&mut self, at: &str, keys: impl Iterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        let mut reported = HashSet::new();
        for k in keys {
            if !seen.insert(k) && reported.insert(k) {
                self.add(&format!("{at}.{k}"), format!("'{k}' is declared more than once"));
            }
        }
    }

    fn no_control(&mut self, at: &str, text: &str) {
        if text.chars().any(char::is_control) {
            self.add(at, format!("'{}' contains a control character", text.escape_debug()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::{Action, FieldType, Preset, Setting};

    fn setting(key: &str, secret: bool) -> Setting {
        Setting { key: key.into(), label: key.into(), description: String::new(), ty: FieldType::String, required: true, secret }
    }

    fn good() -> Description {
        let mut id = Field::new("userId", "User", FieldType::String);
        id.default = Some(serde_json::json!({"@path": "$.userId"}));
        Description {
            name: "T".into(),
            slug: "t".into(),
            settings: vec![setting("apiKey", true), setting("deployment", false)],
            actions: vec![Action {
                key: "send".into(),
                title: "Send".into(),
                description: String::new(),
                fields: vec![id],
                default_subscription: Some(r#"type = "track""#.into()),
                batch: None,
            }],
            presets: vec![Preset { name: "P".into(), subscribe: r#"type = "track""#.into(), action: "send".into(), mapping: None }],
            hosts: vec!["https://api.example.com".into(), "{deployment}".into()],
            auth: vec![AuthBinding {
                sign: None,
                secret: "apiKey".into(),
                header: "Authorization".into(),
                format: "Bearer {secret}".into(),
                hosts: vec!["https://api.example.com".into()],
            }],
            ..Default::default()
        }
    }

    fn messages(d: &Description) -> Vec<String> {
        check(d).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_good_description_passes() {
        assert_eq!(messages(&good()), Vec::<String>::new());
    }

    #[test]
    fn a_key_declared_twice_is_refused() {
        let mut d = good();
        d.settings.push(setting("apiKey", false));
        d.actions.push(d.actions[0].clone());
        let again = d.actions[0].fields[0].clone();
        d.actions[0].fields.push(again);
        d.presets.push(d.presets[0].clone());
        assert_eq!(
            messages(&d),
            [
                "settings.apiKey: 'apiKey' is declared more than once",
                "actions.send: 'send' is declared more than once",
                "actions.send.fields.userId: 'userId' is declared more than once",
                "presets.P: 'P' is declared more than once",
            ]
        );
    }

    #[test]
    fn a_binding_may_not_write_framing_headers() {
        for header in ["host", "Host", "content-length", "transfer-encoding", "connection", "te", "upgrade", "trailer", "proxy-authorization"] {
            let mut d = good();
            d.auth[0].header = header.into();
            let m = messages(&d);
            assert_eq!(m.len(), 1, "{header}: {m:?}");
            assert!(m[0].starts_with("auth[0].header:") && m[0].contains("frames or routes"), "{header}: {m:?}");
        }
        for header in [":authority", "x key", "", "x\nkey"] {
            let mut d = good();
            d.auth[0].header = header.into();
            assert!(messages(&d)[0].contains("not a legal HTTP header name"), "{header:?}");
        }
    }

    #[test]
    fn hosts_must_be_https_origins_or_public_settings() {
        let mut d = good();
        d.hosts = vec!["http://a.example".into(), "https://a.example/path".into(), "{apiKey}".into(), "{nope}".into()];
        d.auth.clear();
        let m = messages(&d);
        assert_eq!(m.len(), 4, "{m:?}");
        assert!(m[2].contains("names a secret setting") && m[3].contains("names no setting"), "{m:?}");
    }

    #[test]
    fn presets_and_defaults_must_parse() {
        let mut d = good();
        d.presets[0].subscribe = "type = ".into();
        d.presets[0].action = "nope".into();
        d.actions[0].fields[0].default = Some(serde_json::json!({"@oops": 1}));
        d.actions[0].default_subscription = Some("((".into());
        let m = messages(&d);
        assert!(m.iter().any(|m| m.starts_with("presets.P.subscribe: the trigger does not parse")), "{m:?}");
        assert!(m.iter().any(|m| m == "presets.P.action: names no action: 'nope'"), "{m:?}");
        assert!(m.iter().any(|m| m.starts_with("actions.send.fields: the default mapping is invalid")), "{m:?}");
        assert!(m.iter().any(|m| m.starts_with("actions.send.default_subscription")), "{m:?}");
    }

    #[test]
    fn partners_are_told_what_is_almost_certainly_a_mistake() {
        let mut d = good();
        d.settings.push(crate::destination::Setting {
            key: "unused".into(),
            label: "Unused".into(),
            description: String::new(),
            ty: crate::destination::FieldType::Password,
            required: false,
            secret: true,
        });
        d.auth[0].hosts.push("{deployment}".into());
        d.actions[0].fields[0].choices = vec!["a".into()];
        d.actions[0].fields[0].ty = crate::destination::FieldType::Integer;
        let m: Vec<String> = advise(&d).iter().map(ToString::to_string).collect();
        assert!(m.iter().any(|m| m.starts_with("settings.unused: is secret but no auth binding uses it")), "{m:?}");
        assert!(m.iter().any(|m| m.contains("wherever setting 'deployment' points")), "{m:?}");
        assert!(m.iter().any(|m| m.ends_with("has choices but is not a string field")), "{m:?}");
        assert!(advise(&good()).is_empty(), "{:?}", advise(&good()));
    }

    #[test]
    fn control_characters_are_refused() {
        let mut d = good();
        d.actions[0].title = "Send\u{1b}[31m".into();
        assert_eq!(messages(&d), ["actions.send.title: 'Send\\u{1b}[31m' contains a control character"]);
    }
}
