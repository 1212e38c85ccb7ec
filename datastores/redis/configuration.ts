import type { ConfigOverride } from 'berth:datastore/types@0.2.0';
import { ManagerError } from '../sdk/index.js';
import { command, errorReply, isBusyReply } from './admin-connection.js';
import { mergeSettings, parseConfigText } from './config-text.js';
import { layoutOf } from './layout.js';
import type { RedisContext } from './options.js';
import { checkSetting, ruleFor, settingKey, type Setting } from './override-rules.js';
import { reach, restartServer, startServer } from './server-process.js';
import { CONFIGURATION_HEADER, OVERRIDES_HEADER, readSettings, writeSettings } from './settings-files.js';

/** Every override checked before anything is written or set: one bad key changes nothing. */
export function checkOverrides(overrides: readonly ConfigOverride[]): Setting[] {
  return overrides.map(({ key, value }) => checkSetting(key, key, value));
}

/** Settings persisted to overrides.conf (read at the next start); with `remove`, those keys dropped. */
export function updateOverrides(ctx: RedisContext, overrides: readonly ConfigOverride[], remove: boolean): void {
  const changes = remove
    ? overrides.map(({ key }) => {
        if (!ruleFor(key)) throw ManagerError.invalidArgument(key, `"${key}" is not a setting the Redis manager accepts, so it cannot be overridden`);
        return { key: settingKey(key), value: '' };
      })
    : checkOverrides(overrides);
  const path = layoutOf(ctx).overrides;
  writeSettings(ctx, path, OVERRIDES_HEADER, mergeSettings(readSettings(ctx, path), changes, remove));
}

/**
 * Settings applied to the running server, all or none (one CONFIG SET). Those
 * Redis reads only at start are left for the restart the status probe then
 * asks for (restart-required).
 */
export function applyOverrides(ctx: RedisContext, overrides: readonly ConfigOverride[]): void {
  const settings = checkOverrides(overrides);
  const live = settings.filter((s) => ruleFor(s.key)?.live);
  const atStart = settings.filter((s) => !ruleFor(s.key)?.live);
  if (live.length > 0) {
    try {
      command(ctx, 'CONFIG', 'SET', ...live.flatMap((s) => [s.key, s.value]));
    } catch (thrown) {
      const reply = errorReply(thrown);
      if (reply === undefined) throw thrown;
      if (isBusyReply(reply)) throw ManagerError.unavailable(`redis-server cannot change its configuration now: ${reply}`);
      // "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - ..."
      const key = /argument '([^']+)'/.exec(reply)?.[1] ?? live.map((s) => s.key).join(', ');
      throw ManagerError.invalidArgument(key, `Redis refused it: ${reply}`);
    }
  }
  if (atStart.length > 0) {
    ctx.files.writeText(layoutOf(ctx).restartMarker, `${atStart.map((s) => s.key).join('\n')}\n`);
  }
}

function writeConfiguration(ctx: RedisContext, contents: string): void {
  const settings = parseConfigText(contents, 'config-contents');
  writeSettings(ctx, layoutOf(ctx).configuration, CONFIGURATION_HEADER, settings);
}

/** The server's configuration in place of the current one, overrides dropped; read at the next start. */
export function resetConfiguration(ctx: RedisContext, contents: string): void {
  writeConfiguration(ctx, contents);
  const layout = layoutOf(ctx);
  writeSettings(ctx, layout.overrides, OVERRIDES_HEADER, []);
  if (reach(ctx).state === 'answering') ctx.files.writeText(layout.restartMarker, 'configuration reset\n');
}

/**
 * The contract has no plain start: this is it. Blank contents start the
 * server with its current configuration; anything else replaces
 * configuration.conf first (and restarts a running server to read it).
 */
export function startWithConfigurationChanges(ctx: RedisContext, contents: string): void {
  if (contents.trim() === '') {
    startServer(ctx);
    return;
  }
  writeConfiguration(ctx, contents);
  restartServer(ctx);
}
