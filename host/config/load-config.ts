import { statSync } from 'node:fs';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { readConfigFile } from './config-file.js';
import { guestConfigSchema, type GuestConfig } from './guest-config.js';

/** Paths the config names must exist before the host touches anything. */
function checkPaths(file: string, config: GuestConfig): void {
  const problems: string[] = [];
  const expect = (key: string, path: string, kind: 'file' | 'directory') => {
    try {
      const stat = statSync(path);
      if (kind === 'file' ? !stat.isFile() : !stat.isDirectory()) problems.push(`${file}: ${key}: ${path} is not a ${kind}`);
    } catch (error) {
      // EACCES is not "missing": the host runs as a user that cannot reach the path
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`${file}: ${key}: ${path} ${code === 'EACCES' ? `cannot be reached by this user (uid ${process.getuid?.()}): permission denied` : 'does not exist'}`);
    }
  };
  expect('manager.path', config.manager.path, 'file');
  if (config.guest.ca_file) expect('guest.ca_file', config.guest.ca_file, 'file');
  config.grants.directories.forEach((grant, index) => expect(`grants.directories[${index}].host`, grant.host, 'directory'));
  config.grants.programs.forEach((program, index) => expect(`grants.programs[${index}]`, program, 'file'));
  if (problems.length > 0) {
    throw new BerthError('BERTH_ERR_CONFIG_INVALID', problems.join('\n'), 'create the path, correct it in the config, or let the host\'s user reach it');
  }
}

/** Read, parse and validate a guest config file into the one typed config. */
export function loadGuestConfig(file: string): GuestConfig {
  const config = readConfigFile(file, guestConfigSchema, 'pass the guest config with --config /etc/berth/guest.toml');
  checkPaths(file, config);
  return config;
}
