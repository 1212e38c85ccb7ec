import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { parseOsloIni, type OsloIni } from '../../../server/config/oslo-ini.js';
import { DEBIAN_PYTHON } from '../../support/trove-cfg.js';

/** The file as oslo.config's own ConfigParser reads it: {section (normalized): {key: [every value]}}, or its error. */
function osloParse(text: string): Record<string, Record<string, string[]>> | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-oslo-ini-'));
  try {
    const file = join(dir, 'trove.conf');
    writeFileSync(file, text);
    const script = [
      'import json, sys',
      'from oslo_config import cfg',
      'parser = cfg.ConfigParser(sys.argv[1], {})',
      'normalized = {}',
      'parser._add_normalized(normalized)',
      'try:',
      '    parser.parse()',
      'except Exception as error:',
      "    print(json.dumps({'error': type(error).__name__})); sys.exit(0)",
      'print(json.dumps(normalized))',
    ].join('\n');
    return JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', script, file], { encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const plain = (ini: OsloIni) => Object.fromEntries([...ini].map(([section, keys]) => [section, Object.fromEntries([...keys].map(([key, values]) => [key, values.map((v) => v.value)]))]));

const TRICKY = [
  '# a comment before any section',
  '; and another kind',
  '[DEFAULT]',
  'bind_host = 127.0.0.1',
  'debug=true',
  'password = se#cret;word   ',
  'url: http://example.net:8779/v1',
  'quoted = "  spaced value  "',
  "single = 'it''s'",
  'mismatched = "open',
  'empty =',
  '',
  '[MySQL]',
  'ignore_dbs = mysql,',
  '    information_schema,',
  '\tsys',
  '# a comment line ends the value above, as a blank line or the next key does',
  'mount_point = /var/lib/my sql',
  'tcp_ports = 3306',
  'tcp_ports = 3307, 3308',
  '',
  '[DEFAULT]',
  'report_interval = 10',
  '[unknown_group]',
  'x = ${mysql.mount_point}',
].join('\n');

describe("Berth's reader of oslo.config files", () => {
  it("reads a file with comments, both separators, quotes, continuation lines and repeated keys as oslo's own parser does", () => {
    const ours = plain(parseOsloIni(TRICKY, 'trove.conf'));
    expect(ours).toEqual(osloParse(TRICKY));
    // and the cases are really there
    expect(ours.mysql!.ignore_dbs).toEqual(['mysql,\ninformation_schema,\nsys']);
    expect(ours.mysql!.tcp_ports).toEqual(['3306', '3307, 3308']);
    expect(ours.DEFAULT!.password).toEqual(['se#cret;word']);
    expect(ours.DEFAULT!.quoted).toEqual(['  spaced value  ']);
  });

  it('keeps the line each value starts on', () => {
    const ini = parseOsloIni(TRICKY, 'trove.conf');
    expect(ini.get('mysql')!.get('tcp_ports')!.map((a) => a.line)).toEqual([19, 20]);
  });

  const broken: Array<[string, string, number]> = [
    ['an option before any section', 'debug = true\n[DEFAULT]\n', 1],
    ['a continuation line with nothing to continue', '[DEFAULT]\n\n  stray\n', 3],
    ['a section header without its ]', '[DEFAULT]\na = 1\n[mysql\n', 3],
    ['an empty section name', '[]\n', 1],
    ['a line with no = or :', '[DEFAULT]\njust words\n', 2],
    ['an empty option name', '[DEFAULT]\n = 5\n', 2],
  ];
  for (const [what, text, line] of broken) {
    it(`refuses ${what}, naming the line, as oslo does`, () => {
      expect(osloParse(text)).toHaveProperty('error');
      let thrown: unknown;
      try {
        parseOsloIni(text, 'trove.conf');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(BerthError);
      expect((thrown as BerthError).code).toBe('BERTH_ERR_CONFIG_INVALID');
      expect((thrown as BerthError).message.startsWith(`trove.conf:${line}:`)).toBe(true);
    });
  }
});
