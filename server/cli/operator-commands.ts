import type { Command } from 'commander';
import type { AccessFlags } from './access-actions.js';
import type { BackupCreateFlags } from './backup-actions.js';
import type { ConfigurationCreateFlags } from './configuration-actions.js';
import type { OperatorFlags } from './operator-io.js';
import type { ReplicaCreateFlags, ReplicaWaitFlags } from './replica-actions.js';

type Run = (action: () => Promise<void>, json?: boolean) => Promise<void>;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The options every operator command takes: where the server is, which project, which token, and --json. */
function connected(command: Command): Command {
  return command
    .option('--url <url>', 'the Berth server (env BERTH_URL, default http://127.0.0.1:8779)')
    .option('--project <name>', 'the project (env BERTH_PROJECT, default "default")')
    .option('--token <token>', 'bearer token of the project (env BERTH_TOKEN, default the token `berth up` keeps in ~/.berth/token)')
    .option('--json', "print the API's JSON (errors as JSON on stderr)");
}

// the implementations (and the HTTP client) load only when a command runs
const actions = () => import('./operator-actions.js');
const accessActions = () => import('./access-actions.js');
const backupActions = () => import('./backup-actions.js');
const configurationActions = () => import('./configuration-actions.js');
const logActions = () => import('./log-actions.js');
const replicaActions = () => import('./replica-actions.js');

/**
 * The operator commands: datastores, instances and what lives in them, over
 * the REST API of a running server.
 */
export function registerOperatorCommands(program: Command, run: Run): void {
  // `berth instance create --version 1` is the datastore version, not the program's --version:
  // program options count only before the command name
  program.enablePositionalOptions();

  const datastore = program.command('datastore').description('datastores the server offers');
  connected(datastore.command('list').description('list datastores and their versions'))
    .action((flags: OperatorFlags) => run(async () => (await actions()).datastoreList(flags), flags.json));
  connected(
    datastore
      .command('parameters')
      .description('list the configuration parameters a group of the version may set (from its manager)')
      .argument('<datastore>', 'datastore name or id')
      .argument('[version]', 'version name or id (default: the default version)'),
  ).action((name: string, version: string | undefined, flags: OperatorFlags) => run(async () => (await import('./parameter-actions.js')).datastoreParameters(name, version, flags), flags.json));

  const flavor = program.command('flavor').description('the sizes instances are created with');
  connected(flavor.command('list').description('list the flavors'))
    .action((flags: OperatorFlags) => run(async () => (await import('./flavor-actions.js')).flavorList(flags), flags.json));
  connected(flavor.command('show').description('show one flavor').argument('<id>', 'flavor id'))
    .action((id: string, flags: OperatorFlags) => run(async () => (await import('./flavor-actions.js')).flavorShow(id, flags), flags.json));

  const instance = program.command('instance').description('create, list, show, restart, stop, start, upgrade and delete instances');
  connected(
    instance
      .command('create')
      .description('create an instance; prints the root password once when the datastore makes one')
      .argument('<name>', 'name of the instance')
      .option('--datastore <type>', "datastore type (`berth datastore list` shows them); required unless --replica-of (then the source's)")
      .option('--version <version>', "datastore version (default: the datastore's default version)")
      .option('--database <name>', 'a database to create with the instance (repeatable)', collect, [])
      .option('--replica-of <instance>', 'create a replica of this source (id or unique name): it follows the source and refuses writes')
      .option('--replica-count <n>', 'with --replica-of: this many replicas (1-10), named <name>-1 .. <name>-N')
      .option('--auto-failover <on|off>', "whether the server fails a lost source over to a replica by itself (berth_auto_failover; default the version's option)")
      .option('--configuration <group>', 'a configuration group to attach (id or unique name); its values apply from the start')
      .option('--backup <backup>', 'restore the instance from this completed backup (id or unique name) of the same datastore')
      .option('--flavor <id>', 'flavor (`berth flavor list`; default the first): its RAM sizes the datastore')
      .option('--size <GB>', 'volume size in GB, recorded and shown')
      .option('--wait', 'wait until the instance is ACTIVE (or ERROR)')
      .option('--wait-timeout <seconds>', 'how long --wait waits', '600'),
  ).action((name: string, flags: OperatorFlags & ReplicaCreateFlags & { version?: string; configuration?: string; flavor?: string; size?: string; wait?: boolean; waitTimeout: string }) =>
    run(async () => (await actions()).instanceCreate(name, flags), flags.json),
  );
  connected(
    instance
      .command('update')
      .description("change an instance's name or its automatic failover")
      .argument('<instance>', 'instance id or unique name')
      .option('--auto-failover <on|off|default>', "berth_auto_failover; default returns to the datastore version's option")
      .option('--name <name>', 'a new name'),
  ).action((ref: string, flags: OperatorFlags & { autoFailover?: string; name?: string }) => run(async () => (await replicaActions()).instanceUpdate(ref, flags), flags.json));
  connected(instance.command('list').description('list the instances of the project'))
    .action((flags: OperatorFlags) => run(async () => (await actions()).instanceList(flags), flags.json));
  connected(instance.command('show').description('show one instance').argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).instanceShow(ref, flags), flags.json));
  connected(instance.command('filesystem').description("the manager's file system statistics for the instance's data (get-filesystem-stats)").argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).instanceFilesystem(ref, flags), flags.json));
  connected(instance.command('restart').description("restart the instance's datastore").argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).instanceRestart(ref, flags), flags.json));
  connected(instance.command('stop').description("stop the instance's datastore; it stays down, across reboots too, until started").argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).instanceStopStart('stop', ref, flags), flags.json));
  connected(instance.command('start').description("start the instance's datastore again").argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).instanceStopStart('start', ref, flags), flags.json));
  connected(instance.command('resize-volume').description("grow the instance's volume (refused where the provisioner's volumes cannot grow)").argument('<instance>', 'instance id or unique name').argument('<size>', 'new size in GB'))
    .action((ref: string, size: string, flags: OperatorFlags) => run(async () => (await actions()).instanceResizeVolume(ref, size, flags), flags.json));
  connected(
    instance
      .command('upgrade')
      .description("move the instance's guest to another version of its datastore (Trove's upgrade: pre-upgrade, the new build, post-upgrade; rolled back when it fails)")
      .argument('<instance>', 'instance id or unique name')
      .argument('<version>', 'datastore version name or id (`berth datastore list` shows them)')
      .option('--wait', 'wait until the upgrade has ended (ACTIVE on the new version, or rolled back)')
      .option('--wait-timeout <seconds>', 'how long --wait waits', '600'),
  ).action((ref: string, version: string, flags: OperatorFlags & { wait?: boolean; waitTimeout: string }) => run(async () => (await actions()).instanceUpgrade(ref, version, flags), flags.json));
  connected(instance.command('delete').description('delete an instance and its guest').argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).instanceDelete(ref, flags), flags.json));

  const log = instance.command('log').description("the datastore's logs: list, switch user logs on and off, publish into the server, read a publication");
  connected(log.command('list').description('list the logs of an instance').argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await logActions()).logList(ref, flags), flags.json));
  connected(log.command('show').description('show one log').argument('<instance>', 'instance id or unique name').argument('<name>', 'name of the log'))
    .action((ref: string, name: string, flags: OperatorFlags) => run(async () => (await logActions()).logAction(undefined, ref, name, flags), flags.json));
  for (const [action, description] of [
    ['enable', 'start writing a user log'],
    ['disable', 'stop writing a user log'],
    ['publish', 'read what is new in the log into the server (a user log is enabled first)'],
    ['discard', "drop the log's publications; the next publish starts at its beginning"],
  ] as const) {
    connected(log.command(action).description(description).argument('<instance>', 'instance id or unique name').argument('<name>', 'name of the log'))
      .action((ref: string, name: string, flags: OperatorFlags) => run(async () => (await logActions()).logAction(action, ref, name, flags), flags.json));
  }
  connected(
    log
      .command('content')
      .description("print a publication of the log (the newest by default)")
      .argument('<instance>', 'instance id or unique name')
      .argument('<name>', 'name of the log')
      .option('--publication <n>', 'the number of an older publication'),
  ).action((ref: string, name: string, flags: OperatorFlags & { publication?: string }) => run(async () => (await logActions()).logContent(ref, name, flags), flags.json));

  const replica = program.command('replica').description("replication: a source's replicas, detach, promote (switchover), eject (failover)");
  connected(replica.command('list').description('list the replicas of a source').argument('<source>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await replicaActions()).replicaList(ref, flags), flags.json));
  const waiting = (command: Command, argument: string, until: string) => connected(command.argument(argument, 'instance id or unique name').option('--wait', `wait until ${until}`).option('--wait-timeout <seconds>', 'how long --wait waits', '600'));
  waiting(replica.command('detach').description('the replica stops following its source and takes writes (Trove\'s detach-replica)'), '<replica>', 'the replica is ACTIVE and standalone')
    .action((ref: string, flags: ReplicaWaitFlags) => run(async () => (await replicaActions()).replicaDetach(ref, flags), flags.json));
  waiting(replica.command('promote').description('make the replica the source; the old source and the other replicas follow it (Trove\'s promote-to-replica-source)'), '<replica>', 'every instance of the set is ACTIVE in its new role (or one fails with its fault)')
    .action((ref: string, flags: ReplicaWaitFlags) => run(async () => (await replicaActions()).replicaPromote(ref, flags), flags.json));
  waiting(replica.command('eject').description('replace a source that is gone by its most advanced replica; the old source is fenced (Trove\'s eject-replica-source)'), '<source>', 'the new source and its followers are ACTIVE (or one fails with its fault)')
    .action((ref: string, flags: ReplicaWaitFlags) => run(async () => (await replicaActions()).replicaEject(ref, flags), flags.json));

  const database = program.command('database').description('databases on an instance');
  connected(database.command('list').description('list the databases of an instance').argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).databaseList(ref, flags), flags.json));
  connected(
    database
      .command('create')
      .description('create a database on an instance')
      .argument('<instance>', 'instance id or unique name')
      .argument('<name>', 'name of the database')
      .option('--character-set <charset>', 'character set')
      .option('--collate <collation>', 'collation'),
  ).action((ref: string, name: string, flags: OperatorFlags & { characterSet?: string; collate?: string }) =>
    run(async () => (await actions()).databaseCreate(ref, name, flags), flags.json),
  );
  connected(database.command('delete').description('delete a database').argument('<instance>', 'instance id or unique name').argument('<name>', 'name of the database'))
    .action((ref: string, name: string, flags: OperatorFlags) => run(async () => (await actions()).databaseDelete(ref, name, flags), flags.json));

  const user = program.command('user').description('users on an instance');
  connected(user.command('list').description('list the users of an instance').argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).userList(ref, flags), flags.json));
  connected(
    user
      .command('create')
      .description('create a user on an instance')
      .argument('<instance>', 'instance id or unique name')
      .argument('<name>', 'name of the user')
      .requiredOption('--password <password>', 'password of the user')
      .option('--host <host>', 'host the user may connect from (default: any)')
      .option('--database <name>', 'a database the user gets access to (repeatable)', collect, []),
  ).action((ref: string, name: string, flags: OperatorFlags & { password: string; host?: string; database: string[] }) =>
    run(async () => (await actions()).userCreate(ref, name, flags), flags.json),
  );

  const access = program.command('access').description("a user's access to databases");
  const accessTarget = (command: Command) =>
    connected(command.argument('<instance>', 'instance id or unique name').argument('<user>', 'name of the user').option('--host <host>', 'host of the user, when several users share the name'));
  accessTarget(access.command('list').description('list the databases a user may use'))
    .action((ref: string, user: string, flags: AccessFlags) => run(async () => (await accessActions()).accessList(ref, user, flags), flags.json));
  accessTarget(access.command('grant').description('give a user access to databases'))
    .argument('<database...>', 'databases to grant')
    .action((ref: string, user: string, databases: string[], flags: AccessFlags) => run(async () => (await accessActions()).accessGrant(ref, user, databases, flags), flags.json));
  accessTarget(access.command('revoke').description("take a database from a user's access"))
    .argument('<database>', 'database to revoke')
    .action((ref: string, user: string, database: string, flags: AccessFlags) => run(async () => (await accessActions()).accessRevoke(ref, user, database, flags), flags.json));

  const backup = program.command('backup').description('backups of instances');
  connected(
    backup
      .command('create')
      .description('take a backup of an instance (it completes in the background unless --wait)')
      .requiredOption('--instance <instance>', 'instance id or unique name')
      .requiredOption('--name <name>', 'name of the backup')
      .option('--description <text>', 'what the backup is for')
      .option('--parent <backup-id>', 'a completed backup of the same instance to build on (incremental)')
      .option('--wait', 'wait until the backup is COMPLETED (or FAILED)')
      .option('--wait-timeout <seconds>', 'how long --wait waits', '600'),
  ).action((flags: BackupCreateFlags) => run(async () => (await backupActions()).backupCreate(flags), flags.json));
  connected(backup.command('list').description('list the backups of the project').option('--instance <instance>', 'only the backups of this instance (id or unique name)'))
    .action((flags: OperatorFlags & { instance?: string }) => run(async () => (await backupActions()).backupList(flags), flags.json));
  connected(backup.command('show').description('show one backup').argument('<backup>', 'backup id'))
    .action((id: string, flags: OperatorFlags) => run(async () => (await backupActions()).backupShow(id, flags), flags.json));
  connected(backup.command('delete').description('delete a backup and its stored data').argument('<backup>', 'backup id'))
    .action((id: string, flags: OperatorFlags) => run(async () => (await backupActions()).backupDelete(id, flags), flags.json));

  const configuration = program.command('configuration').description('configuration groups: datastore settings attached to instances');
  connected(
    configuration
      .command('create')
      .description('create a configuration group of one datastore version')
      .argument('<name>', 'name of the group')
      .requiredOption('--datastore <type>', 'datastore type (`berth datastore list` shows them)')
      .option('--version <version>', "datastore version (default: the datastore's default version)")
      .option('--description <text>', 'what the group is for')
      .option('--value <key=value>', 'a setting (repeatable); 5000 is a number, true a boolean, 8MB or "5000" text', collect, []),
  ).action((name: string, flags: ConfigurationCreateFlags) => run(async () => (await configurationActions()).configurationCreate(name, flags), flags.json));
  connected(configuration.command('list').description('list the configuration groups of the project'))
    .action((flags: OperatorFlags) => run(async () => (await configurationActions()).configurationList(flags), flags.json));
  connected(configuration.command('show').description('show a group: its settings and the instances it is attached to').argument('<group>', 'group id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await configurationActions()).configurationShow(ref, flags), flags.json));
  connected(configuration.command('set').description('set settings in a group and on every instance it is attached to').argument('<group>', 'group id or unique name').argument('<key=value...>', 'settings'))
    .action((ref: string, pairs: string[], flags: OperatorFlags) => run(async () => (await configurationActions()).configurationSet(ref, pairs, flags), flags.json));
  connected(configuration.command('unset').description('remove settings from a group and from every instance it is attached to').argument('<group>', 'group id or unique name').argument('<key...>', 'setting names'))
    .action((ref: string, keys: string[], flags: OperatorFlags) => run(async () => (await configurationActions()).configurationUnset(ref, keys, flags), flags.json));
  connected(configuration.command('delete').description('delete a group (refused while it is attached)').argument('<group>', 'group id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await configurationActions()).configurationDelete(ref, flags), flags.json));
  connected(configuration.command('attach').description("attach a group to an instance: its settings go to the instance's datastore").argument('<instance>', 'instance id or unique name').argument('<group>', 'group id or unique name'))
    .action((ref: string, group: string, flags: OperatorFlags) => run(async () => (await configurationActions()).configurationAttach(ref, group, flags), flags.json));
  connected(configuration.command('detach').description("detach the instance's group: its settings are removed from the datastore").argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await configurationActions()).configurationDetach(ref, flags), flags.json));

  const root = program.command('root').description('the root user of an instance');
  connected(root.command('enable').description('enable root and print its password once').argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).rootEnable(ref, flags), flags.json));
  connected(root.command('show').description('show whether root is enabled').argument('<instance>', 'instance id or unique name'))
    .action((ref: string, flags: OperatorFlags) => run(async () => (await actions()).rootShow(ref, flags), flags.json));
}
