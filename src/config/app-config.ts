/** The environment, validated once at boot into one typed object. The only place that reads process.env. */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class AppConfig {
  databaseUrl: string;
  redisUrl: string;
  port: number;
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

function url(env: Env, name: string, protocols: string[], fallback?: string): string {
  const value = env[name]?.trim() || fallback;
  if (!value) throw new ConfigError(name, 'it is required');
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

export function loadConfig(env: Env = process.env): AppConfig {
  const appKeyHex = required(env, 'APP_KEY');
  if (!/^[0-9a-fA-F]{64}$/.test(appKeyHex)) {
    throw new ConfigError(
      'APP_KEY',
      'expected 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`',
    );
  }
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
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    port: integer(env, 'PORT', 3000, 0, 65535),
    appKey: Buffer.from(appKeyHex, 'hex'),
    logLevel,
    queuePrefix,
    batchConcurrency: integer(env, 'BATCH_CONCURRENCY', 10, 1, 1000),
    sshConnectTimeoutMs: integer(env, 'SSH_CONNECT_TIMEOUT_MS', 10000, 100, 600000),
    sshCommandTimeoutMs: integer(env, 'SSH_COMMAND_TIMEOUT_MS', 300000, 100, 3600000),
    healthRequestTimeoutMs: integer(env, 'HEALTH_REQUEST_TIMEOUT_MS', 5000, 50, 600000),
    socketIoKey,
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 4, 1, 100),
    workerLockDurationMs: integer(env, 'WORKER_LOCK_DURATION_MS', 30000, 1000, 600000),
  });
  return config;
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
