import { beforeAll, describe, expect, it } from 'vitest';
import { serverConfigSchema } from '../../../server/config/server-config.js';
import { TROVE_FROM_DEFAULT } from '../../../server/config/trove-conf-options.js';
import { mysqlDatastore, postgresqlDatastore, redisDatastore } from '../../../server/registry/builtin-datastores.js';
import { DATASTORE_DEFAULTS, GLOBAL_USAGE_TIMEOUT } from '../../../server/registry/defaults.js';
import { SERVER_ONLY, serverOptionsSchema } from '../../../server/registry/options.js';
import { DatastoreRegistry, datastoreConfigSchema } from '../../../server/registry/registry.js';
import { TROVE_DIFFERENCES, type TroveDifference } from '../../../server/registry/trove-differences.js';
import { troveOptions, type TroveOptions, type TroveValue } from '../../support/trove-cfg.js';

// Berth's built-in option defaults against Trove 18's own trove/common/cfg.py, read at run
// time through oslo.config from the installed python3-trove: every option Berth carries, for
// every datastore group Trove has, minus the differences trove-differences.ts records.
const SERVER_KEYS = ['tcp_ports', 'udp_ports', 'root_on_create', 'usage_timeout', 'backup_strategy', 'volume_support', 'device_path'] as const;
/** Every guest-side option Berth carries for some datastore. */
const GUEST_KEYS = [...new Set(Object.values(DATASTORE_DEFAULTS).flatMap((d) => Object.keys(d.guest)))];

type Side = 'server' | 'guest';

let trove: TroveOptions;
beforeAll(() => {
  trove = troveOptions();
});

/** What Trove 18 uses for `option` of `group`: its own default, else what Trove falls back to when the group has none. */
function troveEffective(group: string, side: Side, option: string): TroveValue | undefined {
  const value = trove.groups[group]![option];
  if (value !== undefined && value !== null) return value;
  if (side === 'guest') return undefined; // no such option (or None): the guest gets none
  if (option === 'root_on_create') return false; // Instance.get_root_on_create answers False when the group lacks it
  if (option === 'usage_timeout') return trove.defaults.usage_timeout!; // the taskmanager waits [DEFAULT] usage_timeout
  if (option === 'backup_strategy') return ''; // None: no strategy
  throw new Error(`Trove's [${group}] has no ${option}, which every datastore group had`);
}

/**
 * Each option whose value differs from what Trove says, as "group side.option: ...", minus
 * the differences recorded for `scopes` (the later scope's record wins); `normalise` puts
 * Trove's value in the form `actual` gives (the registry's port ranges).
 */
function mismatches(
  scopes: ReadonlyArray<TroveDifference['scope']>,
  groups: readonly string[],
  actual: (group: string, side: Side, option: string) => unknown,
  normalise: (option: string, value: unknown) => unknown = (_option, value) => value,
): string[] {
  const found: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const group of groups) {
    for (const [side, keys] of [['server', SERVER_KEYS], ['guest', GUEST_KEYS]] as const) {
      for (const option of keys) {
        const expected = troveEffective(group, side, option);
        const recorded = TROVE_DIFFERENCES.filter((d) => scopes.includes(d.scope) && d.group === group && d.side === side && d.option === option).at(-1);
        const berth = actual(group, side, option);
        const where = `${group} ${side}.${option}`;
        if (recorded) {
          // the record must still describe Trove and Berth as they are
          if (!same(recorded.trove, expected)) found.push(`${where}: recorded Trove value ${JSON.stringify(recorded.trove)}, Trove says ${JSON.stringify(expected)}`);
          if (!same(normalise(option, recorded.berth), berth)) found.push(`${where}: recorded Berth value ${JSON.stringify(recorded.berth)}, Berth has ${JSON.stringify(berth)}`);
        } else if (!same(normalise(option, expected), berth)) {
          found.push(`${where}: Berth ${JSON.stringify(berth)}, Trove ${JSON.stringify(expected)}`);
        }
      }
    }
  }
  return found;
}

describe("Berth's built-in datastore defaults and Trove 18's cfg.py", () => {
  it('has a defaults entry for every datastore option group Trove has, and none Trove lacks', () => {
    expect(Object.keys(trove.groups).length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(DATASTORE_DEFAULTS).sort()).toEqual(Object.keys(trove.groups).sort());
  });

  it("matches every option Berth carries for each datastore, on Berth's side for it, except the recorded differences", () => {
    // a server-side option in a guest table would reach the guest (and be compared there as if it belonged)
    expect(GUEST_KEYS.filter((key) => (SERVER_ONLY as readonly string[]).includes(key))).toEqual([]);
    const actual = (group: string, side: Side, option: string) => (DATASTORE_DEFAULTS[group]![side] as Record<string, unknown>)[option];
    expect(mismatches(['defaults'], Object.keys(trove.groups), actual)).toEqual([]);
  });

  it("matches what berth up's datastores resolve to in the registry, except the recorded differences", () => {
    const pin = { path: '/opt/berth/manager.wasm', sha256: 'a'.repeat(64) };
    const builtins = [
      postgresqlDatastore('18', '/usr/lib/postgresql/18/bin', pin),
      mysqlDatastore('10.11', pin, 'mysql'),
      mysqlDatastore('10.11', pin, 'percona'),
      mysqlDatastore('10.11', pin, 'mariadb'),
      redisDatastore('7', '/usr/bin/redis-server', pin),
    ];
    const registry = new DatastoreRegistry(builtins.map((config) => datastoreConfigSchema.parse(config)));
    const actual = (group: string, side: Side, option: string) => (registry.version(group)![side] as Record<string, unknown>)[option];
    // the registry holds port ranges: Trove's port strings go through Berth's parser of them
    const normalise = (option: string, value: unknown) => (option.endsWith('_ports') ? serverOptionsSchema.parse({ [option]: value })[option] : value);
    // a berth up datastore has the defaults' differences, and its own on top
    expect(mismatches(['defaults', 'berth up'], builtins.map((b) => b.name), actual, normalise)).toEqual([]);
  });

  it("takes the server's timeouts and the global usage_timeout from Trove's [DEFAULT]", () => {
    const timeouts = serverConfigSchema.parse({}).timeouts;
    expect({
      agent_call_low_timeout: timeouts.quick_call,
      agent_call_high_timeout: timeouts.slow_call,
      report_interval: timeouts.report_interval,
      agent_heartbeat_expiry: timeouts.heartbeat_expiry,
      usage_timeout: GLOBAL_USAGE_TIMEOUT,
    }).toEqual({
      agent_call_low_timeout: trove.defaults.agent_call_low_timeout,
      agent_call_high_timeout: trove.defaults.agent_call_high_timeout,
      report_interval: trove.defaults.report_interval,
      agent_heartbeat_expiry: trove.defaults.agent_heartbeat_expiry,
      usage_timeout: trove.defaults.usage_timeout,
    });
  });

  it('knows which datastore groups still take an option from [DEFAULT] (the importer applies them so)', () => {
    const sorted = (table: Record<string, readonly string[]>) => Object.fromEntries(Object.entries(table).map(([k, v]) => [k, [...v].sort()]).sort());
    expect(sorted(TROVE_FROM_DEFAULT)).toEqual(sorted(trove.fromDefault));
  });

  it('records only real differences, each with a reason', () => {
    for (const difference of TROVE_DIFFERENCES) {
      expect(difference.why.length, `${difference.group}.${difference.option}`).toBeGreaterThan(20);
      expect(JSON.stringify(difference.berth)).not.toBe(JSON.stringify(difference.trove));
    }
  });
});
