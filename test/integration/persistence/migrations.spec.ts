import { hashToken, TokenService } from '../../../src/auth/token.service';
import { ConfigError } from '../../../src/config/app-config';
import type { CliIo } from '../../../src/database/cli-io';
import { loadDatabaseConfig } from '../../../src/database/database-config';
import { createDataSource } from '../../../src/database/data-source';
import { runMigrateCli } from '../../../src/database/migrate';
import { applyMigrations, revertLastMigration } from '../../../src/database/migrator';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { MIGRATIONS } from '../../../migrations';

const NAMES = MIGRATIONS.map((migration) => migration.name);
const LAST = NAMES[NAMES.length - 1];

const TABLES = [
  'api_tokens',
  'application_instances',
  'application_servers',
  'applications',
  'audit_log',
  'deployment_batches',
  'deployment_events',
  'deployments',
  'servers',
  'teams',
];

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

async function tables(db: TestDatabase): Promise<string[]> {
  const rows: { table_name: string }[] = await db.dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name).filter((name) => name !== 'migrations');
}

describe('migrations', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  }, 30_000);
  afterAll(() => db?.drop());

  it('create exactly the tables of the entities, then drop them all, then create them again', async () => {
    expect(await tables(db)).toEqual([]);
    expect(await applyMigrations(db.dataSource)).toEqual(NAMES);
    expect(await tables(db)).toEqual(TABLES);

    for (const name of [...NAMES].reverse()) expect(await revertLastMigration(db.dataSource)).toBe(name);
    expect(await tables(db)).toEqual([]);
    expect(await revertLastMigration(db.dataSource)).toBeNull();

    expect(await applyMigrations(db.dataSource)).toEqual(NAMES);
    expect(await tables(db)).toEqual(TABLES);
  });

  it('match the entities column for column: TypeORM finds nothing to synchronize', async () => {
    const diff = await db.dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('are idempotent through the CLI: a second run applies nothing', async () => {
    const io = capture();
    expect(await runMigrateCli(['run'], io, { DATABASE_URL: db.url })).toBe(0);
    expect(io.stderr).toEqual(['database schema is up to date; nothing to apply']);
    expect(io.stdout).toEqual([]);
  });

  it('revert and run again through the CLI', async () => {
    const io = capture();
    expect(await runMigrateCli(['revert'], io, { DATABASE_URL: db.url })).toBe(0);
    expect(await runMigrateCli(['run'], io, { DATABASE_URL: db.url })).toBe(0);
    expect(await tables(db)).toEqual(TABLES);
    expect(io.stderr).toEqual([`reverted migration ${LAST}`, `applied migration ${LAST}`]);
  });

  it('serialise concurrent runs: both succeed and the schema is applied once', async () => {
    for (let i = 0; i < NAMES.length; i++) await revertLastMigration(db.dataSource);
    const [first, second] = await Promise.all([
      runMigrateCli(['run'], capture(), { DATABASE_URL: db.url }),
      runMigrateCli(['run'], capture(), { DATABASE_URL: db.url }),
    ]);
    expect([first, second]).toEqual([0, 0]);
    const applied: unknown[] = await db.dataSource.query('SELECT name FROM migrations');
    expect(applied).toHaveLength(NAMES.length);
  });
});

describe('the migration CLI', () => {
  it.each([[[]], [['up']], [['run', 'extra']]])('prints its usage for %p', async (argv) => {
    const io = capture();
    expect(await runMigrateCli(argv, io, { DATABASE_URL: 'postgres://x@127.0.0.1/none' })).toBe(2);
    expect(io.stderr).toEqual(['usage: node dist/src/database/migrate.js run|revert']);
  });

  it.each([
    [
      { ROLLOUT_DATA_DIR: '/dev/null/rollout' },
      'Invalid environment variable ROLLOUT_DATA_DIR: cannot use the data folder /dev/null/rollout',
    ],
    [{ DATABASE_URL: 'not a url' }, 'Invalid environment variable DATABASE_URL: it is not a URL'],
    [{ DATABASE_URL: 'mysql://x@h/db' }, 'expected a postgres:// or postgresql:// URL'],
  ])('names the variable that is wrong (%p)', async (env, message) => {
    const io = capture();
    expect(await runMigrateCli(['run'], io, env)).toBe(1);
    expect(io.stderr.join('\n')).toContain(message);
  });

  it('takes no DATABASE_URL as the embedded database of ROLLOUT_DATA_DIR', () => {
    expect(loadDatabaseConfig({})).toEqual({ databaseUrl: null, logLevel: 'info' });
  });

  it('needs no APP_KEY, but validates LOG_LEVEL', () => {
    expect(loadDatabaseConfig({ DATABASE_URL: 'postgresql://u@h/db' })).toEqual({
      databaseUrl: 'postgresql://u@h/db',
      logLevel: 'info',
    });
    expect(() => loadDatabaseConfig({ DATABASE_URL: 'postgres://u@h/db', LOG_LEVEL: 'loud' })).toThrow(
      ConfigError,
    );
  });

  it('explains an unreachable database without printing the URL', async () => {
    const io = capture();
    const env = { DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/rollout' };
    expect(await runMigrateCli(['run'], io, env)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/migration run failed: cannot reach PostgreSQL .*ECONNREFUSED/);
    expect(io.stderr.join('\n')).not.toContain('s3cret');
  });

  it('creates a missing database before migrating it', async () => {
    const admin = createDataSource('postgres://postgres@127.0.0.1:5432/postgres');
    await admin.initialize();
    const name = `rollout_test_created_${process.pid}`;
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
      const io = capture();
      const url = `postgres://postgres@127.0.0.1:5432/${name}`;
      expect(await runMigrateCli(['run'], io, { DATABASE_URL: url })).toBe(0);
      expect(io.stderr.join('\n')).toContain('created the database');
      expect(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).toHaveLength(1);
      expect(await runMigrateCli(['run'], capture(), { DATABASE_URL: url })).toBe(0);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.destroy();
    }
  });
});

describe('upgrading a database that has tokens', () => {
  it('keeps every existing token working, as admin', async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      const initial = createDataSource(db.url);
      initial.setOptions({ migrations: MIGRATIONS.slice(0, 1) });
      await initial.initialize();
      await applyMigrations(initial);
      await initial.query(`INSERT INTO teams (name) VALUES ('old')`);
      const token = `rlt_${'k'.repeat(43)}`;
      await initial.query(`INSERT INTO api_tokens (team_id, token_hash) SELECT id, $1 FROM teams`, [
        hashToken(token),
      ]);
      await initial.destroy();

      expect(await applyMigrations(db.dataSource)).toEqual(NAMES.slice(1));
      const tokens = new TokenService(db.dataSource);
      expect(await tokens.verify(token)).toMatchObject({ scope: 'admin' });
      await tokens.settle();
    } finally {
      await db.drop();
    }
  });
});
