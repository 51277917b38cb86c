import type { LogLevel } from '../config/app-config';

/** Where a command-line tool writes: stdout carries only results, everything else goes to stderr. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const SEVERITY: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: 99,
};

export interface CliLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function cliLogger(io: CliIo, level: LogLevel): CliLogger {
  const at = (severity: number, prefix: string) => (message: string) => {
    if (severity >= SEVERITY[level]) io.err(`${prefix}${message}`);
  };
  return {
    debug: at(SEVERITY.debug, ''),
    info: at(SEVERITY.info, ''),
    warn: at(SEVERITY.warn, 'warning: '),
    error: at(SEVERITY.error, 'error: '),
  };
}

interface PgLikeError {
  code?: string;
  address?: string;
  port?: number;
}

/** A database failure in words a person at a terminal can act on; never includes the URL (it may hold a password). */
export function describeDatabaseError(error: unknown): string {
  const { code, address, port } = (error ?? {}) as PgLikeError;
  const message = error instanceof Error ? error.message : String(error);
  if (code === '42P01')
    return `the Rollout tables are missing (${message}): run \`npm run migration:run\` first`;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    const where = address ? ` at ${address}${port ? `:${port}` : ''}` : '';
    return `cannot reach PostgreSQL${where} (${code}): check DATABASE_URL`;
  }
  return message;
}
