//! Building and sending a request through the host's `http.send`, the only
//! network path a guest has.

use crate::bindings::sluice::destination::http as wit;
use crate::{Error, ErrorKind, Result};

pub use wit::Method;

/// The user agent the reference sends; some APIs key on it.
const USER_AGENT: &str = "Segment (Actions)";

#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    auth: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: vec![("user-agent".into(), USER_AGENT.into())],
            body: None,
            auth: None,
        }
    }
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }
    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::Put, url)
    }
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::Delete, url)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Sets the header only when the value is present (the reference drops
    /// headers whose value would be `undefined`).
    pub fn header_opt(self, name: &str, value: Option<String>) -> Self {
        match value {
            Some(v) => self.header(name, v),
            None => self,
        }
    }

    /// Appends `key=value` to the query string.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        self.url = format!("{}{sep}{key}={value}", self.url);
        self
    }

    /// A raw body, sent as is (set a content-type with [`Request::header`]).
    pub fn body(mut self, bytes: Vec<u8>) -> Self {
        self.body = Some(bytes);
        self
    }

    /// A JSON body: a `Value`, or anything serializable (records go out as
    /// the text they are).
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(serde_json::to_vec(body).unwrap_or_default());
        self.header("content-type", "application/json")
    }

    /// Asks the host to authenticate the request with the named secret setting.
    /// The guest never sees the value; the host applies the destination's auth
    /// binding if the request goes to one of the binding's hosts.
    pub fn auth(mut self, secret: &str) -> Self {
        self.auth = Some(secret.into());
        self
    }

    /// Sends the request. Non-2xx answers become typed errors.
    pub fn send(self) -> Result<Response> {
        let req = wit::Request {
            method: self.method,
            url: self.url,
            headers: self.headers,
            body: self.body,
            auth: self.auth,
        };
        let resp = wit::send(&req).map_err(from_http_error)?;
        let response = Response { status: resp.status, headers: resp.headers, body: resp.body };
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            // What the API said is the most useful part of the error (the host
            // has already scrubbed secrets from it); cut to keep errors short.
            let mut error = Error::from_status(response.status, reason(response.status));
            let said = response.text();
            let said = said.trim();
            if !said.is_empty() {
                let mut end = said.len().min(MAX_BODY_IN_ERROR);
                while !said.is_char_boundary(end) {
                    end -= 1;
                }
                let cut = if end < said.len() { "…" } else { "" };
                error.message = format!("{}: {}{cut}", error.message, &said[..end]);
            }
            Err(error)
        }
    }
}

/// How much of a non-2xx answer's body an error carries.
pub const MAX_BODY_IN_ERROR: usize = 512;

fn from_http_error(e: wit::HttpError) -> Error {
    use wit::HttpError::*;
    match e {
        Denied(m) => Error::new(ErrorKind::Egress, m),
        Invalid(m) => Error::new(ErrorKind::Validation, m),
        RateLimited(m) => Error::new(ErrorKind::RateLimited, m),
        Timeout(m) => Error::new(ErrorKind::Retryable, m),
        TooLarge(m) => Error::new(ErrorKind::Egress, m),
        Transport(m) => Error::new(ErrorKind::Retryable, m),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        423 => "Locked",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
