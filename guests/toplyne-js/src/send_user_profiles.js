// Send user profiles: identify calls become Toplyne user profiles.

import { Field } from 'sluice-guest';
import { upload, requireUserOrAnonymousId } from './upload.js';

export default {
  key: 'sendUserProfiles',
  title: 'Send User Profiles',
  description: 'Send identify calls to Toplyne',
  defaultSubscription: 'type = "identify"',
  fields: [
    Field.string('userId', 'User ID')
      .describe('The ID of the user to send properties for. Required if anonymousId is not provided')
      .default({ '@path': '$.userId' }),
    Field.string('anonymousId', 'Anonymous ID')
      .describe('The anonymous ID of the user to send properties for. Required if userId is not provided')
      .default({ '@path': '$.anonymousId' }),
    Field.datetime('creationTime', 'Creation time')
      .describe('Toplyne calculates the creation time of the user using the timestamp of the first track or identify call')
      .required()
      .default({ '@path': '$.timestamp' }),
    Field.object('userProperties', 'User Properties')
      .describe('The properties of the user')
      .default({ '@path': '$.traits' }),
  ],
  batch: upload('/upload/users/profiles', 'profiles', 'creationTime', requireUserOrAnonymousId),
};
