import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type * as Artifacts from '../generated/interfaces/berth-datastore-artifacts.js';
import { capabilityFailure, type DenialReporter } from './failure.js';

/**
 * One artifact the running call may touch: a backup's bytes, spooled in a
 * host file the manager never sees by path. Granted per call by the host
 * (create-backup writes its own id; restore-backup and prepare read the
 * backup they name) and gone when the call returns.
 */
export interface ArtifactGrant {
  name: string;
  access: 'write' | 'read';
  /** The spool file on the host. */
  path: string;
}

/** Hard ceiling on one read, whatever the manager asks for: keeps a chunk's copy across the boundary small. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

export interface ArtifactsCapability {
  readonly imports: typeof Artifacts;
  /** The grants of the call about to run (none = every artifact denied). */
  begin(grants: readonly ArtifactGrant[]): void;
  /** The call returned: close what it opened and revoke its grants. */
  end(): void;
}

interface OpenArtifact {
  grant: ArtifactGrant;
  fd: number | undefined;
  position: number;
}

/** berth:datastore/artifacts for one manager instance; nothing is granted outside a call. */
export function createArtifacts(onDenied?: DenialReporter): ArtifactsCapability {
  let open = new Map<string, OpenArtifact>();

  const deny = (what: string, why: string): never => {
    const message = `artifact ${what}: ${why}`;
    onDenied?.('artifacts', message);
    throw capabilityFailure({ tag: 'denied', val: message });
  };
  const failed = (name: string, error: unknown): never => {
    throw capabilityFailure({ tag: 'failed', val: `artifact ${name}: ${error instanceof Error ? error.message : String(error)}` });
  };

  function granted(name: string, access: ArtifactGrant['access']): OpenArtifact {
    const artifact = open.get(name);
    if (!artifact) return deny(name, 'not the backup of the running call');
    if (artifact.grant.access !== access) return deny(name, `granted for ${artifact.grant.access} only`);
    return artifact;
  }

  function fdOf(artifact: OpenArtifact): number {
    // exclusive create for writes: a spool file left over from an earlier attempt is never appended to
    artifact.fd ??= openSync(artifact.grant.path, artifact.grant.access === 'write' ? 'wx' : 'r', 0o600);
    return artifact.fd;
  }

  return {
    imports: {
      write(name, data) {
        const artifact = granted(name, 'write');
        try {
          const fd = fdOf(artifact);
          for (let written = 0; written < data.length; ) written += writeSync(fd, data, written, data.length - written);
        } catch (error) {
          failed(name, error);
        }
      },
      read(name, maxBytes) {
        const artifact = granted(name, 'read');
        try {
          const buffer = new Uint8Array(Math.max(0, Math.min(maxBytes, MAX_READ_BYTES)));
          const count = buffer.length === 0 ? 0 : readSync(fdOf(artifact), buffer, 0, buffer.length, artifact.position);
          artifact.position += count;
          return count === buffer.length ? buffer : buffer.subarray(0, count);
        } catch (error) {
          return failed(name, error);
        }
      },
    },
    begin(grants) {
      open = new Map(grants.map((grant) => [grant.name, { grant, fd: undefined, position: 0 }]));
    },
    end() {
      for (const artifact of open.values()) if (artifact.fd !== undefined) closeSync(artifact.fd);
      open = new Map();
    },
  };
}
