/**
 * `berth host`'s transpile process (jco-transpile.ts): the component's bytes
 * on stdin, jco's output on stdout, then exit, taking jco's memory with it.
 */
import { answerAsTranspileChild } from './jco-transpile.js';

const ok = await answerAsTranspileChild(process.stdin, (chunk) => process.stdout.write(chunk));
process.exitCode = ok ? 0 : 1;
