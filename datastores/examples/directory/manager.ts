// The smallest useful manager: a "datastore" whose databases are directories
// under its mount point. Three operations, three functions; the other 43 answer
// `unsupported` on their own.
import { defineManager, ManagerError, z } from '../../sdk/index.js';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

export default defineManager({
  name: 'berth-directory',
  version: '0.1.0',
  datastores: ['directory'],
  options: z.object({
    mount_point: z.string().default('/var/lib/directory'),
  }),
  needs: {
    directories: [{ path: '{mount_point}', access: 'read-write', purpose: 'one sub-directory per database' }],
  },
  operations: {
    createDatabases(ctx, databases) {
      for (const { name } of databases) {
        if (!NAME.test(name)) throw ManagerError.invalidArgument('name', `"${name}" must match ${NAME}`);
        ctx.files.makeDirectory(`${ctx.options.mount_point}/${name}`);
      }
    },
    listDatabases(ctx, paging) {
      const names = ctx.files
        .list(ctx.options.mount_point)
        .filter((entry) => entry.type === 'directory')
        .map((entry) => entry.name)
        .filter((name) => !paging.marker || (paging.includeMarker ? name >= paging.marker : name > paging.marker));
      const page = names.slice(0, paging.limit ?? names.length);
      const more = page.length < names.length;
      return {
        items: page.map((name) => ({ name, characterSet: undefined, collation: undefined })),
        nextMarker: more ? page[page.length - 1] : undefined,
      };
    },
    deleteDatabase(ctx, name) {
      if (!NAME.test(name)) throw ManagerError.invalidArgument('name', `"${name}" must match ${NAME}`);
      ctx.files.remove(`${ctx.options.mount_point}/${name}`);
    },
  },
});
