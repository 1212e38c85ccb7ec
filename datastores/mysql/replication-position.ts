import { ManagerError } from '../sdk/index.js';
import type { MyContext } from './options.js';
import { pause } from './server.js';
import { column, run } from './sql.js';

/** A MariaDB GTID position: domain-server-seq, comma-separated (one per domain), or empty. */
const GTID_POSITION = /^(?:\d{1,10}-\d{1,10}-\d{1,20}(?:,\s*\d{1,10}-\d{1,10}-\d{1,20})*)?$/;
const DECIMAL = /^\d{1,20}$/;

export function checkGtidPosition(position: string, field: string): string {
  const trimmed = position.trim();
  if (!GTID_POSITION.test(trimmed)) throw ManagerError.invalidArgument(field, `"${position.slice(0, 80)}" is not a MariaDB GTID position (domain-server-seq, comma-separated)`);
  return trimmed.replace(/\s+/g, '');
}

/** The sequence number of `domain`'s GTID in a position, 0 when it has none. */
export function sequenceOf(position: string, domain: string): bigint {
  for (const gtid of position.split(',')) {
    const [d, , seq] = gtid.trim().split('-');
    if (d === domain && seq !== undefined && DECIMAL.test(seq)) return BigInt(seq);
  }
  return 0n;
}

/**
 * Where this server is: @@gtid_current_pos (its own binary log's last GTID
 * where it wrote last, the applied replication position where it follows),
 * and the sequence number of its domain in it, which grows along one
 * replication stream across a switchover (a new primary numbers its
 * transactions after the last one it applied).
 */
export function currentPosition(ctx: MyContext): { position: string; sequence: bigint } {
  const [position, domain] = run('gtid position', () => {
    const row = column(ctx, "SELECT CONCAT(@@GLOBAL.gtid_current_pos, '/', @@GLOBAL.gtid_domain_id) AS p")[0] ?? '/0';
    return row.split('/') as [string, string];
  });
  return { position: position ?? '', sequence: sequenceOf(position ?? '', domain ?? '0') };
}

export function lastTxn(ctx: MyContext): { sourceId: string; transactionId: string } {
  const { position, sequence } = currentPosition(ctx);
  return { sourceId: position, transactionId: String(sequence) };
}

export function latestTxnId(ctx: MyContext): string {
  return String(currentPosition(ctx).sequence);
}

/** Until this server has applied (or written) `transactionId` of its domain; `unavailable` when the time runs out. */
export function waitForTxn(ctx: MyContext, transactionId: string, timeoutSeconds: number): void {
  if (!DECIMAL.test(transactionId.trim())) throw ManagerError.invalidArgument('transaction-id', `"${transactionId.slice(0, 40)}" is not a decimal transaction id`);
  const target = BigInt(transactionId.trim());
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const now = currentPosition(ctx);
    if (now.sequence >= target) return;
    if (Date.now() >= deadline) throw ManagerError.unavailable(`transaction ${target} not applied within ${timeoutSeconds} s (this server is at ${now.sequence}: ${now.position || 'nothing'})`);
    pause(ctx, 100);
  }
}
