import type { Command } from 'commander';
import { BACKENDS, DEFAULT_BACKEND, isBackend } from '../../datastores/toolchain/backends.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { buildJson, buildText } from '../../datastores/toolchain/report-text.js';

interface BuildFlags {
  out?: string;
  backend: string;
  cache: boolean;
  typecheck: boolean;
  json?: boolean;
}

export function registerBuild(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('build')
    .description('bundle a TypeScript manager and build it into one .wasm component')
    .argument('<entry>', 'manager source whose default export is defineManager(...)')
    .option('-o, --out <file>', 'where to write the component')
    .option('--backend <engine>', `JS engine: ${BACKENDS.join(' or ')}`, DEFAULT_BACKEND)
    .option('--no-cache', 'rebuild even when an identical build is cached')
    .option('--no-typecheck', 'skip checking the manager against the contract types')
    .option('--json', 'print the result as JSON')
    .action((entry: string, flags: BuildFlags) =>
      run(async () => {
        if (!isBackend(flags.backend)) {
          throw new BerthError('BERTH_ERR_BUILD_BACKEND', `unknown backend "${flags.backend}"`, `use --backend ${BACKENDS.join(' or --backend ')}`);
        }
        const out = flags.out ?? entry.replace(/\.[cm]?[jt]s$/, '') + '.wasm';
        if (!flags.json) process.stderr.write(`building ${entry} with ${flags.backend}...\n`);
        // the toolchain (esbuild, TypeScript, the componentizers) loads only for this command
        const { buildManager } = await import('../../datastores/toolchain/build.js');
        const { describeComponent } = await import('../../host/component/describe.js');
        const result = await buildManager({ describe: describeComponent, entry, out, backend: flags.backend, cache: flags.cache, typecheck: flags.typecheck });
        process.stdout.write(flags.json ? buildJson(out, result) : buildText(out, result));
      }, flags.json),
    );
}
