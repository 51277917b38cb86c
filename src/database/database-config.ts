import { ConfigError, type LogLevel } from '../config/app-config';

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** What the migration runner and the token CLI need: no APP_KEY, no Redis. */
export interface DatabaseConfig {
  /** Null: the embedded PostgreSQL of ROLLOUT_DATA_DIR. */
  databaseUrl: string | null;
  logLevel: LogLevel;
}

export function loadDatabaseConfig(env: Env): DatabaseConfig {
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const databaseUrl = env.DATABASE_URL?.trim();
  if (!databaseUrl) return { databaseUrl: null, logLevel };
  let parsed: URL;
  try {
    parsed = new URL(databaseUrl);
  } catch {
    throw new ConfigError('DATABASE_URL', 'it is not a URL (expected postgres://user@host:5432/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', 'expected a postgres:// or postgresql:// URL');
  }
  return { databaseUrl, logLevel };
}
