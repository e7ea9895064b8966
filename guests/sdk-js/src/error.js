// Typed failures of an action. The kind tells the operator what to do next:
// `validation` (fix the payload or settings), `auth` (fix the credentials),
// `rate-limited` and `retryable` (the host retries), `rejected` (the API said
// no), `egress` (the host refused the request), `guest` (the code failed).

export const ErrorKind = Object.freeze({
  validation: 'validation',
  auth: 'auth',
  rateLimited: 'rate-limited',
  retryable: 'retryable',
  rejected: 'rejected',
  egress: 'egress',
  guest: 'guest',
});

const KINDS = new Set(Object.values(ErrorKind));

export class SluiceError extends Error {
  constructor(kind, message, status = null) {
    super(message);
    if (!KINDS.has(kind)) throw new TypeError(`unknown error kind '${kind}'`);
    this.name = 'SluiceError';
    this.kind = kind;
    this.status = status;
  }

  static validation(message) {
    return new SluiceError(ErrorKind.validation, message);
  }

  static guest(message) {
    return new SluiceError(ErrorKind.guest, message);
  }

  /** A non-2xx answer: 401/403 auth, 429 rate-limited, 408 and 5xx retryable, else rejected. */
  static fromStatus(status, reason = '') {
    const kind =
      status === 401 || status === 403 ? ErrorKind.auth
      : status === 429 ? ErrorKind.rateLimited
      : status === 408 || (status >= 500 && status <= 599) ? ErrorKind.retryable
      : ErrorKind.rejected;
    return new SluiceError(kind, `${status} ${reason}`.trim(), status);
  }
}

/** What crosses the contract: any thrown value becomes a typed error. */
export function toWit(e) {
  if (e instanceof SluiceError) return { kind: e.kind, message: e.message, status: e.status ?? null };
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { kind: ErrorKind.guest, message, status: null };
}
