import type { CliLogger } from '../../database/cli-io';
import { resolveDataDir } from './data-dir';
import { migrate } from './embedded-boot';
import { findRunningEmbeddedDatabase, startEmbeddedDatabase } from './embedded-database';

type Env = Record<string, string | undefined>;

export interface DatabaseTarget {
  url: string;
  /** The data folder when the database is the embedded one. */
  dataDir: string | null;
  /** Stops the embedded server when this command started it. */
  release(): Promise<void>;
}

/**
 * The database a command-line tool works on: DATABASE_URL, else the embedded PostgreSQL of
 * ROLLOUT_DATA_DIR — the running one of `npm start` (its port is recorded in the data folder), or started
 * (and migrated) for the duration of the command when nothing runs it.
 */
export async function resolveDatabaseTarget(
  databaseUrl: string | null,
  env: Env,
  log: CliLogger,
): Promise<DatabaseTarget> {
  const noRelease = () => Promise.resolve();
  if (databaseUrl !== null) return { url: databaseUrl, dataDir: null, release: noRelease };
  const dataDir = resolveDataDir(env);
  const running = findRunningEmbeddedDatabase(dataDir);
  if (running) {
    log.debug(`using the embedded PostgreSQL of ${dataDir} (run by pid ${running.pid})`);
    return { url: running.url, dataDir, release: noRelease };
  }
  const database = await startEmbeddedDatabase(dataDir, log);
  try {
    await migrate(database.url, log);
  } catch (error) {
    await database.stop();
    throw error;
  }
  return { url: database.url, dataDir, release: () => database.stop() };
}
