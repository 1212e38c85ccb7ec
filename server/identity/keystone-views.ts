import { DEFAULT_DOMAIN } from './password-login.js';

/** The identity API version Berth's subset answers as (Keystone 2023.2's); clients need only "v3". */
const VERSION_ID = 'v3.14';
const UPDATED = '2020-04-07T00:00:00Z';
export const REGION = 'RegionOne';

function versionEntry(baseUrl: string) {
  return {
    id: VERSION_ID,
    status: 'stable',
    updated: UPDATED,
    links: [{ rel: 'self', href: `${baseUrl}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** GET /v3: the one version, which keystoneauth reads before it authenticates. */
export function versionDocument(baseUrl: string) {
  return { version: versionEntry(baseUrl) };
}

/** GET /identity: the list of versions (only v3), for an auth URL without a version. */
export function versionsDocument(baseUrl: string) {
  return { versions: { values: [versionEntry(baseUrl)] } };
}

/** Keystone's ISO 8601 form, microseconds included, as keystoneauth parses it. */
function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * The body of a project-scoped token: the user, the project, and a catalogue
 * of one service, this server's Trove-style API for the project.
 */
export function tokenDocument(baseUrl: string, grant: { user: string; project: string; issuedAt: number; expiresAt: number; method?: 'password' | 'token' }) {
  const domain = { ...DEFAULT_DOMAIN };
  const endpointUrl = `${baseUrl}/v1.0/${grant.project}`;
  return {
    token: {
      methods: [grant.method ?? 'password'],
      issued_at: keystoneTime(grant.issuedAt),
      expires_at: keystoneTime(grant.expiresAt),
      user: { id: grant.user, name: grant.user, domain, password_expires_at: null },
      project: { id: grant.project, name: grant.project, domain },
      roles: [{ id: 'member', name: 'member' }],
      is_domain: false,
      catalog: [
        {
          id: 'berth-database',
          type: 'database',
          name: 'trove',
          endpoints: [{ id: 'berth-database-public', interface: 'public', region: REGION, region_id: REGION, url: endpointUrl }],
        },
      ],
    },
  };
}
