#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { BerthError } from '../errors/berth-error.js';
import { reportError } from '../errors/report-error.js';
import { BACKENDS, DEFAULT_BACKEND, isBackend } from './backends.js';

/**
 * The SDK package's `berth`: build, inspect and new-manager, with the
 * toolchain alone (no control plane, no guest host). The repository's
 * `berth` (server/cli/berth.ts) offers the same build and inspect.
 */
const HELP = `usage: berth <command>

  berth build <entry.ts> [-o out.wasm] [--backend ${BACKENDS.join('|')}] [--no-cache] [--no-typecheck] [--json]
  berth inspect <file.wasm> [--json]
  berth new-manager <dir> [--name <name>] [--json]
`;

function usage(message: string): BerthError {
  return new BerthError('BERTH_ERR_USAGE', message, 'run `berth --help`');
}

type Flags = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

function parse(args: string[], options: Flags): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw usage((error as Error).message);
  }
}

async function build(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    out: { type: 'string', short: 'o' },
    backend: { type: 'string', default: DEFAULT_BACKEND },
    'no-cache': { type: 'boolean', default: false },
    'no-typecheck': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const entry = positionals[0];
  if (!entry || positionals.length > 1) throw usage('berth build takes one <entry.ts>');
  const backend = String(values.backend);
  if (!isBackend(backend)) throw new BerthError('BERTH_ERR_BUILD_BACKEND', `unknown backend "${backend}"`, `use --backend ${BACKENDS.join(' or --backend ')}`);
  const out = typeof values.out === 'string' ? values.out : entry.replace(/\.[cm]?[jt]s$/, '') + '.wasm';
  if (!values.json) process.stderr.write(`building ${entry} with ${backend}...\n`);
  const { buildManager } = await import('./build.js');
  const { describeStandalone } = await import('./describe-standalone.js');
  const { buildJson, buildText } = await import('./report-text.js');
  const result = await buildManager({ describe: describeStandalone, entry, out, backend, cache: !values['no-cache'], typecheck: !values['no-typecheck'] });
  process.stdout.write(values.json ? buildJson(out, result) : buildText(out, result));
}

async function inspect(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { json: { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw usage('berth inspect takes one <file.wasm>');
  const { inspectManager } = await import('./inspect.js');
  const { inspectText } = await import('./report-text.js');
  const report = await inspectManager(positionals[0]!);
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : inspectText(report));
}

async function newManagerCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, json: { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw usage('berth new-manager takes one <dir>');
  const { newManager } = await import('./new-manager.js');
  const result = await newManager({ dir: positionals[0]!, name: typeof values.name === 'string' ? values.name : undefined });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.stdout.write(
    [`created ${result.name} in ${result.dir}:`, ...result.files.map((file) => `  ${file}`), '', `next: cd ${positionals[0]} && npm install && npm run build`, ''].join('\n'),
  );
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { build, inspect, 'new-manager': newManagerCommand };

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(HELP);
} else {
  const json = rest.includes('--json');
  try {
    const run = COMMANDS[command];
    if (!run) throw usage(`unknown command "${command}"`);
    await run(rest);
  } catch (error) {
    process.exitCode = reportError(error, json);
  }
}
