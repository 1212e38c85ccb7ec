import { existsSync, readdirSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { stringify } from 'smol-toml';
import type { ManagerManifest } from '../../datastores/toolchain/manifest.js';
import { HOST_MALLOC_TUNABLES } from '../malloc-tunables.js';

/** Where a packed guest is installed, and the paths its templates name. */
/**
 * What the control plane's own placement of this datastore grants (the
 * registry's programs and connection templates, "{port}" and friends in
 * them), when it knows the datastore: `berth pack` passes it down so that the
 * template grants what Berth's own instances get. Without it, the manifest's
 * requests with example values.
 */
export interface PackPlacement {
  programs?: readonly string[];
  connections?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface PackLayout {
  /** The bundle's directory on the database server, such as /opt/berth. */
  prefix: string;
  /** The manager's file name under manager/. */
  managerFile: string;
  sha256: string;
}

/** A program the manifest names by base name, looked for on this machine's PATH and PostgreSQL's versioned directories. */
function findProgram(name: string): string | undefined {
  if (name.startsWith('/')) return name;
  const versioned = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((version) => `/usr/lib/postgresql/${version}/bin`)
    : [];
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', ...versioned].filter((dir) => dir.startsWith('/'));
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
}

function optionDefault(manifest: ManagerManifest, key: string): string | undefined {
  return manifest.options.find((option) => option.key === key)?.defaultValue;
}

const EXAMPLE_URL: Record<ManagerManifest['capabilities']['connections'][number]['kind'], (port: string) => string> = {
  postgresql: (port) => `postgres://os_admin:EDIT-password@127.0.0.1:${port}/postgres`,
  mysql: (port) => `mysql://os_admin:EDIT-password@127.0.0.1:${port}/mysql`,
  redis: (port) => `redis://berth:EDIT-password@127.0.0.1:${port}`,
};
const DEFAULT_PORT = { postgresql: '5432', mysql: '3306', redis: '6379' } as const;

/**
 * guest.toml as a starting point: the [guest] section empty (the host
 * refuses to start until it names the instance, the server and the token),
 * the manager pinned by sha256, each option the manifest declares, and
 * exactly the grants the manifest asks for, each with its purpose, so that
 * the image builder grants no more than the manager said it needs.
 */
export function guestConfigTemplate(manifest: ManagerManifest, layout: PackLayout, placement: PackPlacement = {}): string {
  const options: Record<string, string> = {};
  // a required option without a default is left out: the manager refuses to prepare until it is set, where "" would pass
  for (const option of manifest.options) if (option.defaultValue !== undefined) options[option.key] = option.defaultValue;
  // option defaults go in; a secret ({admin_password}) stays, for the host to refuse until it is filled in
  const resolve = (text: string) => text.replace(/\{([a-z][a-z0-9_]*)\}/gi, (whole, key: string) => optionDefault(manifest, key) ?? whole);
  const port = optionDefault(manifest, 'port');
  const connections = Object.fromEntries(
    manifest.capabilities.connections.map((request) => {
      const known = placement.connections?.[request.name];
      const grant = known
        ? Object.fromEntries(Object.entries(known).map(([field, value]) => [field, typeof value === 'string' ? resolve(value) : value]))
        : { kind: request.kind, url: EXAMPLE_URL[request.kind](port ?? DEFAULT_PORT[request.kind]) };
      return [request.name, grant];
    }),
  );
  const programFor = (program: string) => placement.programs?.find((path) => basename(path) === program) ?? findProgram(program);
  const body = {
    guest: { instance_id: '', server_url: '', token: '' },
    manager: { path: `${layout.prefix}/manager/${layout.managerFile}`, sha256: layout.sha256 },
    options,
    host: { cache_dir: `${layout.prefix}/cache`, state_dir: '/var/lib/berth/state', spool_dir: '/var/lib/berth/spool' },
    grants: {
      programs: manifest.capabilities.programs.map((request) => programFor(request.program) ?? `/usr/bin/${request.program}`),
      environment: Object.fromEntries(manifest.capabilities.environment.map((name) => [name, ''])),
      directories: manifest.capabilities.directories.map((request) => ({ host: resolve(request.path), access: request.access })),
      connections,
    },
  };
  const purposes = [
    ...manifest.capabilities.programs.map((request) => `#   program ${request.program}: ${request.purpose}${programFor(request.program) ? '' : ' (EDIT: not found where this was packed)'}`),
    ...manifest.capabilities.directories.map((request) => `#   directory ${request.path} (${request.access}): ${request.purpose}`),
    ...manifest.capabilities.connections.map((request) => `#   connection ${request.name} (${request.kind}): ${request.purpose}`),
    ...manifest.capabilities.environment.map((name) => `#   environment ${name}`),
  ];
  const required = manifest.options.filter((option) => option.defaultValue === undefined).map((option) => option.key);
  const secrets = [...new Set([...JSON.stringify(connections).matchAll(/\{([a-z][a-z0-9_]*)\}/g)].map((match) => match[1]!))];
  return [
    `# Guest config for ${manifest.name} ${manifest.version} (${manifest.datastores.join(', ')}), written by \`berth pack\`.`,
    '# Copy it to /etc/berth/guest.toml (mode 0600: it holds the instance token and the datastore passwords).',
    '# [guest]: the instance id, wss:// URL and token the server issued for this server; the host refuses to start without them.',
    ...(required.length > 0 ? [`# [options]: add ${required.join(', ')} (the manager declares no default).`] : []),
    ...(secrets.length > 0 ? [`# Replace each ${secrets.map((key) => `{${key}}`).join(', ')} in the connections with the value of that option: the host refuses a grant that still has one.`] : []),
    '# [host]: add run_as = "<user>" to run the host (and so the datastore) as that OS user once it has loaded the manager.',
    '# [grants] lists exactly what the manager asks for, and nothing is granted that is not listed here:',
    ...purposes,
    ...(manifest.capabilities.connections.some((request) => !placement.connections?.[request.name]) ? ['# A connection URL with EDIT in it is an example: set its account and password.'] : []),
    '# docs/guest-config.md describes every field.',
    '',
    stringify(body),
  ].join('\n');
}

/**
 * A systemd unit for the packed host. It starts as root only to read its
 * config and load the manager, then becomes host.run_as when the config
 * names one (docs/security.md); Restart brings it back after a crash, and
 * the host itself brings back a datastore that was running (autostart).
 */
export function systemdUnit(layout: PackLayout, nodePath = '/usr/bin/node'): string {
  return [
    '[Unit]',
    'Description=Berth guest host (one sandboxed datastore manager)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${nodePath} ${layout.prefix}/lib/host.js --config /etc/berth/guest.toml`,
    // malloc-tunables.ts: what a backup leaves allocated goes back to the system
    `Environment=GLIBC_TUNABLES=${HOST_MALLOC_TUNABLES}`,
    'Restart=always',
    'RestartSec=2',
    // as `berth host` does on SIGTERM, stopping the host leaves the datastore it started running (a restarted
    // host finds it, exec-stop.ts), like Trove's agent and its database: systemd must not kill it either
    'KillMode=process',
    'TimeoutStopSec=120',
    'StateDirectory=berth',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'ProtectHome=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
