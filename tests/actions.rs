//! Every action of both destinations, through the real components and real
//! HTTP to a loopback server: the exact method, URL, headers and JSON body.

mod support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sluice::secrets::Settings;
use sluice::Runtime;
use support::{component, runtime, Recorder, Seen};

const TOPLYNE: &str = "https://api.toplyne.io";
const T1: &str = "https://integration.talon.one";
const DEPLOYMENT: &str = "https://something.europe-west1.talon.one";

struct Env {
    rt: Runtime,
    server: Recorder,
}

async fn env() -> Env {
    let server = Recorder::start().await;
    let rt = runtime(vec![server.route(TOPLYNE), server.route(T1), server.route(DEPLOYMENT)]);
    Env { rt, server }
}

impl Env {
    /// Validates `payload` as the host does and performs the action; returns
    /// the one request the destination sent.
    async fn perform(&self, guest: &str, action: &str, settings: Value, payload: Value) -> Seen {
        let module = self.rt.load_path(&component(guest)).await.expect("load");
        let act = module.description.action(action).unwrap_or_else(|| panic!("no action {action}"));
        let payload = sluice_core::prepare::validate_payload(act, payload).expect("payload validates");
        let settings = Settings::split(&module.description, &settings).expect("settings");
        let call = self.rt.perform(&self.rt.client(module.clone(), &settings).expect("client"), action, &payload).await;
        call.result.expect("perform succeeds");
        let mut seen = self.server.take();
        assert_eq!(seen.len(), 1, "{action} sends exactly one request");
        seen.remove(0)
    }
}

fn headers(seen: &Seen) -> BTreeMap<String, String> {
    seen.headers.iter().filter(|(k, _)| !matches!(k.as_str(), "host" | "content-length")).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn expect_headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn toplyne_headers() -> BTreeMap<String, String> {
    expect_headers(&[
        ("authorization", "Bearer test-api-key"),
        ("content-type", "application/json"),
        ("user-agent", "Segment (Actions)"),
    ])
}

fn t1_settings() -> Value {
    json!({"apiKey": "some_api_key", "deployment": DEPLOYMENT})
}

fn t1_headers(json_body: bool, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut h = expect_headers(&[
        ("authorization", "ApiKey-v1 some_api_key"),
        ("destination-hostname", DEPLOYMENT),
        ("user-agent", "Segment (Actions)"),
    ]);
    if json_body {
        h.insert("content-type".into(), "application/json".into());
    }
    h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    h
}

const TS: &str = "2023-02-22T15:21:15.449Z";
const UNIX: i64 = 1677079275;

#[tokio::test]
async fn toplyne_send_user_profiles() {
    let e = env().await;
    let seen = e
        .perform(
            "sluice-toplyne",
            "sendUserProfiles",
            json!({"apiKey": "test-api-key"}),
            json!({"userId": "test-user-id", "anonymousId": "test-anonymous-id", "creationTime": TS, "userProperties": {"name": "Ada", "age": 36}}),
        )
        .await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("POST", "/v1/upload/users/profiles"));
    assert_eq!(headers(&seen), toplyne_headers());
    assert_eq!(
        seen.json(),
        json!({"profiles": [{"userId": "test-user-id", "anonymousId": "test-anonymous-id", "creationTime": UNIX, "userProperties": {"name": "Ada", "age": 36}}]})
    );
}

#[tokio::test]
async fn toplyne_send_account_profiles() {
    let e = env().await;
    let seen = e
        .perform(
            "sluice-toplyne",
            "sendAccountProfiles",
            json!({"apiKey": "test-api-key"}),
            json!({"accountId": "test-group-id", "creationTime": 1677079275449u64, "accountProperties": {"plan": "pro"}}),
        )
        .await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("POST", "/v1/upload/accounts/profiles"));
    assert_eq!(headers(&seen), toplyne_headers());
    assert_eq!(seen.json(), json!({"accounts": [{"accountId": "test-group-id", "creationTime": UNIX, "accountProperties": {"plan": "pro"}}]}));
}

#[tokio::test]
async fn toplyne_send_events() {
    let e = env().await;
    let seen = e
        .perform(
            "sluice-toplyne",
            "sendEvents",
            json!({"apiKey": "test-api-key"}),
            json!({"userId": "test-user-id", "anonymousId": "test-anonymous-id", "accountId": "g1", "eventName": "test-event", "timestamp": "2023-02-22T16:21:15.449+01:00", "eventProperties": {"p": "v"}}),
        )
        .await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("POST", "/v1/upload/events"));
    assert_eq!(headers(&seen), toplyne_headers());
    assert_eq!(
        seen.json(),
        json!({"events": [{"userId": "test-user-id", "anonymousId": "test-anonymous-id", "accountId": "g1", "eventName": "test-event", "timestamp": UNIX, "eventProperties": {"p": "v"}}]})
    );
}

#[tokio::test]
async fn toplyne_requires_a_user_or_anonymous_id() {
    let e = env().await;
    let module = e.rt.load_path(&component("sluice-toplyne")).await.unwrap();
    let settings = Settings::split(&module.description, &json!({"apiKey": "k-000000"})).unwrap();
    let call = e.rt.perform(&e.rt.client(module, &settings).expect("client"), "sendEvents", &json!({"eventName": "e", "timestamp": TS})).await;
    let err = call.result.unwrap_err();
    assert_eq!(err.kind, sluice::Kind::Validation);
    assert!(err.message.contains("'userId'") && err.message.contains("'anonymousId'"), "{}", err.message);
    assert!(e.server.seen().is_empty());
}

#[tokio::test]
async fn toplyne_test_authentication() {
    let e = env().await;
    let module = e.rt.load_path(&component("sluice-toplyne")).await.unwrap();
    let settings = Settings::split(&module.description, &json!({"apiKey": "test-api-key"})).unwrap();
    let client = e.rt.client(module, &settings).expect("client");
    e.rt.test_authentication(&client).await.result.expect("auth ok");
    let seen = e.server.take();
    assert_eq!((seen[0].method.as_str(), seen[0].path.as_str()), ("GET", "/v1/auth/me"));
    assert_eq!(seen[0].header("authorization"), Some("Bearer test-api-key"));

    e.server.answer_with(403, r#"{"status":"FAILURE"}"#);
    let err = e.rt.test_authentication(&client).await.result.unwrap_err();
    assert_eq!(err.kind, sluice::Kind::Auth);
    assert_eq!(err.message, "Credentials are invalid: 403 Forbidden: {\"status\":\"FAILURE\"}");
}

async fn t1(action: &str, payload: Value) -> Seen {
    env().await.perform("sluice-talon-one", action, t1_settings(), payload).await
}

#[tokio::test]
async fn talon_one_create_audience() {
    let seen = t1("createAudience", json!({"audienceId": "some_audience_id", "audienceName": "some_audience_name"})).await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("POST", "/segment/audiences"));
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(seen.json(), json!({"audienceId": "some_audience_id", "audienceName": "some_audience_name"}));
}

#[tokio::test]
async fn talon_one_update_audience() {
    let seen = t1("updateAudience", json!({"audienceId": "some_audience_id", "audienceName": "some_audience_name"})).await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("PUT", "/segment/audiences/some_audience_id"));
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(seen.json(), json!({"audienceName": "some_audience_name"}));
}

#[tokio::test]
async fn talon_one_delete_audience() {
    let seen = t1("deleteAudience", json!({"audienceId": "some_audience_id"})).await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("DELETE", "/segment/audiences/some_audience_id"));
    assert_eq!(headers(&seen), t1_headers(false, &[]));
    assert!(seen.body.is_empty());
}

fn attributes() -> Value {
    json!({"testAttribute1": "testValue", "stringAttribute": "test", "booleanAttribute": "true", "numberAttribute": "12345"})
}

fn attributes_info() -> Value {
    json!([{"name": "stringAttribute", "type": "string"}, {"name": "booleanAttribute", "type": "boolean"}, {"name": "numberAttribute", "type": "number"}])
}

#[tokio::test]
async fn talon_one_update_customer_profile() {
    let seen = t1(
        "updateCustomerProfile",
        json!({"customerProfileId": "abc123", "attributes": attributes(), "addAudienceIds": [1, 2, 3], "deleteAudienceIds": [4, 5, 6], "runRuleEngine": true, "attributesInfo": attributes_info()}),
    )
    .await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("PUT", "/segment/customer_profile/abc123"));
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(
        seen.json(),
        json!({"attributes": attributes(), "audiencesChanges": {"adds": [1, 2, 3], "deletes": [4, 5, 6]}, "runRuleEngine": true, "attributesInfo": attributes_info()})
    );
}

#[tokio::test]
async fn talon_one_update_customer_profile_v2() {
    let adds = json!([{"name": "Add 1", "integrationId": "a1"}, {"name": "Add 2", "integrationId": "a2"}]);
    let dels = json!([{"name": "Del 1", "integrationId": "d1"}, {"name": "Del 2", "integrationId": "d2"}]);
    let seen = t1(
        "updateCustomerProfileV2",
        json!({"customerProfileId": "abc123", "audiencesToAdd": adds, "audiencesToDelete": dels, "runRuleEngine": true, "attributes": attributes(), "attributesInfo": attributes_info()}),
    )
    .await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("PUT", "/segment/customer_profile_v2/abc123"));
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(
        seen.json(),
        json!({"audiencesChanges": {"adds": adds, "deletes": dels}, "runRuleEngine": true, "attributes": attributes(), "attributesInfo": attributes_info()})
    );
}

#[tokio::test]
async fn talon_one_update_customer_profile_v3() {
    let seen = t1(
        "updateCustomerProfileV3",
        json!({"customerProfileId": "abc123", "addAudienceIds": [1, 2, 3], "deleteAudienceIds": [4, 5, 6], "runRuleEngine": true, "attributes": attributes(), "skipNonExistingAttributes": true}),
    )
    .await;
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("PUT", "/segment/v2/customer_profiles/abc123?skipNonExistingAttributes=true")
    );
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(
        seen.json(),
        json!({"audiencesChanges": {"adds": [1, 2, 3], "deletes": [4, 5, 6]}, "runRuleEngine": true, "attributes": attributes()})
    );
}

#[tokio::test]
async fn talon_one_update_customer_profiles_audiences() {
    let data = json!([{"customerProfileId": "abc123", "adds": [1, 2, 3], "deletes": [4, 5, 6]}, {"customerProfileId": "def456", "adds": [5, 6, 7], "deletes": [8, 9, 10]}]);
    let seen = t1("updateCustomerProfilesAudiences", json!({"data": data})).await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("PUT", "/segment/customer_profiles/audiences"));
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(seen.json(), json!({"data": data}));
}

#[tokio::test]
async fn talon_one_update_customer_profiles_attributes() {
    let data = json!([{"customerProfileId": "abc123", "attributes": {"plan": "gold"}}, {"customerProfileId": "def456", "attributes": {"plan": "silver"}}]);
    let seen = t1(
        "updateCustomerProfilesAttributes",
        json!({"data": data, "mutualAttributes": {"region": "eu"}, "attributesInfo": [{"name": "plan", "type": "string"}]}),
    )
    .await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("PUT", "/segment/customer_profiles/attributes"));
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(
        seen.json(),
        json!({"data": data, "mutualAttributes": {"region": "eu"}, "attributesInfo": [{"name": "plan", "type": "string"}]})
    );
}

#[tokio::test]
async fn talon_one_track_event() {
    let attrs = json!({"stringAttribute": "test", "numberAttribute": 12345, "booleanAttribute": true, "timeAttribute": "2022-03-22T12:41:20.918Z", "locationAttribute": "here"});
    let seen = t1(
        "trackEvent",
        json!({"customerProfileId": "abc123", "eventType": "event_type", "type": "string", "attributes": attrs, "attributesInfo": attributes_info()}),
    )
    .await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("PUT", "/segment/event"));
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(
        seen.json(),
        json!({"customerProfileId": "abc123", "eventType": "event_type", "type": "string", "eventAttributes": attrs, "attributesInfo": attributes_info()})
    );
}

#[tokio::test]
async fn talon_one_track_event_v2() {
    let seen = t1(
        "trackEventV2",
        json!({"customerProfileId": "abc123", "skipNonExistingAttributes": true, "eventType": "event_type", "attributes": {"language": "English"}}),
    )
    .await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("PUT", "/segment/v2/events?skipNonExistingAttributes=true"));
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(seen.json(), json!({"customerProfileId": "abc123", "eventType": "event_type", "eventAttributes": {"language": "English"}}));
}

fn callback_headers() -> [(&'static str, &'static str); 4] {
    [
        ("x-callback-destination-uri", "http://mydomain.com/api/callback_here"),
        ("x-callback-api-key", "X-API-Key 123456789123456789123456789123456789"),
        ("x-content-fields", "effects"),
        ("x-correlation-id", "123"),
    ]
}

fn callback_fields() -> Value {
    json!({
        "callbackDestination": "http://mydomain.com/api/callback_here",
        "callbackAPIKey": "X-API-Key 123456789123456789123456789123456789",
        "contentFields": "effects",
        "callbackCorrelationId": "123",
    })
}

fn with(mut base: Value, more: Value) -> Value {
    base.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
    base
}

#[tokio::test]
async fn talon_one_update_customer_session() {
    let session = json!({"state": "open", "attributes": {"a": "1", "b": "2"}, "cartItems": [{"name": "a_name", "sku": "123sku", "quantity": 1, "price": 1000}]});
    let info = json!([{"name": "a", "type": "string"}, {"name": "b", "type": "string"}]);
    let seen = t1(
        "updateCustomerSession",
        with(callback_fields(), json!({"customerSessionId": "session123abc", "customerSession": session, "sessionAttributesInfo": info})),
    )
    .await;
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("PUT", "/segment/customer_sessions/session123abc"));
    assert_eq!(headers(&seen), t1_headers(true, &callback_headers()));
    assert_eq!(seen.json(), json!({"customerSession": session, "sessionAttributesInfo": info}));
}

#[tokio::test]
async fn talon_one_update_customer_session_v2() {
    let items = json!([{"name": "a_name", "sku": "123sku", "quantity": 1, "price": 1000}]);
    let seen = t1(
        "updateCustomerSessionV2",
        with(
            callback_fields(),
            json!({"customerSessionId": "session123abc", "state": "open", "cartItems": items, "attributes": {"a": "1"}, "skipNonExistingAttributes": true}),
        ),
    )
    .await;
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("PUT", "/segment/v2/customer_sessions/session123abc?skipNonExistingAttributes=true")
    );
    assert_eq!(headers(&seen), t1_headers(true, &callback_headers()));
    assert_eq!(seen.json(), json!({"state": "open", "cartItems": items, "attributes": {"a": "1"}}));
}

#[tokio::test]
async fn talon_one_session_headers_are_omitted_when_absent() {
    let seen = t1("updateCustomerSessionV2", json!({"customerSessionId": "s1", "state": "closed"})).await;
    assert_eq!(headers(&seen), t1_headers(true, &[]));
    assert_eq!(seen.path, "/segment/v2/customer_sessions/s1");
}

#[tokio::test]
async fn talon_one_test_authentication_goes_to_the_deployment() {
    let e = env().await;
    let module = e.rt.load_path(&component("sluice-talon-one")).await.unwrap();
    let settings = Settings::split(&module.description, &t1_settings()).unwrap();
    e.server.answer_with(204, "");
    let client = e.rt.client(module, &settings).expect("client");
    e.rt.test_authentication(&client).await.result.expect("auth ok");
    let seen = e.server.take();
    assert_eq!((seen[0].method.as_str(), seen[0].path.as_str()), ("GET", "/v2/authping"));
    assert_eq!(seen[0].header("authorization"), Some("ApiKey-v1 some_api_key"));

    e.server.answer_with(401, "");
    let err = e.rt.test_authentication(&client).await.result.unwrap_err();
    assert_eq!(err.kind, sluice::Kind::Auth);
    assert_eq!(err.message, "Credentials are invalid: 401 Unauthorized");
}

#[tokio::test]
async fn talon_one_declares_sixty_requests_per_second() {
    let e = env().await;
    let module = e.rt.load_path(&component("sluice-talon-one")).await.unwrap();
    let budget = module.description.rate_budget.expect("declared");
    assert_eq!((budget.requests, budget.window_ms), (60, 1000));
    assert_eq!(module.description.actions.len(), 12);
}

#[tokio::test]
async fn perform_batch_sends_one_request_per_payload_in_order() {
    let e = env().await;
    let module = e.rt.load_path(&component("sluice-talon-one")).await.unwrap();
    let settings = Settings::split(&module.description, &t1_settings()).unwrap();
    let payloads = [json!({"audienceId": "a1"}), json!({"audienceId": "a2"})];
    let call = e.rt.perform_batch(&e.rt.client(module, &settings).expect("client"), "deleteAudience", &payloads).await;
    let results = call.result.expect("batch runs");
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(Result::is_ok));
    let paths: Vec<String> = e.server.take().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, ["/segment/audiences/a1", "/segment/audiences/a2"]);
}

#[tokio::test]
async fn talon_one_v1_session_cart_items_are_validated_three_levels_deep() {
    let session = json!({"state": "open", "cartItems": [{"name": "a", "sku": "s", "quantity": "5", "price": 10, "colour": "red"}]});
    let seen = t1("updateCustomerSession", json!({"customerSessionId": "s1", "customerSession": session})).await;
    assert_eq!(
        seen.json(),
        json!({"customerSession": {"state": "open", "cartItems": [{"name": "a", "sku": "s", "quantity": 5, "price": 10}]}})
    );
}

/// A module built against the frozen `sluice:destination@0.1.0` (Toplyne as it
/// was before batching) still loads and sends the same request.
#[tokio::test]
async fn a_0_1_0_component_keeps_loading_and_running() {
    let e = env().await;
    let old = e.rt.load_path(&support::root().join("tests/fixtures/toplyne-0.1.0.wasm")).await.expect("0.1.0 loads");
    assert_eq!(old.contract(), "0.1.0");
    let new = e.rt.load_path(&component("sluice-toplyne")).await.unwrap();
    assert_eq!(new.contract(), "0.2.0");
    assert!(old.description.actions.iter().all(|a| a.batch.is_none()));
    assert!(new.description.actions.iter().all(|a| a.batch.is_some()));
    let payload = json!({"userId": "u1", "eventName": "e", "timestamp": TS});
    let mut bodies = Vec::new();
    for module in [old, new] {
        let settings = Settings::split(&module.description, &json!({"apiKey": "k-1"})).unwrap();
        let call = e.rt.perform(&e.rt.client(module, &settings).expect("client"), "sendEvents", &payload).await;
        call.result.expect("sent");
        bodies.push(e.server.take().pop().expect("one request").json());
    }
    assert_eq!(bodies[0], bodies[1]);
}

/// `perform-batch` on a batching action: one request for every payload that
/// makes a record; a payload that does not fails alone.
#[tokio::test]
async fn toplyne_sends_a_batch_in_one_request() {
    let e = env().await;
    let module = e.rt.load_path(&component("sluice-toplyne")).await.unwrap();
    let settings = Settings::split(&module.description, &json!({"apiKey": "k-1"})).unwrap();
    let payloads = [
        json!({"userId": "u1", "eventName": "a", "timestamp": TS}),
        json!({"eventName": "no user", "timestamp": TS}),
        json!({"anonymousId": "x2", "eventName": "b", "timestamp": TS}),
    ];
    let call = e.rt.perform_batch(&e.rt.client(module, &settings).expect("client"), "sendEvents", &payloads).await;
    let results = call.result.expect("the call ran");
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().kind, sluice::Kind::Validation);
    let seen = e.server.take();
    assert_eq!(seen.len(), 1);
    let body = seen[0].json();
    let names: Vec<&str> = body["events"].as_array().unwrap().iter().map(|r| r["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b"]);
}
