import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../../src/database/data-source';
import { applyMigrations } from '../../../src/database/migrator';

/** The server the test databases are created on; any database on it works as the admin connection. */
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  /** Connected, with every migration applied (unless `migrate: false`). */
  dataSource: DataSource;
  /** Closes `dataSource` and drops the database, even with other connections still open. */
  drop(): Promise<void>;
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(work: (admin: DataSource) => Promise<T>): Promise<T> {
  const admin = new DataSource({ type: 'postgres', url: ADMIN_URL, poolSize: 1 });
  await admin.initialize();
  try {
    return await work(admin);
  } finally {
    await admin.destroy();
  }
}

/**
 * A fresh, uniquely named database (`rollout_test_<pid>_<random>`) migrated with the real migrations.
 * Call `drop()` in `afterAll`.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `rollout_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(name);
  const dataSource = createDataSource(url);
  const drop = async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };
  try {
    await dataSource.initialize();
    if (options.migrate !== false) await applyMigrations(dataSource);
  } catch (error) {
    await drop();
    throw error;
  }
  return { name, url, dataSource, drop };
}
