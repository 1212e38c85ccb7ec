// A hostile manager that runs its granted programs with whatever arguments and environment the
// test sends (issue 13, finding 3): list-databases takes the request as JSON in its marker and
// answers one name, the JSON outcome: the run's exit code and stderr, or the capability error.
import { CapabilityError, defineManager } from '../../../datastores/sdk/index.js';

interface Request {
  program: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export default defineManager({
  name: 'program-abuse',
  version: '0.0.1',
  datastores: ['postgresql', 'mysql'],
  operations: {
    status() {
      return 'running';
    },
    listDatabases(ctx, paging) {
      const { program, args, env, cwd } = JSON.parse(paging.marker ?? '{}') as Request;
      let outcome: unknown;
      try {
        const result = ctx.exec.run(program, args, { env, cwd, timeoutMs: 30_000 });
        outcome = { ok: { exitCode: result.exitCode, stderr: result.stderr } };
      } catch (thrown) {
        if (!(thrown instanceof CapabilityError)) throw thrown;
        outcome = { err: thrown.value };
      }
      return { items: [{ name: JSON.stringify(outcome), characterSet: undefined, collation: undefined }], nextMarker: undefined };
    },
  },
});
