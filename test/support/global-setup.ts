import { execFileSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';

/** CLI and host tests run the real `berth` command from dist/: build it from the current sources first. */
export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
}
