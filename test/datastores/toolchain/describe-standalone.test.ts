import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { describeStandalone } from '../../../datastores/toolchain/describe-standalone.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { describeComponent } from '../../../host/component/describe.js';
import { buildFixture } from '../../support/components.js';

// The SDK package's build describes a component with jco and preview2-shim
// alone (no guest host): it must read the same manifest the host's sandbox does.
describe('describeStandalone', () => {
  it.each(['three-ops', 'capabilities'])('reads the manifest the guest host reads, for the %s fixture', async (name) => {
    const { bytes } = await buildFixture(name, 'quickjs');
    const standalone = await describeStandalone(bytes, `${name}.wasm`);
    expect(standalone).toEqual(await describeComponent(bytes, `${name}.wasm`));
    expect(standalone.operations.length).toBeGreaterThan(0);
  });

  it('reads a manager built for berth:datastore@0.1.0 as the host does', async () => {
    const bytes = new Uint8Array(gunzipSync(await readFile(join(PACKAGE_ROOT, 'test', 'fixtures', 'contract-0.1.0', 'directory.wasm.gz'))));
    const standalone = await describeStandalone(bytes, 'directory.wasm');
    expect(standalone.contract).toBe('berth:datastore@0.1.0');
    expect(standalone).toEqual(await describeComponent(bytes, 'directory.wasm'));
  });
});
