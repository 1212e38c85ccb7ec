import pg from 'pg';
import type { ConnectionGrant } from '../config/guest-config.js';
import { endpoint } from './connections-session.js';

/**
 * The role a PostgreSQL grant logs in as, kept short of the server's files
 * and programs (issue 13, finding 4). A superuser, or a member of these
 * predefined roles, can run `COPY ... TO PROGRAM`, `COPY ... TO '/path'` or
 * read any file the server can (`pg_read_file`, `COPY FROM`); a role that may
 * EXECUTE these functions reads and writes files too (`lo_export` anywhere).
 * The host checks every connection it opens, before the manager's first
 * statement, and refuses it (`denied`) otherwise: a manager that rebuilt its
 * cluster with initdb so that its role is the bootstrap superuser, or that
 * changed the catalog, gets no session at all.
 */
export const FILE_ROLES = ['pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'] as const;
export const FILE_FUNCTIONS = ['pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'lo_import', 'lo_export'] as const;

/** A connection the host will not hand to the manager, and why. */
export class RoleRefused extends Error {}

/** Before PostgreSQL 16, CREATEROLE may grant any role but superuser, the three above included. */
const CREATEROLE_SAFE_FROM = 160000;

// Cells arrive as the server's text (the session's client parses no types): booleans as text.
// session_user: the role that logged in, whatever SET ROLE the manager might try later (it can only
// reach roles that role is a member of, and the membership check covers those).
const PRIVILEGES = `SELECT current_setting('is_superuser') AS superuser,
  current_setting('server_version_num') AS version,
  (SELECT rolcreaterole::text FROM pg_catalog.pg_roles WHERE rolname = session_user) AS createrole,
  (SELECT string_agg(r, ', ') FROM unnest($1::text[]) AS r WHERE pg_catalog.pg_has_role(session_user, r, 'MEMBER')) AS file_roles,
  (SELECT string_agg(DISTINCT proname, ', ') FROM pg_catalog.pg_proc
     WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY($2::text[])
       AND pg_catalog.has_function_privilege(session_user, oid, 'EXECUTE')) AS file_functions`;

/** Why this session's role may not serve a manager, or undefined when it may. */
export async function roleRefusal(client: pg.Client): Promise<string | undefined> {
  const result = await client.query({ text: PRIVILEGES, values: [[...FILE_ROLES], [...FILE_FUNCTIONS]] });
  const row = result.rows[0] as { superuser: string; version: string; createrole: string | null; file_roles: string | null; file_functions: string | null };
  const role = client.user ?? 'the role';
  if (row.superuser === 'on') return `${role} is a superuser: it could run programs and read and write files as the server (COPY ... TO PROGRAM); grant a role without SUPERUSER`;
  if (row.file_roles) return `${role} is a member of ${row.file_roles}, which read or write the server's files or run programs; revoke it`;
  if (row.file_functions) return `${role} may execute ${row.file_functions}, which reach the server's files; revoke EXECUTE`;
  if (row.createrole === 'true' && Number(row.version) < CREATEROLE_SAFE_FROM) {
    return `${role} has CREATEROLE, which before PostgreSQL 16 may grant itself pg_execute_server_program; use a role without CREATEROLE (or PostgreSQL 16+)`;
  }
  return undefined;
}

/** The login was refused (wrong password, no such role, NOLOGIN), and the grant says how to create the role. */
export function wantsBootstrap(error: unknown, grant: ConnectionGrant): boolean {
  if (grant.bootstrap_url === undefined || !(error instanceof pg.DatabaseError)) return false;
  return error.code === '28P01' || error.code === '28000';
}

/**
 * As the grant's bootstrap superuser, on a client of the host's own that the
 * manager never sees: the grant's role, created or reset to LOGIN
 * NOSUPERUSER and the grant's password, then the grant's `bootstrap_sql`.
 * The statement text is built by the server (format %I / %L), so no
 * setting of a cluster the manager shaped (standard_conforming_strings...)
 * can turn a password into SQL.
 */
export async function bootstrapRole(grant: ConnectionGrant, config: pg.ClientConfig): Promise<void> {
  const own = endpoint(grant);
  if (!own.user || own.password === undefined) throw new RoleRefused('bootstrap_url needs the grant to name its user and password');
  const superuser = endpoint({ kind: 'postgresql', url: grant.bootstrap_url });
  const client = new pg.Client({ ...config, user: superuser.user, password: superuser.password, database: superuser.database ?? config.database });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // both lanes may log in first at once (the probe, prepare): two bootstraps side by side would
    // update the same catalog rows and one fail with "tuple concurrently updated"; held until the client ends
    await client.query("SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext('berth.bootstrap'))");
    const built = await client.query({
      text: `SELECT format(CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)
        THEN 'ALTER ROLE %I LOGIN NOSUPERUSER PASSWORD %L' ELSE 'CREATE ROLE %I LOGIN NOSUPERUSER PASSWORD %L' END, $1::text, $2::text) AS statement`,
      values: [own.user, own.password],
    });
    await client.query(String((built.rows[0] as { statement: string }).statement));
    for (const statement of grant.bootstrap_sql ?? []) await client.query(statement);
  } finally {
    await client.end().catch(() => undefined);
  }
}
