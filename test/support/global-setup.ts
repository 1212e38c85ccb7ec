import { execFileSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';

/** CLI tests run the real `berth` command from dist/: compile it from the current sources first. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
}
