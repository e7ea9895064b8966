// sluice-guest for JavaScript: what a partner needs to write a sluice
// destination. A destination is data: settings, hosts, auth bindings and one
// action per file with its fields and a `perform` that builds a request.
// `export const destination = exportDestination(myDestination)` in the entry
// file makes it the component's `destination` interface; `sluice-guest-build`
// turns the entry file into a component.

import logger from 'sluice:destination/log@0.2.0';

export { Field, FieldType, setting } from './describe.js';
export { ErrorKind, SluiceError } from './error.js';
export { exportDestination } from './export.js';
export { Request, Response, request, MAX_BODY_IN_ERROR } from './request.js';
export { encode as utf8Encode, decode as utf8Decode } from './utf8.js';

/** Writes to the host's log (it tags each line with the module; never stdout). */
export const log = {
  trace: (message) => logger.log('trace', String(message)),
  debug: (message) => logger.log('debug', String(message)),
  info: (message) => logger.log('info', String(message)),
  warn: (message) => logger.log('warn', String(message)),
  error: (message) => logger.log('error', String(message)),
};
