import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { buildFixture, instantiateBytes } from '../../support/components.js';
import { inspectManager } from '../../../datastores/toolchain/inspect.js';
import { parseManifest } from '../../../datastores/toolchain/manifest.js';
import { checkParameters, describeRule, parameter } from '../../../datastores/sdk/parameters.js';
import { berthProcess } from '../../support/cli.js';

const RULES = [
  { name: 'work_mem', type: 'string', allowedValues: [], restartRequired: false, description: 'memory of one sort or hash' },
  { name: 'statement_timeout', type: 'integer', min: { tag: 'integer', val: 0 }, max: { tag: 'integer', val: 2147483647 }, allowedValues: [], restartRequired: false },
  { name: 'jit', type: 'boolean', allowedValues: [], restartRequired: true },
  { name: 'seq_page_cost', type: 'float', min: { tag: 'float', val: 0 }, max: { tag: 'float', val: 1.5e10 }, allowedValues: [], restartRequired: false },
  { name: 'log_level', type: 'string', allowedValues: ['debug', 'info', 'warning'], restartRequired: false },
];

describe.each(['quickjs', 'starlingmonkey'] as const)('parameter rules declared with defineManager, built with %s', (backend) => {
  it('are in describe() and in the embedded manifest `berth inspect` reads', async () => {
    const built = await buildFixture('overrides', backend);
    const exports = await instantiateBytes(built.bytes);
    const described = parseManifest(exports.manifest!.describe!(), 'describe()');
    expect(described.parameters).toEqual(RULES);
    const dir = await mkdtemp(join(tmpdir(), 'berth-params-'));
    try {
      await writeFile(join(dir, 'overrides.wasm'), built.bytes);
      const report = await inspectManager(join(dir, 'overrides.wasm'));
      expect(report.manifest.contract).toBe('berth:datastore@0.2.0');
      expect(report.manifest.parameters).toEqual(RULES);
      const human = await berthProcess(['inspect', join(dir, 'overrides.wasm')], { home: dir });
      expect(human.stdout).toMatch(/configuration parameters \(5\):\n\s+work_mem, statement_timeout, jit, seq_page_cost, log_level/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('checking values against rules', () => {
  const rules = [
    parameter.integer('max_connections', { min: 1, max: 100000 }),
    parameter.float('long_query_time', { min: 0 }),
    parameter.boolean('autocommit'),
    parameter.string('maxmemory-policy', { allowedValues: ['noeviction', 'allkeys-lru'] }),
  ];
  it('accepts values of the right type in range, names case-insensitively', () => {
    expect(checkParameters(rules, { MAX_CONNECTIONS: 100, long_query_time: 0.5, autocommit: true, 'maxmemory-policy': 'AllKeys-LRU' })).toBeUndefined();
    expect(checkParameters(rules, { long_query_time: 2 })).toBeUndefined();
  });
  it('refuses an unknown key, a wrong type and a value out of range, naming the key', () => {
    expect(checkParameters(rules, { max_connections: 10, nosuch: 1 })).toEqual({ key: 'nosuch', problem: 'unknown' });
    expect(checkParameters(rules, { max_connections: 0 })).toEqual({ key: 'max_connections', problem: 'invalid', expected: 'an integer from 1 to 100000' });
    expect(checkParameters(rules, { max_connections: 1.5 })).toMatchObject({ key: 'max_connections', problem: 'invalid' });
    expect(checkParameters(rules, { max_connections: '100' })).toMatchObject({ key: 'max_connections', problem: 'invalid' });
    expect(checkParameters(rules, { autocommit: 'on' })).toMatchObject({ key: 'autocommit', problem: 'invalid' });
    expect(checkParameters(rules, { long_query_time: -1 })).toEqual({ key: 'long_query_time', problem: 'invalid', expected: 'a number of at least 0' });
    expect(checkParameters(rules, { 'maxmemory-policy': 'lru' })).toEqual({ key: 'maxmemory-policy', problem: 'invalid', expected: 'one of "noeviction", "allkeys-lru"' });
  });
  it('says what a valid value looks like', () => {
    expect(rules.map((rule) => describeRule(rule))).toEqual(['an integer from 1 to 100000', 'a number of at least 0', 'a boolean (true or false)', 'one of "noeviction", "allkeys-lru"']);
  });
  it('refuses a manifest whose rules contradict themselves', () => {
    const base = { name: 'm', version: '1', datastores: ['d'], contract: 'berth:datastore@0.2.0', operations: [], options: [], capabilities: { programs: [], directories: [], connections: [], environment: [] } };
    const bad = (parameters: unknown[]) => () => parseManifest({ ...base, parameters }, 'test');
    expect(bad([parameter.string('a', {}), parameter.string('A', {})])).toThrow(/declared twice/);
    expect(bad([{ ...parameter.integer('a', { min: 5, max: 1 }) }])).toThrow(/max is below min/);
    expect(bad([{ ...parameter.boolean('a'), allowedValues: ['x'] }])).toThrow(/allowed values/);
    expect(bad([parameter.integer('a', { max: 2n ** 63n - 1n })])).toThrow(/leave a larger one out/);
    expect(() => parseManifest({ ...base, contract: 'berth:datastore@0.1.0', parameters: [parameter.boolean('a')] }, 'test')).toThrow(/0.1.0 manifest has no parameters/);
    expect(parseManifest({ ...base, contract: 'berth:datastore@0.1.0' }, 'test').parameters).toEqual([]);
  });
});
