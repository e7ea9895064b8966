//! Talon.One (Actions): audiences, customer profiles, events and sessions.
//!
//! Every action goes to Talon.One's Segment proxy at `integration.talon.one`,
//! which forwards to the customer's own deployment named in the
//! `destination-hostname` header. The API key travels as `ApiKey-v1 <key>`.

use sluice_guest::prelude::*;
use sluice_guest::Method;

mod fields;

mod create_audience;
mod delete_audience;
mod track_event;
mod track_event_v2;
mod update_audience;
mod update_customer_profile;
mod update_customer_profile_v2;
mod update_customer_profile_v3;
mod update_customer_profiles_attributes;
mod update_customer_profiles_audiences;
mod update_customer_session;
mod update_customer_session_v2;

pub const BASE_URL: &str = "https://integration.talon.one/segment";

/// The deployment setting decides where the key goes, so the host holds it to
/// Talon.One's domain (an operator allows a custom domain with `--allow-origin`).
const HOSTS: &[&str] = &["https://integration.talon.one", "{deployment|https://*.talon.one}"];

pub static TALON_ONE: Destination = Destination {
    name: "Talon.One (Actions)",
    slug: "talon-one",
    description: "Create flexible and targeted promotional and loyalty campaigns with Talon.One.",
    settings: &[
        Setting {
            key: "apiKey",
            label: "API Key",
            description: "Created under Developer Settings in the Talon.One Campaign Manager.",
            ty: FieldType::Password,
            required: true,
            secret: true,
        },
        Setting {
            key: "deployment",
            label: "Deployment",
            description: "The base URL of your Talon.One deployment.",
            ty: FieldType::String,
            required: true,
            secret: false,
        },
    ],
    actions: &[
        create_audience::ACTION,
        update_audience::ACTION,
        delete_audience::ACTION,
        update_customer_profile::ACTION,
        update_customer_profile_v2::ACTION,
        update_customer_profile_v3::ACTION,
        update_customer_profiles_attributes::ACTION,
        update_customer_profiles_audiences::ACTION,
        track_event::ACTION,
        track_event_v2::ACTION,
        update_customer_session::ACTION,
        update_customer_session_v2::ACTION,
    ],
    presets: &[],
    hosts: HOSTS,
    auth: &[AuthBinding { secret: "apiKey", header: "authorization", format: "ApiKey-v1 {secret}", hosts: HOSTS, sign: None }],
    // Talon.One allows a Segment integration 60 requests per second per client.
    rate_budget: Some(RateBudget { requests: 60, window_ms: 1000 }),
    test_authentication: Some(|settings| {
        let deployment = settings.str("deployment").unwrap_or_default();
        let url = format!("{}/v2/authping", deployment.trim_end_matches('/'));
        with_deployment(Request::get(url), settings).send()
    }),
};

sluice_guest::export!(TALON_ONE);

/// The API key and the customer's deployment, which every request carries.
fn with_deployment(request: Request, settings: &Payload) -> Request {
    request.auth("apiKey").header_opt("destination-hostname", header_value(settings, "deployment"))
}

/// A field as the reference's `${payload.x}` header values send it: an absent
/// field renders as `"undefined"`, and the request client drops such headers.
fn header_value(payload: &Payload, key: &str) -> Option<String> {
    payload.str(key).filter(|v| v != "undefined")
}

/// A request to `{BASE_URL}{path}`.
fn talon(method: Method, path: &str, settings: &Payload) -> Request {
    with_deployment(Request::new(method, format!("{BASE_URL}{path}")), settings)
}

/// A PUT whose body is JSON: what all the profile, event and session actions send.
fn put(path: &str, settings: &Payload, body: &Value) -> Request {
    talon(Method::Put, path, settings).json(body)
}

/// A field interpolated into a URL path, raw, as a template literal renders it.
fn path_id(payload: &Payload, key: &str) -> String {
    payload.str(key).unwrap_or_else(|| "undefined".into())
}

/// The query the v2 endpoints take when the flag is set. It is appended to the
/// path as text, as the reference does, even if an id already brought a `?`.
fn skip_flag(payload: &Payload) -> &'static str {
    if payload.truthy("skipNonExistingAttributes") {
        "?skipNonExistingAttributes=true"
    } else {
        ""
    }
}

/// The session actions' callback settings, as headers; an absent field sends none.
fn callback_headers(request: Request, payload: &Payload) -> Request {
    request
        .header_opt("X-Callback-Destination-URI", header_value(payload, "callbackDestination"))
        .header_opt("X-Callback-API-Key", header_value(payload, "callbackAPIKey"))
        .header_opt("X-Content-Fields", header_value(payload, "contentFields"))
        .header_opt("X-Correlation-ID", header_value(payload, "callbackCorrelationId"))
}

/// `{adds, deletes}` from two payload fields; the object stays even when both are absent.
fn audiences_changes(payload: &Payload, adds: &str, deletes: &str) -> Option<Value> {
    Some(object([("adds", payload.get(adds)), ("deletes", payload.get(deletes))]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(v: Value) -> Payload {
        Payload::parse(&v.to_string()).unwrap()
    }

    #[test]
    fn audiences_changes_keeps_an_empty_object() {
        let p = payload(json!({}));
        assert_eq!(audiences_changes(&p, "addAudienceIds", "deleteAudienceIds"), Some(json!({})));
        let p = payload(json!({"deleteAudienceIds": [4], "addAudienceIds": [1]}));
        let changes = audiences_changes(&p, "addAudienceIds", "deleteAudienceIds").unwrap();
        assert_eq!(changes.to_string(), r#"{"adds":[1],"deletes":[4]}"#);
    }

    #[test]
    fn bodies_keep_the_reference_key_order() {
        let p = payload(json!({"runRuleEngine": true, "attributesInfo": [], "attributes": {"a": 1}}));
        let body = update_customer_profile::body(&p);
        assert_eq!(
            body.to_string(),
            r#"{"attributes":{"a":1},"audiencesChanges":{},"runRuleEngine":true,"attributesInfo":[]}"#
        );
    }

    #[test]
    fn renamed_members() {
        let p = payload(json!({"customerProfileId": "c", "eventType": "e", "attributes": {"x": 1}}));
        assert_eq!(
            track_event_v2::body(&p).to_string(),
            r#"{"customerProfileId":"c","eventType":"e","eventAttributes":{"x":1}}"#
        );
        let p = payload(json!({"cartItemsAttributesInfo": [], "customerSession": {"state": "open"}}));
        assert_eq!(
            update_customer_session::body(&p).to_string(),
            r#"{"customerSession":{"state":"open"},"cartItemAttributesInfo":[]}"#
        );
    }

    #[test]
    fn the_description_is_well_formed() {
        assert_eq!(TALON_ONE.actions.len(), 12);
        let mut keys: Vec<_> = TALON_ONE.actions.iter().map(|a| a.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 12);
        for action in TALON_ONE.actions {
            let fields = action.fields.iter().chain(action.fields.iter().flat_map(|f| f.properties));
            for field in fields {
                assert!(!field.label.is_empty() && !field.description.is_empty(), "{}.{}", action.key, field.key);
                if let Some(default) = field.default {
                    let parsed: Result<Value, _> = serde_json::from_str(default);
                    assert!(parsed.is_ok(), "{}.{} default is not JSON", action.key, field.key);
                }
            }
        }
    }

    #[test]
    fn the_skip_flag_follows_javascript_truthiness() {
        assert_eq!(skip_flag(&payload(json!({"skipNonExistingAttributes": true}))), "?skipNonExistingAttributes=true");
        assert_eq!(skip_flag(&payload(json!({"skipNonExistingAttributes": 1}))), "?skipNonExistingAttributes=true");
        assert_eq!(skip_flag(&payload(json!({"skipNonExistingAttributes": false}))), "");
        assert_eq!(skip_flag(&payload(json!({}))), "");
    }

    #[test]
    fn path_ids_render_like_template_literals() {
        let p = payload(json!({"n": 859, "s": "id-ü"}));
        assert_eq!(path_id(&p, "n"), "859");
        assert_eq!(path_id(&p, "s"), "id-ü");
        assert_eq!(path_id(&p, "missing"), "undefined");
    }
}
