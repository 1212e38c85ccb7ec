import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildManager } from '../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { call, instantiateBytes } from '../support/components.js';
import { describeComponent } from '../../host/component/describe.js';

let volume: string;
beforeEach(async () => {
  volume = await mkdtemp(join(tmpdir(), 'berth-directory-'));
});
afterEach(async () => {
  await rm(volume, { recursive: true, force: true });
});

describe('the README example manager (datastores/examples/directory)', () => {
  it('creates, pages through and deletes databases as directories of its granted mount point', async () => {
    const { bytes, manifest } = await buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'datastores', 'examples', 'directory', 'manager.ts') });
    expect(manifest.operations).toEqual(['create-databases', 'list-databases', 'delete-database']);
    const exports = await instantiateBytes(bytes, {
      options: { mount_point: '/srv/dir' },
      directories: [{ hostPath: volume, guestPath: '/srv/dir' }],
    });
    const db = (name: string) => ({ name, characterSet: undefined, collation: undefined });
    expect(call(exports.databases!.createDatabases, [db('alpha'), db('beta'), db('gamma')])).toEqual({ ok: undefined });
    expect((await readdir(volume)).sort()).toEqual(['alpha', 'beta', 'gamma']);

    const first = call(exports.databases!.listDatabases, { limit: 2, marker: undefined, includeMarker: false });
    expect(first).toEqual({ ok: { items: [{ name: 'alpha' }, { name: 'beta' }], nextMarker: 'beta' } });
    const second = call(exports.databases!.listDatabases, { limit: 2, marker: 'beta', includeMarker: false });
    expect(second).toEqual({ ok: { items: [{ name: 'gamma' }] } });

    expect(call(exports.databases!.createDatabases, [db('alpha')])).toEqual({ err: { tag: 'already-exists', val: '/srv/dir/alpha' } });
    expect(call(exports.databases!.createDatabases, [db('../escape')])).toMatchObject({ err: { tag: 'invalid-argument', val: { field: 'name' } } });
    expect(call(exports.databases!.deleteDatabase, 'beta')).toEqual({ ok: undefined });
    expect(call(exports.databases!.deleteDatabase, 'beta')).toEqual({ err: { tag: 'not-found', val: '/srv/dir/beta' } });
    expect((await readdir(volume)).sort()).toEqual(['alpha', 'gamma']);
    expect(call(exports.users!.listUsers, { limit: undefined, marker: undefined, includeMarker: false })).toEqual({
      err: { tag: 'unsupported', val: 'list-users' },
    });
  });
});
