import { isIP } from 'node:net';
import { DEFAULT_SERVER_HOST_DENYLIST } from '../common/network/host-policy';

/** The environment, validated once at boot into one typed object. The only place that reads process.env. */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class AppConfig {
  /** Set by `npm start` to its embedded PostgreSQL when DATABASE_URL is not given. */
  databaseUrl: string;
  /** Null: no Redis; the API and the worker run in one process with the in-process queue (`npm start`). */
  redisUrl: string | null;
  port: number;
  /** The address the API listens on (HOST); null: every interface. */
  host: string | null;
  /** 32 bytes that encrypt stored SSH private keys. */
  appKey: Buffer;
  logLevel: LogLevel;
  /** Prefix of every BullMQ key, so several installations (or test runs) can share one Redis. */
  queuePrefix: string;
  /** How many servers of one batch are worked on at once. */
  batchConcurrency: number;
  sshConnectTimeoutMs: number;
  sshCommandTimeoutMs: number;
  healthRequestTimeoutMs: number;
  /** Redis channel prefix shared by the worker's socket.io emitter and the API's socket.io adapter. */
  socketIoKey: string;
  /** How many deployments one worker process runs at once. */
  workerConcurrency: number;
  /**
   * How long a worker's hold on a running deployment lasts without renewal (renewed every half of it). A
   * crashed worker's rollout is resumed by another worker between one and one and a half of this later.
   */
  workerLockDurationMs: number;
  /** Browser origins allowed by CORS and socket.io (exact `scheme://host[:port]`); empty: none. */
  corsOrigins: string[];
  /** When set, `GET /metrics` needs `Authorization: Bearer <this>`; when null, /metrics is public. */
  metricsToken: string | null;
  /** How many of one worker's rollout slots one team may hold at once. */
  teamMaxActiveRollouts: number;
  /** CIDRs that servers may not be registered at or connected to (link-local metadata by default). */
  serverHostDenylist: string[];
  /** Rejected credentials one address may present per minute before it gets 429 for a minute. */
  authFailureLimit: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid environment variable ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(name, 'it is required');
  return value.trim();
}

function url(env: Env, name: string, protocols: string[], whenMissing: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, whenMissing);
  return parsedUrl(value, name, protocols);
}

function optionalUrl(env: Env, name: string, protocols: string[]): string | null {
  const value = env[name]?.trim();
  return value ? parsedUrl(value, name, protocols) : null;
}

function parsedUrl(value: string, name: string, protocols: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, 'it is not a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.map((p) => `${p}//`).join(' or ')} URL`);
  }
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `expected ${min}..${max}, got ${value}`);
  return value;
}

/** APP_KEY (or NEW_APP_KEY when rotating): 64 hex characters, never the all-zero example. */
export function parseAppKey(env: Env, name = 'APP_KEY'): Buffer {
  const hex = required(env, name);
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new ConfigError(name, 'expected 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`');
  }
  const key = Buffer.from(hex, 'hex');
  if (key.every((byte) => byte === 0)) {
    throw new ConfigError(
      name,
      'the all-zero example key is refused; set your own with `openssl rand -hex 32`',
    );
  }
  return key;
}

function listenHost(env: Env): string | null {
  const raw = env.HOST?.trim() ?? '';
  if (raw === '') return null;
  if (isIP(raw) === 0 && raw !== 'localhost') {
    throw new ConfigError('HOST', `expected an IP address to listen on (e.g. 127.0.0.1 or ::), got "${raw}"`);
  }
  return raw;
}

function corsOrigins(env: Env): string[] {
  const raw = env.CORS_ORIGINS?.trim() ?? '';
  if (raw === '') return [];
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = null;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        'CORS_ORIGINS',
        `"${origin}" is not an origin; expected a comma-separated list like https://deploy.example.com,http://localhost:5173`,
      );
    }
    return origin;
  });
}

function metricsToken(env: Env): string | null {
  const raw = env.METRICS_TOKEN?.trim() ?? '';
  if (raw === '') return null;
  if (!/^[\x21-\x7e]{16,256}$/.test(raw)) {
    throw new ConfigError('METRICS_TOKEN', 'expected 16 to 256 printable characters without spaces');
  }
  return raw;
}

function serverHostDenylist(env: Env): string[] {
  const raw = env.SERVER_HOST_DENYLIST ?? DEFAULT_SERVER_HOST_DENYLIST.join(',');
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (!isCidr(entry)) {
      throw new ConfigError(
        'SERVER_HOST_DENYLIST',
        `"${entry}" is not a CIDR; expected a comma-separated list like 169.254.0.0/16,fd00::/8`,
      );
    }
  }
  return entries;
}

export function isCidr(value: string): boolean {
  const [, address, prefix] = /^([^/]+)\/(\d{1,3})$/.exec(value) ?? [];
  if (address === undefined || prefix === undefined) return false;
  const family = isIP(address);
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

export function loadConfig(env: Env = process.env): AppConfig {
  const appKey = parseAppKey(env);
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const queuePrefix = env.QUEUE_PREFIX?.trim() || 'rollout';
  if (!/^[A-Za-z0-9_-]+$/.test(queuePrefix)) {
    throw new ConfigError('QUEUE_PREFIX', 'expected letters, digits, "_" or "-"');
  }
  const socketIoKey = env.SOCKET_IO_KEY?.trim() || 'socket.io';
  if (!/^[A-Za-z0-9_.:-]+$/.test(socketIoKey)) {
    throw new ConfigError('SOCKET_IO_KEY', 'expected letters, digits, ".", ":", "_" or "-"');
  }
  const config = new AppConfig();
  Object.assign(config, {
    databaseUrl: url(
      env,
      'DATABASE_URL',
      ['postgres:', 'postgresql:'],
      'it is required by this process; `npm start` runs an embedded PostgreSQL when it is not set',
    ),
    redisUrl: optionalUrl(env, 'REDIS_URL', ['redis:', 'rediss:']),
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: listenHost(env),
    appKey,
    logLevel,
    queuePrefix,
    batchConcurrency: integer(env, 'BATCH_CONCURRENCY', 50, 1, 1000),
    sshConnectTimeoutMs: integer(env, 'SSH_CONNECT_TIMEOUT_MS', 10000, 100, 600000),
    sshCommandTimeoutMs: integer(env, 'SSH_COMMAND_TIMEOUT_MS', 300000, 100, 3600000),
    healthRequestTimeoutMs: integer(env, 'HEALTH_REQUEST_TIMEOUT_MS', 5000, 50, 600000),
    socketIoKey,
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 4, 1, 100),
    workerLockDurationMs: integer(env, 'WORKER_LOCK_DURATION_MS', 30000, 1000, 600000),
    corsOrigins: corsOrigins(env),
    metricsToken: metricsToken(env),
    teamMaxActiveRollouts: integer(env, 'TEAM_MAX_ACTIVE_ROLLOUTS', 2, 1, 100),
    serverHostDenylist: serverHostDenylist(env),
    authFailureLimit: integer(env, 'AUTH_FAILURE_LIMIT', 50, 1, 1_000_000),
  });
  return config;
}

/** The Redis URL of a process that cannot work without Redis (separate API and worker processes). */
export function requireRedisUrl(config: Pick<AppConfig, 'redisUrl'>): string {
  if (config.redisUrl === null) {
    throw new ConfigError(
      'REDIS_URL',
      'it is required when the API and the workers run as separate processes; `npm start` runs both in one process without it',
    );
  }
  return config.redisUrl;
}

/**
 * Reads `.env` from the working directory into the environment, for the quick start. Variables already
 * set in the environment win. Called by the entry points only, never by tests.
 */
export function loadDotEnvFile(path = '.env'): void {
  try {
    process.loadEnvFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
