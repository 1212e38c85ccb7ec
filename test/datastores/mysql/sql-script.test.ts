import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlScript, SqlScriptError, wholeUtf8, type Statement } from '../../../datastores/mysql/sql-script.js';
import { MARIADB_PROGRAMS } from '../../../server/registry/builtin-datastores.js';
import { PrivateMariadb } from '../../support/private-mariadb.js';

// The MySQL manager restores a dump through its connection, one statement at a time (issue 13, finding 3):
// the splitter must cut what mariadb-dump writes exactly where the mariadb client would.

function split(text: string, maxChars = 1 << 20): Statement[] {
  const statements: Statement[] = [];
  const script = new SqlScript((statement) => statements.push(statement), maxChars);
  script.push(text);
  script.finish();
  return statements;
}

function splitBytes(bytes: Uint8Array, chunk: number): Statement[] {
  const statements: Statement[] = [];
  const script = new SqlScript((statement) => statements.push(statement), 1 << 24);
  for (let at = 0; at < bytes.length; at += chunk) script.pushBytes(bytes.subarray(at, at + chunk));
  script.finish();
  return statements;
}

const texts = (text: string) => split(text).map((statement) => statement.text);

describe('the SQL script splitter', () => {
  it.each([
    ['quotes and backticks hide the delimiter', `SELECT 'a;b', "c;d", \`e;f\`; SELECT 2;`, [`SELECT 'a;b', "c;d", \`e;f\``, 'SELECT 2']],
    ['backslash escapes and doubled quotes', `SELECT 'it\\'s; x', 'a''; b', "q\\"; r";`, [`SELECT 'it\\'s; x', 'a''; b', "q\\"; r"`]],
    ['a backslash in backticks escapes nothing', 'SELECT `a\\`; SELECT `b``;c`;', ['SELECT `a\\`', 'SELECT `b``;c`']],
    ['# and "-- " comment to the end of the line', '-- x;\nSELECT 1 # y;\n, 2 -- z;\n;', ['SELECT 1 # y;\n, 2 -- z;']],
    ['"--" before a non-space is two minus signs', 'SELECT 5--3; SELECT 1;', ['SELECT 5--3', 'SELECT 1']],
    ['block comments hide the delimiter; a comment-only statement is not sent', '/* a; b */ SELECT 1;\n/* only */;\n-- only\n;SELECT 2;', ['/* a; b */ SELECT 1', 'SELECT 2']],
    ['/*! and /*M! are code to the server, scanned as code', "/*!40101 SET NAMES utf8mb4 */;\n/*M!100100 SET x = ';' */;", ['/*!40101 SET NAMES utf8mb4 */', "/*M!100100 SET x = ';' */"]],
    [
      'DELIMITER changes the delimiter, and is not sent',
      'DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;;\n-- c\ndelimiter ;\nSELECT 2;',
      ['CREATE PROCEDURE p() BEGIN SELECT 1; END', 'SELECT 2'],
    ],
    ['DELIMITER inside a string is data', "SELECT 'x\nDELIMITER ;;\n';", ["SELECT 'x\nDELIMITER ;;\n'"]],
    ['a last statement without its delimiter still runs', 'SELECT 1;\nSELECT 2', ['SELECT 1', 'SELECT 2']],
    ["mariadb-dump's sandbox line goes with the first statement (the server skips it)", '/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump\n/*!40101 SET @a=1 */;', ['/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump\n/*!40101 SET @a=1 */']],
  ])('%s', (_label, script, expected) => {
    expect(texts(script)).toEqual(expected);
  });

  it('numbers each statement by the line it starts on', () => {
    expect(split('-- head\n\nSELECT 1;\nSELECT\n2; SELECT 3;').map((s) => s.line)).toEqual([3, 4, 5]);
  });

  it('cuts the same statements whatever the chunks, a UTF-8 sequence cut between two included', () => {
    const script = "SET NAMES utf8mb4;\nINSERT INTO t VALUES ('é⚙😀; -- x', 0x00FF), ('`''', '\\\\');\nDELIMITER //\nCREATE TRIGGER t BEFORE INSERT ON t FOR EACH ROW BEGIN SET @a = '😀;'; END//\n";
    const whole = split(script);
    expect(whole).toHaveLength(3);
    const bytes = new TextEncoder().encode(script);
    for (const chunk of [1, 2, 3, 5, 64]) expect(splitBytes(bytes, chunk)).toEqual(whole);
  });

  it('finds where whole UTF-8 sequences end', () => {
    const emoji = new TextEncoder().encode('a😀');
    expect([1, 2, 3, 4, 5].map((n) => wholeUtf8(emoji.subarray(0, n)))).toEqual([1, 1, 1, 1, 5]);
  });

  it.each([
    ['bytes that are not UTF-8', () => splitBytes(Uint8Array.from([0x53, 0x45, 0xff, 0x3b]), 2), 'not UTF-8'],
    ['a quote never closed', () => split("SELECT 'abc;\n"), 'never closed'],
    ['a statement longer than the bound', () => split(`SELECT '${'x'.repeat(100)}';`, 50), 'longer than 50'],
    ['a line longer than the bound', () => split(`-- ${'x'.repeat(100)}`, 50), 'longer than 50'],
  ])('refuses %s with a clear error', (_label, action, message) => {
    expect(action).toThrow(SqlScriptError);
    expect(action).toThrow(message);
  });
});

describe('a real mariadb-dump, restored statement by statement', () => {
  let server: PrivateMariadb;
  let admin: mysql.Connection;
  beforeAll(async () => {
    server = await PrivateMariadb.create();
    admin = await server.connect();
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    await server?.destroy();
  });

  const seed = [
    'CREATE DATABASE shop',
    'USE shop',
    'CREATE TABLE parts (id int PRIMARY KEY, label varchar(40) CHARACTER SET utf8mb4, photo longblob, note text CHARACTER SET utf8mb4, at timestamp NULL)',
    "INSERT INTO parts VALUES (1, 'écrou ⚙😀; -- no comment', x'00ff10273b0a5c2227', 'it''s a \"bolt\" /* nope */ `x`\\\\', '2024-01-02 03:04:05'), (2, 'semi;colon\\\\', NULL, 'DELIMITER ;;\nnext line', NULL)",
    // big enough for several 1 MiB chunks and rows on either side of a cut
    "INSERT INTO parts SELECT seq + 10, CONCAT('row ', seq, ' ⚙'), RANDOM_BYTES(1024), REPEAT('😀', seq % 50), NULL FROM seq_1_to_3000",
    'CREATE TABLE log (id int AUTO_INCREMENT PRIMARY KEY, part int, what varchar(20))',
    "CREATE VIEW labels AS SELECT id, label FROM parts WHERE label <> ';'",
    "CREATE TRIGGER parts_ai AFTER INSERT ON parts FOR EACH ROW BEGIN INSERT INTO log(part, what) VALUES (NEW.id, 'insert;'); END",
    'CREATE PROCEDURE count_parts(OUT n int) BEGIN SELECT COUNT(*) INTO n FROM parts; -- a ; comment\nEND',
    "CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC RETURN x * 2",
    'CREATE EVENT tidy ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log WHERE id < 0; END',
    'CREATE TABLE `we``ird` (`a;b` int)',
    'INSERT INTO `we``ird` VALUES (1)',
  ];

  /** What must survive: the rows (checksums and the tricky ones), and every object's definition. */
  async function snapshot(): Promise<unknown> {
    // SHOW CREATE VIEW names the schema unless it is the session's own
    await admin.query('USE shop');
    const shown = async (statement: string) => ((await admin.query(statement)) as unknown as [Record<string, unknown>[]])[0];
    return {
      checksums: await shown('CHECKSUM TABLE shop.parts, shop.log, shop.`we``ird` EXTENDED'),
      tricky: await shown('SELECT id, label, HEX(photo) AS photo, note, at FROM shop.parts WHERE id < 10 ORDER BY id'),
      trigger: (await shown('SHOW CREATE TRIGGER shop.parts_ai'))[0]!['SQL Original Statement'],
      procedure: (await shown('SHOW CREATE PROCEDURE shop.count_parts'))[0]!['Create Procedure'],
      function: (await shown('SHOW CREATE FUNCTION shop.twice'))[0]!['Create Function'],
      event: (await shown('SHOW CREATE EVENT shop.tidy'))[0]!['Create Event'],
      view: (await shown('SHOW CREATE VIEW shop.labels'))[0]!['Create View'],
    };
  }

  it('gives back the tables, rows, binary data, views, triggers, routines and events', async () => {
    for (const statement of seed) await admin.query(statement);
    const before = await snapshot();
    const file = join(server.dir, 'dump.sql');
    // the options the manager's logical backup uses (datastores/mysql/logical-backup.ts)
    const args = ['--no-defaults', ...server.login(), '--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--default-character-set=utf8mb4', `--result-file=${file}`, '--databases', 'shop'];
    execFileSync(MARIADB_PROGRAMS.dump[0], args, { stdio: 'ignore' });
    const dump = readFileSync(file);
    expect(dump.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(dump.toString('utf8')).toContain('DELIMITER ;;');
    await admin.query('DROP DATABASE shop');

    const statements = splitBytes(dump, 1024 * 1024 - 1);
    // a fresh session, as the host's connection: one statement per query
    const restore = await server.connect();
    for (const statement of statements) await restore.query(statement.text);
    await restore.end();

    expect(await snapshot()).toEqual(before);
    await admin.query('USE shop');
    await admin.query("INSERT INTO parts (id, label) VALUES (9999, 'after')");
    expect((await admin.query("SELECT twice(21) AS n, (SELECT what FROM log WHERE part = 9999) AS logged")) [0]).toEqual([{ n: 42, logged: 'insert;' }]);
  }, 120_000);
});
