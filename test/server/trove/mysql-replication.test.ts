import { family, mysqlManager, store } from './mysql-store.js';
import { troveSqlReplication } from './sql-replication.js';

// MySQL replicas (MariaDB GTIDs, seeded with mariabackup when installed) through the unmodified
// openstack and trove CLIs and python-troveclient, against real guest hosts and mariadbd servers.
troveSqlReplication({
  name: 'trove-myrep',
  manager: mysqlManager,
  datastore: { ...family, versions: [{ name: '10.11', manager: 'mysql' }] },
  store,
  promote: 'library',
  eject: 'openstack',
  detach: 'library',
});
