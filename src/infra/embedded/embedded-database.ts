import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDatabaseExists } from '../../database/ensure-database';
import { type ServiceAccount, isRoot, lookUpAccount, prepareDataDir } from './data-dir';
import { loadEmbeddedPostgres } from './embedded-postgres-loader';
import { isProcessAlive, readRuntimeRecord, removeRuntimeRecord, writeRuntimeRecord } from './runtime-record';

export const EMBEDDED_DATABASE_NAME = 'rollout';
const POSTGRES_USER = 'postgres';
const START_TIMEOUT_MS = 60_000;
const ORPHAN_STOP_TIMEOUT_MS = 20_000;

export interface EmbeddedLog {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** True when this start created the cluster (the first start on this data folder). */
  initialised: boolean;
  stop(): Promise<void>;
}

export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}

function paths(dataDir: string) {
  return { cluster: join(dataDir, 'postgres'), password: join(dataDir, 'postgres.secret') };
}

function databaseUrl(password: string, port: number): string {
  return `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE_NAME}`;
}

/** The running embedded PostgreSQL of a data folder (started by `npm start` or another CLI), if any. */
export function findRunningEmbeddedDatabase(dataDir: string): { url: string; pid: number } | null {
  const record = readRuntimeRecord(dataDir);
  if (!record || !isProcessAlive(record.pid)) return null;
  try {
    const password = readFileSync(paths(dataDir).password, 'utf8').trim();
    return { url: databaseUrl(password, record.port), pid: record.pid };
  } catch {
    return null;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The previous port when it is still free (stable across restarts), else any free one. */
async function choosePort(previous: number | undefined): Promise<number> {
  if (previous !== undefined && (await portIsFree(previous))) return previous;
  return freePort();
}

function isPostgresProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

/**
 * A Rollout process killed without a chance to stop its PostgreSQL (SIGKILL) leaves the server running with
 * its lock file in the cluster: stop it (a fast shutdown; it recovers from its WAL at the next start).
 */
async function stopOrphanedServer(cluster: string, log: EmbeddedLog): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || !isProcessAlive(pid) || !isPostgresProcess(pid)) return;
  log.warn(`stopping the embedded PostgreSQL (pid ${pid}) left running by a Rollout process that was killed`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + ORPHAN_STOP_TIMEOUT_MS;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
}

function readOrCreatePassword(file: string, clusterExists: boolean): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (clusterExists) {
    throw new EmbeddedDatabaseError(
      `the embedded database's password file ${file} is missing; restore it or move the data folder aside to start afresh`,
    );
  }
  const password = randomBytes(24).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

/**
 * Starts the embedded PostgreSQL of `dataDir` (initialising the cluster on the first start), listening on
 * 127.0.0.1 only, on a free port recorded in `postgres.json` so the CLI can reach it, with password
 * authentication (the password lives in the data folder, mode 0600). As root it runs as the unprivileged
 * `postgres` user (created if missing).
 */
export async function startEmbeddedDatabase(dataDir: string, log: EmbeddedLog): Promise<EmbeddedDatabase> {
  const account: ServiceAccount | null = isRoot()
    ? (lookUpAccount(POSTGRES_USER) ?? lookUpAccount('nobody'))
    : null;
  prepareDataDir(dataDir, account);
  const previous = readRuntimeRecord(dataDir);
  if (previous && previous.pid !== process.pid && isProcessAlive(previous.pid)) {
    throw new EmbeddedDatabaseError(
      `Rollout (pid ${previous.pid}) already runs the embedded database of ${dataDir} on port ${previous.port}; stop it first or use another ROLLOUT_DATA_DIR`,
    );
  }
  const { cluster, password: passwordFile } = paths(dataDir);
  await stopOrphanedServer(cluster, log);
  const clusterExists = existsSync(join(cluster, 'PG_VERSION'));
  // A cluster folder without PG_VERSION is an initialisation that was cut short: start it again.
  if (!clusterExists) rmSync(cluster, { recursive: true, force: true });
  const password = readOrCreatePassword(passwordFile, clusterExists);
  const port = await choosePort(previous?.port);
  const recent: string[] = [];
  const remember = (message: string) => {
    for (const line of message.split('\n').filter((l) => l.trim() !== '')) {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      log.debug(`postgres: ${line}`);
    }
  };
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: cluster,
    port,
    user: POSTGRES_USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Only root needs (and may create) the unprivileged `postgres` account; anyone else runs it as themselves.
    createPostgresUser: account !== null,
    initdbFlags: ['--encoding=UTF8'],
    // TCP on loopback only, no unix socket (its folder would be shared with any other PostgreSQL).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: remember,
    onError: (error: unknown) => remember(error instanceof Error ? error.message : String(error)),
  });
  if (!clusterExists) {
    log.info(`initialising the embedded PostgreSQL in ${cluster} (first start; a few seconds)`);
    try {
      await server.initialise();
    } catch (error) {
      rmSync(passwordFile, { force: true });
      throw new EmbeddedDatabaseError(
        `could not initialise the embedded PostgreSQL in ${cluster}: ${(error as Error).message}`,
      );
    }
  }
  await startWithin(server, START_TIMEOUT_MS, () => recent.join('\n'));
  writeRuntimeRecord(dataDir, { pid: process.pid, port });
  const url = databaseUrl(password, port);
  await ensureDatabaseExists(url);
  log.info(`embedded PostgreSQL ready on 127.0.0.1:${port} (data: ${cluster})`);
  let stopped = false;
  return {
    url,
    port,
    initialised: !clusterExists,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      removeRuntimeRecord(dataDir, process.pid);
    },
  };
}

async function startWithin(
  server: { start(): Promise<void>; stop(): Promise<void> },
  timeoutMs: number,
  recentLog: () => string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([server.start(), timeout]);
  } catch (error) {
    await server.stop().catch(() => undefined);
    const reason = error instanceof Error ? error.message : 'it exited';
    throw new EmbeddedDatabaseError(
      `the embedded PostgreSQL did not start (${reason}); its last words:\n${recentLog()}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
