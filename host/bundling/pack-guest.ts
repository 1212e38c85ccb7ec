import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { create as createTar } from 'tar';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { sha256 } from '../../datastores/toolchain/digest.js';
import { readEmbeddedManifest } from '../../datastores/toolchain/inspect.js';
import type { ManagerManifest } from '../../datastores/toolchain/manifest.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { transpileComponent } from '../component/compile.js';
import { transpileHere } from '../component/jco-transpile.js';
import { bundleGuestHost, type DriverKind } from './guest-bundle.js';
import { guestConfigTemplate, systemdUnit, type PackLayout, type PackPlacement } from './pack-templates.js';

export interface PackOptions {
  /** The manager component. */
  wasm: string;
  /** A directory, or a file ending in .tgz / .tar.gz. */
  out: string;
  /** Where the bundle will be installed on the database server; the templates name paths under it. */
  prefix?: string;
  /** The connection kinds whose clients go in; by default those the manifest asks for. */
  drivers?: readonly DriverKind[];
  /** What Berth's own placement of the manifest's datastore grants, for the template (pack-templates.ts). */
  placementFor?: (manifest: ManagerManifest) => PackPlacement | undefined;
}

export interface PackResult {
  /** The directory or archive written. */
  out: string;
  manifest: ManagerManifest;
  sha256: string;
  drivers: DriverKind[];
  /** Every file of the bundle, relative to its root, with its size. */
  files: Array<{ path: string; bytes: number }>;
  /** Sum of the files' sizes: what the bundle takes on disk besides Node.js. */
  totalBytes: number;
  /** The archive's own size, when `out` is one. */
  archiveBytes?: number;
}

/** What a packed bundle says of itself (PACK.json), for the image builder and for tooling. */
export const PACK_FILE = 'PACK.json';
const ARCHIVE = /\.(tgz|tar\.gz)$/;

async function filesUnder(root: string, dir = root): Promise<Array<{ path: string; bytes: number }>> {
  const found: Array<{ path: string; bytes: number }> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(root, path)));
    else found.push({ path: relative(root, path), bytes: (await stat(path)).size });
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** A directory to write into: new, empty, or an earlier pack (replaced whole); anything else is refused, so nothing is lost. */
async function prepareDirectory(dir: string): Promise<void> {
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(PACK_FILE)) {
      throw new BerthError('BERTH_ERR_USAGE', `${dir} exists and is not a bundle \`berth pack\` wrote`, 'name a new or empty directory with -o, or a .tgz file');
    }
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true, mode: 0o755 });
}

/**
 * `berth pack`: what one database server needs to run `manager.wasm` and
 * nothing else. Node.js is the only thing the server must have; nothing is
 * fetched at start, since jco's transpile of the manager is made here and
 * shipped in cache/ (the host finds it by the manager's sha256).
 *
 *   lib/host.js            the guest host: node lib/host.js --config /etc/berth/guest.toml
 *   lib/*.js               its workers and chunks
 *   manager/<name>.wasm    the manager
 *   cache/                 its transpile, for host.cache_dir
 *   guest.toml.example     the config to fill in: the manifest's grants, each with its purpose
 *   berth-host.service     a systemd unit
 *   PACK.json              what is inside, with sizes and the manager's sha256
 */
export async function packGuest(options: PackOptions): Promise<PackResult> {
  const wasm = resolve(options.wasm);
  const bytes = await readFile(wasm).catch(() => {
    throw new BerthError('BERTH_ERR_FILE_NOT_FOUND', `${options.wasm} cannot be read`, 'name a manager built with `berth build`');
  });
  const manifest = readEmbeddedManifest(bytes, options.wasm);
  const digest = sha256(bytes);
  const drivers = [...new Set(options.drivers ?? manifest.capabilities.connections.map((request) => request.kind))].sort();
  const archive = ARCHIVE.test(options.out);
  const out = resolve(options.out);
  const dir = archive ? await mkdtemp(join(dirname(out), '.berth-pack-')) : out;
  try {
    if (!archive) await prepareDirectory(dir);
    const managerFile = `${manifest.name.replace(/[^A-Za-z0-9._-]/g, '-')}.wasm`;
    const layout: PackLayout = { prefix: (options.prefix ?? '/opt/berth').replace(/\/+$/, ''), managerFile, sha256: digest };
    await bundleGuestHost(join(dir, 'lib'), drivers);
    await mkdir(join(dir, 'manager'), { mode: 0o755 });
    await writeFile(join(dir, 'manager', managerFile), bytes, { mode: 0o644 });
    // root-owned and writable by nobody else once installed: the host believes no other cache (cache-trust.ts)
    await mkdir(join(dir, 'cache'), { mode: 0o755 });
    await transpileComponent(bytes, join(dir, 'cache'), digest, transpileHere);
    await writeFile(join(dir, 'guest.toml.example'), guestConfigTemplate(manifest, layout, options.placementFor?.(manifest)), { mode: 0o644 });
    await writeFile(join(dir, 'berth-host.service'), systemdUnit(layout), { mode: 0o644 });
    const version = (JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const contents = await filesUnder(dir);
    const described = {
      berth: version,
      node: '^20.19 || ^24',
      run: `node ${layout.prefix}/lib/host.js --config /etc/berth/guest.toml`,
      prefix: layout.prefix,
      manager: { name: manifest.name, version: manifest.version, datastores: manifest.datastores, file: `manager/${managerFile}`, sha256: digest, source: basename(wasm) },
      drivers,
      files: contents,
    };
    const packFile = `${JSON.stringify(described, null, 2)}\n`;
    await writeFile(join(dir, PACK_FILE), packFile, { mode: 0o644 });
    const files = [...contents, { path: PACK_FILE, bytes: Buffer.byteLength(packFile) }].sort((a, b) => a.path.localeCompare(b.path));
    const totalBytes = files.reduce((sum, file) => sum + file.bytes, 0);
    if (!archive) return { out, manifest, sha256: digest, drivers, files, totalBytes };
    // portable: no owner of this machine's in the archive, so root's tar extracts it as root's
    await createTar({ gzip: true, file: out, cwd: dir, portable: true }, readdirSync(dir));
    return { out, manifest, sha256: digest, drivers, files, totalBytes, archiveBytes: (await stat(out)).size };
  } finally {
    if (archive) await rm(dir, { recursive: true, force: true });
  }
}
