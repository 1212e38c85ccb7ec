import ts from 'typescript';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BerthError } from '../errors/berth-error.js';
import { GUEST_TYPES_DIR } from './paths.js';

const MAX_REPORTED = 10;

/**
 * esbuild strips types without checking them, and a value of the wrong shape
 * returned to the contract would only fail when the component lowers it (a
 * trap). So the build typechecks the manager, strictly, against the types jco
 * generated from wit/.
 */
export function typecheckManager(entry: string): void {
  const contract = readdirSync(join(GUEST_TYPES_DIR, 'interfaces')).map((name) => join(GUEST_TYPES_DIR, 'interfaces', name));
  const program = ts.createProgram([resolve(entry), ...contract], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    // Disposable: wasi resources in the generated types are disposable
    lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length === 0) return;
  const text = ts.formatDiagnostics(diagnostics.slice(0, MAX_REPORTED), {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => '\n',
  });
  const more = diagnostics.length > MAX_REPORTED ? `\n(${diagnostics.length - MAX_REPORTED} more)` : '';
  throw new BerthError(
    'BERTH_ERR_BUILD_TYPES',
    `${entry} does not typecheck against the berth:datastore contract:\n${text.trim()}${more}`,
    'fix the types above (operations take (ctx, ...arguments) and return what the WIT says), or pass --no-typecheck',
  );
}
