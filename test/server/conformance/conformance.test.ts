import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManager } from '../../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { describeComponent } from '../../../host/component/describe.js';
import { documentedErrors } from '../../../server/conformance/documented-errors.js';
import { markdownMatrix } from '../../../server/conformance/matrix.js';
import { runConformance, type ConformanceReport } from '../../../server/conformance/scenario.js';
import { berthProcess } from '../../support/cli.js';
import { FIXTURE_MANAGERS } from '../../support/components.js';

const DOCS = join(PACKAGE_ROOT, 'docs', 'conformance.md');

async function built(entry: string): Promise<string> {
  return (await buildManager({ describe: describeComponent, entry, backend: 'quickjs' })).cachePath;
}

/** The matrix docs/conformance.md holds for a datastore, between its markers. */
function documentedMatrix(datastore: string): string | undefined {
  const text = readFileSync(DOCS, 'utf8');
  const found = new RegExp(`<!-- conformance:${datastore} -->\\n([\\s\\S]*?)<!-- /conformance:${datastore} -->`).exec(text);
  return found?.[1];
}

const failedCodes = (report: ConformanceReport) => report.checks.filter((check) => check.status === 'failed').map((check) => check.code);

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-conformance-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('berth conformance on the real managers', () => {
  it.each([
    ['directory', 'datastores/examples/directory/manager.ts'],
    ['redis', 'datastores/redis/manager.ts'],
    ['postgresql', 'datastores/postgresql/manager.ts'],
    ['mysql', 'datastores/mysql/manager.ts'],
  ])('%s passes, and docs/conformance.md shows its matrix', async (datastore, entry) => {
    const report = await runConformance({ managerPath: await built(join(PACKAGE_ROOT, entry)), datastore });
    const failed = report.checks.filter((check) => check.status === 'failed');
    expect(failed.map((check) => `${check.check}: ${check.code} ${check.detail}`)).toEqual([]);
    expect(report.passed).toBe(true);
    // every operation the manager does not claim was asked and answered unsupported
    for (const row of report.operations.filter((one) => !one.claimed)) expect([row.operation, row.status]).toEqual([row.operation, 'unsupported']);
    // the scenario drove what it claims: delete, the data checks and the process watch ran
    expect(report.checks.some((check) => check.operation === 'no-escaped-process' && check.status === 'passed')).toBe(true);
    const matrix = markdownMatrix(report);
    const found = join(PACKAGE_ROOT, 'dist', `conformance-${datastore}.md`);
    writeFileSync(found, matrix);
    expect(documentedMatrix(datastore), `docs/conformance.md's ${datastore} matrix is not what the run found (the run's is in ${found})`).toBe(matrix);
  });
});

describe('berth conformance on a third-party manager', () => {
  // the worked example of docs/writing-a-manager.md: its grants from its own server config, its data through etcdctl probes
  it('etcd (datastores/examples/etcd) passes with its server.toml and etcdctl probes, and docs/conformance.md shows its matrix', async () => {
    const endpoint = 'etcdctl --endpoints http://{host}:{port} --user {user}:{password}';
    const report = await runConformance({
      managerPath: await built(join(PACKAGE_ROOT, 'datastores/examples/etcd/manager.ts')),
      datastore: 'etcd',
      serverConfig: join(PACKAGE_ROOT, 'datastores/examples/etcd/server.toml'),
      probe: { write: `${endpoint} put probe-{marker} {marker}`, read: `${endpoint} get --prefix probe- --print-value-only` },
    });
    const failed = report.checks.filter((check) => check.status === 'failed');
    expect(failed.map((check) => `${check.check}: ${check.code} ${check.detail}`)).toEqual([]);
    expect(report.passed).toBe(true);
    for (const row of report.operations.filter((one) => !one.claimed)) expect([row.operation, row.status]).toEqual([row.operation, 'unsupported']);
    // the probe wrote and read markers (through the root credentials enable-root answered), in the copy restored from a snapshot too
    expect(report.checks.find((check) => check.operation === 'probe')?.status).toBe('passed');
    expect(report.operations.find((row) => row.operation === 'restore-backup')?.status).toBe('passed');
    const matrix = markdownMatrix(report);
    const found = join(PACKAGE_ROOT, 'dist', 'conformance-etcd.md');
    writeFileSync(found, matrix);
    expect(documentedMatrix('etcd'), `docs/conformance.md's etcd matrix is not what the run found (the run's is in ${found})`).toBe(matrix);
  });
});

describe('the contract\'s documented errors', () => {
  it('are read from the WIT doc comments, per operation', () => {
    const documented = documentedErrors();
    expect([...(documented.get('get-user') ?? [])].sort()).toEqual(['failed', 'not-found']);
    expect([...(documented.get('create-databases') ?? [])].sort()).toEqual(['already-exists', 'failed', 'invalid-argument']);
    // every operation the absent-object checks ask has its cases written down
    for (const operation of ['delete-database', 'delete-user', 'change-passwords', 'update-attributes', 'grant-access', 'revoke-access', 'list-access']) expect(documented.get(operation)?.has('not-found'), operation).toBe(true);
  });
});

describe('berth conformance on a broken manager', () => {
  it('names the checks it fails: a listed database nobody created, an undocumented error, a process that escaped delete\'s reach; the CLI exits 4', async () => {
    const wasm = await built(join(FIXTURE_MANAGERS, 'broken-directory.ts'));
    const config = join(work, 'broken.toml');
    // its grant: the shell it leaves a process with (sha256 is replaced by the manager's own)
    writeFileSync(config, ['[[datastores]]', 'name = "directory"', '[[datastores.versions]]', 'name = "0.1"', `manager = { path = "${wasm}", sha256 = "${'0'.repeat(64)}" }`, '[datastores.local]', 'programs = ["/bin/sh"]', ''].join('\n'));
    const json = join(work, 'broken.json');
    const home = await mkdtemp(join(work, 'home-'));
    const result = await berthProcess(['conformance', wasm, '--datastore', 'directory', '--server-config', config, '--json', json], { home });
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain('BERTH_ERR_CONFORMANCE_FAILED');
    const report = JSON.parse(readFileSync(json, 'utf8')) as ConformanceReport;
    expect(report.passed).toBe(false);
    expect(failedCodes(report)).toContain('BERTH_CONFORMANCE_PROCESS_ESCAPED');
    const undocumented = report.checks.find((check) => check.check === 'delete-database of an absent object answers a documented error');
    expect([undocumented?.status, undocumented?.code]).toEqual(['failed', 'BERTH_CONFORMANCE_ERROR_UNDOCUMENTED']);
    const listing = report.checks.find((check) => check.check === 'a new instance lists no database it was not asked for');
    expect(listing?.status).toBe('failed');
    expect(listing?.detail).toContain('ghost');
    expect(report.operations.find((row) => row.operation === 'list-databases')?.status).toBe('failed');
    // a root server runs each instance as its own OS user and ends that user's processes at delete: the escaped one too
    if (process.getuid?.() === 0) expect(report.checks.find((check) => check.check === 'the instance: delete leaves no process, no listener and no file')?.status).toBe('passed');
  });
});
