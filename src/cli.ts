import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { DataSource } from 'typeorm';
import { TOKEN_SCOPES, type TokenScope } from './auth/token-scope';
import { TokenService, type TokenSummary } from './auth/token.service';
import { DomainError, ValidationFailedError } from './common/errors';
import { ConfigError, loadDotEnvFile, parseAppKey } from './config/app-config';
import { cliLogger, describeDatabaseError, processIo, type CliIo, type CliLogger } from './database/cli-io';
import { loadDatabaseConfig } from './database/database-config';
import { createDataSource } from './database/data-source';
import { appKeyPath, replaceAppKey } from './infra/embedded/app-key-file';
import { type DatabaseTarget, resolveDatabaseTarget } from './infra/embedded/database-target';
import { resolveDataDir } from './infra/embedded/data-dir';
import { EmbeddedDatabaseError } from './infra/embedded/embedded-database';
import { rotateAppKey } from './infra/persistence/key-rotation';

const USAGE = [
  'usage: npm run --silent cli -- token create --team NAME [--scope read|deploy|admin] [--expires-in 30d] [--name LABEL]',
  '       npm run --silent cli -- token list --team NAME [--json]',
  '       npm run --silent cli -- token revoke ID',
  '       npm run --silent cli -- keys rotate        (APP_KEY: the current key, NEW_APP_KEY: the new one)',
  '  stdout carries only results (a new token: the token alone); everything else goes to stderr.',
  '  Works on DATABASE_URL (migrated: npm run migration:run), or without it on the embedded database of',
  '  ROLLOUT_DATA_DIR (the one `npm start` runs, or started for the command).',
].join('\n');

type Env = Record<string, string | undefined>;

const UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

function isUnit(value: string): value is keyof typeof UNITS_MS {
  return Object.hasOwn(UNITS_MS, value);
}

/** `90s`, `15m`, `12h`, `30d`, `2w` → milliseconds. */
export function parseDuration(value: string): number {
  const [, amount, unit] = /^([1-9][0-9]{0,6})([smhdw])$/.exec(value.trim()) ?? [];
  if (amount === undefined || unit === undefined || !isUnit(unit)) {
    throw new InvalidArgumentError('expected a duration like 12h, 30d or 2w (units s, m, h, d, w)');
  }
  return Number(amount) * UNITS_MS[unit];
}

function parseScope(value: string): TokenScope {
  if (!(TOKEN_SCOPES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${TOKEN_SCOPES.join(', ')}`);
  }
  return value as TokenScope;
}

function parseTeam(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a team name');
  return value;
}

function parseId(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value))
    throw new InvalidArgumentError('expected a token id (a positive integer)');
  return Number(value);
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    throw new ConfigError(
      'APP_KEY',
      `it is not set and ${path} cannot be read (no embedded data folder there?)`,
    );
  }
}

function when(date: Date | null): string {
  return date === null ? '-' : date.toISOString();
}

function tokenTable(tokens: TokenSummary[]): string[] {
  const header = ['ID', 'NAME', 'SCOPE', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'];
  const rows = [
    header,
    ...tokens.map((t) => [
      String(t.id),
      t.name ?? '-',
      t.scope,
      when(t.createdAt),
      when(t.expiresAt),
      when(t.lastUsedAt),
      when(t.revokedAt),
    ]),
  ];
  // Every row has the header's columns; `?? ''`/`?? 0` only satisfy the index type.
  const widths = header.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

interface Context {
  io: CliIo;
  env: Env;
  /** Opens the database, runs `work`, closes it; returns the exit code. */
  withDatabase(
    what: string,
    work: (dataSource: DataSource, log: CliLogger, target: DatabaseTarget) => Promise<void>,
  ): Promise<number>;
}

function buildProgram(context: Context, setExitCode: (code: number) => void): Command {
  const { io } = context;
  const program = new Command('rollout-admin')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.err(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .helpCommand(false);
  const run = (
    what: string,
    work: (dataSource: DataSource, log: CliLogger, target: DatabaseTarget) => Promise<void>,
  ) => context.withDatabase(what, work).then(setExitCode);

  const token = program.command('token').description('API tokens of a team');
  token
    .command('create')
    .description('create the team if missing and print a new API token for it (only the token, on stdout)')
    .addOption(
      new Option('--team <name>', 'the team the token acts for').argParser(parseTeam).makeOptionMandatory(),
    )
    .addOption(
      new Option('--scope <scope>', 'read (GET only), deploy or admin')
        .argParser(parseScope)
        .default('admin'),
    )
    .addOption(new Option('--expires-in <duration>', 'lifetime, e.g. 12h, 30d, 2w').argParser(parseDuration))
    .option('--name <label>', 'a label to tell tokens apart (e.g. ci)')
    .action((options: { team: string; scope: TokenScope; expiresIn?: number; name?: string }) =>
      run('create a token', async (dataSource, log) => {
        const created = await new TokenService(dataSource).createToken(options.team, {
          scope: options.scope,
          expiresInMs: options.expiresIn,
          name: options.name,
        });
        log.info(
          `${created.teamCreated ? 'created team' : 'team'} "${options.team.trim()}" (id ${created.teamId}); new API token (id ${created.id}, scope ${options.scope}):`,
        );
        io.out(created.token);
      }),
    );
  token
    .command('list')
    .description("list a team's tokens (never their secrets)")
    .addOption(new Option('--team <name>', 'the team').argParser(parseTeam).makeOptionMandatory())
    .option('--json', 'one JSON array')
    .action((options: { team: string; json?: boolean }) =>
      run('list tokens', async (dataSource) => {
        const tokens = await new TokenService(dataSource).list(options.team);
        if (options.json) io.out(JSON.stringify(tokens));
        else for (const line of tokenTable(tokens)) io.out(line);
      }),
    );
  token
    .command('revoke')
    .description('revoke a token at once (its requests and open socket.io connections are refused)')
    .argument('<id>', 'the token id (see token list)', parseId)
    .action((id: number) =>
      run('revoke the token', async (dataSource, log) => {
        const { alreadyRevoked } = await new TokenService(dataSource).revoke(id);
        log.info(alreadyRevoked ? `token ${id} was already revoked` : `revoked token ${id}`);
      }),
    );

  program
    .command('keys')
    .description('stored secrets')
    .command('rotate')
    .description('re-encrypt every stored secret from APP_KEY to NEW_APP_KEY, in one transaction')
    .action(() => {
      const env = context.env;
      // The embedded default keeps its key in the data folder; the rotation then replaces that file too.
      const keyFile =
        !env.APP_KEY?.trim() && !env.DATABASE_URL?.trim() ? appKeyPath(resolveDataDir(env)) : null;
      let keys: { current: Buffer; next: Buffer; nextHex: string };
      try {
        const variable = keyFile ? `APP_KEY (from ${keyFile})` : 'APP_KEY';
        const current = parseAppKey(keyFile ? { [variable]: readKeyFile(keyFile) } : env, variable);
        const next = parseAppKey(env, 'NEW_APP_KEY');
        keys = { current, next, nextHex: next.toString('hex') };
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.err(`error: ${error.message}`);
        setExitCode(1);
        return;
      }
      return run('rotate the keys', async (dataSource, log, target) => {
        const counts = await rotateAppKey(dataSource, keys.current, keys.next);
        const done = `re-encrypted ${counts.servers} server key(s) and ${counts.applications} application secret set(s)`;
        if (keyFile && target.dataDir) {
          replaceAppKey(target.dataDir, keys.nextHex);
          log.info(`${done}; ${keyFile} now holds the new key: restart \`npm start\``);
        } else {
          log.info(`${done}; now set APP_KEY to NEW_APP_KEY and restart the API and the workers`);
        }
      });
    });
  return program;
}

/** The administration command line; returns the exit code. stdout carries only results, the rest goes to stderr. */
export async function runCli(argv: string[], io: CliIo, env: Env): Promise<number> {
  let exitCode = 0;
  const context: Context = {
    io,
    env,
    async withDatabase(what, work) {
      let config;
      try {
        config = loadDatabaseConfig(env);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.err(`error: ${error.message}`);
        return 1;
      }
      const log = cliLogger(io, config.logLevel);
      let target: DatabaseTarget | null = null;
      let dataSource: DataSource | null = null;
      try {
        target = await resolveDatabaseTarget(config.databaseUrl, env, log);
        dataSource = createDataSource(target.url);
        await dataSource.initialize();
        await work(dataSource, log, target);
        return 0;
      } catch (error) {
        const reason =
          error instanceof ValidationFailedError ||
          error instanceof DomainError ||
          error instanceof ConfigError ||
          error instanceof EmbeddedDatabaseError
            ? error.message
            : describeDatabaseError(error);
        log.error(`cannot ${what}: ${reason}`);
        return 1;
      } finally {
        if (dataSource?.isInitialized) await dataSource.destroy();
        await target?.release();
      }
    },
  };
  const program = buildProgram(context, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (argv.length === 0) {
      io.err(USAGE);
      return 2;
    }
    return exitCode;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    io.err(USAGE);
    return error.code === 'commander.helpDisplayed' ? 0 : 2;
  }
}

if (require.main === module) {
  loadDotEnvFile();
  // The exit code is set when the command ends; an error it does not map to one crashes the process (exit 1).
  void runCli(process.argv.slice(2), processIo, process.env).then((code) => {
    process.exitCode = code;
  });
}
