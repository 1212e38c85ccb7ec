import type { Kysely, Migration, MigrationProvider } from 'kysely';

/**
 * The store's migrations, as code, for both engines: only column types both
 * understand (`text`, `bigint`) and plain indexes. Names sort in the order
 * they run; a migration, once released, never changes: add the next one.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': {
    // Kysely<any>: a migration must not depend on today's schema type.
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('project', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('datastore', 'text', (column) => column.notNull())
        .addColumn('datastore_version', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('service_status', 'text')
        .addColumn('token_sha256', 'text', (column) => column.notNull())
        .addColumn('security_rules', 'text', (column) => column.notNull())
        .addColumn('fault', 'text')
        .addColumn('build_deadline', 'bigint', (column) => column.notNull())
        .addColumn('last_heartbeat_sent_at', 'bigint')
        .addColumn('last_heartbeat_seq', 'bigint')
        .addColumn('last_heartbeat_at', 'bigint')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('instances_project_idx').on('instances').column('project').execute();
      await db.schema.createIndex('instances_status_idx').on('instances').column('status').execute();

      await db.schema
        .createTable('tasks')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('instance_id', 'text', (column) => column.notNull().references('instances.id'))
        .addColumn('operation', 'text', (column) => column.notNull())
        .addColumn('args', 'text', (column) => column.notNull())
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('outcome', 'text')
        .addColumn('deadline_at', 'bigint', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('tasks_state_idx').on('tasks').column('state').execute();
      await db.schema.createIndex('tasks_instance_id_idx').on('tasks').column('instance_id').execute();

      await db.schema
        .createTable('backups')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('project', 'text', (column) => column.notNull())
        .addColumn('instance_id', 'text', (column) => column.notNull().references('instances.id'))
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('description', 'text')
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('datastore', 'text', (column) => column.notNull())
        .addColumn('datastore_version', 'text', (column) => column.notNull())
        .addColumn('size', 'bigint')
        .addColumn('checksum', 'text')
        .addColumn('location', 'text')
        .addColumn('format', 'text')
        .addColumn('metadata', 'text')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('backups_project_idx').on('backups').column('project').execute();
      await db.schema.createIndex('backups_instance_id_idx').on('backups').column('instance_id').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('backups').execute();
      await db.schema.dropTable('tasks').execute();
      await db.schema.dropTable('instances').execute();
    },
  },
  '0002_backup_parent_and_endpoint': {
    async up(db: Kysely<any>): Promise<void> {
      // where clients reach an instance's datastore (host:port), when the provisioner knows it
      await db.schema.alterTable('instances').addColumn('endpoint', 'text').execute();
      // the backup an incremental backup builds on
      await db.schema.alterTable('backups').addColumn('parent_id', 'text').execute();
      // why a backup FAILED, for the operator
      await db.schema.alterTable('backups').addColumn('fault', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('backups').dropColumn('fault').execute();
      await db.schema.alterTable('backups').dropColumn('parent_id').execute();
      await db.schema.alterTable('instances').dropColumn('endpoint').execute();
    },
  },
  '0003_configurations': {
    async up(db: Kysely<any>): Promise<void> {
      // Trove's configuration groups: settings of one project and datastore version, attached to instances
      await db.schema
        .createTable('configurations')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('project', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('description', 'text')
        .addColumn('datastore', 'text', (column) => column.notNull())
        .addColumn('datastore_version', 'text', (column) => column.notNull())
        .addColumn('values', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('configurations_project_idx').on('configurations').column('project').execute();
      // a group cannot be deleted while an instance refers to it (deleted instances let go of theirs)
      await db.schema.alterTable('instances').addColumn('configuration_id', 'text', (column) => column.references('configurations.id')).execute();
      await db.schema.createIndex('instances_configuration_id_idx').on('instances').column('configuration_id').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('instances_configuration_id_idx').execute();
      await db.schema.alterTable('instances').dropColumn('configuration_id').execute();
      await db.schema.dropTable('configurations').execute();
    },
  },
  '0004_flavors_and_volumes': {
    async up(db: Kysely<any>): Promise<void> {
      // what the instance was created with: Trove shows both; instances from before have neither (null)
      await db.schema.alterTable('instances').addColumn('flavor_id', 'text').execute();
      await db.schema.alterTable('instances').addColumn('volume_size', 'integer').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('instances').dropColumn('volume_size').execute();
      await db.schema.alterTable('instances').dropColumn('flavor_id').execute();
    },
  },
  '0005_instance_upgrade': {
    async up(db: Kysely<any>): Promise<void> {
      // Trove's upgrade: the versions and phase on record before the guest's build is swapped
      await db.schema.alterTable('instances').addColumn('upgrade', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('instances').dropColumn('upgrade').execute();
    },
  },
  '0006_backup_secrets': {
    async up(db: Kysely<any>): Promise<void> {
      // the source instance's local secrets, for the instances restored from the backup (docs/security.md)
      await db.schema.alterTable('backups').addColumn('secrets', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('backups').dropColumn('secrets').execute();
    },
  },
  '0007_replica_of': {
    async up(db: Kysely<any>): Promise<void> {
      // Trove's replica_of: the instance this one follows, or null (a source's replicas are the rows naming it)
      await db.schema.alterTable('instances').addColumn('replica_of', 'text').execute();
      await db.schema.createIndex('instances_replica_of_idx').on('instances').column('replica_of').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('instances_replica_of_idx').execute();
      await db.schema.alterTable('instances').dropColumn('replica_of').execute();
    },
  },
  '0008_failovers': {
    async up(db: Kysely<any>): Promise<void> {
      // automatic failovers under way (server/instances/auto-failover.ts): one row per replication group (its old source), the step reached
      await db.schema
        .createTable('failovers')
        .addColumn('source_id', 'text', (column) => column.primaryKey().references('instances.id'))
        .addColumn('step', 'text', (column) => column.notNull())
        .addColumn('new_source_id', 'text')
        .addColumn('detail', 'text')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('failovers_step_idx').on('failovers').column('step').execute();
      // Berth's per-instance auto_failover: 1 on, 0 off, null the version's option
      await db.schema.alterTable('instances').addColumn('auto_failover', 'bigint').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('instances').dropColumn('auto_failover').execute();
      await db.schema.dropTable('failovers').execute();
    },
  },
};

/** Hands the Migrator the migrations above; nothing is read from disk. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};
