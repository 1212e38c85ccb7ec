import mysql from 'mysql2/promise';
import pg from 'pg';

/** A datastore user's login to one database. */
export interface SqlLogin {
  user: string;
  password: string;
  database: string;
}

/** One short-lived PostgreSQL client on 127.0.0.1 as `login`: connected for `use`, then closed. */
export async function withPostgres<T>(port: number, login: SqlLogin, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: '127.0.0.1', port, ...login, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One short-lived MySQL/MariaDB connection on 127.0.0.1 as `login`: opened for `use`, then ended. */
export async function withMysql<T>(port: number, login: SqlLogin, use: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ host: '127.0.0.1', port, ...login, connectTimeout: 3000 });
  connection.on('error', () => undefined);
  try {
    return await use(connection);
  } finally {
    await connection.end().catch(() => undefined);
  }
}
