import { ADMIN_HOST, ADMIN_USER, type MyContext } from './options.js';

/**
 * How the client programs (mariadb-dump, mariabackup) log in: as
 * os_admin over TCP, the password in MYSQL_PWD, where `ps` does not show it.
 */
export function clientLogin(ctx: MyContext): { args: string[]; env: Record<string, string> } {
  return {
    args: [`--host=${ADMIN_HOST}`, `--port=${ctx.options.port}`, `--user=${ADMIN_USER}`],
    env: { MYSQL_PWD: ctx.options.admin_password },
  };
}

/** Backups and restores run as long as they need: the call's own deadline bounds them. */
export const LONG_RUN_MS = 24 * 3600 * 1000;
