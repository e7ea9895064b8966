// Turns a destination (data plus `perform` functions) into the contract's
// `destination` interface. Every thrown value becomes a typed error, so a bug
// in an action is that payload's `guest` error, never a trap.

import { describe } from './describe.js';
import { SluiceError, toWit } from './error.js';

function parse(json, what) {
  let value;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw SluiceError.validation(`the ${what} is not JSON: ${e.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw SluiceError.validation(`the ${what} must be a JSON object`);
  }
  return value;
}

function outcome(response) {
  return { status: response.status, body: response.text() };
}

/** One payload: the action's `perform`, or a batch of one when it batches. */
function performOne(action, payload, settings) {
  if (action.perform) return action.perform(payload, settings);
  return action.batch.send([action.batch.record(payload, settings)], settings);
}

export function exportDestination(d) {
  const actions = new Map(d.actions.map((a) => [a.key, a]));
  for (const a of d.actions) {
    if (!a.perform && !a.batch) throw new TypeError(`${a.key}: an action needs perform or batch`);
  }
  const find = (key) => {
    const action = actions.get(key);
    if (!action) throw SluiceError.validation(`${d.name} has no action '${key}'`);
    return action;
  };
  const info = describe(d);

  return {
    describe: () => info,

    perform(key, payload, settings) {
      try {
        const action = find(key);
        return outcome(performOne(action, parse(payload, 'payload'), parse(settings, 'settings')));
      } catch (e) {
        throw toWit(e);
      }
    },

    // One request for the whole batch when the action batches: a payload that
    // fails to become a record fails alone; a failed request fails them all.
    performBatch(key, payloads, settings) {
      const fail = (e) => ({ tag: 'err', val: toWit(e) });
      let action, parsed;
      try {
        action = find(key);
        parsed = parse(settings, 'settings');
      } catch (e) {
        return payloads.map(() => fail(e));
      }
      if (!action.batch) {
        return payloads.map((p) => {
          try {
            return { tag: 'ok', val: outcome(action.perform(parse(p, 'payload'), parsed)) };
          } catch (e) {
            return fail(e);
          }
        });
      }
      const results = [];
      const records = [];
      for (const p of payloads) {
        try {
          records.push(action.batch.record(parse(p, 'payload'), parsed));
          results.push(null);
        } catch (e) {
          results.push(fail(e));
        }
      }
      if (!records.length) return results;
      let sent;
      try {
        sent = { tag: 'ok', val: outcome(action.batch.send(records, parsed)) };
      } catch (e) {
        sent = fail(e);
      }
      return results.map((r) => r ?? sent);
    },

    testAuthentication(settings) {
      try {
        if (d.testAuthentication) d.testAuthentication(parse(settings, 'settings'));
      } catch (e) {
        const wit = toWit(e);
        throw { ...wit, message: `Credentials are invalid: ${wit.message}` };
      }
    },
  };
}
