import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Python, the one python3-trove installs into (another python3 on PATH may not see it). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export type TroveValue = string | number | boolean | string[] | null;

export interface TroveOptions {
  /** Every datastore option group of trove.common.cfg (a group with tcp_ports), option -> default. */
  groups: Record<string, Record<string, TroveValue>>;
  /** [DEFAULT]'s options, option -> default. */
  defaults: Record<string, TroveValue>;
  /** Options a datastore group still takes from [DEFAULT] (oslo's deprecated_group), option -> the groups. */
  fromDefault: Record<string, string[]>;
}

/**
 * Trove's own option table, read from the installed trove.common.cfg with
 * oslo.config: each option's default as Trove resolves it (${mysql.x}
 * references followed), port lists as written ("3306", "11209-11211") rather
 * than the ranges Trove turns them into.
 */
const SCRIPT = String.raw`
import json
from oslo_config import cfg
from trove.common import cfg as trove_cfg

CONF = trove_cfg.CONF
CONF([], project='trove', default_config_files=[], default_config_dirs=[])

def plain(opt, value):
    if isinstance(value, list) and any(isinstance(item, range) for item in value):
        return [str(item) for item in opt.default]
    return value

groups, from_default = {}, {}
for name, group in vars(trove_cfg).items():
    if not isinstance(group, cfg.OptGroup):
        continue
    opts = vars(trove_cfg).get(name[:-len('_group')] + '_opts')
    if not opts or 'tcp_ports' not in [opt.name for opt in opts]:
        continue
    groups[group.name] = {opt.name: plain(opt, CONF[group.name][opt.name]) for opt in opts}
    for opt in opts:
        for deprecated in opt.deprecated_opts:
            if deprecated.group == 'DEFAULT':
                from_default.setdefault(deprecated.name or opt.name, []).append(group.name)

defaults = {opt.name: CONF[opt.name] for opt in trove_cfg.common_opts}
print(json.dumps({'groups': groups, 'defaults': defaults, 'fromDefault': from_default}, default=str))
`;

export function troveOptions(): TroveOptions {
  if (!existsSync('/usr/lib/python3/dist-packages/trove/common/cfg.py')) {
    throw new Error('Trove 18 is not installed: apt-get install python3-trove (.ci/run does)');
  }
  return JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as TroveOptions;
}

/** The sample trove.conf Trove's own generator writes (every option commented out, at its default). */
export function troveSampleConf(): string {
  return execFileSync(DEBIAN_PYTHON, ['-m', 'oslo_config.generator', '--namespace', 'trove.config'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
