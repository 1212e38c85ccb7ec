import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import type { InstanceService } from '../../instances/instance-service.js';
import type { InstanceRecord } from '../../store/store.js';
import type { ProjectAuth } from '../auth.js';
import type { LinkRequest } from '../links.js';
import { createBody, databaseIn, instanceView, instanceViewOf, userIn, type CreateBody } from './instance-schemas.js';

const name = z.string().min(1).max(64);
// Trove's PUT: with a configuration group id it attaches the group; with null or without one it detaches
// troveclient's detach sends replica_of: null (Trove's PUT, and PATCH alike)
const detach = z.null({ error: 'replica_of: only null (detach the replica from its source) can be set' }).optional();
const updateBody = z.strictObject({ instance: z.strictObject({ configuration: z.string().uuid().nullish(), name: name.optional(), replica_of: detach }) });
// Trove's PATCH (troveclient's update and upgrade): a new name, a group to attach or null to detach, a datastore version to upgrade to
const editBody = z.strictObject({
  instance: z.strictObject({ name: name.optional(), configuration: z.string().uuid().nullable().optional(), datastore_version: z.string().min(1).max(255).optional(), replica_of: detach, berth_auto_failover: z.boolean().nullable().optional() }),
});
const volumeSize = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,8}$/).transform(Number)], { error: 'must be a whole number of GB, at least 1' });
const params = z.object({ project: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), id: z.string().uuid() });
const paging = z.object({ limit: z.coerce.number().int().positive().max(1000).optional(), marker: z.string().optional() });

/** What the instance routes need of configuration groups (the configuration service has it). */
export interface InstanceConfigurations {
  /** Group id -> name in the project, for the views. */
  names(project: string): Promise<Map<string, string>>;
  attach(project: string, instanceId: string, configurationId: string): Promise<void>;
  detach(project: string, instanceId: string): Promise<void>;
}

/** /v1.0/{project}/instances and the databases, users and root below them, in Trove's shapes. */
export function instanceRoutes(service: InstanceService, auth: ProjectAuth, configurations: InstanceConfigurations | undefined, defaultFlavorId: string): FastifyPluginAsyncZod {
  return async (app) => {
    const base = '/v1.0/:project/instances';
    const groupNames = (project: string) => configurations?.names(project);
    const view = (request: LinkRequest, instance: InstanceRecord, groups: ReadonlyMap<string, string> | undefined, volumeUsedGb?: number, replicas?: readonly string[]) =>
      instanceViewOf(instance, { request, groups, defaultFlavorId, volumeUsedGb, replicas, autoFailover: service.autoFailover(instance) });
    // Trove's replicas of a source: the instances whose replica_of names it
    const replicasOf = (instances: readonly InstanceRecord[]) => {
      const bySource = new Map<string, string[]>();
      for (const instance of instances) if (instance.replicaOf !== null) bySource.set(instance.replicaOf, [...(bySource.get(instance.replicaOf) ?? []), instance.id]);
      return bySource;
    };
    const toRequest = ({ datastore, volume, replica_of: replicaOf, replica_count: replicaCount, berth_auto_failover: autoFailover, ...rest }: CreateBody['instance']) => ({
      ...rest,
      autoFailover,
      replicaOf,
      replicaCount,
      // troveclient's --datastore-version-number names the version by its number: Berth's versions are named by theirs
      datastore: datastore && { type: datastore.type, version: datastore.version ?? datastore.version_number },
      ...(volume ? { volume: { size: volume.size } } : {}),
    });
    app.post(base, { schema: { tags: ['instances'], params: params.pick({ project: true }), body: createBody } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      const created = await service.create(project, toRequest(request.body.instance));
      return reply.status(200).send({
        instance: { ...view(request, created.instance, await groupNames(project)), ...(created.rootPassword ? { password: created.rootPassword } : {}) },
        ...(created.guestConfigToml ? { guest_config: created.guestConfigToml } : {}),
      });
    });
    app.get(base, { schema: { tags: ['instances'], params: params.pick({ project: true }), response: { 200: z.object({ instances: z.array(instanceView) }) } } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      const groups = await groupNames(project);
      const instances = await service.list(project);
      const replicas = replicasOf(instances);
      return { instances: instances.map((instance) => view(request, instance, groups, undefined, replicas.get(instance.id))) };
    });
    app.get(`${base}/:id`, { schema: { tags: ['instances'], params, response: { 200: z.object({ instance: instanceView }) } } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      const instance = await service.get(project, request.params.id);
      const replicas = (await service.replicasOf(instance)).map((replica) => replica.id);
      return { instance: view(request, instance, await groupNames(project), await service.volumeUsedGb(instance), replicas) };
    });
    app.put(`${base}/:id`, { schema: { tags: ['instances', 'configurations'], params, body: updateBody } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      const { configuration, name: newName, replica_of: replicaOf } = request.body.instance;
      if (replicaOf === null) {
        // troveclient's detach: one change per request, as Trove
        if (configuration !== undefined) throw new BerthError('BERTH_ERR_VALIDATION', 'instance.replica_of cannot be combined with instance.configuration', 'detach the replica and change the configuration in two requests');
        await service.replication.detach(project, request.params.id);
      } else if (configurations) {
        if (configuration) await configurations.attach(project, request.params.id, configuration);
        else await configurations.detach(project, request.params.id);
      } else if (configuration) throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', 'this server has no configuration groups', 'remove instance.configuration');
      if (newName !== undefined) await service.rename(project, request.params.id, newName);
      return reply.status(202).send();
    });
    app.delete(`${base}/:id`, { schema: { tags: ['instances'], params } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      await service.delete(project, request.params.id);
      return reply.status(202).send();
    });

    app.get(`${base}/:id/databases`, { schema: { tags: ['databases'], params, querystring: paging } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      const page = (await service.call(project, request.params.id, 'list-databases', [{ limit: request.query.limit, marker: request.query.marker, includeMarker: false }])) as {
        items: Array<{ name: string; characterSet?: string; collation?: string }>;
        nextMarker?: string;
      };
      return {
        databases: page.items.map((d) => ({ name: d.name, ...(d.characterSet ? { character_set: d.characterSet } : {}), ...(d.collation ? { collate: d.collation } : {}) })),
        ...(page.nextMarker ? { next: page.nextMarker } : {}),
      };
    });
    app.post(`${base}/:id/databases`, { schema: { tags: ['databases'], params, body: z.strictObject({ databases: z.array(databaseIn).min(1) }) } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      const databases = request.body.databases.map((d) => ({ name: d.name, characterSet: d.character_set, collation: d.collate }));
      await service.call(project, request.params.id, 'create-databases', [databases]);
      return reply.status(202).send();
    });
    app.delete(`${base}/:id/databases/:name`, { schema: { tags: ['databases'], params: params.extend({ name }) } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      await service.call(project, request.params.id, 'delete-database', [request.params.name]);
      return reply.status(202).send();
    });

    app.get(`${base}/:id/users`, { schema: { tags: ['users'], params, querystring: paging } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      const page = (await service.call(project, request.params.id, 'list-users', [{ limit: request.query.limit, marker: request.query.marker, includeMarker: false }])) as {
        items: Array<{ name: string; host?: string; databases: string[] }>;
      };
      // host stays in every user for Trove's clients ("%" where the datastore has none); user_hosts says whether it is the datastore's own
      return {
        users: page.items.map((u) => ({ name: u.name, host: u.host ?? '%', databases: u.databases.map((d) => ({ name: d })) })),
        user_hosts: page.items.some((u) => u.host !== undefined),
      };
    });
    app.post(`${base}/:id/users`, { schema: { tags: ['users'], params, body: z.strictObject({ users: z.array(userIn).min(1) }) } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      const users = request.body.users.map((u) => ({ name: u.name, host: u.host, password: u.password, databases: u.databases.map((d) => d.name) }));
      await service.call(project, request.params.id, 'create-users', [users]);
      return reply.status(202).send();
    });

    const userParams = params.extend({ name });
    const hostQuery = z.object({ host: z.string().optional() });
    const ref = (userName: string, host?: string) => ({ name: userName, host: host ?? '%' });
    const userView = (u: { name: string; host?: string; databases: string[] }) => ({ name: u.name, host: u.host ?? '%', databases: u.databases.map((d) => ({ name: d })) });

    app.get(`${base}/:id/users/:name`, { schema: { tags: ['users'], params: userParams, querystring: hostQuery } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      const user = (await service.call(project, request.params.id, 'get-user', [ref(request.params.name, request.query.host)])) as { name: string; host?: string; databases: string[] };
      return { user: userView(user) };
    });
    app.delete(`${base}/:id/users/:name`, { schema: { tags: ['users'], params: userParams, querystring: hostQuery } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      await service.call(project, request.params.id, 'delete-user', [ref(request.params.name, request.query.host)]);
      return reply.status(202).send();
    });
    app.put(
      `${base}/:id/users`,
      { schema: { tags: ['users'], params, body: z.strictObject({ users: z.array(z.strictObject({ name, host: z.string().optional(), password: z.string().min(1) })).min(1) }) } },
      async (request, reply) => {
        const project = auth.authorize(request, request.params.project);
        const changes = request.body.users.map((u) => ({ user: ref(u.name, u.host), password: u.password }));
        await service.call(project, request.params.id, 'change-passwords', [changes]);
        return reply.status(202).send();
      },
    );
    app.put(
      `${base}/:id/users/:name`,
      {
        schema: {
          tags: ['users'],
          params: userParams,
          querystring: hostQuery,
          body: z.strictObject({ user: z.strictObject({ name: name.optional(), host: z.string().optional(), password: z.string().min(1).optional() }) }),
        },
      },
      async (request, reply) => {
        const project = auth.authorize(request, request.params.project);
        const { user } = request.body;
        await service.call(project, request.params.id, 'update-attributes', [ref(request.params.name, request.query.host), { name: user.name, host: user.host, password: user.password }]);
        return reply.status(202).send();
      },
    );
    app.get(`${base}/:id/users/:name/databases`, { schema: { tags: ['access'], params: userParams, querystring: hostQuery } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      const databases = (await service.call(project, request.params.id, 'list-access', [ref(request.params.name, request.query.host)])) as Array<{ name: string }>;
      return { databases: databases.map((d) => ({ name: d.name })) };
    });
    app.put(
      `${base}/:id/users/:name/databases`,
      { schema: { tags: ['access'], params: userParams, querystring: hostQuery, body: z.strictObject({ databases: z.array(z.strictObject({ name })).min(1) }) } },
      async (request, reply) => {
        const project = auth.authorize(request, request.params.project);
        await service.call(project, request.params.id, 'grant-access', [ref(request.params.name, request.query.host), request.body.databases.map((d) => d.name)]);
        return reply.status(202).send();
      },
    );
    app.delete(`${base}/:id/users/:name/databases/:database`, { schema: { tags: ['access'], params: userParams.extend({ database: name }), querystring: hostQuery } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      await service.call(project, request.params.id, 'revoke-access', [ref(request.params.name, request.query.host), request.params.database]);
      return reply.status(202).send();
    });

    app.delete(`${base}/:id/root`, { schema: { tags: ['root'], params } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      await service.call(project, request.params.id, 'disable-root', []);
      return reply.status(202).send();
    });
    // Trove's restart, and Berth's stop and start of the datastore (the guest and its volume stay)
    const action = z.union([
      z.strictObject({ restart: z.strictObject({}) }),
      z.strictObject({ stop: z.strictObject({}) }),
      z.strictObject({ start: z.strictObject({}) }),
      z.strictObject({ resize: z.strictObject({ volume: z.strictObject({ size: volumeSize }) }) }),
      z.strictObject({ resize: z.strictObject({ flavorRef: z.union([z.string().min(1).max(256), z.number().int().nonnegative()]) }) }),
      // Trove's replica actions: promote on a replica (a switchover), eject on a source that is gone
      z.strictObject({ promote_to_replica_source: z.strictObject({}) }),
      z.strictObject({ eject_replica_source: z.strictObject({}) }),
    ]);
    app.post(`${base}/:id/action`, { schema: { tags: ['instances'], params, body: action } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      const { body } = request;
      if ('resize' in body) await service.resize(project, request.params.id, 'volume' in body.resize ? { volumeSize: body.resize.volume.size } : { flavorRef: body.resize.flavorRef });
      else if ('restart' in body) await service.restart(project, request.params.id);
      else if ('promote_to_replica_source' in body) await service.replication.promote(project, request.params.id);
      else if ('eject_replica_source' in body) await service.replication.eject(project, request.params.id);
      // stopped by the operator: it stays down across a reboot of its guest until started again
      else if ('stop' in body) await service.call(project, request.params.id, 'stop-db', [true]);
      else await service.call(project, request.params.id, 'start-db-with-conf-changes', ['']);
      return reply.status(202).send();
    });
    app.patch(`${base}/:id`, { schema: { tags: ['instances'], params, body: editBody } }, async (request, reply) => {
      const project = auth.authorize(request, request.params.project);
      const { name: newName, configuration, datastore_version: datastoreVersion, replica_of: replicaOf, berth_auto_failover: autoFailover } = request.body.instance;
      if (autoFailover !== undefined) await service.setAutoFailover(project, request.params.id, autoFailover);
      if (replicaOf === null && (configuration !== undefined || datastoreVersion !== undefined)) {
        throw new BerthError('BERTH_ERR_VALIDATION', 'instance.replica_of cannot be combined with instance.configuration or instance.datastore_version', 'send the detach and the other change as two requests');
      }
      if (replicaOf === null) await service.replication.detach(project, request.params.id);
      if (datastoreVersion !== undefined && configuration !== undefined) {
        // as Trove: one change besides the name per request
        throw new BerthError('BERTH_ERR_VALIDATION', 'instance.datastore_version cannot be combined with instance.configuration', 'send the upgrade and the configuration change as two requests');
      }
      if (datastoreVersion !== undefined) await service.upgrade(project, request.params.id, datastoreVersion);
      if (configuration !== undefined) {
        if (!configurations) throw new BerthError('BERTH_ERR_OPERATION_UNSUPPORTED', 'this server has no configuration groups', 'remove instance.configuration');
        if (configuration === null) await configurations.detach(project, request.params.id);
        else await configurations.attach(project, request.params.id, configuration);
      }
      if (newName !== undefined) await service.rename(project, request.params.id, newName);
      return reply.status(202).send();
    });

    app.post(`${base}/:id/root`, { schema: { tags: ['root'], params, body: z.strictObject({ password: z.string().min(8).max(128).optional() }).nullish() } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      // managers have no entropy source (the sandbox grants no wasi:random): the server makes the password
      const password = request.body?.password ?? randomBytes(27).toString('base64url');
      const credentials = (await service.call(project, request.params.id, 'enable-root', [password])) as { name: string; password: string };
      return { user: { name: credentials.name, password: credentials.password } };
    });
    app.get(`${base}/:id/root`, { schema: { tags: ['root'], params } }, async (request) => {
      const project = auth.authorize(request, request.params.project);
      return { rootEnabled: (await service.call(project, request.params.id, 'is-root-enabled', [])) as boolean };
    });
  };
}
