//! The hosts a destination declares, parsed: a fixed https origin, or
//! `{setting}` for the origin of a setting's URL value, optionally constrained
//! by a pattern the host enforces: `{deployment|https://*.talon.one}`.
//!
//! A setting that decides an origin decides where the key goes, so a module
//! should constrain it. In a pattern, `*` stands for one or more DNS labels
//! and only the pattern's port (443 unless written) matches.

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostSpec {
    /// An https origin, serialised (`https://host[:port]`).
    Fixed(String),
    /// The origin of setting `key`'s URL value.
    Setting { key: String, pattern: Option<OriginPattern> },
}

/// `https://*.example.com[:port]` or an exact `https://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPattern {
    text: String,
    /// The host after `*.`, or the whole host when there is no wildcard.
    host: String,
    wildcard: bool,
    port: u16,
}

impl HostSpec {
    pub fn parse(spec: &str) -> Result<HostSpec, String> {
        if let Some(inner) = spec.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (key, pattern) = match inner.split_once('|') {
                Some((k, p)) => (k, Some(OriginPattern::parse(p)?)),
                None => (inner, None),
            };
            if key.is_empty() {
                return Err(format!("'{spec}' names no setting"));
            }
            return Ok(HostSpec::Setting { key: key.to_string(), pattern });
        }
        match Url::parse(spec) {
            Ok(u)
                if u.scheme() == "https"
                    && u.host().is_some()
                    && u.path() == "/"
                    && !spec.ends_with('/')
                    && u.query().is_none()
                    && u.fragment().is_none()
                    && u.username().is_empty()
                    && u.password().is_none() =>
            {
                Ok(HostSpec::Fixed(u.origin().ascii_serialization()))
            }
            _ => Err(format!(
                "'{spec}' must be an https origin (https://host[:port], no path) or a {{setting}}, \
                 optionally with a pattern: {{setting|https://*.example.com}}"
            )),
        }
    }
}

impl OriginPattern {
    pub fn parse(text: &str) -> Result<OriginPattern, String> {
        let bad = || format!("'{text}' is not an origin pattern: use https://*.example.com or https://host[:port]");
        let rest = text.strip_prefix("https://").ok_or_else(bad)?;
        let (wildcard, rest) = match rest.strip_prefix("*.") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        // Parse what follows as a URL so the host is normalised the way request URLs are.
        let url = Url::parse(&format!("https://{rest}")).map_err(|_| bad())?;
        let host = url.host_str().ok_or_else(bad)?.to_string();
        if url.path() != "/" || url.query().is_some() || rest.contains('*') || !host.contains('.') {
            return Err(bad());
        }
        Ok(OriginPattern { text: text.to_string(), host, wildcard, port: url.port_or_known_default().unwrap_or(443) })
    }

    pub fn matches(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else { return false };
        if url.scheme() != "https" || url.port_or_known_default() != Some(self.port) {
            return false;
        }
        if !self.wildcard {
            return host == self.host;
        }
        host.strip_suffix(&self.host)
            .and_then(|prefix| prefix.strip_suffix('.'))
            .is_some_and(|labels| !labels.is_empty() && labels.split('.').all(|l| !l.is_empty()))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(HostSpec::parse("https://api.example.com").unwrap(), HostSpec::Fixed("https://api.example.com".into()));
        // Written any way the URL standard allows, kept normalised.
        assert_eq!(HostSpec::parse("https://[::ffff:127.0.0.1]").unwrap(), HostSpec::Fixed("https://[::ffff:7f00:1]".into()));
        assert_eq!(HostSpec::parse("{url}").unwrap(), HostSpec::Setting { key: "url".into(), pattern: None });
        let HostSpec::Setting { key, pattern: Some(p) } = HostSpec::parse("{deployment|https://*.talon.one}").unwrap() else {
            panic!("a constrained setting")
        };
        assert_eq!(key, "deployment");
        assert_eq!(p.as_str(), "https://*.talon.one");
        for bad in ["http://a.example", "https://a.example/path", "https://a.example/", "https://u@a.example", "https://a.example?q", "{}", "{x|http://*.a.example}", "{x|https://*}", "{x|https://a.*.example}"] {
            assert!(HostSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_wildcard_matches_one_or_more_labels_and_nothing_else() {
        let p = OriginPattern::parse("https://*.talon.one").unwrap();
        assert!(p.matches(&url("https://acme.europe-west1.talon.one")));
        assert!(p.matches(&url("https://acme.talon.one/v2")));
        assert!(!p.matches(&url("https://talon.one")));
        assert!(!p.matches(&url("https://evil.example")));
        assert!(!p.matches(&url("https://talon.one.evil.example")));
        assert!(!p.matches(&url("https://eviltalon.one")));
        assert!(!p.matches(&url("http://acme.talon.one")));
        assert!(!p.matches(&url("https://acme.talon.one:8443")));
        let exact = OriginPattern::parse("https://hooks.example.com:8443").unwrap();
        assert!(exact.matches(&url("https://hooks.example.com:8443/x")));
        assert!(!exact.matches(&url("https://hooks.example.com/x")));
    }
}
