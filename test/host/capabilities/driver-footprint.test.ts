import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** What a fresh Node process has loaded after the connections service imported pg (first SQL call), as JSON. */
function afterPgImport(): { undici: boolean; navigator: string; session: string } {
  const script = `
    const { importWithNodeNavigator } = await import('./host/capabilities/node-navigator.ts');
    const before = typeof globalThis.navigator;
    const module = await importWithNodeNavigator(() => import('./host/capabilities/connections-postgres.ts'));
    console.log(JSON.stringify({
      undici: process.moduleLoadList.some((entry) => entry.includes('undici')),
      navigator: typeof globalThis.navigator === before ? 'as before' : 'changed',
      session: typeof module.PostgresSession,
    }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { undici: boolean; navigator: string; session: string };
}

describe('driver footprint', () => {
  it("pg's Cloudflare sniff does not load Node's fetch implementation (undici) into the host", () => {
    const loaded = afterPgImport();
    expect(loaded.session).toBe('function');
    expect(loaded.undici).toBe(false);
    // Node 20 has no navigator: the stand-in is gone once pg is loaded
    expect(loaded.navigator).toBe('as before');
  });
});
