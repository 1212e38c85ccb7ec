// The backups fixture's datastore (payload.bin on the volume, streamed into a backup and
// back), with a backup that can be made to take its time: a database "slow-backup-<ms>"
// makes the next backups spin that long before writing, so a test can act while one is in flight.
import { defineManager, z, type ManagerContext } from '../../../datastores/sdk/index.js';
import { busyWait } from '../../fixtures/managers/shared/busy-wait.js';

const CHUNK = 256 * 1024;
type Context = ManagerContext<{ mount_point: string }>;

const payload = (ctx: Context) => `${ctx.options.mount_point}/payload.bin`;

export default defineManager({
  name: 'slow-backups',
  version: '0.0.1',
  datastores: ['backups'],
  options: z.object({ mount_point: z.string() }),
  needs: { directories: [{ path: '{mount_point}', access: 'read-write', purpose: 'payload.bin, the data' }] },
  operations: {
    status() {
      return 'running';
    },
    prepare(ctx, request) {
      ctx.files.writeBytes(payload(ctx), new Uint8Array(0));
      if (request.backup) restore(ctx, request.backup.id);
    },
    createDatabases(ctx, databases) {
      for (const { name } of databases) {
        const slow = /^slow-backup-(\d+)$/.exec(name);
        if (slow) ctx.files.writeText(`${ctx.options.mount_point}/slow-backup`, slow[1]!);
        const size = /^bytes-(\d+)$/.exec(name);
        const bytes = new Uint8Array(size ? Number(size[1]) : 0);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
        ctx.files.writeAt(payload(ctx), ctx.files.size(payload(ctx)), bytes);
      }
    },
    createBackup(ctx, request) {
      const marker = `${ctx.options.mount_point}/slow-backup`;
      if (ctx.files.exists(marker)) busyWait(Number(ctx.files.readText(marker)));
      const writer = ctx.artifacts.writer(request.id);
      const size = ctx.files.size(payload(ctx));
      for (let offset = 0; offset < size; offset += CHUNK) writer.write(ctx.files.readRange(payload(ctx), offset, CHUNK));
      return { format: 'payload-v1', metadata: [] };
    },
    restoreBackup(ctx, source) {
      restore(ctx, source.id);
    },
  },
});

function restore(ctx: Context, id: string): void {
  ctx.files.writeBytes(payload(ctx), new Uint8Array(0));
  let offset = 0;
  for (const chunk of ctx.artifacts.read(id)) {
    ctx.files.writeAt(payload(ctx), offset, chunk);
    offset += chunk.length;
  }
}
