import type { DataSource } from 'typeorm';

// Any fixed 64-bit key: serialises concurrent `migration:run`s (two deploy scripts, a test run and a boot).
const MIGRATION_LOCK_KEY = 7_306_264_119_001;

async function withMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lock.release();
  }
}

/** Applies every pending migration, each in its own transaction; returns the names applied (none when up to date). */
export function applyMigrations(dataSource: DataSource): Promise<string[]> {
  return withMigrationLock(dataSource, async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  });
}

/** Reverts the most recent migration; returns its name, or null when none was applied. */
export function revertLastMigration(dataSource: DataSource): Promise<string | null> {
  return withMigrationLock(dataSource, async () => {
    const last = (await appliedMigrationNames(dataSource)).at(-1);
    if (last === undefined) return null;
    await dataSource.undoLastMigration({ transaction: 'each' });
    return last;
  });
}

async function appliedMigrationNames(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const runner = dataSource.createQueryRunner();
  try {
    if (!(await runner.hasTable(table))) return [];
    const rows = (await runner.query(`SELECT name FROM "${table}" ORDER BY "timestamp", id`)) as {
      name: string;
    }[];
    return rows.map((row) => row.name);
  } finally {
    await runner.release();
  }
}
