// A hostile manager whose answers are too large to send (finding 9 of issue 13). list-databases
// with the marker "name-<MiB>" answers one database whose name is that many MiB of text,
// "items-<count>" answers that many databases, "error-<MiB>" fails with a message that many MiB
// long; "-after-<ms>" at the end spins that long first. Any other marker answers one small
// database. create-databases takes whatever it is given.
import { ManagerError, defineManager } from '../../../datastores/sdk/index.js';
import { busyWait } from '../../fixtures/managers/shared/busy-wait.js';

const MIB = 1024 * 1024;
const database = (name: string) => ({ name, characterSet: undefined, collation: undefined });

export default defineManager({
  name: 'big-results',
  version: '0.0.1',
  datastores: ['big'],
  operations: {
    status() {
      return 'running';
    },
    listDatabases(_ctx, paging) {
      const [, kind, count, after] = /^(name|items|error)-(\d+)(?:-after-(\d+))?$/.exec(paging.marker ?? '') ?? [];
      const n = Number(count);
      if (after) busyWait(Number(after));
      if (kind === 'name') return { items: [database('x'.repeat(n * MIB))], nextMarker: undefined };
      if (kind === 'items') return { items: Array.from({ length: n }, (_, i) => database(`database-${i}`)), nextMarker: undefined };
      if (kind === 'error') throw ManagerError.invalidArgument('paging.marker', 'x'.repeat(n * MIB));
      return { items: [database('small')], nextMarker: undefined };
    },
    createDatabases() {},
  },
});
