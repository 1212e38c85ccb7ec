import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../identity/password-hash.js';

export const UP_USER = 'berth';

/**
 * The identity `berth up` gives the Trove clients: one user of the default
 * project, its password made once and kept beside the token (mode 0600, the
 * same trust as the token), only its scrypt hash in the server's config.
 */
export async function upUser(dataDir: string): Promise<{ name: string; password: string; passwordFile: string; passwordScrypt: string }> {
  const passwordFile = join(dataDir, 'password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  return { name: UP_USER, password, passwordFile, passwordScrypt: await hashPassword(password) };
}

/** A clouds.yaml with one cloud, "berth", for `OS_CLIENT_CONFIG_FILE=<file> openstack --os-cloud berth ...`; rewritten at every start (the URL may change). */
export function writeCloudsYaml(dataDir: string, serverUrl: string, user: { name: string; password: string }): string {
  const file = join(dataDir, 'clouds.yaml');
  const quote = (value: string) => JSON.stringify(value);
  const lines = [
    '# Written by `berth up` at every start: the Trove clients against this Berth.',
    '# Use: OS_CLIENT_CONFIG_FILE=' + file + ' openstack --os-cloud berth database instance list',
    'clouds:',
    '  berth:',
    '    auth:',
    `      auth_url: ${quote(`${serverUrl}/v3`)}`,
    `      username: ${quote(user.name)}`,
    `      password: ${quote(user.password)}`,
    '      project_name: default',
    '      user_domain_name: Default',
    '      project_domain_name: Default',
    '    region_name: RegionOne',
    '',
  ];
  writeFileSync(file, lines.join('\n'), { mode: 0o600 });
  return file;
}
