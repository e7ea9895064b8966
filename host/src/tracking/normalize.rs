//! What Segment's tracking API does to a message before storing it, as pure
//! functions (tested without a server): checks, batch context merge,
//! `messageId`, `receivedAt` and the `sentAt` clock-skew correction.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// Segment's limits.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
pub const MAX_BATCH_BYTES: usize = 512_000;
pub const MAX_BATCH_MESSAGES: usize = 2_500;

pub const TYPES: &[&str] = &["track", "identify", "group", "page", "screen", "alias"];

/// Why a request is refused: a 400 with `code` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub code: &'static str,
    pub message: String,
}

fn rejected(code: &'static str, message: impl Into<String>) -> Rejected {
    Rejected { code, message: message.into() }
}

pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let s = v?.as_str()?;
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// `over` merged into `base`, objects deeply, `over` winning.
fn deep_merge(base: &Map<String, Value>, over: &mut Map<String, Value>) {
    for (k, v) in base {
        match (over.get_mut(k), v) {
            (Some(Value::Object(o)), Value::Object(b)) => deep_merge(b, o),
            (Some(_), _) => {}
            (None, v) => {
                over.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The batch-level members a message inherits.
#[derive(Debug, Default)]
pub struct Envelope<'a> {
    pub context: Option<&'a Map<String, Value>>,
    pub integrations: Option<&'a Map<String, Value>>,
    pub sent_at: Option<&'a Value>,
}

/// Checks one message and stamps it as Segment does. `implied_type` is the
/// endpoint's (`/v1/track` implies `track`); `index` names the message in errors.
pub fn message(
    raw: Value,
    implied_type: Option<&str>,
    envelope: &Envelope<'_>,
    received_at: DateTime<Utc>,
    index: Option<usize>,
) -> Result<Value, Rejected> {
    let at = index.map(|i| format!("batch[{i}]: ")).unwrap_or_default();
    let Value::Object(mut m) = raw else {
        return Err(rejected("invalid_message", format!("{at}a message must be a JSON object")));
    };
    // The write key authenticates the request; it is not part of the event.
    m.remove("writeKey");
    let size = serde_json::to_string(&m).map(|s| s.len()).unwrap_or(0);
    if size > MAX_MESSAGE_BYTES {
        return Err(rejected(
            "message_too_large",
            format!("{at}the message is {size} bytes; a message may be at most {MAX_MESSAGE_BYTES} bytes"),
        ));
    }
    if !m.contains_key("type") {
        if let Some(t) = implied_type {
            m.insert("type".into(), Value::from(t));
        }
    }
    let ty = match m.get("type").and_then(Value::as_str) {
        Some(t) if TYPES.contains(&t) => t.to_string(),
        Some(t) => {
            return Err(rejected("invalid_type", format!("{at}'{t}' is not a message type; use one of {}", TYPES.join(", "))))
        }
        None => return Err(rejected("missing_type", format!("{at}the message has no 'type'"))),
    };
    if ty == "track" && !m.get("event").and_then(Value::as_str).is_some_and(|e| !e.is_empty()) {
        return Err(rejected("missing_event", format!("{at}a track message needs an 'event' name")));
    }
    for (key, base) in [("context", envelope.context), ("integrations", envelope.integrations)] {
        if let Some(base) = base {
            match m.get_mut(key) {
                Some(Value::Object(own)) => deep_merge(base, own),
                _ => {
                    m.insert(key.into(), Value::Object(base.clone()));
                }
            }
        }
    }
    if !m.get("messageId").and_then(Value::as_str).is_some_and(|s| !s.is_empty()) {
        m.insert("messageId".into(), Value::from(format!("sluice-{}", uuid::Uuid::new_v4())));
    }
    m.insert("receivedAt".into(), Value::from(time(received_at)));
    // timestamp = receivedAt - (sentAt - timestamp): the client's clock skew removed.
    let sent_at = parse_time(m.get("sentAt")).or_else(|| parse_time(envelope.sent_at));
    match parse_time(m.get("timestamp")) {
        Some(original) => {
            if let Some(sent) = sent_at {
                let corrected = received_at - (sent - original);
                m.insert("originalTimestamp".into(), m["timestamp"].clone());
                m.insert("timestamp".into(), Value::from(time(corrected)));
            }
        }
        None => {
            m.insert("timestamp".into(), Value::from(time(received_at)));
        }
    }
    Ok(Value::Object(m))
}

/// A whole request body: one message (`/v1/track` …) or a batch (`/v1/batch`,
/// `/v1/import`), as messages ready to store.
pub fn body(body: Value, implied_type: Option<&str>, received_at: DateTime<Utc>) -> Result<Vec<Value>, Rejected> {
    let Value::Object(mut top) = body else {
        return Err(rejected("invalid_body", "the body must be a JSON object"));
    };
    if implied_type.is_some() {
        return Ok(vec![message(Value::Object(top), implied_type, &Envelope::default(), received_at, None)?]);
    }
    let batch = match top.remove("batch") {
        Some(Value::Array(list)) => list,
        _ => return Err(rejected("invalid_batch", "a batch body needs 'batch': an array of messages")),
    };
    if batch.len() > MAX_BATCH_MESSAGES {
        return Err(rejected(
            "batch_too_large",
            format!("the batch has {} messages; a batch may hold at most {MAX_BATCH_MESSAGES}", batch.len()),
        ));
    }
    let envelope = Envelope {
        context: top.get("context").and_then(Value::as_object),
        integrations: top.get("integrations").and_then(Value::as_object),
        sent_at: top.get("sentAt"),
    };
    batch.into_iter().enumerate().map(|(i, m)| message(m, None, &envelope, received_at, Some(i))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const NOW: &str = "2024-01-01T12:00:10.000Z";

    #[test]
    fn timestamps_are_corrected_by_the_clients_skew() {
        // The client's clock is 10 s behind: it says it sent at 12:00:00 what happened at 11:59:59.
        let m = body(
            json!({"batch": [{"type": "track", "event": "E", "timestamp": "2024-01-01T11:59:59.000Z"}], "sentAt": "2024-01-01T12:00:00.000Z"}),
            None,
            at(NOW),
        )
        .unwrap();
        assert_eq!(m[0]["timestamp"], "2024-01-01T12:00:09.000Z");
        assert_eq!(m[0]["originalTimestamp"], "2024-01-01T11:59:59.000Z");
        assert_eq!(m[0]["receivedAt"], NOW);
        // A message's own sentAt wins; none at all leaves the timestamp alone; no timestamp is receivedAt.
        let own = message(json!({"type": "identify", "timestamp": "2024-01-01T11:00:00Z", "sentAt": "2024-01-01T11:00:05Z"}), None, &Envelope::default(), at(NOW), None).unwrap();
        assert_eq!(own["timestamp"], "2024-01-01T12:00:05.000Z");
        let plain = message(json!({"type": "identify", "timestamp": "2024-01-01T11:00:00Z"}), None, &Envelope::default(), at(NOW), None).unwrap();
        assert_eq!(plain["timestamp"], "2024-01-01T11:00:00Z");
        let none = message(json!({"type": "identify"}), None, &Envelope::default(), at(NOW), None).unwrap();
        assert_eq!(none["timestamp"], NOW);
    }

    #[test]
    fn batch_context_and_integrations_merge_with_the_message_winning() {
        let m = body(
            json!({"batch": [{"type": "identify", "userId": "u", "context": {"app": {"name": "mine"}, "ip": "1.2.3.4"}}],
                   "context": {"app": {"name": "batch", "version": "2"}, "library": {"name": "x"}},
                   "integrations": {"All": false}}),
            None,
            at(NOW),
        )
        .unwrap();
        assert_eq!(m[0]["context"], json!({"app": {"name": "mine", "version": "2"}, "ip": "1.2.3.4", "library": {"name": "x"}}));
        assert_eq!(m[0]["integrations"], json!({"All": false}));
        assert!(m[0]["messageId"].as_str().unwrap().starts_with("sluice-"));
    }

    #[test]
    fn bad_messages_are_refused_with_a_code_and_where() {
        let e = |b: Value, t: Option<&str>| body(b, t, at(NOW)).unwrap_err();
        assert_eq!(e(json!({"batch": [{"event": "x"}]}), None).message, "batch[0]: the message has no 'type'");
        assert_eq!(e(json!({"batch": [{"type": "track"}]}), None).code, "missing_event");
        assert_eq!(e(json!({"type": "nope"}), Some("track")).code, "invalid_type");
        assert_eq!(e(json!({"batch": {}}), None).code, "invalid_batch");
        let big = json!({"type": "track", "event": "e", "properties": {"x": "y".repeat(MAX_MESSAGE_BYTES)}});
        assert_eq!(e(big, Some("track")).code, "message_too_large");
        let many = json!({"batch": vec![json!({"type": "identify"}); MAX_BATCH_MESSAGES + 1]});
        assert_eq!(e(many, None).code, "batch_too_large");
        // The write key is not stored with the event.
        let m = body(json!({"event": "E", "writeKey": "wk"}), Some("track"), at(NOW)).unwrap();
        assert!(m[0].get("writeKey").is_none());
        // The endpoint implies the type.
        assert_eq!(body(json!({"event": "E"}), Some("track"), at(NOW)).unwrap()[0]["type"], "track");
    }
}
