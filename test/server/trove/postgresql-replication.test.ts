import { postgresqlManager, postgresql, store } from './postgresql-store.js';
import { troveSqlReplication } from './sql-replication.js';

// PostgreSQL replicas (streaming replication, one slot per replica) through the unmodified
// openstack and trove CLIs and python-troveclient, against real guest hosts and postgres servers.
troveSqlReplication({
  name: 'trove-pg-replicas',
  manager: postgresqlManager,
  datastore: { ...postgresql, versions: [{ name: '18', manager: 'postgresql' }] },
  store,
  promote: 'openstack',
  eject: 'trove',
  detach: 'openstack',
});
