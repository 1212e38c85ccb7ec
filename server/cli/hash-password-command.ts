import type { Command } from 'commander';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `berth hash-password`: the password on stdin (never an argument, which
 * ps and the shell's history would show), its scrypt hash on stdout, for a
 * user's `password_scrypt` in the server config.
 */
export function registerHashPassword(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('hash-password')
    .description("print the scrypt hash of the password read from stdin, for a user's password_scrypt in the server config")
    .action(() =>
      run(async () => {
        const { BerthError } = await import('../../datastores/errors/berth-error.js');
        const { hashPassword } = await import('../identity/password-hash.js');
        // one trailing newline is the terminal's or echo's, not the password's
        const password = (await readStdin()).replace(/\r?\n$/, '');
        if (password === '') throw new BerthError('BERTH_ERR_USAGE', 'no password on stdin', "pipe it in: printf '%s' \"$PASSWORD\" | berth hash-password");
        process.stdout.write(`${await hashPassword(password)}\n`);
      }),
    );
}
