/**
 * The files `berth new-manager` writes: a manager in its own npm project,
 * with one operation (list-databases), typechecked by plain `tsc` and built
 * and inspected by the SDK package's `berth`.
 */
export interface ScaffoldInput {
  /** The manager's and the datastore's name (lower case, digits and dashes). */
  name: string;
  /** The npm name of the SDK package this project depends on, and its version range. */
  sdkName: string;
  sdkRange: string;
  typescriptRange: string;
}

export function scaffoldFiles(input: ScaffoldInput): Record<string, string> {
  const { name } = input;
  const packageJson = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    description: `Berth datastore manager for ${name}`,
    scripts: {
      typecheck: 'tsc --noEmit',
      build: 'berth build manager.ts -o manager.wasm',
      inspect: 'berth inspect manager.wasm',
      test: 'npm run build && node --test test/',
    },
    devDependencies: { [input.sdkName]: input.sdkRange, typescript: input.typescriptRange },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      // the contract's wasi resources are Disposable
      lib: ['ES2023', 'ESNext.Disposable'],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    },
    include: ['manager.ts'],
  };
  const manager = `// A Berth datastore manager: its databases are the directories under its mount point.
// It implements one operation, list-databases; every other operation of the
// contract answers "unsupported" on its own. Add operations to \`operations\`.
import { defineManager, z } from '${input.sdkName}';

export default defineManager({
  name: '${name}',
  version: '0.1.0',
  datastores: ['${name}'],
  // guest options (the guest config's [options]), validated with their defaults
  options: z.object({ mount_point: z.string().default('/var/lib/${name}') }),
  // the grants the guest config must give; \`berth inspect\` lists them
  needs: {
    directories: [{ path: '{mount_point}', access: 'read-only', purpose: 'one sub-directory per database' }],
  },
  operations: {
    listDatabases(ctx, paging) {
      const names = ctx.files
        .list(ctx.options.mount_point)
        .filter((entry) => entry.type === 'directory')
        .map((entry) => entry.name)
        .sort()
        .filter((entry) => !paging.marker || (paging.includeMarker ? entry >= paging.marker : entry > paging.marker));
      const page = names.slice(0, paging.limit ?? names.length);
      return {
        items: page.map((entry) => ({ name: entry, characterSet: undefined, collation: undefined })),
        nextMarker: page.length < names.length ? page[page.length - 1] : undefined,
      };
    },
  },
});
`;
  const test = `// Builds the manager, then checks what its manifest offers (npm test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

test('the manager offers list-databases and nothing else', () => {
  const report = JSON.parse(execFileSync('npx', ['berth', 'inspect', 'manager.wasm', '--json'], { encoding: 'utf8' }));
  assert.equal(report.manifest.name, '${name}');
  assert.deepEqual(report.supported, ['list-databases']);
});
`;
  const readme = `# ${name}

A [Berth](https://github.com/berth) datastore manager, built to one WebAssembly component.

\`\`\`sh
npm install            # the SDK (${input.sdkName}) and TypeScript
npm run typecheck      # plain tsc against the SDK and the contract's types
npm run build          # berth build manager.ts -o manager.wasm
npm run inspect        # berth inspect manager.wasm: operations, options, grants
npm test               # build, then check the manifest
\`\`\`

Run one operation in the guest host's sandbox with a guest config that grants
the mount point (\`berth host --config guest.toml --call list-databases --args '[{"includeMarker": false}]'\`).
The guide: docs/writing-a-manager.md in the Berth repository.
`;
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    'manager.ts': manager,
    'test/manager.test.js': test,
    'README.md': readme,
    '.gitignore': 'node_modules/\n*.wasm\n',
  };
}
