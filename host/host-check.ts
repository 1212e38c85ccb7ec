import { loadGuestConfig } from './config/load-config.js';
import { checkedManager } from './component/checked-manager.js';

export interface HostCheck {
  manager: string;
  version: string;
  sha256: string;
  cacheDir: string;
}

/**
 * What `berth host` checks before it runs anything (the config, the
 * manager's sha256, world and manifest, the grants its manifest asks for),
 * without starting the manager or dialing the server, and the transpile
 * cache filled on the way: an image builder runs it once to ship a host that
 * starts warm, an operator to try a config.
 */
export async function checkGuestHost(configFile: string): Promise<HostCheck> {
  const config = loadGuestConfig(configFile);
  const { digest, manifest } = await checkedManager(config, configFile);
  return { manager: manifest.name, version: manifest.version, sha256: digest, cacheDir: config.host.cache_dir };
}
