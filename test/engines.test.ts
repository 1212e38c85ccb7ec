import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

// README: the server runs on Node.js 20.19+; the guest host on 20.19+ and 24 LTS. Every locked package must
// accept the oldest of those (npm warns EBADENGINE otherwise, and the package may use what Node 20 lacks).
const supported = ['20.19.0', '24.0.0'];

interface LockedPackage { engines?: { node?: string } | string[]; dev?: boolean }

describe('supported Node.js versions', () => {
  const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, LockedPackage> };

  it('package.json engines names exactly the versions the README supports', () => {
    for (const version of supported) expect(semver.satisfies(version, root.engines.node), version).toBe(true);
    expect(semver.satisfies('22.0.0', root.engines.node)).toBe(false);
  });

  it('every locked package accepts each supported Node.js version', () => {
    const refusing: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      const range = pkg.engines && !Array.isArray(pkg.engines) ? pkg.engines.node : undefined;
      if (!path || range === undefined) continue;
      for (const version of supported) {
        if (!semver.satisfies(version, range)) refusing.push(`${path} wants node ${range}, not ${version}`);
      }
    }
    expect(refusing).toEqual([]);
  });
});
