import { postgresql, postgresqlManager, store } from './postgresql-store.js';
import { troveSqlFailover } from './sql-failover.js';

// Automatic failover of PostgreSQL sources (streaming replication) with real guest hosts and postgres servers.
troveSqlFailover({ name: 'pg-failover', manager: postgresqlManager, datastore: postgresql, store });
