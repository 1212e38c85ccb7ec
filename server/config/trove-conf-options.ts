import { DATASTORE_DEFAULTS } from '../registry/defaults.js';

/** How oslo.config reads a value of the option: Berth's own reading of it follows oslo's types. */
export type TroveType = 'string' | 'integer' | 'boolean' | 'list' | 'ports';

/** A datastore group's option Berth carries: its type, and the key it becomes on each side of Berth's datastore. */
export interface MappedOption {
  type: TroveType;
  server?: string;
  guest?: string;
  /** Only in these groups (Trove defines it only there). */
  groups?: readonly string[];
}

/** Trove's datastore option groups: the datastores Berth has defaults for, the same twelve (trove-defaults.test.ts). */
export const TROVE_DATASTORE_GROUPS: readonly string[] = Object.keys(DATASTORE_DEFAULTS);

/** The options of a datastore group Berth imports, each to the side that reads it (docs/trove-compatibility.md). */
export const DATASTORE_OPTIONS: Readonly<Record<string, MappedOption>> = {
  tcp_ports: { type: 'ports', server: 'tcp_ports' },
  udp_ports: { type: 'ports', server: 'udp_ports' },
  root_on_create: { type: 'boolean', server: 'root_on_create' },
  usage_timeout: { type: 'integer', server: 'usage_timeout' },
  volume_support: { type: 'boolean', server: 'volume_support' },
  device_path: { type: 'string', server: 'device_path' },
  // both sides read it: the server for the backup record, the guest to take the backup
  backup_strategy: { type: 'string', server: 'backup_strategy', guest: 'backup_strategy' },
  mount_point: { type: 'string', guest: 'mount_point' },
  replication_strategy: { type: 'string', guest: 'replication_strategy' },
  ignore_users: { type: 'list', guest: 'ignore_users' },
  ignore_dbs: { type: 'list', guest: 'ignore_dbs' },
  default_password_length: { type: 'integer', guest: 'default_password_length' },
  // Berth's postgresql manager listens on its guest option `port`
  postgresql_port: { type: 'integer', guest: 'port', groups: ['postgresql'] },
};

/** [DEFAULT]'s deadlines and intervals, and the key of Berth's [timeouts] each becomes. */
export const DEFAULT_TIMEOUTS = {
  agent_call_low_timeout: 'quick_call',
  agent_call_high_timeout: 'slow_call',
  report_interval: 'report_interval',
  agent_heartbeat_expiry: 'heartbeat_expiry',
} as const;

/**
 * Options a datastore group still takes from [DEFAULT] when it has none of
 * its own (oslo's deprecated_group), and the groups that do, as Trove 18
 * declares them (trove-defaults.test.ts checks this against cfg.py).
 */
export const TROVE_FROM_DEFAULT: Readonly<Record<string, readonly string[]>> = {
  backup_strategy: ['mysql', 'percona', 'mariadb', 'redis', 'mongodb', 'cassandra', 'couchbase'],
  ignore_users: ['mysql', 'percona', 'mariadb', 'couchdb'],
  ignore_dbs: ['mysql', 'percona', 'mariadb', 'couchdb'],
  default_password_length: ['mysql', 'percona', 'pxc', 'mariadb', 'postgresql', 'redis', 'mongodb', 'cassandra', 'couchbase', 'couchdb', 'vertica', 'db2'],
};

const NO_OPENSTACK = 'an OpenStack service Berth does not call: its provisioner places guests ([provisioner] kind)';
const NO_CLUSTERS = 'Berth has no clusters';
const TROVE_CODE = "names Trove's Python code; a Berth datastore's code is its version's manager component";

/** Why a whole section is not imported, for the groups a trove.conf commonly has besides the datastores'. */
const SECTION_REASONS: Readonly<Record<string, string>> = {
  database: 'Berth keeps its own tables: give it a database of its own ([database] url = "sqlite:..." or "postgres://...")',
  keystone_authtoken: "Berth checks its own tokens ([[projects]]) and users ([[users]]), not Keystone's",
  service_credentials: 'Berth calls no other OpenStack service',
  network: 'Berth creates no networks or ports: its provisioner places guests',
  guest_agent: "Berth's guest is `berth host`, configured by the guest config the server writes for each instance",
  upgrade_levels: "Berth's guest protocol is versioned by its WIT contract, not by RPC version caps",
  oslo_policy: "Berth's API authorizes by project token, not by policy rules",
};

/** Why an option of [DEFAULT] is not imported: by name, else by what its name says it is about. */
const DEFAULT_REASONS: Readonly<Record<string, string>> = {
  restore_usage_timeout: "Berth waits the datastore's usage_timeout for every prepare, a restore included",
  agent_replication_snapshot_timeout: 'Berth has no replication',
  cluster_usage_timeout: NO_CLUSTERS,
  agent_heartbeat_time: 'Berth does not ask a guest for a heartbeat: the guest sends one every report_interval',
  root_on_create: 'Trove 18 reads root_on_create per datastore group only: set it under [mysql], [postgresql], ...',
  device_path: "Trove reads each datastore group's device_path: set it there",
  usage_timeout: 'no datastore was imported to give it to',
  transport_url: 'guests reach Berth over its WebSocket channel (server.guest_url), not a message queue',
  control_exchange: 'guests reach Berth over its WebSocket channel (server.guest_url), not a message queue',
  datastore_manager: "set by Trove's taskmanager for each guest; Berth's guest config names its manager",
  datastore_version: "set by Trove's taskmanager for each guest; Berth's guest config names its manager",
  guest_id: "set by Trove's taskmanager for each guest; Berth's guest config carries the instance id",
};

const DEFAULT_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/^(nova|neutron|cinder|swift|glance|designate|heat|dns|trove_dns|remote|os_region|region|management_networks?|network|default_neutron)/, NO_OPENSTACK],
  [/^(max_|quota_|default_quota)/, 'Berth has no quotas'],
  [/^(debug|verbose|log_|use_syslog|use_journal|use_json|syslog_|use_stderr|logging_|default_log_levels|publish_errors|fatal_deprecations|instance_format|instance_uuid_format|rate_limit)/, 'Berth logs to stderr (berth server)'],
  [/^(rpc_|executor_|conductor_|taskmanager_|amqp_|notification|exists_notification)/, 'guests reach Berth over its WebSocket channel, and Berth sends no notifications'],
  [/cluster/, NO_CLUSTERS],
  [/(_page_size)$/, "Berth's list routes take limit and marker, with no configured page size"],
  [
    /(_time_out|^block_device_mapping|^volume_|^format_options|^mount_options|^num_tries|^online_volume_resize|^enable_volume_az|^cloudinit_|^injected_config_|^guest_config|^guest_info|^template_path|^use_nova)/,
    "about building Nova servers and Cinder volumes for guests; Berth's provisioner places guests ([provisioner] kind)",
  ],
  [/^(backup_|storage_|verify_swift)/, 'Berth keeps backups in its own store ([backups])'],
  [/^http_.*_rate$/, "Berth's API has no rate limits"],
  [/^trove_security_group/, "Berth creates no security groups: an instance shows the rules its datastore's tcp_ports and udp_ports need"],
  [/^module_/, 'Berth has no modules'],
  [/^guest_log_/, 'a Berth manager names its own guest logs'],
  [/(secure_rpc|rpc_key|rpc_encr)/, 'guests reach Berth over its WebSocket channel, each with a token of its own, not over encrypted RPC'],
  [/^(command_process_timeout|state_change_|usage_sleep_time)/, "Berth does not poll guests: a guest reports its status, and the server bounds each call by [timeouts] quick_call or slow_call"],
  [/^root_grant/, "a Berth manager decides what the datastore's root user is granted"],
  [/^(pybasedir|api_paste_config|db_api_implementation|sql_query_logging|host$|trove_(service|endpoint)_type|trove_url|trove_volume_support)/, "about Trove's own services, not a datastore's"],
  [/^admin_roles$/, 'Berth has no admin role: each token belongs to one project'],
];

/** Why an option of a datastore group is not imported. */
const DATASTORE_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/^icmp$/, 'deprecated in Trove; Berth opens only tcp_ports and udp_ports'],
  [/(_namespace|_controller|^api_strategy|^taskmanager_strategy|^guestagent_strategy)$/, TROVE_CODE],
  [/docker_image$/, "Trove 18's guest runs the database in a Docker container; Berth's guest host runs it under its manager"],
  [/^guest_log_/, "a Berth manager names its own guest logs"],
  [/cluster|^num_|_volume_size$|^add_members_timeout$|^min_ksafety$|^node_sync_time$/, NO_CLUSTERS],
  [/^replication_(user|password)$/, 'Berth has no replication'],
  [/wal_archive/, "Berth's postgresql manager keeps no WAL archive: each base backup carries the WAL it needs"],
];

/** Why `option` of `section` has no place in Berth's config: the reason a not-imported option is listed with. */
export function whyNotImported(section: string, option: string): string {
  if (section === 'DEFAULT') {
    return DEFAULT_REASONS[option] ?? DEFAULT_PATTERNS.find(([pattern]) => pattern.test(option))?.[1] ?? 'Berth has no counterpart of this Trove option';
  }
  if (TROVE_DATASTORE_GROUPS.includes(section)) {
    return DATASTORE_PATTERNS.find(([pattern]) => pattern.test(option))?.[1] ?? `not an option of Trove 18's [${section}] that Berth carries`;
  }
  if (section.startsWith('oslo_messaging')) return 'guests reach Berth over its WebSocket channel, not a message queue';
  return SECTION_REASONS[section] ?? `[${section}] is not an option group of Trove 18 that Berth imports`;
}
