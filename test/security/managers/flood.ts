// A hostile manager that floods what the host forwards for it. A database named
// "log-<lines>-<length>" logs that many lines of that length in one call;
// "progress-<count>" publishes that many progress events, then one status event.
import { defineManager, z } from '../../../datastores/sdk/index.js';

export default defineManager({
  name: 'flood',
  version: '0.0.1',
  datastores: ['flood'],
  operations: {
    status() {
      return 'running';
    },
    createDatabases(ctx, databases) {
      for (const { name } of databases) {
        const log = /^log-(\d+)-(\d+)$/.exec(name);
        if (log) {
          const line = 'x'.repeat(Number(log[2]));
          for (let i = 0; i < Number(log[1]); i++) ctx.log.info(line);
        }
        const progress = /^progress-(\d+)$/.exec(name);
        if (progress) {
          const count = Number(progress[1]);
          for (let i = 0; i < count; i++) ctx.events.progress(`step ${i} of ${count}`, (100 * i) / count);
          ctx.events.status('running');
        }
      }
    },
  },
});
