/**
 * QuickJS (componentize-qjs) beside StarlingMonkey (componentize-js), measured
 * in one run so the ratios hold on a noisy machine: component size, build
 * time, compile and instantiate time, and the cost of a trivial call.
 * Run with `npm run bench:backends`; figures go into BENCHMARKS.md.
 */
import { join } from 'node:path';
import { buildManager } from '../datastores/toolchain/build.js';
import { BACKENDS, type Backend } from '../datastores/toolchain/backends.js';
import { PACKAGE_ROOT } from '../datastores/toolchain/paths.js';
import { compileComponent } from '../host/component/compile.js';
import { instantiateManager } from '../host/component/instantiate.js';
import { createSandboxImports } from '../host/component/sandbox-imports.js';
import { createEngineImports } from '../host/capabilities/engine.js';
import { machineLine, median } from './support.js';
import { describeComponent } from '../host/component/describe.js';

const ENTRY = join(PACKAGE_ROOT, 'test', 'fixtures', 'managers', 'three-ops.ts');
const BUILDS = Number(process.env.BENCH_BUILDS ?? 2);
const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);

type Fn = (...args: unknown[]) => unknown;

function perCallMicros(fn: () => unknown, calls: number): number {
  for (let i = 0; i < 1000; i++) fn(); // past lazy compilation
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls / 5; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - started) / 1000 / (calls / 5));
  }
  return median(rounds);
}

interface Row {
  backend: Backend;
  sizeMiB: number;
  buildS: number;
  compileMs: number;
  firstInstanceMs: number;
  nextInstanceMs: number;
  trivialCallUs: number;
  recordCallUs: number;
  errorCallUs: number;
}

async function measure(backend: Backend): Promise<Row> {
  const buildTimes: number[] = [];
  let bytes: Uint8Array = new Uint8Array();
  for (let i = 0; i < BUILDS; i++) {
    const started = performance.now();
    bytes = (await buildManager({ describe: describeComponent, entry: ENTRY, backend, cache: false })).bytes;
    buildTimes.push(performance.now() - started);
  }
  let started = performance.now();
  const compiled = await compileComponent(bytes);
  const compileMs = performance.now() - started;
  const grant = () => createSandboxImports({ options: { greeting: 'bench' } });
  started = performance.now();
  await instantiateManager(compiled, grant(), createEngineImports());
  const firstInstanceMs = performance.now() - started;
  const next: number[] = [];
  let exports: Record<string, unknown> = {};
  for (let i = 0; i < 5; i++) {
    started = performance.now();
    exports = (await instantiateManager(compiled, grant(), createEngineImports())).exports;
    next.push(performance.now() - started);
  }
  const root = exports.root as Record<string, Fn>;
  const databases = exports.databases as Record<string, Fn>;
  const paging = { limit: 2, marker: undefined, includeMarker: false };
  const unsupported = () => {
    try {
      databases.deleteDatabase!('x');
    } catch {
      // the unsupported answer is the point of this measurement
    }
  };
  return {
    backend,
    sizeMiB: bytes.length / 1024 / 1024,
    buildS: median(buildTimes) / 1000,
    compileMs,
    firstInstanceMs,
    nextInstanceMs: median(next),
    trivialCallUs: perCallMicros(() => root.isRootEnabled!(), CALLS),
    recordCallUs: perCallMicros(() => databases.listDatabases!(paging), CALLS),
    errorCallUs: perCallMicros(unsupported, CALLS / 4),
  };
}

const rows: Row[] = [];
for (const backend of BACKENDS) rows.push(await measure(backend));

console.log(`machine: ${machineLine()}`);
console.log(`builds per backend: ${BUILDS} (median), calls: ${CALLS} (median of 5 rounds)\n`);
console.log('| backend | component | build | transpile+compile | first instance | next instance | trivial call | call returning records | unsupported (error) call |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.sizeMiB.toFixed(1)} MiB | ${r.buildS.toFixed(1)} s | ${r.compileMs.toFixed(0)} ms | ${r.firstInstanceMs.toFixed(1)} ms | ${r.nextInstanceMs.toFixed(1)} ms | ${r.trivialCallUs.toFixed(1)} us | ${r.recordCallUs.toFixed(1)} us | ${r.errorCallUs.toFixed(1)} us |`,
  );
}
