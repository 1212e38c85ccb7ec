import type { RedisContext } from './options.js';
import { parseConfigText, renderSettings } from './config-text.js';
import type { Setting } from './override-rules.js';

export const CONFIGURATION_HEADER = 'Configuration, written by berth-redis (prepare, reset-configuration, start-db-with-conf-changes).';
export const OVERRIDES_HEADER = 'Configuration overrides, written by berth-redis (update-overrides); read after configuration.conf.';

/** The settings of a file this manager wrote (so they passed the allow-list); none when it is missing. */
export function readSettings(ctx: RedisContext, path: string): Setting[] {
  return ctx.files.exists(path) ? parseConfigText(ctx.files.readText(path), path) : [];
}

export function writeSettings(ctx: RedisContext, path: string, header: string, settings: readonly Setting[]): void {
  ctx.files.writeText(path, renderSettings(header, settings));
}
