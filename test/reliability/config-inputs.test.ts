import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGuestConfig } from '../../host/config/load-config.js';
import { MAX_TIMER_SECONDS } from '../../host/config/timer-seconds.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { clip, runs } from './support/fc-settings.js';
import { guestFixture, spawnHost, type GuestFixture } from '../support/guest-host.js';

/**
 * Class 3 of issue 6, guest configs: generated files near a valid one (a key
 * dropped, added or given a value of another type, at any depth), random
 * text, random bytes and TOML/JSON of random shape. The rule: a config loads,
 * or it is refused with BERTH_ERR_CONFIG_INVALID naming the file (and the key,
 * where one is at fault) and a fix; never another error, never a timer Node
 * cannot hold.
 */
const RUNS = Number(process.env.REL_CONFIG_RUNS ?? 3000);
const MAX_TIMER_MS = 2 ** 31 - 1;

let fixture: GuestFixture;
let dir: string;
let written = 0;

beforeAll(async () => {
  fixture = await guestFixture('counter', 'ws://127.0.0.1:1/v1/guests');
  dir = await mkdtemp(join(tmpdir(), 'berth-config-fuzz-'));
  await mkdir(join(dir, 'files'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await fixture?.cleanup();
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function validConfig(): { [key: string]: Json } {
  return {
    guest: { instance_id: 'inst-1', server_url: 'ws://127.0.0.1:1/v1/guests', token: 'token-for-tests-0123456789' },
    manager: { path: fixture.wasm, sha256: fixture.sha256 },
    options: { mount_point: '/var/lib/counter', greeting: 'hi' },
    grants: {
      directories: [{ host: fixture.volume, guest: '/var/lib/counter', access: 'read-write' }],
      programs: ['/bin/true'],
      connections: { main: { kind: 'postgresql', url: 'postgres://berth@127.0.0.1:5432/postgres' } },
      environment: { LANG: 'C' },
    },
    host: { report_interval: 30, call_timeout: 15, slow_call_timeout: 180, exec_timeout: 600, exec_output_limit: 1024, log_level: 'info' },
  };
}

/** Every path to a value in `value`, objects and arrays alike. */
function pathsOf(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => pathsOf(child, [...prefix, key]))];
}

type Mutation = { kind: 'drop' | 'set' | 'add'; path: Array<string | number>; value?: Json };

const strangeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, 0, -1, 1e308, -0.5, '', ' ', '../../etc/passwd', 'relative/path', '\u0000', 'x'.repeat(5000), [], {}, MAX_TIMER_SECONDS + 1, 3.15e7),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

function applyMutation(config: { [key: string]: Json }, mutation: Mutation): { [key: string]: Json } {
  const copy = structuredClone(config);
  const parentPath = mutation.path.slice(0, -1);
  const last = mutation.path.at(-1);
  let parent: Json | undefined = copy;
  // an earlier mutation may have removed or replaced what this one names: then it changes nothing
  for (const key of parentPath) parent = parent !== null && typeof parent === 'object' ? (parent as Record<string | number, Json>)[key] : undefined;
  if (last === undefined || parent === undefined || parent === null || typeof parent !== 'object') return copy;
  const container = parent as Record<string | number, Json>;
  if (mutation.kind === 'drop') {
    if (Array.isArray(container)) container.splice(Number(last), 1);
    else delete container[last];
  } else if (mutation.kind === 'set') container[last] = mutation.value!;
  else if (!Array.isArray(container)) container[`${String(last)}_extra`] = mutation.value!;
  return copy;
}

const mutations = (config: { [key: string]: Json }): fc.Arbitrary<Mutation[]> => {
  const paths = pathsOf(config).filter((path) => path.length > 0);
  const one = fc.record({ kind: fc.constantFrom<'drop' | 'set' | 'add'>('drop', 'set', 'add'), path: fc.constantFrom(...paths), value: strangeValue });
  return fc.array(one, { minLength: 1, maxLength: 3 });
};

type ConfigFile = { name: string; content: string | Uint8Array; mutations?: Mutation[] };

const configFiles = (): fc.Arbitrary<ConfigFile> => {
  const base = validConfig();
  return fc.oneof(
    { arbitrary: mutations(base).map((list) => ({ name: 'guest.toml', content: stringifyOrJson(list.reduce(applyMutation, base)), mutations: list })), weight: 6 },
    { arbitrary: mutations(base).map((list) => ({ name: 'guest.json', content: JSON.stringify(list.reduce(applyMutation, base)), mutations: list })), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 400 }).map((text) => ({ name: 'guest.toml', content: text })), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 400 }).map((bytes) => ({ name: 'guest.toml', content: bytes })), weight: 1 },
    { arbitrary: fc.object({ maxDepth: 3 }).map((value) => ({ name: 'guest.json', content: JSON.stringify(value) })), weight: 1 },
    { arbitrary: fc.jsonValue().map((value) => ({ name: 'guest.json', content: JSON.stringify(value) ?? '' })), weight: 1 },
  );
};

/** TOML cannot hold null; a config with one is written as JSON, which the host reads as well. */
function stringifyOrJson(config: { [key: string]: Json }): string {
  try {
    return stringify(config);
  } catch {
    return JSON.stringify(config);
  }
}

const keyText = (path: Array<string | number>) => path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
const REQUIRED = new Set(['guest', 'guest.instance_id', 'guest.server_url', 'guest.token', 'manager', 'manager.path']);

describe('guest configs under generated input', () => {
  it(`loads or refuses ${RUNS} generated config files with BERTH_ERR_CONFIG_INVALID, the file, the key and a fix`, async () => {
    const outcomes = { loaded: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(configFiles(), async (file) => {
        const path = join(dir, 'files', `${written++}-${file.name}`);
        await writeFile(path, file.content);
        let error: unknown;
        try {
          const config = loadGuestConfig(path);
          outcomes.loaded++;
          // whatever loaded, every timer it sets can be held by Node
          for (const seconds of [config.host.report_interval, config.host.call_timeout, config.host.slow_call_timeout, config.host.exec_timeout]) {
            expect(seconds * 1000).toBeLessThanOrEqual(MAX_TIMER_MS);
          }
          return;
        } catch (thrown) {
          error = thrown;
        }
        outcomes.refused++;
        expect(error, clip(String(error))).toBeInstanceOf(BerthError);
        const berthError = error as BerthError;
        expect(berthError.code).toBe('BERTH_ERR_CONFIG_INVALID');
        expect(berthError.message).toContain(path);
        expect(berthError.fix).toBeTruthy();
        // a required key dropped is named
        const dropped = file.mutations?.filter((m) => m.kind === 'drop' && REQUIRED.has(keyText(m.path)));
        if (dropped?.length === file.mutations?.length && dropped?.length === 1) expect(berthError.message).toContain(keyText(dropped[0]!.path));
      }),
      runs(RUNS),
    );
    console.info(`guest configs: ${JSON.stringify(outcomes)} of ${RUNS}`);
    expect(outcomes.refused).toBeGreaterThan(RUNS / 2);
    expect(outcomes.loaded).toBeGreaterThan(0);
  });

  it('refuses a heartbeat interval Node cannot hold (regression: a year became a heartbeat every millisecond)', async () => {
    const path = join(dir, 'year.toml');
    await writeFile(path, stringify({ ...validConfig(), host: { report_interval: 3.15e7 } }));
    expect(() => loadGuestConfig(path)).toThrow(expect.objectContaining({ code: 'BERTH_ERR_CONFIG_INVALID', message: expect.stringContaining('host.report_interval') }));
  });

  it('a real berth host exits 3 with the catalogue error on generated bad configs, before touching anything', async () => {
    const bad = fc.sample(configFiles(), { numRuns: 60, seed: 42 });
    let spawned = 0;
    for (const file of bad) {
      const path = join(dir, 'files', `host-${written++}-${file.name}`);
      await writeFile(path, file.content);
      try {
        loadGuestConfig(path);
        continue; // loads: the in-process property covers it; a host with it would dial
      } catch {
        // refused in process: the host must refuse it the same way
      }
      const host = spawnHost(path);
      expect(await host.exited, host.stderr()).toBe(3);
      expect(host.stderr()).toMatch(/^error BERTH_ERR_CONFIG_INVALID: /m);
      expect(host.stderr()).toContain('fix: ');
      expect(host.stderr()).not.toMatch(/\n\s+at /);
      if (++spawned === 8) break;
    }
    expect(spawned).toBe(8);
  });
});
