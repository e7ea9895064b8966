// Building and sending a request through the host's `http.send`, the only
// network path a guest has. The guest never sees a secret: `.auth("apiKey")`
// names one and the host applies the destination's auth binding.

import http from 'sluice:destination/http@0.2.0';
import { SluiceError, ErrorKind } from './error.js';
import { encode, decode } from './utf8.js';

/** The user agent the reference sends; some APIs key on it. */
const USER_AGENT = 'Segment (Actions)';

/** How much of a non-2xx answer's body an error carries, in characters. */
export const MAX_BODY_IN_ERROR = 512;

const REASONS = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout',
  409: 'Conflict', 413: 'Payload Too Large', 422: 'Unprocessable Entity', 423: 'Locked',
  429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

// The host's refusals, by the contract's http-error case.
const HTTP_ERRORS = {
  denied: ErrorKind.egress,
  invalid: ErrorKind.validation,
  'rate-limited': ErrorKind.rateLimited,
  timeout: ErrorKind.retryable,
  'too-large': ErrorKind.egress,
  transport: ErrorKind.retryable,
};

export class Response {
  constructor(status, headers, body) {
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  text() {
    return decode(this.body);
  }

  json() {
    return JSON.parse(this.text());
  }

  header(name) {
    const found = this.headers.find(([k]) => k.toLowerCase() === name.toLowerCase());
    return found ? found[1] : undefined;
  }
}

export class Request {
  constructor(method, url) {
    this.method = method;
    this.url = url;
    this.headers = [['user-agent', USER_AGENT]];
    this.payload = null;
    this.secret = null;
  }

  header(name, value) {
    if (value !== undefined && value !== null) this.headers.push([name.toLowerCase(), String(value)]);
    return this;
  }

  /** Appends `key=value` to the query string, encoded. */
  query(key, value) {
    const sep = this.url.includes('?') ? '&' : '?';
    this.url += `${sep}${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
    return this;
  }

  /** A raw body: a string (sent as UTF-8) or bytes; set a content-type with `header`. */
  body(body) {
    this.payload = typeof body === 'string' ? encode(body) : body;
    return this;
  }

  json(value) {
    this.payload = encode(JSON.stringify(value));
    return this.header('content-type', 'application/json');
  }

  /** Asks the host to authenticate the request with the named secret setting. */
  auth(secret) {
    this.secret = secret;
    return this;
  }

  /** Sends the request; a non-2xx answer or a host refusal throws a SluiceError. */
  send() {
    let r;
    try {
      r = http.send({ method: this.method, url: this.url, headers: this.headers, body: this.payload, auth: this.secret });
    } catch (e) {
      // The runtime throws an Error carrying the contract's http-error
      // variant (`{tag, val}`) as its `payload`.
      const refusal = e?.payload ?? e;
      if (refusal && typeof refusal.tag === 'string') {
        throw new SluiceError(HTTP_ERRORS[refusal.tag] ?? ErrorKind.guest, String(refusal.val));
      }
      throw e;
    }
    const response = new Response(r.status, r.headers, r.body);
    if (response.status >= 200 && response.status < 300) return response;
    // What the API said is the most useful part of the error (the host has
    // already scrubbed secrets from it); cut to keep errors short.
    const error = SluiceError.fromStatus(response.status, REASONS[response.status]);
    // Cut by characters, never inside a surrogate pair.
    const said = Array.from(response.text().trim());
    if (said.length) {
      const cut = said.length > MAX_BODY_IN_ERROR ? '…' : '';
      error.message = `${error.message}: ${said.slice(0, MAX_BODY_IN_ERROR).join('')}${cut}`;
    }
    throw error;
  }
}

/** `request.post(url).auth("apiKey").json(body).send()` */
export const request = {
  get: (url) => new Request('get', url),
  head: (url) => new Request('head', url),
  post: (url) => new Request('post', url),
  put: (url) => new Request('put', url),
  patch: (url) => new Request('patch', url),
  delete: (url) => new Request('delete', url),
};
