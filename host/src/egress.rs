//! Egress: the only network path a guest has (`http.send`).
//!
//! Threats: a guest that exfiltrates data to a host of its choosing, probes the
//! operator's network (loopback, private ranges, cloud metadata at
//! 169.254.169.254), sends a secret somewhere it does not belong, hangs the
//! host on a slow server, or floods it with a huge response.
//!
//! Defaults, checked in this order for every request:
//! - the URL's origin must be one the module declared (`https://host[:port]`,
//!   or `{setting}` for the origin of a setting's URL value); everything else
//!   is denied, with an `egress` error that names the allowed origins. A
//!   setting that decides an origin decides where the key goes, so a module
//!   constrains it with a pattern (`{deployment|https://*.talon.one}`) that is
//!   checked when the settings load; the operator may allow other origins
//!   (`--allow-origin`) for custom domains;
//! - guests may not set credential headers (`authorization`, `cookie`, …, and
//!   any header an auth binding owns); a secret is added by the host, and only
//!   for the hosts its binding names. A signing binding sends an HMAC-SHA256
//!   of the body keyed with the secret instead of the secret itself;
//! - the client's rate budget is taken (see `budget`); the request counts
//!   from then, and is placed in time when it is written to its connection;
//! - the address must not be loopback, private, link-local, CGNAT, multicast or
//!   unspecified: checked before connecting and again inside the resolver the
//!   connector uses, so DNS rebinding does not get around it;
//! - HTTPS only, certificates verified by rustls against the webpki roots;
//!   redirects are never followed; 5 s to connect, 15 s for the whole exchange,
//!   responses capped at 4 MiB;
//! - a request's value of a secret, or an encoding of it, anywhere but in the
//!   header its auth binding adds (URL, headers, body) is refused: a guest that
//!   learned a key from an echoing API cannot carry it off;
//! - requests are capped at 4 MiB of body, 64 KiB of headers, 8 KiB of URL and
//!   1000 per guest call, and one call may send at most 64 MiB in all. Time
//!   spent in `http.send` is not guest CPU time, so these byte caps, not the
//!   CPU limit, keep a guest from making the host copy gigabytes. What the
//!   host keeps of each exchange for the caller is a capped summary (1 MiB per
//!   call in all), never the request itself.
//!
//! The one exception is the operator's `--route ORIGIN=BASE_URL`, which sends
//! requests meant for ORIGIN to BASE_URL (path and query kept) with no address
//! check: it is how tests and local mocks stand in for a real API. The
//! allowlist and the secret rules still apply to the original URL.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde_json::{Map, Value};
use url::{Origin, Url};

use crate::budget::{Budget, Ticket};
use crate::guest_log;
use crate::secrets::{self, Redactor, Secret, Settings};
use sluice_core::origin::HostSpec;

#[derive(Debug, Clone)]
pub struct Limits {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_response_bytes: usize,
    pub max_request_bytes: usize,
    pub max_url_bytes: usize,
    /// Header names and values of one request, summed.
    pub max_header_bytes: usize,
    /// Requests one guest call may make.
    pub max_requests_per_call: usize,
    /// URL, header and body bytes one guest call may send, summed.
    pub max_call_bytes: usize,
    /// What the host keeps of one call's exchanges (summaries), summed.
    pub max_retained_bytes: usize,
    /// The most of one request body a summary shows (dry-run output).
    pub max_shown_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            max_response_bytes: 4 << 20,
            max_request_bytes: 4 << 20,
            max_url_bytes: 8 << 10,
            max_header_bytes: 64 << 10,
            max_requests_per_call: 1000,
            max_call_bytes: 64 << 20,
            max_retained_bytes: 1 << 20,
            max_shown_body: 64 << 10,
        }
    }
}

/// `--route ORIGIN=BASE_URL`.
#[derive(Debug, Clone)]
pub struct Route {
    pub origin: Origin,
    pub base: Url,
}

impl Route {
    pub fn parse(s: &str) -> Result<Route, String> {
        let (origin, base) =
            s.split_once('=').ok_or_else(|| format!("route '{s}' must look like ORIGIN=BASE_URL"))?;
        let origin = Url::parse(origin).map_err(|e| format!("route origin '{origin}': {e}"))?.origin();
        let base = Url::parse(base).map_err(|e| format!("route base URL '{base}': {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!("route base URL '{base}' must be http or https"));
        }
        Ok(Route { origin, base })
    }

    fn apply(&self, url: &Url) -> Url {
        let mut out = self.base.clone();
        let base_path = self.base.path().trim_end_matches('/');
        out.set_path(&format!("{base_path}{}", url.path()));
        out.set_query(url.query());
        out
    }
}

/// A request as the guest asked for it.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub method: http::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The secret setting whose auth binding should authenticate this request.
    pub auth: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Inbound {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl EgressError {
    /// The same error with any secret value scrubbed from its message.
    fn redacted(self, policy: &Policy) -> Self {
        use EgressError::*;
        match self {
            Denied(m) => Denied(policy.redact(&m)),
            Invalid(m) => Invalid(policy.redact(&m)),
            RateLimited(m) => RateLimited(policy.redact(&m)),
            Timeout(m) => Timeout(policy.redact(&m)),
            TooLarge(m) => TooLarge(policy.redact(&m)),
            Transport(m) => Transport(policy.redact(&m)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Transport(String),
}

/// A capped summary of what was sent, with secrets redacted: for `--dry-run`
/// output and `--json` results.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The call kept more than its share of summaries: headers and body were left out.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub elided: bool,
    /// Seconds the API asked to wait (`Retry-After` on a 429 or 503).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// `Retry-After` as seconds: a number, or an HTTP date from now.
fn retry_after(headers: &[(String, String)]) -> Option<u64> {
    let (_, v) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))?;
    let v = v.trim();
    v.parse::<u64>().ok().or_else(|| {
        let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
        Some((at.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64)
    })
}

impl Exchange {
    fn retained_bytes(&self) -> usize {
        self.url.len()
            + self.headers.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
            + self.body.as_ref().map_or(0, String::len)
            + self.error.as_ref().map_or(0, String::len)
    }
}

/// What one guest call has spent against the per-call caps.
#[derive(Debug, Default)]
pub struct Ledger {
    pub requests: usize,
    pub sent_bytes: usize,
    pub retained_bytes: usize,
}

/// An auth binding with its secret and hosts resolved for one call.
#[derive(Debug, Clone)]
pub struct Binding {
    pub secret: String,
    pub header: String,
    /// The header value (the format with the secret in it), or for a
    /// signing binding the key the signature is made with.
    pub value: Secret,
    /// The value as shown in dry-run output: the format with the secret redacted.
    pub shown: String,
    pub hosts: Vec<Origin>,
    /// A signing binding: its format and encoding (see [`sign`]).
    pub sign: Option<(String, sluice_core::SignatureEncoding)>,
}

/// `format` with `{signature}` replaced by HMAC-SHA256 of `body` keyed with `key`.
pub fn sign(key: &[u8], body: &[u8], format: &str, encoding: sluice_core::SignatureEncoding) -> String {
    use base64::Engine as _;
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(body);
    let signature = mac.finalize().into_bytes();
    let encoded = match encoding {
        sluice_core::SignatureEncoding::Hex => hex::encode(signature),
        sluice_core::SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(signature),
    };
    format.replace("{signature}", &encoded)
}

/// Everything `send` needs to know about the calling module and client.
#[derive(Debug, Clone)]
pub struct Policy {
    pub module: String,
    pub allowed: Vec<Origin>,
    pub bindings: Vec<Binding>,
    pub budget: Option<Arc<Budget>>,
    /// Finds the secret values and their encodings.
    pub redactor: Redactor,
    /// How long a request may wait for the budget before failing as rate-limited.
    pub max_budget_wait: Duration,
}

/// Headers that carry credentials or framing; only the host sets them.
const FORBIDDEN_HEADERS: &[&str] =
    &["authorization", "proxy-authorization", "cookie", "host", "content-length", "transfer-encoding", "connection"];

impl Policy {
    /// Resolves a module's declared hosts and auth bindings against one
    /// client's settings. A `{setting}` host whose setting is absent is simply
    /// not allowed; one that is set must be an https URL within the module's
    /// pattern for it, or an origin the operator allowed (`--allow-origin`).
    /// The error names the setting, so a bad deployment URL is reported when
    /// the settings load, not when a request is refused.
    pub fn new(
        module: &str,
        desc: &sluice_core::Description,
        settings: &Settings,
        budget: Option<Arc<Budget>>,
        operator_allowed: &[Origin],
    ) -> Result<Policy, String> {
        let public = &settings.public;
        let origins = |list: &[String]| -> Result<Vec<Origin>, String> {
            let mut out = Vec::new();
            for h in list {
                if let Some(o) = resolve_origin(h, public, operator_allowed)? {
                    out.push(o);
                }
            }
            Ok(out)
        };
        let mut bindings = Vec::new();
        for b in &desc.auth {
            let Some(secret) = settings.secrets.get(&b.secret) else { continue };
            bindings.push(Binding {
                secret: b.secret.clone(),
                header: b.header.to_ascii_lowercase(),
                value: match b.sign {
                    None => Secret::new(b.format.replace("{secret}", secret.expose())),
                    Some(_) => secret.clone(),
                },
                shown: b.format.replace("{secret}", secrets::REDACTED),
                sign: b.sign.map(|e| (b.format.clone(), e)),
                hosts: origins(&b.hosts)?,
            });
        }
        Ok(Policy {
            module: module.to_string(),
            allowed: origins(&desc.hosts)?,
            bindings,
            budget,
            redactor: settings.redactor.clone(),
            max_budget_wait: Duration::from_secs(30),
        })
    }

    /// The policy of `describe`: no settings, so only fixed hosts.
    pub fn bare(module: &str, desc: &sluice_core::Description) -> Policy {
        Policy::new(module, desc, &Settings::default(), None, &[]).unwrap_or_else(|_| Policy {
            module: module.to_string(),
            allowed: Vec::new(),
            bindings: Vec::new(),
            budget: None,
            redactor: Redactor::default(),
            max_budget_wait: Duration::ZERO,
        })
    }

    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }
}

fn resolve_origin(spec: &str, settings: &Map<String, Value>, operator_allowed: &[Origin]) -> Result<Option<Origin>, String> {
    let (key, pattern) = match HostSpec::parse(spec) {
        Ok(HostSpec::Fixed(o)) => return Ok(Url::parse(&o).ok().map(|u| u.origin())),
        Ok(HostSpec::Setting { key, pattern }) => (key, pattern),
        // `check` refuses such a module at load.
        Err(_) => return Ok(None),
    };
    let value = match settings.get(&key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(other) => return Err(format!("setting '{key}' must be an https URL, not {other}")),
    };
    let url = match Url::parse(value) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() => u,
        _ => return Err(format!("setting '{key}' must be an https URL (https://host[:port]), not '{value}'")),
    };
    let origin = url.origin();
    match pattern {
        Some(p) if !p.matches(&url) && !operator_allowed.contains(&origin) => Err(format!(
            "setting '{key}' is {}, which is outside {p}, where this module sends its credentials; \
             if that origin is yours (a custom domain), allow it with --allow-origin {}",
            origin.ascii_serialization(),
            origin.ascii_serialization()
        )),
        _ => Ok(Some(origin)),
    }
}

fn origin_list(origins: &[Origin]) -> String {
    if origins.is_empty() {
        return "none".into();
    }
    origins.iter().map(Origin::ascii_serialization).collect::<Vec<_>>().join(", ")
}

type GuardedClient = Client<HttpsConnector<HttpConnector<GuardedResolver>>, Departing>;
type RoutedClient = Client<HttpsConnector<HttpConnector>, Departing>;

/// A request body that tells the rate budget when its request leaves: hyper
/// polls the body once the connection is ready and the head is being written,
/// so connection set-up is not counted as having sent (see `budget`).
struct Departing {
    body: Full<Bytes>,
    ticket: Option<Arc<std::sync::Mutex<Ticket>>>,
}

impl hyper::body::Body for Departing {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        if let Some(t) = self.ticket.take() {
            t.lock().unwrap_or_else(|p| p.into_inner()).depart();
        }
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

pub struct Egress {
    guarded: GuardedClient,
    routed: RoutedClient,
    routes: Vec<Route>,
    limits: Limits,
    dry_run: bool,
    show_bodies: bool,
}

impl Egress {
    pub fn new(routes: Vec<Route>, limits: Limits, dry_run: bool) -> Egress {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut http = HttpConnector::new_with_resolver(GuardedResolver);
        http.set_connect_timeout(Some(limits.connect_timeout));
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_only()
            .enable_http1()
            .wrap_connector(http);
        let guarded = Client::builder(TokioExecutor::new()).build(https);

        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(limits.connect_timeout));
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let routed = Client::builder(TokioExecutor::new()).build(https);
        Egress { guarded, routed, routes, limits, dry_run, show_bodies: true }
    }

    /// Whether a dry run keeps a redacted copy of each body to print (the
    /// default); `sluice bench` answers in-process and prints none.
    pub fn showing_bodies(mut self, show: bool) -> Egress {
        self.show_bodies = show;
        self
    }

    /// Checks, authenticates, paces and sends one request. A capped summary
    /// of the exchange is returned in every case, for the caller's record;
    /// `ledger` is what this guest call has spent so far.
    pub async fn send(&self, policy: &Policy, req: Outbound, ledger: &mut Ledger) -> (Exchange, Result<Inbound, EgressError>) {
        let header_bytes: usize = req.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
        let size = req.url.len() + header_bytes + req.body.as_ref().map_or(0, Vec::len);
        let limits = &self.limits;
        let too_big = if ledger.requests >= limits.max_requests_per_call {
            Some(format!("{} made more than {} requests in one call", policy.module, limits.max_requests_per_call))
        } else if req.url.len() > limits.max_url_bytes {
            Some(format!("the URL is longer than {} bytes", limits.max_url_bytes))
        } else if header_bytes > limits.max_header_bytes {
            Some(format!("the request's headers are larger than {} bytes in all", limits.max_header_bytes))
        } else if req.body.as_ref().is_some_and(|b| b.len() > limits.max_request_bytes) {
            Some(format!("the request body is larger than {} bytes", limits.max_request_bytes))
        } else if ledger.sent_bytes + size > limits.max_call_bytes {
            Some(format!("{} tried to send more than {} bytes in one call", policy.module, limits.max_call_bytes))
        } else {
            None
        };
        ledger.requests += 1;
        let mut exchange = Exchange {
            method: req.method.to_string(),
            url: policy.redact(&guest_log::truncate(&req.url, 512)),
            headers: Vec::new(),
            body: None,
            status: None,
            error: None,
            elided: false,
            retry_after: None,
        };
        let result = match too_big {
            Some(reason) => Err(EgressError::Denied(reason)),
            None => {
                ledger.sent_bytes += size;
                // Only dry-run output shows bodies; don't copy and scrub them on every real request.
                if self.dry_run && self.show_bodies {
                    exchange.body = req.body.as_ref().map(|b| {
                        policy.redact(&guest_log::truncate(&String::from_utf8_lossy(b), limits.max_shown_body))
                    });
                }
                self.check_and_send(policy, req, &mut exchange).await.map_err(|e| e.redacted(policy))
            }
        };
        match &result {
            Ok(r) => {
                exchange.status = Some(r.status);
                if matches!(r.status, 429 | 503) {
                    exchange.retry_after = retry_after(&r.headers).map(|s| s.min(3600));
                }
            }
            Err(e) => exchange.error = Some(guest_log::truncate(&e.to_string(), 1024)),
        }
        let kept = exchange.retained_bytes();
        if ledger.retained_bytes + kept > limits.max_retained_bytes {
            exchange.headers = Vec::new();
            exchange.body = None;
            exchange.elided = true;
        }
        ledger.retained_bytes += exchange.retained_bytes();
        (exchange, result)
    }

    async fn check_and_send(
        &self,
        policy: &Policy,
        req: Outbound,
        exchange: &mut Exchange,
    ) -> Result<Inbound, EgressError> {
        let url = Url::parse(&req.url)
            .map_err(|e| EgressError::Invalid(format!("'{}' is not a valid URL: {e}", policy.redact(&req.url))))?;
        let origin = url.origin();
        if !policy.allowed.contains(&origin) {
            return Err(EgressError::Denied(format!(
                "{} may not reach {}: it is not among the hosts the module declared ({})",
                policy.module,
                origin.ascii_serialization(),
                origin_list(&policy.allowed)
            )));
        }
        if let Some(place) = carries_secret(policy, &req) {
            return Err(EgressError::Denied(format!(
                "{} may not send a secret's value in the request's {place}: a guest names the secret in \
                 request.auth and the host adds it through the auth binding",
                policy.module
            )));
        }
        let mut headers = http::HeaderMap::new();
        for (name, value) in &req.headers {
            let lower = name.to_ascii_lowercase();
            if FORBIDDEN_HEADERS.contains(&lower.as_str()) || policy.bindings.iter().any(|b| b.header == lower) {
                return Err(EgressError::Denied(format!(
                    "{} may not set the '{lower}' header: credentials are added by the host through an auth binding",
                    policy.module
                )));
            }
            let name = http::HeaderName::from_bytes(lower.as_bytes())
                .map_err(|_| EgressError::Invalid(format!("{name} is not a legal HTTP header name")))?;
            headers.append(name, header_value(value)?);
        }
        let mut shown = headers_shown(&headers);
        if let Some(secret) = &req.auth {
            let binding = policy.bindings.iter().find(|b| &b.secret == secret).ok_or_else(|| {
                EgressError::Denied(format!("{} has no auth binding for a secret named '{secret}'", policy.module))
            })?;
            if !binding.hosts.contains(&origin) {
                return Err(EgressError::Denied(format!(
                    "{} may not send secret '{secret}' to {}: its auth binding allows only {}",
                    policy.module,
                    origin.ascii_serialization(),
                    origin_list(&binding.hosts)
                )));
            }
            let name = http::HeaderName::from_bytes(binding.header.as_bytes())
                .map_err(|_| EgressError::Invalid(format!("auth header '{}' is not legal", binding.header)))?;
            let (value, shown_value) = match &binding.sign {
                None => (binding.value.expose().to_string(), binding.shown.clone()),
                Some((format, encoding)) => {
                    let body = req.body.as_deref().unwrap_or_default();
                    let signed = sign(binding.value.expose().as_bytes(), body, format, *encoding);
                    (signed.clone(), signed)
                }
            };
            let mut value = header_value(&value).map_err(|_| {
                EgressError::Invalid(format!(
                    "secret '{secret}' does not make a legal '{}' header value; check it for stray characters such as a line break",
                    binding.header
                ))
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
            shown.push((binding.header.clone(), shown_value));
        }
        exchange.headers = shown;

        let route = self.routes.iter().find(|r| r.origin == origin);
        if route.is_none() {
            check_ip_literal(&url)?;
        }
        if self.dry_run {
            return Ok(Inbound { status: 200, headers: Vec::new(), body: Vec::new() });
        }
        let ticket = match &policy.budget {
            None => None,
            Some(budget) => {
                let wait = budget.expected_wait();
                if wait > policy.max_budget_wait {
                    return Err(EgressError::RateLimited(format!(
                        "the rate budget of {} requests per {:?} would hold this request for about {wait:?}",
                        budget.rate().requests,
                        budget.rate().window
                    )));
                }
                Some(Arc::new(std::sync::Mutex::new(budget.acquire().await)))
            }
        };

        let target = match route {
            Some(r) => r.apply(&url),
            None => url,
        };
        let mut builder = http::Request::builder().method(req.method).uri(target.as_str());
        if let Some(h) = builder.headers_mut() {
            *h = headers;
        }
        let request = builder
            .body(Departing { body: Full::new(Bytes::from(req.body.unwrap_or_default())), ticket: ticket.clone() })
            .map_err(|e| EgressError::Invalid(format!("cannot build the request: {e}")))?;

        let exchange_fut = async {
            let started = Instant::now();
            let response = match route {
                Some(_) => self.routed.request(request).await,
                None => self.guarded.request(request).await,
            };
            // A request that failed to connect never left: its budget place is
            // given back when the ticket drops. Anything else may have reached
            // the API, so it counts (from now, if the body was never polled).
            if response.as_ref().is_ok() || response.as_ref().is_err_and(|e| !e.is_connect()) {
                if let Some(t) = &ticket {
                    t.lock().unwrap_or_else(|p| p.into_inner()).depart();
                }
            }
            let response = response.map_err(|e| transport_error(&e, started.elapsed()))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, self.limits.max_response_bytes).collect().await.map_err(|_| {
                EgressError::TooLarge(format!(
                    "the response from {} is larger than {} bytes",
                    origin.ascii_serialization(),
                    self.limits.max_response_bytes
                ))
            })?;
            let body = policy.redact(&String::from_utf8_lossy(&body.to_bytes())).into_bytes();
            let headers = parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), policy.redact(&String::from_utf8_lossy(v.as_bytes()))))
                .collect();
            Ok(Inbound { status: parts.status.as_u16(), headers, body })
        };
        tokio::time::timeout(self.limits.request_timeout, exchange_fut).await.unwrap_or_else(|_| {
            Err(EgressError::Timeout(format!(
                "{} did not answer within {:?}",
                origin.ascii_serialization(),
                self.limits.request_timeout
            )))
        })
    }
}

/// Header values as Node's fetch accepts them: tab, printable ASCII and
/// Latin-1, sent as Latin-1 bytes. Anything else is the reference's error.
fn header_value(value: &str) -> Result<http::HeaderValue, EgressError> {
    let illegal = || EgressError::Invalid(format!("{value} is not a legal HTTP header value"));
    // Most values are tab and printable ASCII: their bytes are the value.
    if value.bytes().all(|b| b == b'\t' || (0x20..=0x7e).contains(&b)) {
        return http::HeaderValue::from_str(value).map_err(|_| illegal());
    }
    let bytes = value
        .chars()
        .map(|c| match c as u32 {
            0x09 | 0x20..=0x7e | 0x80..=0xff => Ok(c as u32 as u8),
            _ => Err(illegal()),
        })
        .collect::<Result<Vec<u8>, _>>()?;
    http::HeaderValue::from_bytes(&bytes).map_err(|_| illegal())
}

fn headers_shown(headers: &http::HeaderMap) -> Vec<(String, String)> {
    // Values are Latin-1 bytes (see `header_value`); most are visible ASCII,
    // whose text is their bytes as they are.
    let shown = |v: &http::HeaderValue| {
        let text = match v.to_str() {
            Ok(ascii) => std::borrow::Cow::Borrowed(ascii),
            Err(_) => std::borrow::Cow::Owned(v.as_bytes().iter().map(|&b| b as char).collect::<String>()),
        };
        guest_log::truncate(&text, 1024)
    };
    headers.iter().map(|(k, v)| (k.as_str().to_owned(), shown(v))).collect()
}

/// Where a request carries a secret's value or an encoding of it, if anywhere.
fn carries_secret(policy: &Policy, req: &Outbound) -> Option<String> {
    let r = &policy.redactor;
    if r.finds(req.url.as_bytes()) {
        return Some("URL".into());
    }
    if let Some((name, _)) = req.headers.iter().find(|(k, v)| r.finds(k.as_bytes()) || r.finds(v.as_bytes())) {
        return Some(format!("'{}' header", policy.redact(&name.to_ascii_lowercase())));
    }
    req.body.as_deref().is_some_and(|b| r.finds(b)).then(|| "body".into())
}

fn transport_error(e: &hyper_util::client::legacy::Error, elapsed: Duration) -> EgressError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut chain = Vec::new();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::PermissionDenied {
                return EgressError::Denied(io.to_string());
            }
            if io.kind() == io::ErrorKind::TimedOut {
                return EgressError::Timeout(format!("connecting timed out after {elapsed:?}"));
            }
        }
        chain.push(s.to_string());
        source = s.source();
    }
    chain.dedup();
    EgressError::Transport(chain.join(": "))
}

/// True for addresses a guest must never reach without an operator's route.
pub fn forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms.
            if let Some(v4) = v6.to_ipv4() {
                return forbidden_ip(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64
                || s[0] == 0x2002 // 6to4 tunnels to any IPv4
                || (s[0] == 0x2001 && s[1] == 0) // Teredo
                || (s[0] == 0x100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard
        }
    }
}

/// IP-literal hosts never reach the resolver, so they are checked here; names
/// are checked by [`GuardedResolver`] when the connector resolves them.
fn check_ip_literal(url: &Url) -> Result<(), EgressError> {
    let ip: IpAddr = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.into(),
        Some(url::Host::Ipv6(ip)) => ip.into(),
        _ => return Ok(()),
    };
    if forbidden_ip(ip) {
        return Err(EgressError::Denied(format!(
            "{} is a private address: private, loopback and link-local addresses are not reachable from a guest",
            url.origin().ascii_serialization()
        )));
    }
    Ok(())
}

async fn resolve(host: &str) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    if let Some(bad) = addrs.iter().find(|a| forbidden_ip(a.ip())) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{host} resolves to {}, a private address; guests may not reach it", bad.ip()),
        ));
    }
    Ok(addrs)
}

/// The connector's resolver: the same address check, at connect time.
#[derive(Clone, Copy)]
struct GuardedResolver;

impl tower_service::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        Box::pin(async move { Ok(resolve(name.as_str()).await?.into_iter()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "192.0.0.8",
            "::1", "::", "fd00::1", "fe80::1", "fec0::1", "::ffff:127.0.0.1", "::127.0.0.1", "::ffff:10.0.0.1",
            "2002:7f00:1::", "2001:0:4136:e378::1", "64:ff9b::a00:1", "100::1",
        ] {
            assert!(forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "1.1.1.1"] {
            assert!(!forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn routes_keep_path_and_query() {
        let r = Route::parse("https://integration.talon.one=http://127.0.0.1:9000/base/").unwrap();
        let u = Url::parse("https://integration.talon.one/segment/v2/events?skip=true").unwrap();
        assert_eq!(r.apply(&u).as_str(), "http://127.0.0.1:9000/base/segment/v2/events?skip=true");
        assert!(Route::parse("nonsense").is_err());
    }

    #[test]
    fn header_values_follow_node_fetch() {
        assert_eq!(header_value("ünïcødé").unwrap().as_bytes(), "ünïcødé".chars().map(|c| c as u8).collect::<Vec<_>>());
        assert!(header_value("tab\there").is_ok());
        assert_eq!(header_value("new\nline").unwrap_err().to_string(), "new\nline is not a legal HTTP header value");
        assert_eq!(header_value("emoji 🚀").unwrap_err().to_string(), "emoji 🚀 is not a legal HTTP header value");
    }

    #[test]
    fn shown_headers_are_the_values_sent_as_text() {
        let mut headers = http::HeaderMap::new();
        headers.append("x-plain", header_value("tab\tand ASCII").unwrap());
        headers.append("x-latin", header_value("ünïcødé").unwrap());
        headers.append("x-long", header_value(&"a".repeat(1100)).unwrap());
        let shown = headers_shown(&headers);
        assert_eq!(shown[0], ("x-plain".to_string(), "tab\tand ASCII".to_string()));
        assert_eq!(shown[1], ("x-latin".to_string(), "ünïcødé".to_string()));
        assert_eq!(shown[2].1, format!("{}… (76 bytes cut)", "a".repeat(1024)));
    }

    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        let body = b"The quick brown fox jumps over the lazy dog";
        assert_eq!(
            sign(b"key", body, "sha256={signature}", sluice_core::SignatureEncoding::Hex),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert_eq!(
            sign(b"key", body, "{signature}", sluice_core::SignatureEncoding::Base64),
            "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
        );
    }

    #[test]
    fn setting_hosts_resolve_to_https_origins_only() {
        let mut s = Map::new();
        s.insert("deployment".into(), Value::from("https://acme.europe-west1.talon.one/"));
        s.insert("insecure".into(), Value::from("http://acme.example"));
        s.insert("custom".into(), Value::from("https://talon.acme.example"));
        let resolve = |spec: &str, allowed: &[Origin]| resolve_origin(spec, &s, allowed);
        assert_eq!(
            resolve("{deployment|https://*.talon.one}", &[]).unwrap().unwrap().ascii_serialization(),
            "https://acme.europe-west1.talon.one"
        );
        let e = resolve("{insecure}", &[]).unwrap_err();
        assert!(e.starts_with("setting 'insecure' must be an https URL"), "{e}");
        assert_eq!(resolve("{missing}", &[]), Ok(None));
        let e = resolve("{custom|https://*.talon.one}", &[]).unwrap_err();
        assert!(e.contains("outside https://*.talon.one") && e.contains("--allow-origin https://talon.acme.example"), "{e}");
        let custom = Url::parse("https://talon.acme.example").unwrap().origin();
        assert!(resolve("{custom|https://*.talon.one}", &[custom]).unwrap().is_some());
    }
}
