import { TokenService } from '../../auth/token.service';
import { TeamEntity } from '../../auth/team.entity';
import { createDataSource } from '../../database/data-source';
import { applyMigrations } from '../../database/migrator';
import { loadOrCreateAppKey } from './app-key-file';
import { resolveDataDir } from './data-dir';
import { type EmbeddedDatabase, type EmbeddedLog, startEmbeddedDatabase } from './embedded-database';

type Env = Record<string, string | undefined>;

export const FIRST_TEAM = 'default';

export interface EmbeddedStart {
  dataDir: string;
  database: EmbeddedDatabase;
  /** The APP_KEY to use: APP_KEY when given, else the data folder's. */
  appKeyHex: string;
  /** The admin token created on the first start (to print once), else null. */
  firstToken: string | null;
}

/**
 * The embedded default of `npm start` (no DATABASE_URL): the data folder's PostgreSQL, migrated, with its
 * APP_KEY, and an admin token for the team `default` when the database has no team yet.
 */
export async function startEmbedded(env: Env, log: EmbeddedLog): Promise<EmbeddedStart> {
  const dataDir = resolveDataDir(env);
  const database = await startEmbeddedDatabase(dataDir, log);
  try {
    await migrate(database.url, log);
    let appKeyHex = env.APP_KEY?.trim() ?? '';
    if (appKeyHex === '') {
      const key = loadOrCreateAppKey(dataDir);
      appKeyHex = key.hex;
      if (key.generated)
        log.info(`generated APP_KEY into ${key.path} (mode 0600); it encrypts stored secrets: keep it`);
      else log.info(`APP_KEY from ${key.path}`);
    }
    const firstToken = await createFirstToken(database.url);
    return { dataDir, database, appKeyHex, firstToken };
  } catch (error) {
    await database.stop().catch(() => undefined);
    throw error;
  }
}

export async function migrate(databaseUrl: string, log: EmbeddedLog): Promise<void> {
  const dataSource = createDataSource(databaseUrl);
  await dataSource.initialize();
  try {
    for (const name of await applyMigrations(dataSource)) log.info(`applied migration ${name}`);
  } finally {
    await dataSource.destroy();
  }
}

async function createFirstToken(databaseUrl: string): Promise<string | null> {
  const dataSource = createDataSource(databaseUrl);
  await dataSource.initialize();
  try {
    if ((await dataSource.getRepository(TeamEntity).count()) > 0) return null;
    const created = await new TokenService(dataSource).createToken(FIRST_TEAM, { name: 'first-start' });
    return created.token;
  } finally {
    await dataSource.destroy();
  }
}
