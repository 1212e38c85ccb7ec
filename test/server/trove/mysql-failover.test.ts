import { family, mysqlManager, store } from './mysql-store.js';
import { troveSqlFailover } from './sql-failover.js';

// Automatic failover of MySQL sources (MariaDB GTIDs) with real guest hosts and mariadbd servers.
troveSqlFailover({ name: 'mysql-failover', manager: mysqlManager, datastore: family, store });
