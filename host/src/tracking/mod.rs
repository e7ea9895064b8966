//! Segment's HTTP tracking API, as the official clients use it: where events
//! enter `sluice serve`.
//!
//! - `POST /v1/track|identify|group|page|screen|alias|batch|import` (a trailing
//!   slash too: analytics-java posts `/v1/import/`) and analytics.js's short
//!   paths `/v1/t|i|g|p|s|a|b`, whatever the content type (analytics.js sends
//!   `text/plain`), with CORS for browsers.
//! - The write key from HTTP Basic (user name, empty password, with or
//!   without the colon) or `writeKey` in the body; a wrong or missing key is 401.
//! - `Content-Encoding: gzip` bodies; limits as Segment's (see `normalize`).
//! - `200 {"success":true}` only once every message is committed to the store;
//!   anything wrong is a 4xx with `{"code":…,"message":…}` and nothing stored.
//! - `GET /healthz` (200 once the store is open and modules are loaded) and
//!   `GET /metrics` (Prometheus text).

pub mod normalize;

use std::convert::Infallible;
use std::io::Read;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::config::{user_of, Config, Live};
use crate::metrics::Metrics;
use crate::secrets::Secret;
use crate::store::{Lane, NewDead, NewJob, NewMessage, Store};

/// Everything a request handler needs.
pub struct Ingest {
    pub store: Arc<dyn Store>,
    /// The configuration in use; a hot reload swaps it.
    pub config: Arc<Live>,
    pub write_keys: Vec<Secret>,
    pub metrics: Arc<Metrics>,
    pub dedup_window_ms: i64,
    /// Wakes the delivery loops when new work is stored.
    pub wake: Arc<tokio::sync::watch::Sender<u64>>,
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: Value) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", "application/json".parse().expect("static header"));
    r
}

fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
    reply(status, json!({"code": code, "message": message.into()}))
}

/// analytics.js (1.84+) sends an Authorization header, so a browser asks first.
fn cors(mut r: Reply, origin: Option<&hyper::header::HeaderValue>) -> Reply {
    let h = r.headers_mut();
    h.insert("access-control-allow-origin", origin.cloned().unwrap_or_else(|| "*".parse().expect("static header")));
    h.insert("access-control-allow-methods", "POST, OPTIONS".parse().expect("static header"));
    h.insert("access-control-allow-headers", "authorization, content-type, x-retry-count".parse().expect("static header"));
    h.insert("access-control-expose-headers", "retry-after".parse().expect("static header"));
    h.insert("access-control-max-age", "86400".parse().expect("static header"));
    h.insert("vary", "origin".parse().expect("static header"));
    r
}

/// The message type a path implies; `None` for a batch path; `Err` for no API path.
fn endpoint(path: &str) -> Result<Option<&'static str>, ()> {
    let name = path.strip_prefix("/v1/").ok_or(())?.trim_end_matches('/');
    Ok(Some(match name {
        "track" | "t" => "track",
        "identify" | "i" => "identify",
        "group" | "g" => "group",
        "page" | "p" => "page",
        "screen" | "s" => "screen",
        "alias" | "a" => "alias",
        "batch" | "b" | "import" => return Ok(None),
        _ => return Err(()),
    }))
}

/// The write key from `Authorization: Basic base64(key:)` (or `base64(key)`).
fn basic_key(req: &Request<Incoming>) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    Some(text.split_once(':').map_or(text.as_str(), |(user, _)| user).to_string())
}

fn known(keys: &[Secret], key: &str) -> bool {
    keys.iter().any(|k| {
        let (a, b) = (k.expose().as_bytes(), key.as_bytes());
        // Length and contents compared without an early exit on the first difference.
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    })
}

/// One request. The server listens only once the store is open and the
/// modules are loaded, so `/healthz` answering at all means ready.
pub async fn handle(ingest: Arc<Ingest>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    let origin = req.headers().get("origin").cloned();
    let path = req.uri().path().to_string();
    let r = match (req.method(), path.as_str()) {
        (&Method::GET, "/healthz") => reply(StatusCode::OK, json!({"ok": true})),
        (&Method::GET, "/metrics") => {
            refresh_gauges(&ingest).await;
            let mut r = Response::new(Full::new(Bytes::from(ingest.metrics.render())));
            r.headers_mut().insert("content-type", "text/plain; version=0.0.4".parse().expect("static header"));
            return Ok(r);
        }
        (&Method::OPTIONS, p) if p.starts_with("/v1/") => {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        (&Method::POST, p) => match endpoint(p) {
            Ok(implied) => track(&ingest, implied, req).await,
            Err(()) => refuse(StatusCode::NOT_FOUND, "not_found", format!("no tracking endpoint at {p}")),
        },
        (_, p) => refuse(StatusCode::NOT_FOUND, "not_found", format!("no endpoint at {p}")),
    };
    Ok(cors(r, origin.as_ref()))
}

async fn refresh_gauges(ingest: &Ingest) {
    let store = ingest.store.clone();
    if let Ok(Ok(counts)) = tokio::task::spawn_blocking(move || store.counts()).await {
        // A destination with nothing queued has no row: it reads 0, not its last backlog.
        for inst in &ingest.config.get().instances {
            ingest.metrics.queued.with_label_values(&[inst.name.as_str()]).set(0);
        }
        for (d, n) in counts.queued {
            ingest.metrics.queued.with_label_values(&[d.as_str()]).set(n as i64);
        }
        ingest.metrics.store_bytes.with_label_values(&[ingest.store.kind()]).set(counts.size_bytes as i64);
    }
}

async fn track(ingest: &Arc<Ingest>, implied: Option<&'static str>, req: Request<Incoming>) -> Reply {
    let m = &ingest.metrics;
    let fail = |code: &'static str, status: StatusCode, message: String| {
        m.rejected.with_label_values(&[code]).inc();
        refuse(status, code, message)
    };
    let basic = basic_key(&req);
    let gzip = req.headers().get("content-encoding").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let limit = normalize::MAX_BATCH_BYTES;
    let raw = match Limited::new(req.into_body(), limit + 1).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return fail("body_too_large", StatusCode::BAD_REQUEST, format!("the request body is over {limit} bytes"));
        }
    };
    let raw = if gzip {
        let mut out = Vec::new();
        match flate2::read::GzDecoder::new(&raw[..]).take(limit as u64 + 1).read_to_end(&mut out) {
            Ok(n) if n > limit => {
                return fail("body_too_large", StatusCode::BAD_REQUEST, format!("the decompressed body is over {limit} bytes"))
            }
            Ok(_) => Bytes::from(out),
            Err(e) => return fail("invalid_gzip", StatusCode::BAD_REQUEST, format!("the gzip body does not decompress: {e}")),
        }
    } else {
        raw
    };
    let body: Value = match serde_json::from_slice(&raw) {
        Ok(v) => v,
        Err(e) => return fail("invalid_json", StatusCode::BAD_REQUEST, format!("the body is not valid JSON: {e}")),
    };
    let key = basic.or_else(|| body.get("writeKey").and_then(Value::as_str).map(str::to_string));
    match key {
        Some(k) if known(&ingest.write_keys, &k) => {}
        Some(_) => return fail("unauthorized", StatusCode::UNAUTHORIZED, "the write key is not one this server accepts".into()),
        None => {
            return fail(
                "unauthorized",
                StatusCode::UNAUTHORIZED,
                "no write key: send it as the HTTP Basic user name, or as writeKey in the body".into(),
            )
        }
    }
    let received_at = chrono::Utc::now();
    let messages = match normalize::body(body, implied, received_at) {
        Ok(list) => list,
        Err(r) => return fail(r.code, StatusCode::BAD_REQUEST, r.message),
    };
    m.received.inc_by(messages.len() as u64);
    let config = ingest.config.get();
    let stored: Vec<NewMessage> = messages.iter().map(|msg| plan(&config, msg, Lane::Live)).collect();
    let (store, window) = (ingest.store.clone(), ingest.dedup_window_ms);
    let now_ms = received_at.timestamp_millis();
    match tokio::task::spawn_blocking(move || store.accept(stored, now_ms, window, None)).await {
        Ok(Ok(accepted)) => {
            m.accepted.inc_by(accepted.new as u64);
            m.duplicates.inc_by(accepted.duplicates as u64);
            // A counter, not a notification: a loop busy mid-query still sees it.
            ingest.wake.send_modify(|n| *n = n.wrapping_add(1));
            reply(StatusCode::OK, json!({"success": true}))
        }
        Ok(Err(e)) => {
            tracing::error!("cannot store events: {e}");
            fail("store_unavailable", StatusCode::SERVICE_UNAVAILABLE, "the events could not be stored; retry".into())
        }
        Err(e) => fail("store_unavailable", StatusCode::SERVICE_UNAVAILABLE, format!("the store task failed: {e}; retry")),
    }
}

/// What a message becomes: a job per matching mapping, or a dead letter when
/// its mapping or validation fails.
pub fn plan(config: &Config, message: &Value, lane: Lane) -> NewMessage {
    let user = user_of(message);
    let mut out = NewMessage {
        message_id: message.get("messageId").and_then(Value::as_str).unwrap_or_default().to_string(),
        ..Default::default()
    };
    for p in config.plan(message) {
        let destination = config.instances[p.instance].name.clone();
        let action = p.route.action.key.clone();
        match p.payload {
            Ok(payload) => out.jobs.push(NewJob { destination, action, user: user.clone(), payload, lane }),
            Err(e) => out.dead.push(NewDead {
                destination,
                action,
                payload: message.to_string(),
                kind: e.kind.name().to_string(),
                error: e.message,
            }),
        }
    }
    out
}
