import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A host process whose stop() behaves as `stop` says, serving through the real
 * serveUntilSignalled; SIGTERM once it is ready (twice when `signals` is 2).
 * Resolves with how it exited; a process still alive after `giveUpMs` is
 * killed and reported as 'still running', which every case here must not be.
 */
async function signalledHost(stop: 'leaves-a-socket-open' | 'never-finishes', signals = 1, giveUpMs = 20_000): Promise<{ code: number | 'still running'; stderr: string }> {
  const script = `
    const net = await import('node:net');
    const { serveUntilSignalled } = await import('./host/host-command-run.ts');
    // a listening socket the stop forgets: it holds the event loop open, as a driver's socket did
    const forgotten = net.createServer().listen(0, '127.0.0.1');
    const host = {
      stop: ${stop === 'never-finishes' ? '() => new Promise(() => {})' : '() => Promise.resolve()'},
    };
    const serving = serveUntilSignalled(host, { stopDeadlineMs: 1500, drainGraceMs: 500 });
    process.stdout.write('ready\\n');
    await serving;`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? -9 : -1))));
  await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
  for (let i = 0; i < signals; i += 1) {
    // a signal sent while the same one is still pending is delivered once: let the first be handled
    if (i > 0) await new Promise<void>((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
  }
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('still running');
    }, giveUpMs);
  });
  const code = await Promise.race([exited, gaveUp]);
  clearTimeout(timer);
  return { code, stderr };
}

describe('a signalled guest host always exits', () => {
  it('exits after an orderly stop even when a socket the stop missed is still open, naming what held it', async () => {
    const outcome = await signalledHost('leaves-a-socket-open');
    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toMatch(/TCPServerWrap/);
  }, 30_000);

  it('exits with status 1 when the stop itself never finishes', async () => {
    const outcome = await signalledHost('never-finishes');
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/did not finish within 1.5 s/);
  }, 30_000);

  it('a second SIGTERM while stopping exits at once', async () => {
    const outcome = await signalledHost('never-finishes', 2, 20_000);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/second SIGTERM/);
  }, 30_000);
});
