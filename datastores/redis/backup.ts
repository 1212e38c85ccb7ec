import type { BackupRequest, BackupResult } from 'berth:datastore/backup@0.2.0';
import { ManagerError } from '../sdk/index.js';
import { command, errorReply, info, isBusyReply } from './admin-connection.js';
import { layoutOf } from './layout.js';
import type { RedisContext } from './options.js';
import { waitFor } from './wait.js';

export const BACKUP_FORMAT = 'redis-rdb';
export const BACKUP_STRATEGY = 'RedisBackup';

interface Persistence {
  saves: number;
  saving: boolean;
  lastStatus: string;
}

function persistence(ctx: RedisContext): Persistence {
  const fields = info(ctx, 'persistence');
  return {
    saves: Number(fields.get('rdb_saves') ?? 0),
    saving: fields.get('rdb_bgsave_in_progress') === '1',
    lastStatus: fields.get('rdb_last_bgsave_status') ?? 'unknown',
  };
}

/**
 * A fresh dump.rdb, written in the background (SAVE would stop every client,
 * the status probe included, for as long as it takes). A save already
 * running started before this request, so it is waited out and not reused.
 */
function snapshot(ctx: RedisContext): void {
  const timeoutMs = ctx.options.start_timeout * 1000;
  const timedOut = (what: string) => () => ManagerError.failed(`${what} within ${ctx.options.start_timeout} s (option start_timeout)`);
  const started = waitFor(
    timeoutMs,
    () => {
      const before = persistence(ctx);
      if (before.saving) return undefined;
      try {
        // SCHEDULE: start it as soon as an AOF rewrite in progress lets it
        const reply = String(command(ctx, 'BGSAVE', 'SCHEDULE'));
        return { before, scheduled: /scheduled/i.test(reply) };
      } catch (thrown) {
        const reply = errorReply(thrown) ?? '';
        if (/already in progress/i.test(reply)) return undefined;
        if (isBusyReply(reply)) throw ManagerError.unavailable(`redis-server cannot save now: ${reply}`);
        throw thrown;
      }
    },
    timedOut('a running background save did not finish'),
  );
  waitFor(
    timeoutMs,
    () => {
      const now = persistence(ctx);
      if (now.saving) return undefined;
      if (now.saves > started.before.saves) return true;
      if (!started.scheduled && now.lastStatus !== 'ok') {
        throw ManagerError.failed(`BGSAVE failed (rdb_last_bgsave_status ${now.lastStatus}); the Redis log says why`);
      }
      return undefined;
    },
    timedOut('the background save did not finish'),
  );
}

export function createBackup(ctx: RedisContext, request: BackupRequest): BackupResult {
  const strategy = request.strategy ?? ctx.options.backup_strategy;
  if (strategy !== BACKUP_STRATEGY) {
    throw ManagerError.invalidArgument('strategy', `"${strategy}" is not a Redis backup strategy; the only one is ${BACKUP_STRATEGY}`);
  }
  if (request.parent) throw ManagerError.invalidArgument('parent', 'Redis backups are whole RDB snapshots: there are no incremental ones');
  ctx.events.progress('saving a snapshot (BGSAVE)', 10);
  snapshot(ctx);
  // whole: the SDK's files capability has no ranged read, so the dump passes through the component's memory
  const data = ctx.files.readBytes(layoutOf(ctx).dump);
  ctx.events.progress(`sending the snapshot (${data.length} bytes)`, 50);
  ctx.artifacts.writer(request.id).write(data);
  ctx.events.progress('snapshot sent', 100);
  return {
    format: BACKUP_FORMAT,
    metadata: [
      { key: 'redis_version', value: info(ctx, 'server').get('redis_version') ?? 'unknown' },
      { key: 'size', value: String(data.length) },
    ],
  };
}
