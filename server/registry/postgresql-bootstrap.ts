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
 * Replication (docs/replication.md, "What each grant allows"): EXECUTE on
 * pg_promote (a standby becomes a primary), and berth.create_replica /
 * berth.drop_replica, which accept only a name matching ^berth_[0-9a-f]{32}$
 * (a replica's `replica-name`): create_replica makes (or gives a new
 * password to) a LOGIN REPLICATION role of that name, no superuser, and a
 * physical replication slot of that name; it refuses a role of that name
 * that is not already such a replication role. drop_replica ends that role's
 * sessions, drops the slot and the role. The role and slot lists stay
 * readable (pg_roles, pg_replication_slots); nothing else about replication
 * is granted. `berth` functions that change users refuse replication roles.
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
     OR (SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = role_name) THEN
    RAISE EXCEPTION 'role "%" is not a user the manager administers', role_name USING ERRCODE = 'insufficient_privilege';
  END IF;`;

/** A replica's role and slot name: `replica-name`, nothing else (docs/replication.md). */
const REPLICA_NAME = `  IF replica_name IS NULL OR replica_name !~ '^berth_[0-9a-f]{32}$' THEN
    RAISE EXCEPTION 'replica name "%" is not berth_ and 32 hex digits', replica_name USING ERRCODE = 'invalid_parameter_value';
  END IF;`;

const CREATE_REPLICA = `${REPLICA_NAME}
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = replica_name) THEN
    IF NOT (SELECT rolreplication AND NOT rolsuper FROM pg_roles WHERE rolname = replica_name) THEN
      RAISE EXCEPTION 'role "%" exists and is not a replication role', replica_name USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', replica_name, replica_password);
  ELSE
    EXECUTE format('CREATE ROLE %I LOGIN REPLICATION NOINHERIT CONNECTION LIMIT 4 PASSWORD %L', replica_name, replica_password);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = replica_name) THEN
    PERFORM pg_create_physical_replication_slot(replica_name, true);
  END IF;`;

// an active slot cannot be dropped: its walsender is ended first, and the slot waited for
const DROP_REPLICA = `${REPLICA_NAME}
  PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = replica_name;
  FOR attempt IN 1..100 LOOP
    EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = replica_name AND active);
    PERFORM pg_sleep(0.1);
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = replica_name) THEN
    PERFORM pg_drop_replication_slot(replica_name);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = replica_name AND rolreplication AND NOT rolsuper) THEN
    EXECUTE format('DROP ROLE %I', replica_name);
  END IF;`;

export function postgresqlBootstrapSql(): string[] {
  return [
    `ALTER ROLE ${ADMIN} CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
    `GRANT pg_signal_backend TO ${ADMIN}`,
    `ALTER DATABASE template1 OWNER TO ${ADMIN}`,
    `GRANT EXECUTE ON FUNCTION pg_backup_start(text, boolean), pg_backup_stop(boolean), pg_reload_conf(), pg_promote(boolean, integer) TO ${ADMIN}`,
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
    ...definer('create_replica', ['replica_name', 'replica_password'], CREATE_REPLICA),
    ...definer('drop_replica', ['replica_name'], DROP_REPLICA),
  ];
}
