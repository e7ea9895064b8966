// Send events: track calls become Toplyne events.

import { Field } from 'sluice-guest';
import { upload, requireUserOrAnonymousId } from './upload.js';

export default {
  key: 'sendEvents',
  title: 'Send Events',
  description: 'Send event track calls to Toplyne',
  defaultSubscription: 'type = "track"',
  fields: [
    Field.string('userId', 'User ID')
      .describe('The ID of the user to send events for. Required if anonymousId is not provided')
      .default({ '@path': '$.userId' }),
    Field.string('anonymousId', 'Anonymous ID')
      .describe('The anonymous ID of the user to send events for. Required if userId is not provided')
      .default({ '@path': '$.anonymousId' }),
    Field.string('accountId', 'Account ID')
      .describe('The ID of the account to send events for')
      .default({ '@path': '$.context.groupId' }),
    Field.string('eventName', 'Event Name')
      .describe('The name of the event to send')
      .required()
      .default({ '@path': '$.event' }),
    Field.datetime('timestamp', 'Timestamp')
      .describe('The timestamp of the event')
      .required()
      .default({ '@path': '$.timestamp' }),
    Field.object('eventProperties', 'Event Properties')
      .describe('The properties of the event')
      .default({ '@path': '$.properties' }),
  ],
  batch: upload('/upload/events', 'events', 'timestamp', requireUserOrAnonymousId),
};
