import { stringify } from 'smol-toml';
import type { TroveImport } from './trove-conf-import.js';

const comment = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? '#' : `# ${line}`))
    .join('\n');

/**
 * The imported config as a TOML file `berth server --config` loads: what
 * the file mapped to, then as comments the datastores left out for want of
 * a manager (their tables ready to finish) and every option not imported,
 * with its reason.
 */
export function renderServerToml(result: TroveImport, source: string): string {
  const parts = [
    comment(
      [
        `Berth server config imported from ${source} by \`berth import-trove-conf\`.`,
        'Start it with: berth server --config <this file>. Before that, say who may use the API:',
        "[[projects]] with a token's sha256, or [[users]] (berth hash-password); see docs/server-config.md.",
        "provisioner \"external\": like Trove's, each guest is a server of its own, where `berth host` runs",
        "with the guest config the server writes for its instance (docs/guest-config.md).",
        'Options not given here have Berth\'s defaults, which are Trove 18\'s (docs/trove-compatibility.md).',
      ].join('\n'),
    ),
    stringify(result.config),
  ];
  for (const datastore of result.leftOut) {
    const table = {
      datastores: [
        {
          name: datastore.name,
          ...(Object.keys(datastore.server).length ? { server: datastore.server } : {}),
          ...(Object.keys(datastore.guest).length ? { guest: datastore.guest } : {}),
          versions: [{ name: '<version>', manager: { path: `/path/to/${datastore.name}.wasm`, sha256: '<sha256sum of it>' } }],
        },
      ],
    };
    parts.push(
      comment(
        `Left out: [${datastore.name}] sets options, but no manager was given for it (--manager ${datastore.name}:<version>=<file.wasm>).\n` +
          `Its datastore, to finish and uncomment:\n\n${stringify(table)}`,
      ),
    );
  }
  if (result.notImported.length > 0) {
    const lines = result.notImported.map((entry) => `[${entry.section}] ${entry.option}: ${entry.why}`);
    parts.push(comment(`Not imported (${result.notImported.length} options), each with the reason:\n${lines.join('\n')}`));
  }
  return `${parts.join('\n\n')}\n`;
}
