import { ManagerError } from '../sdk/index.js';
import { REPLICA_ACCOUNT, type MyContext } from './options.js';
import { checkHost, column, query, run } from './sql.js';

type KeyValue = { key: string; value: string };

export const setting = (settings: readonly KeyValue[], key: string): string | undefined => settings.find((kv) => kv.key === key)?.value;

/** The replica a call names: its account name (replica-name) and the address it connects from (replica-host). */
export function replicaOf(settings: readonly KeyValue[]): { name: string; host: string } {
  const name = setting(settings, 'replica-name') ?? '';
  if (!REPLICA_ACCOUNT.test(name)) throw ManagerError.invalidArgument('replica-name', `"${name.slice(0, 60)}" is not a replica name (berth_ and 32 hex digits)`);
  const host = checkHost(setting(settings, 'replica-host') ?? '', 'replica-host');
  return { name, host };
}

/** A fresh password from the server's random bytes (the component has no entropy source to vouch for). */
function randomPassword(ctx: MyContext): string {
  const password = column(ctx, 'SELECT HEX(RANDOM_BYTES(24)) AS p')[0] ?? '';
  if (!/^[0-9A-F]{48}$/.test(password)) throw ManagerError.failed('the server gave no random bytes for a replication password');
  return password;
}

/**
 * The replica's account on this primary: REPLICATION SLAVE on *.* and
 * nothing else, from replica-host only, with a new password each call (one
 * account per replica-name: the same name from another host replaces it).
 */
export function ensureReplicaAccount(ctx: MyContext, replica: { name: string; host: string }): string {
  const password = randomPassword(ctx);
  run(`replication account ${replica.name}`, () => {
    for (const host of column(ctx, 'SELECT Host FROM mysql.user WHERE User = ?', [replica.name])) {
      if (host !== replica.host) query(ctx, 'DROP USER ?@?', [replica.name, host]);
    }
    query(ctx, 'CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [replica.name, replica.host, password]);
    query(ctx, 'ALTER USER ?@? IDENTIFIED BY ?', [replica.name, replica.host, password]);
    query(ctx, 'GRANT REPLICATION SLAVE ON *.* TO ?@?', [replica.name, replica.host]);
  });
  return password;
}

/** Drop every replication account but those of `keep` (enable-as-master's replicas). */
export function dropReplicaAccounts(ctx: MyContext, keep: readonly string[]): void {
  for (const name of keep) if (!REPLICA_ACCOUNT.test(name)) throw ManagerError.invalidArgument('replicas', `"${name.slice(0, 60)}" is not a replica name`);
  const rows = query(ctx, "SELECT User AS name, Host AS host FROM mysql.user WHERE User LIKE 'berth\\_%'").rows;
  run('replication accounts', () => {
    for (const row of rows) {
      const name = String(row.name);
      if (REPLICA_ACCOUNT.test(name) && !keep.includes(name)) query(ctx, 'DROP USER ?@?', [name, String(row.host)]);
    }
  });
}

/** enable-as-master's `replicas`: comma-separated replica names, maybe none. */
export function listedReplicas(settings: readonly KeyValue[]): string[] {
  return (setting(settings, 'replicas') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}
