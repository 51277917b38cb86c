import { parseArgs } from 'node:util';
import { TokenService } from './auth/token.service';
import { ValidationFailedError } from './common/errors';
import { ConfigError, loadDotEnvFile } from './config/app-config';
import { cliLogger, describeDatabaseError, processIo, type CliIo } from './database/cli-io';
import { loadDatabaseConfig } from './database/database-config';
import { createDataSource } from './database/data-source';

const USAGE = [
  'usage: npm run --silent cli -- token create --team NAME',
  '  Creates the team NAME if it does not exist and prints a new API token for it (only the token, on stdout).',
  '  Needs DATABASE_URL; the database must be migrated (npm run migration:run).',
].join('\n');

type Env = Record<string, string | undefined>;

function parseTokenCreate(argv: string[]): string | null {
  const [group, action, ...rest] = argv;
  if (group !== 'token' || action !== 'create') return null;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { team: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0 || values.team === undefined || values.team.trim() === '') return null;
    return values.team;
  } catch {
    return null;
  }
}

/** The command line; returns the exit code. stdout carries only the result, everything else goes to stderr. */
export async function runCli(argv: string[], io: CliIo, env: Env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.err(USAGE);
    return 0;
  }
  const team = parseTokenCreate(argv);
  if (team === null) {
    io.err(USAGE);
    return 2;
  }
  let config;
  try {
    config = loadDatabaseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`error: ${error.message}`);
    return 1;
  }
  const log = cliLogger(io, config.logLevel);
  const dataSource = createDataSource(config.databaseUrl);
  try {
    await dataSource.initialize();
    const created = await new TokenService(dataSource).createToken(team);
    log.info(
      `${created.teamCreated ? 'created team' : 'team'} "${team.trim()}" (id ${created.teamId}); new API token:`,
    );
    io.out(created.token);
    return 0;
  } catch (error) {
    const reason = error instanceof ValidationFailedError ? error.message : describeDatabaseError(error);
    log.error(`cannot create a token: ${reason}`);
    return 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

if (require.main === module) {
  loadDotEnvFile();
  void runCli(process.argv.slice(2), processIo, process.env).then((code) => {
    process.exitCode = code;
  });
}
