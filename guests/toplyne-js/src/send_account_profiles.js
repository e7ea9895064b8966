// Send account profiles: group calls become Toplyne account profiles.

import { Field } from 'sluice-guest';
import { upload } from './upload.js';

export default {
  key: 'sendAccountProfiles',
  title: 'Send Account Profiles',
  description: 'Send group calls to Toplyne',
  defaultSubscription: 'type = "group"',
  fields: [
    Field.string('accountId', 'Account ID')
      .describe('The ID of the account to send properties for')
      .required()
      .default({ '@path': '$.groupId' }),
    Field.datetime('creationTime', 'Creation time')
      .describe('Toplyne calculates the creation time using the timestamp of the first event or group call')
      .required()
      .default({ '@path': '$.timestamp' }),
    Field.object('accountProperties', 'Account Properties')
      .describe('The properties of the account')
      .default({ '@path': '$.traits' }),
  ],
  batch: upload('/upload/accounts/profiles', 'accounts', 'creationTime'),
};
