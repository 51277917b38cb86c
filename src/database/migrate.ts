import { ConfigError, loadDotEnvFile } from '../config/app-config';
import { cliLogger, describeDatabaseError, processIo, type CliIo } from './cli-io';
import { loadDatabaseConfig } from './database-config';
import { createDataSource } from './data-source';
import { ensureDatabaseExists } from './ensure-database';
import { applyMigrations, revertLastMigration } from './migrator';
import type { DataSource } from 'typeorm';
import { type DatabaseTarget, resolveDatabaseTarget } from '../infra/embedded/database-target';
import { EmbeddedDatabaseError } from '../infra/embedded/embedded-database';

const USAGE = 'usage: node dist/src/database/migrate.js run|revert';

/** `run` applies every pending migration (a no-op when up to date); `revert` undoes the latest one. */
export async function runMigrateCli(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
): Promise<number> {
  const [command, ...rest] = argv;
  if ((command !== 'run' && command !== 'revert') || rest.length > 0) {
    io.err(USAGE);
    return 2;
  }
  let config;
  try {
    config = loadDatabaseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const log = cliLogger(io, config.logLevel);
  let target: DatabaseTarget | null = null;
  let dataSource: DataSource | null = null;
  try {
    target = await resolveDatabaseTarget(config.databaseUrl, env, log);
    if (command === 'run' && (await ensureDatabaseExists(target.url).catch(() => false))) {
      log.info('created the database');
    }
    dataSource = createDataSource(target.url);
    await dataSource.initialize();
    if (command === 'run') {
      const applied = await applyMigrations(dataSource);
      if (applied.length === 0) log.info('database schema is up to date; nothing to apply');
      for (const name of applied) log.info(`applied migration ${name}`);
    } else {
      const reverted = await revertLastMigration(dataSource);
      log.info(reverted ? `reverted migration ${reverted}` : 'no migration to revert');
    }
    return 0;
  } catch (error) {
    const reason =
      error instanceof ConfigError || error instanceof EmbeddedDatabaseError
        ? error.message
        : describeDatabaseError(error);
    log.error(`migration ${command} failed: ${reason}`);
    return 1;
  } finally {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await target?.release();
  }
}

if (require.main === module) {
  loadDotEnvFile();
  // The exit code is set when the command ends; an error it does not map to one crashes the process (exit 1).
  void runMigrateCli(process.argv.slice(2), processIo, process.env).then((code) => {
    process.exitCode = code;
  });
}
