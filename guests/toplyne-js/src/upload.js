// What the three actions share: Toplyne's upload API takes a list, so one
// request carries many records.

import { request, SluiceError } from 'sluice-guest';
import { unixSeconds } from './time.js';

export const BASE_URL = 'https://api.toplyne.io/v1';

/** Records per upload request, and their JSON bytes. Toplyne documents no
 * limit; these keep a request well under the host's 4 MiB body cap. */
const MAX_EVENTS = 100;
const MAX_BYTES = 1 << 20;

/** Uploads `records` to `path` as `{ [list]: records }`; a record is the
 * payload with its time field in unix seconds. */
export function upload(path, list, timeField, check = () => {}) {
  return {
    maxEvents: MAX_EVENTS,
    maxBytes: MAX_BYTES,
    record(payload) {
      check(payload);
      if (timeField in payload) payload[timeField] = unixSeconds(payload[timeField]);
      return payload;
    },
    send: (records) => request.post(`${BASE_URL}${path}`).auth('apiKey').json({ [list]: records }).send(),
  };
}

/** The documented rule the reference does not enforce: a user needs an id. */
export function requireUserOrAnonymousId(payload) {
  const present = (v) => v !== undefined && v !== null;
  if (!present(payload.userId) && !present(payload.anonymousId)) {
    throw SluiceError.validation("Either 'userId' or 'anonymousId' is required: map at least one of them.");
  }
}
