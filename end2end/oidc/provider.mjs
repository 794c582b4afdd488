// A real OpenID Connect provider for Spaceport's tests and its SSO demo:
// oidc-provider (OpenID Certified), on loopback only, with its development
// sign-in pages (any password is accepted; the user name picks the test
// user). Spaceport is a client of it like of any provider.
//
//   node provider.mjs PORT [STATE_FILE]
//
// The test users and their groups live in STATE_FILE (JSON, read at every
// sign-in, so a test moves a user between groups by rewriting it):
//
//   { "users": { "u-1001": { "name": "alice", "groups": ["sp-admins"] } },
//     "clock_offset_secs": 0 }
//
// (keyed by `sub`: type the `sub` on the sign-in page).
//
// `clock_offset_secs` sets this provider's clock off by that much, as a
// provider with a wrong clock would be. Without a file, the demo's users.
import Provider from 'oidc-provider';
import { readFileSync } from 'node:fs';

const port = Number(process.argv[2] || 4444);
const stateFile = process.argv[3];
const issuer = `http://127.0.0.1:${port}`;

const DEMO = {
  users: {
    'sso-admin': { name: 'sso-admin', groups: ['spaceport-admins'] },
    'sso-operator': { name: 'sso-operator', groups: ['spaceport-operators'] },
    'sso-viewer': { name: 'sso-viewer', groups: ['spaceport-viewers'] },
    'sso-nobody': { name: 'sso-nobody', groups: [] },
  },
  clock_offset_secs: 0,
};

function state() {
  if (!stateFile) return DEMO;
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return DEMO;
  }
}

// The provider's clock, set off as the state says.
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + 1000 * (state().clock_offset_secs || 0);

const configuration = {
  clients: [
    {
      client_id: 'spaceport',
      client_secret: 'spaceport-test-secret',
      // A loopback client: any port of 127.0.0.1 is the same redirect,
      // so each test's console can sign in wherever it listens.
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/signin/sso/callback'],
      post_logout_redirect_uris: ['http://127.0.0.1/signin?signed_out=1'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email'],
    groups: ['groups'],
  },
  // The groups in the ID token itself, as Okta and Entra ID can be told to.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['spaceport-test-provider-only'] },
  // The development sign-in page takes the name typed as the account id,
  // which is the `sub`: a test user is signed in by typing their `sub`,
  // and goes by the `name` the state gives them.
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        const user = state().users[sub];
        const name = user?.name || sub;
        return {
          sub,
          preferred_username: name,
          name,
          email: `${name}@example.test`,
          groups: user?.groups || [],
        };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);
provider.listen(port, '127.0.0.1', () => {
  console.log(`test identity provider on ${issuer}`);
});
