import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { PACKAGE_ROOT, WIT_DIR } from './paths.js';

/**
 * Builds the @berth/sdk package (datastores/package.json) into a staging
 * directory and packs it with `npm pack`: the SDK, the error catalogue and
 * the toolchain compiled with their declarations, the contract's generated
 * types (so `berth:datastore/...` imports type-check in an author's `tsc`),
 * the WIT, and the `berth` bin of datastores/toolchain/sdk-cli.ts. Nothing of
 * host/ or server/ goes in. Prints the tarball's path.
 *
 *   node dist/datastores/toolchain/pack-sdk.js [--out <dir for the .tgz>] [--stage <staging dir>]
 */
const STAGE_DEFAULT = join(PACKAGE_ROOT, 'dist', 'sdk-package');
const SDK_INDEX_TYPES = 'datastores/sdk/index.d.ts';

function copyDeclarations(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copyDeclarations(join(from, entry.name), join(to, entry.name));
    else if (entry.name.endsWith('.d.ts')) cpSync(join(from, entry.name), join(to, entry.name));
  }
}

const README = `# @berth/sdk

Write a Berth datastore manager in its own npm project: the SDK
(\`import { defineManager, z } from '@berth/sdk'\`), the berth:datastore
contract (\`wit/\` and its generated TypeScript types) and the \`berth\`
command with \`build\`, \`inspect\` and \`new-manager\`.

\`\`\`sh
npx @berth/sdk new-manager my-manager   # or: npm install -D @berth/sdk && npx berth new-manager my-manager
cd my-manager && npm install && npm run build && npx berth inspect manager.wasm
\`\`\`

The guide is docs/writing-a-manager.md in the Berth repository ("A manager in its own npm project").
`;

export function stageSdkPackage(stage: string = STAGE_DEFAULT): string {
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const require = createRequire(import.meta.url);
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(PACKAGE_ROOT, 'datastores', 'tsconfig.sdk.json'), '--outDir', join(stage, 'datastores')], { stdio: 'inherit' });
  copyDeclarations(join(PACKAGE_ROOT, 'datastores', 'sdk', 'generated'), join(stage, 'datastores', 'sdk', 'generated'));
  // the contract's ambient modules come along with the SDK's types: no tsconfig `include` needed
  const index = join(stage, SDK_INDEX_TYPES);
  writeFileSync(index, `/// <reference path="./generated/manager.d.ts" />\n${readFileSync(index, 'utf8')}`);
  cpSync(WIT_DIR, join(stage, 'wit'), { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'datastores', 'package.json'), join(stage, 'package.json'));
  writeFileSync(join(stage, 'README.md'), README);
  chmodSync(join(stage, 'datastores', 'toolchain', 'sdk-cli.js'), 0o755);
  return stage;
}

/** `npm pack` of the staged package into `out`; answers the tarball's path. */
export function packSdk(out: string, stage: string = STAGE_DEFAULT): string {
  stageSdkPackage(stage);
  mkdirSync(out, { recursive: true });
  const printed = execFileSync('npm', ['pack', '--json', '--pack-destination', resolve(out)], { cwd: stage, encoding: 'utf8' });
  const [packed] = JSON.parse(printed) as Array<{ filename: string }>;
  if (!packed) throw new Error('npm pack printed no tarball');
  return join(resolve(out), packed.filename);
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const flag = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  process.stdout.write(`${packSdk(flag('--out') ?? join(PACKAGE_ROOT, 'dist'), flag('--stage'))}\n`);
}
