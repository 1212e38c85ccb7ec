import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ManagerPin } from '../config/trove-conf-import.js';

const MANAGER_SPEC = /^([a-z0-9][a-z0-9._-]{0,62}):([a-z0-9][a-z0-9._-]{0,62})=(.+)$/;

/** `mysql:8.0=/opt/berth/mysql.wasm` as a version's pin: the file's absolute path and sha256. */
function managerPin(spec: string): ManagerPin {
  const match = MANAGER_SPEC.exec(spec);
  if (!match) {
    throw new BerthError('BERTH_ERR_USAGE', `--manager ${spec}: not <datastore>:<version>=<file.wasm>`, 'e.g. --manager mysql:8.0=/opt/berth/mysql.wasm (names in lowercase letters, digits, ".", "_" or "-")');
  }
  const [, datastore, version, file] = match as unknown as [string, string, string, string];
  const path = resolve(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new BerthError('BERTH_ERR_FILE_NOT_FOUND', `--manager ${spec}: cannot read ${path}`, 'give the path of a manager component (berth build makes one)');
  }
  return { datastore, version, path, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * `berth import-trove-conf`: a Trove config (oslo INI) as a Berth server
 * config (TOML), on stdout or into --output; what was left out and why on
 * stderr, and as comments in the file.
 */
export function registerImportTroveConf(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('import-trove-conf')
    .description("write a Berth server config (TOML) from a Trove config (trove.conf): listen address, timeouts, each datastore group's options; lists what it cannot map")
    .argument('<trove.conf>', 'the Trove config to read')
    .option('-o, --output <server.toml>', 'write the server config here (default: stdout)')
    .option('--manager <datastore:version=file.wasm>', 'a manager component for a version of a datastore (repeatable); a datastore needs one', (spec: string, all: string[]) => [...all, spec], [] as string[])
    .option('--force', 'replace --output if it exists')
    .option('--json', 'an error as JSON on stderr')
    .action((troveConf: string, flags: { output?: string; manager: string[]; force?: boolean; json?: boolean }) =>
      run(async () => {
        const { importTroveConf } = await import('../config/trove-conf-import.js');
        const { renderServerToml } = await import('../config/trove-conf-render.js');
        let text: string;
        try {
          text = readFileSync(troveConf, 'utf8');
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          throw new BerthError('BERTH_ERR_CONFIG_NOT_FOUND', `cannot read ${troveConf}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 'give the path of a trove.conf, e.g. /etc/trove/trove.conf');
        }
        if (flags.output && existsSync(flags.output) && !flags.force) {
          throw new BerthError('BERTH_ERR_USAGE', `${flags.output} exists`, 'choose another --output, or add --force to replace it');
        }
        const result = importTroveConf(text, troveConf, flags.manager.map(managerPin));
        const toml = renderServerToml(result, troveConf);
        const notes = [
          `imported ${result.imported.length} options${result.imported.length ? `: ${result.imported.join(', ')}` : ''}`,
          ...result.leftOut.map((d) => `left out datastore ${d.name}: no --manager ${d.name}:<version>=<file.wasm>; its options are in the output as comments`),
          ...result.notImported.map((entry) => `not imported: [${entry.section}] ${entry.option}: ${entry.why}`),
        ];
        if (flags.output) {
          writeFileSync(flags.output, toml, { mode: 0o600 });
          notes.push(`wrote ${flags.output}; add [[projects]] or [[users]], then: berth server --config ${flags.output}`);
        } else {
          process.stdout.write(toml);
        }
        process.stderr.write(`${notes.join('\n')}\n`);
      }, flags.json),
    );
}
