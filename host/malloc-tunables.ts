/**
 * glibc's malloc settings a guest host is started with (the packed systemd
 * unit and the local provisioner set them; a host run by hand may too).
 * By default every thread that allocates gets an arena of its own that
 * keeps its peak, and a freed large block raises the size below which
 * blocks stay in the heap: the bytes of a backup or a manager's files read
 * once stayed resident for good. Two arenas, and blocks of 64 KiB or more
 * mapped and returned when freed: after a PostgreSQL backup the host stays
 * at 126-131 MiB instead of 154-177 MiB (BENCHMARKS.md, guest footprint).
 * Only the host's own process: the programs it starts get the environment
 * their grant gives, never the host's.
 */
export const HOST_MALLOC_TUNABLES = 'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536:glibc.malloc.trim_threshold=65536';

/** `env` for a guest host's process: an operator's own GLIBC_TUNABLES is kept as it is. */
export function withHostMallocTunables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.GLIBC_TUNABLES ? env : { ...env, GLIBC_TUNABLES: HOST_MALLOC_TUNABLES };
}
