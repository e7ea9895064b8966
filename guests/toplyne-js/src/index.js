// Toplyne Cloud Mode (Actions): sends user profiles, account profiles and
// events to Toplyne's upload API. Every request is a POST with a Bearer API key.
// The JavaScript port of guests/toplyne: the same description, the same requests.

import { exportDestination, request } from 'sluice-guest';
import sendUserProfiles from './send_user_profiles.js';
import sendAccountProfiles from './send_account_profiles.js';
import sendEvents from './send_events.js';
import { BASE_URL } from './upload.js';

const toplyne = {
  name: 'Toplyne Cloud Mode (Actions)',
  slug: 'toplyne',
  description: 'Send users, accounts and events to Toplyne.',
  settings: [{ key: 'apiKey', label: 'API Key', description: 'Your Toplyne API Key', type: 'password', required: true, secret: true }],
  actions: [sendUserProfiles, sendAccountProfiles, sendEvents],
  presets: [
    { name: 'Send User Profiles', subscribe: 'type = "identify"', action: 'sendUserProfiles' },
    { name: 'Send Account Profiles', subscribe: 'type = "group"', action: 'sendAccountProfiles' },
    { name: 'Send Events', subscribe: 'type = "track"', action: 'sendEvents' },
  ],
  hosts: ['https://api.toplyne.io'],
  auth: [{ secret: 'apiKey', header: 'authorization', format: 'Bearer {secret}', hosts: ['https://api.toplyne.io'] }],
  testAuthentication: () => request.get(`${BASE_URL}/auth/me`).auth('apiKey').send(),
};

export const destination = exportDestination(toplyne);
