/**
 * What the PostgreSQL manager's role may do, set up by the guest host as the
 * cluster's bootstrap superuser (grant field bootstrap_sql), never by the
 * manager (issue 13, finding 4). The manager's os_admin is no superuser and
 * holds none of the predefined roles that reach the server's files or
 * programs; it gets exactly:
 *
 * - CREATEDB (it owns the databases it creates, so it may grant on them and
 *   drop them) and pg_signal_backend (DROP DATABASE ... WITH (FORCE), and
 *   clearing sessions off template1; never a superuser's session);
 * - ownership of template1, to give its public schema back to PUBLIC (new
 *   databases copy it);
 * - EXECUTE on pg_backup_start / pg_backup_stop (the base backup; the files
 *   themselves are read through the manager's directory grant) and on
 *   pg_reload_conf (after it changes the configuration files it writes
 *   anyway, as `pg_ctl reload` would);
 * - functions in schema `berth`, SECURITY DEFINER (superuser scoped to one
 *   statement each): create a login role, and change the password of, rename
 *   or drop a role that is no superuser, no predefined role and none of the
 *   instance's own; enable and disable root.
 *
 * No CREATEROLE: before PostgreSQL 16 it may grant any non-superuser role,
 * pg_execute_server_program included; the functions serve every version.
 *
 * Root (`postgres`) is the one superuser the tenant gets, as Trove's root is:
 * created NOLOGIN here, given a password and LOGIN by berth.enable_root. The
 * manager sets that password but has no connection that logs in as it.
 */
export const BOOTSTRAP_USER = 'berth_bootstrap';
const ADMIN = 'os_admin';
const ROOT = 'postgres';

/** A SECURITY DEFINER function for os_admin: no search path the caller could shape, no EXECUTE for anyone else. */
function definer(name: string, params: readonly string[], body: string): string[] {
  const signature = `berth.${name}(${params.map((param) => `${param} text`).join(', ')})`;
  const types = `berth.${name}(${params.map(() => 'text').join(', ')})`;
  return [
    `CREATE OR REPLACE FUNCTION ${signature} RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
${body}
END
$fn$`,
    `REVOKE ALL ON FUNCTION ${types} FROM PUBLIC`,
    `GRANT EXECUTE ON FUNCTION ${types} TO ${ADMIN}`,
  ];
}

/** A role the functions may change: one that exists, is no superuser, no predefined role and not the instance's own. */
const MANAGED = `  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
    RAISE EXCEPTION 'role "%" does not exist', role_name USING ERRCODE = 'undefined_object';
  END IF;
  IF role_name IN ('${ADMIN}', '${BOOTSTRAP_USER}', '${ROOT}') OR role_name LIKE 'pg\\_%'
     OR (SELECT rolsuper FROM pg_roles WHERE rolname = role_name) THEN
    RAISE EXCEPTION 'role "%" is not a user the manager administers', role_name USING ERRCODE = 'insufficient_privilege';
  END IF;`;

export function postgresqlBootstrapSql(): string[] {
  return [
    `ALTER ROLE ${ADMIN} CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
    `GRANT pg_signal_backend TO ${ADMIN}`,
    `ALTER DATABASE template1 OWNER TO ${ADMIN}`,
    `GRANT EXECUTE ON FUNCTION pg_backup_start(text, boolean), pg_backup_stop(boolean), pg_reload_conf() TO ${ADMIN}`,
    `DO $do$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROOT}') THEN CREATE ROLE ${ROOT} SUPERUSER NOLOGIN; END IF;
END $do$`,
    'CREATE SCHEMA IF NOT EXISTS berth',
    'REVOKE ALL ON SCHEMA berth FROM PUBLIC',
    `GRANT USAGE ON SCHEMA berth TO ${ADMIN}`,
    ...definer('create_user', ['role_name', 'role_password'], "  EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', role_name, role_password);"),
    ...definer('set_password', ['role_name', 'role_password'], `${MANAGED}\n  EXECUTE format('ALTER ROLE %I PASSWORD %L', role_name, role_password);`),
    ...definer('rename_user', ['role_name', 'new_role_name'], `${MANAGED}\n  EXECUTE format('ALTER ROLE %I RENAME TO %I', role_name, new_role_name);`),
    // its grants on databases (shared objects) would keep DROP ROLE from working; DROP OWNED revokes them
    ...definer('drop_user', ['role_name'], `${MANAGED}\n  EXECUTE format('DROP OWNED BY %I', role_name);\n  EXECUTE format('DROP ROLE %I', role_name);`),
    ...definer('enable_root', ['role_password'], `  EXECUTE format('ALTER ROLE ${ROOT} LOGIN PASSWORD %L', role_password);`),
    ...definer('disable_root', [], `  ALTER ROLE ${ROOT} NOLOGIN PASSWORD NULL;`),
  ];
}
