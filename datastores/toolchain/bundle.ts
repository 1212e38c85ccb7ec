import { build, type Message } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { BerthError } from '../errors/berth-error.js';
import { OPERATION_INTERFACES, camelName } from '../sdk/operations.js';
import type { Backend } from './backends.js';

const EXPORTED = ['manifest', ...OPERATION_INTERFACES].map(camelName);

function formatMessages(messages: Message[]): string {
  return messages
    .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text))
    .join('\n');
}

/**
 * One ES module for the component: the author's default export (a
 * defineManager result) re-exported as the world's interfaces. The contract's
 * own imports stay external; the builders bind them to the component's imports.
 */
export async function bundleManager(entry: string, backend: Backend): Promise<string> {
  const entryPath = resolve(entry);
  if (!existsSync(entryPath)) {
    throw new BerthError('BERTH_ERR_FILE_NOT_FOUND', `manager entry ${entry} does not exist`, 'pass the path of the manager source, e.g. datastores/postgresql/manager.ts');
  }
  const shim = [
    `import manager from ${JSON.stringify(entryPath)};`,
    `if (!manager || typeof manager.manifest?.describe !== 'function') {`,
    `  throw new TypeError(${JSON.stringify(`${entry}: the default export must be the result of defineManager(...)`)});`,
    `}`,
    ...EXPORTED.map((name) => `export const ${name} = manager.${name};`),
  ].join('\n');
  try {
    const result = await build({
      stdin: { contents: shim, resolveDir: dirname(entryPath), sourcefile: 'berth-entry.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      external: ['wasi:*', 'berth:*'],
      // the SDK adapts to how each engine lowers 64-bit integers and option none
      define: { __BERTH_ENGINE__: JSON.stringify(backend) },
      minifySyntax: true,
      minifyWhitespace: true,
      logLevel: 'silent',
      legalComments: 'none',
    });
    return result.outputFiles[0]!.text;
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    const detail = messages?.length ? formatMessages(messages) : (error as Error).message;
    const noDefault = /No matching export .* for import "default"/.test(detail);
    throw new BerthError(
      'BERTH_ERR_BUILD_ENTRY',
      `cannot bundle ${entry}:\n${detail}`,
      noDefault ? 'end the entry with `export default defineManager({ ... })`' : 'fix the errors above in the manager source',
    );
  }
}
