/**
 * State a manager may leave in a session that a new connection would not
 * have: the reason a lost connection is not always swapped for a new one
 * (connections-reconnect.ts). The host keeps one session per connection name
 * across calls, and a manager may lean on that: a MySQL restore sets
 * time_zone and foreign_key_checks for the statements of its dump; a Redis
 * MULTI queues the commands of later calls. Were such a session replaced
 * behind the manager's back, its next statements would run with the
 * defaults (timestamps shifted, checks back on) or outside the transaction
 * (each committed on its own while the first ones were rolled back).
 *
 * Open transactions are known from the protocol (each driver's session
 * reads them). Session settings are read from the statements' text, before
 * they are sent: statements that begin with SET, RESET, USE, LOCK, PREPARE,
 * DECLARE, LISTEN, LOAD, DISCARD, XA or HANDLER (also inside MySQL's
 * executable comments, `/*!40101 SET ... *\/`), and those naming temporary
 * objects, session locks or user variables anywhere. This errs one way
 * only: a statement that only looks like one (CREATE TEMP in a string)
 * costs one `unavailable` after the datastore restarts, never a wrong
 * session. It must not err that way for what managers run every day (the
 * TEMPORARY privilege in GRANT and REVOKE): that `unavailable` reaches the
 * first call after a restart, often the status probe. A function or procedure that changes settings from inside is
 * not seen.
 */

const SESSION_VERBS = new Set(['SET', 'RESET', 'USE', 'LOCK', 'PREPARE', 'DECLARE', 'LISTEN', 'LOAD', 'DISCARD', 'XA', 'HANDLER']);

const SESSION_ANYWHERE = [
  // temporary tables, views and sequences live and die with the session: CREATE [OR REPLACE] [GLOBAL|LOCAL] TEMP[ORARY],
  // SELECT ... INTO TEMP, MySQL's DROP TEMPORARY TABLE, PostgreSQL's pg_temp schema. Not the TEMPORARY privilege
  // (GRANT/REVOKE CONNECT, TEMPORARY ON DATABASE): every database a manager creates revokes it from PUBLIC, and read as
  // session state it made the first status probe after a restart answer "unavailable", that is, CRASHED.
  /\b(?:CREATE(?:\s+OR\s+REPLACE)?(?:\s+(?:GLOBAL|LOCAL))?|INTO|DROP)\s+TEMP(?:ORARY)?\b(?!\s+TABLES\b)/i,
  /\bpg_temp\b/i,
  // PostgreSQL: a setting changed from a query (set_config(..., false) lasts the session), session-level advisory locks
  /\bset_config\s*\(/i,
  /\bpg_(try_)?advisory_lock(_shared)?\s*\(/i,
  // MySQL: named locks and user variables
  /\bGET_LOCK\s*\(/i,
  /@[A-Za-z_$][\w$.]*\s*:=/,
  /\bINTO\s+@/i,
];

/** Whitespace, comments and MySQL executable-comment openers before a statement's first word. */
const LEADING = /^(?:\s+|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|\/\*M?!\d*|\/\*(?![M!])[\s\S]*?\*\/|\()*/;

/** Comments of either kind, read loosely (quotes are not tracked): used only to find more matches, never fewer. */
const COMMENTS = /\/\*[\s\S]*?\*\/|--[^\n]*|#[^\n]*/g;

/** How an error names the statement: its first words. */
const quote = (text: string) => JSON.stringify(text.trim().replace(/\s+/g, ' ').slice(0, 60));

/**
 * MySQL's SET GLOBAL / PERSIST: the server's settings, which a new
 * connection has as well (the MySQL manager applies configuration and turns
 * guest logs on so). Mixed with anything of the session's (SESSION, LOCAL,
 * @@session., a user variable, NAMES, a transaction's isolation), it counts
 * as session state; a later assignment without a scope keeps GLOBAL's, as
 * MySQL reads it.
 */
function setsServerOnly(setStatement: string): boolean {
  const assignments = setStatement.replace(/^SET\s+/i, '');
  if (!/^(?:GLOBAL|PERSIST|PERSIST_ONLY)\b|^@@(?:GLOBAL|PERSIST|PERSIST_ONLY)\./i.test(assignments)) return false;
  return !/\b(?:SESSION|LOCAL|NAMES|CHARACTER\s+SET|CHARSET)\b|@@(?:SESSION|LOCAL)\.|(?<!@)@(?!@)/i.test(assignments.replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"/g, "''"));
}

/** What of its session `statement` may change, for an error message ('session state set by "SET search_path TO x"'), or undefined. */
export function sqlSessionEffect(statement: string): string | undefined {
  // each piece between semicolons is read as a statement of its own (PostgreSQL's simple protocol runs several)
  for (const piece of statement.split(';')) {
    const rest = piece.replace(LEADING, '');
    const verb = /^[A-Za-z]+/.exec(rest)?.[0]?.toUpperCase();
    if (verb === 'SET' && setsServerOnly(rest)) continue;
    // MySQL's RESET MASTER / SLAVE / REPLICA: the server's binary log and replication state, not the session's
    if (verb === 'RESET' && /^RESET\s+(?:MASTER|SLAVE|REPLICA)\b/i.test(rest)) continue;
    if (verb !== undefined && SESSION_VERBS.has(verb)) return `session state set by ${quote(rest)}`;
  }
  // matched with comments and without, so that neither a comment between the words nor one that only looks like it hides a match
  const uncommented = statement.replace(COMMENTS, ' ');
  if (SESSION_ANYWHERE.some((pattern) => pattern.test(statement) || pattern.test(uncommented))) return `session state set by ${quote(statement.replace(LEADING, ''))}`;
  return undefined;
}

/** Redis commands that change the connection rather than the data: its database, its user, its protocol or mode. */
const REDIS_SESSION_COMMANDS = new Set(['select', 'auth', 'hello', 'reset', 'subscribe', 'psubscribe', 'ssubscribe', 'readonly', 'readwrite', 'asking']);
const REDIS_CLIENT_SESSION = new Set(['setname', 'setinfo', 'tracking', 'caching', 'reply', 'no-evict', 'no-touch']);

/**
 * What a Redis connection holds that a new one would not: an open MULTI,
 * WATCHed keys, or a command above. Told of each command before it is sent
 * and of each reply after; `held()` says what is left.
 */
export class RedisSessionState {
  private multi = false;
  private watching = false;
  private setBy: string | undefined;

  beforeSend(name: string, subcommand: string | undefined): void {
    if (name === 'multi') this.multi = true;
    else if (name === 'watch') this.watching = true;
    else if (REDIS_SESSION_COMMANDS.has(name)) this.setBy ??= name.toUpperCase();
    // the subcommand is named for CLIENT only: AUTH's argument is a password
    else if (name === 'client' && subcommand !== undefined && REDIS_CLIENT_SESSION.has(subcommand)) this.setBy ??= `CLIENT ${subcommand.toUpperCase()}`;
  }

  /** `name` was answered (an error reply included): EXEC and DISCARD end the transaction and every WATCH, UNWATCH the WATCHes. */
  answered(name: string): void {
    if (name === 'exec' || name === 'discard') {
      this.multi = false;
      this.watching = false;
    } else if (name === 'unwatch' && !this.multi) this.watching = false;
  }

  held(): string | undefined {
    if (this.multi) return 'an open MULTI transaction';
    if (this.watching) return 'WATCHed keys';
    return this.setBy !== undefined ? `session state set by ${this.setBy}` : undefined;
  }
}
