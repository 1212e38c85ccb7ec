import { beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, call, instantiateBytes, type ExportedInterfaces } from '../../support/components.js';
import { ALL_OPERATIONS, camelName, interfaceOf } from '../../../datastores/sdk/operations.js';
import type { BuildResult } from '../../../datastores/toolchain/build.js';
import { OPERATION_ARGUMENTS } from '../../support/operation-arguments.js';

const SUPPORTED = ['create-databases', 'list-databases', 'is-root-enabled'];
const paging = { limit: undefined, marker: undefined, includeMarker: false };

function op(exports: ExportedInterfaces, operation: (typeof ALL_OPERATIONS)[number]) {
  return exports[camelName(interfaceOf(operation))]?.[camelName(operation)];
}

describe.each(['quickjs', 'starlingmonkey'] as const)('a defineManager component built with %s', (backend) => {
  let built: BuildResult;
  beforeAll(async () => {
    built = await buildFixture('three-ops', backend);
  });

  it('describes exactly the operations its author supplied', async () => {
    const exports = await instantiateBytes(built.bytes);
    const manifest = exports.manifest!.describe!() as { operations: string[]; contract: string; options: unknown[] };
    expect(manifest.operations).toEqual(SUPPORTED);
    expect(manifest.contract).toBe('berth:datastore@0.2.0');
    expect(manifest.options).toEqual([
      { key: 'greeting', required: true, defaultValue: undefined },
      { key: 'max_databases', required: false, defaultValue: '3' },
      { key: 'mount_point', required: false, defaultValue: '/var/lib/tinydb' },
    ]);
  });

  it('runs supported operations with the options the config store holds', async () => {
    const exports = await instantiateBytes(built.bytes, { options: { greeting: 'hello-db' } });
    expect(call(op(exports, 'create-databases'), [{ name: 'orders', characterSet: 'utf8', collation: undefined }])).toEqual({ ok: undefined });
    expect(call(op(exports, 'list-databases'), paging)).toEqual({
      ok: { items: [{ name: 'hello-db', characterSet: 'utf8' }, { name: 'orders', characterSet: 'utf8' }] },
    });
    expect(call(op(exports, 'is-root-enabled'))).toEqual({ ok: false });
  });

  it('answers unsupported, naming the operation, for every operation it did not supply', async () => {
    const exports = await instantiateBytes(built.bytes, { options: { greeting: 'x' } });
    const unsupported = ALL_OPERATIONS.filter((name) => !SUPPORTED.includes(name));
    expect(unsupported).toHaveLength(ALL_OPERATIONS.length - SUPPORTED.length);
    for (const operation of unsupported) {
      expect(call(op(exports, operation), ...OPERATION_ARGUMENTS[operation]), operation).toEqual({
        err: { tag: 'unsupported', val: operation },
      });
    }
  });

  it('turns a thrown Error into failed and the instance stays usable', async () => {
    const exports = await instantiateBytes(built.bytes, { options: { greeting: 'x' } });
    const outcome = call(op(exports, 'create-databases'), [{ name: 'explode', characterSet: undefined, collation: undefined }]);
    expect(outcome).toEqual({
      err: { tag: 'failed', val: { operation: 'create-databases', detail: 'disk on fire while creating explode' } },
    });
    expect(call(op(exports, 'create-databases'), [{ name: 'after', characterSet: undefined, collation: undefined }])).toEqual({ ok: undefined });
    const listed = call(op(exports, 'list-databases'), paging) as { ok: { items: Array<{ name: string }> } };
    expect(listed.ok.items.map((item) => item.name)).toEqual(['x', 'after']);
  });

  it('maps ManagerError cases thrown by the author', async () => {
    const exports = await instantiateBytes(built.bytes, { options: { greeting: 'x', max_databases: '1' } });
    const create = op(exports, 'create-databases');
    expect(call(create, [{ name: 'a', characterSet: undefined, collation: undefined }])).toEqual({ ok: undefined });
    expect(call(create, [{ name: 'a', characterSet: undefined, collation: undefined }])).toEqual({ err: { tag: 'already-exists', val: 'database a' } });
    expect(call(create, [{ name: 'b', characterSet: undefined, collation: undefined }])).toEqual({
      err: { tag: 'invalid-argument', val: { field: 'databases', message: 'at most 1 databases' } },
    });
  });

  it('answers invalid-argument naming the key when a required option is missing', async () => {
    const exports = await instantiateBytes(built.bytes, { options: {} });
    const outcome = call(op(exports, 'list-databases'), paging) as { err: { tag: string; val: { field: string; message: string } } };
    expect(outcome.err.tag).toBe('invalid-argument');
    expect(outcome.err.val.field).toBe('greeting');
    expect(outcome.err.val.message).toContain('[options]');
    // an operation that reads no option is unaffected
    expect(call(op(exports, 'is-root-enabled'))).toEqual({ ok: false });
  });

  it('answers invalid-argument naming the key when an option has the wrong type', async () => {
    const exports = await instantiateBytes(built.bytes, { options: { greeting: 'x', max_databases: 'many' } });
    const outcome = call(op(exports, 'create-databases'), [{ name: 'a', characterSet: undefined, collation: undefined }]) as {
      err: { tag: string; val: { field: string } };
    };
    expect(outcome.err).toMatchObject({ tag: 'invalid-argument', val: { field: 'max_databases' } });
  });
});
