import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { delay } from './delay';

/** The compiled service and CLI, beside this file's folder in dist/. */
const START_ALL = join(__dirname, '..', 'src', 'start-all.js');
const CLI = join(__dirname, '..', 'src', 'cli.js');
/** Where the service keeps the embedded PostgreSQL's data inside ROLLOUT_DATA_DIR. */
const EMBEDDED_DATABASE_FOLDER = 'postgres';

export interface ServiceOptions {
  dataDir: string;
  port: number;
  logFile: string;
  /** The environment the demo was started with; the embedded default is forced on top of it. */
  env: NodeJS.ProcessEnv;
}

/**
 * The service's environment on the embedded default. `DATABASE_URL` and `REDIS_URL` are set to the
 * empty string rather than left out: variables set explicitly win over a `.env` file, so a developer's
 * .env cannot point the demo at another database.
 */
export function serviceEnv(options: Pick<ServiceOptions, 'dataDir' | 'port' | 'env'>): NodeJS.ProcessEnv {
  return {
    ...options.env,
    DATABASE_URL: '',
    REDIS_URL: '',
    ROLLOUT_DATA_DIR: options.dataDir,
    PORT: String(options.port),
    // The demo prints an admin token: its API answers on this machine only.
    HOST: '127.0.0.1',
  };
}

const LEVELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** A log line as a person reads it: pino's JSON as `level message: error`, cut to `width` characters. */
export function readableLogLine(line: string, width = 300): string {
  let text = line;
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
    if (typeof entry.msg === 'string') {
      const error = entry.err?.message ? `: ${entry.err.message}` : '';
      text = `${LEVELS[entry.level ?? 0] ?? 'log'} ${entry.msg}${error}`;
    }
  } catch {
    // Not JSON: shown as it is.
  }
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** The last `count` lines written to a file from byte `from` on, readable, or a note that it cannot be read. */
export function lastLines(file: string, count: number, from = 0): string[] {
  try {
    const text = readFileSync(file).subarray(from).toString('utf8').trimEnd();
    if (text === '') return ['(nothing)'];
    return text
      .split('\n')
      .filter((line) => !line.includes('"msg":"request completed"'))
      .slice(-count)
      .map((line) => readableLogLine(line));
  } catch (error) {
    return [`(could not read ${file}: ${(error as Error).message})`];
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/**
 * The pid of the embedded PostgreSQL running on the data folder, from its `postmaster.pid` (first line
 * the pid, second its data directory), checked against the process's command line so a stale file or a
 * reused pid is never taken for it. Null when none runs.
 */
export function embeddedDatabasePid(dataDir: string): number | null {
  const databaseDir = join(dataDir, EMBEDDED_DATABASE_FOLDER);
  try {
    const [pid, dir] = readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
    if (dir !== databaseDir || pid === undefined || !/^[0-9]+$/.test(pid)) return null;
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes(databaseDir) ? Number(pid) : null;
  } catch {
    return null;
  }
}

/**
 * A service killed (SIGKILL) cannot stop the PostgreSQL it started, which runs in a process group of its
 * own: a fast shutdown (SIGINT), then SIGKILL if it is still there after 10 s.
 */
async function stopOrphanedDatabase(dataDir: string): Promise<void> {
  const pid = embeddedDatabasePid(dataDir);
  if (pid === null) return;
  signal(pid, 'SIGINT');
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (embeddedDatabasePid(dataDir) === null) return;
    await delay(100);
  }
  signal(pid, 'SIGKILL');
}

/**
 * The service (`dist/src/start-all.js`) as a child in its own process group, its output appended to
 * `logFile`. Its own group keeps a terminal's Ctrl-C from reaching it before the demo has decided the
 * order of the shutdown.
 */
export class ServiceProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitDescription: string | null = null;
  /** Where this start's lines begin in the log, which earlier runs also wrote to. */
  private readonly logOffset: number;

  constructor(private readonly options: ServiceOptions) {
    // The service prints its first admin token on its first start: the log is for this user only.
    const log = openSync(options.logFile, 'a', 0o600);
    this.logOffset = fstatSync(log).size;
    try {
      this.child = spawn(process.execPath, [START_ALL], {
        env: serviceEnv(options),
        stdio: ['ignore', log, log],
        detached: true,
      });
    } finally {
      closeSync(log);
    }
    this.exited = new Promise((done) => {
      this.child.once('exit', (code, signal) => {
        this.exitDescription = signal === null ? `exit code ${code}` : `signal ${signal}`;
        done();
      });
      this.child.once('error', (error) => {
        this.exitDescription = `could not start: ${error.message}`;
        done();
      });
    });
  }

  /** Resolves when the service has ended, for whatever reason, with how it ended. */
  async ended(): Promise<string> {
    await this.exited;
    return this.exitDescription ?? 'ended';
  }

  /** An error naming how the service ended, with the last lines of its log. */
  endedUnexpectedly(): Error {
    return this.failure(`The service stopped unexpectedly (${this.exitDescription ?? 'still running'})`);
  }

  get running(): boolean {
    return this.exitDescription === null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  /** Resolves when `GET /health` answers 200; throws with the log's last lines if the service stops first. */
  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.running)
        throw this.failure(`The service stopped (${this.exitDescription}) before it was ready`);
      try {
        const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) return;
        last = `GET /health answered ${response.status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await delay(250);
    }
    throw this.failure(`The service was not ready after ${timeoutMs / 1000} s (${last})`);
  }

  /** A new admin token of the team, from the CLI against the running service's embedded database. */
  createToken(team: string, name: string): Promise<string> {
    return new Promise((done, fail) => {
      execFile(
        process.execPath,
        [CLI, 'token', 'create', '--team', team, '--name', name],
        { env: serviceEnv(this.options), timeout: 60_000 },
        (error, stdout, stderr) => {
          const token = stdout.trim();
          if (error || token === '' || token.includes('\n')) {
            fail(
              new Error(`Could not create a token with the CLI: ${error?.message ?? ''}\n${stderr.trim()}`),
            );
          } else {
            done(token);
          }
        },
      );
    });
  }

  /**
   * SIGTERM to the whole group, then SIGKILL if it has not ended after `graceMs`; then the embedded
   * PostgreSQL, should it have outlived the service.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.running) {
      this.signalGroup('SIGTERM');
      const timer = new AbortController();
      await Promise.race([this.exited, delay(graceMs, timer.signal)]);
      timer.abort();
      if (this.running) this.signalGroup('SIGKILL');
      await this.exited;
    }
    await stopOrphanedDatabase(this.options.dataDir);
  }

  /** At once (the second Ctrl-C, or the demo dying): SIGKILL to the group, a fast shutdown to PostgreSQL. */
  kill(): void {
    if (this.running) this.signalGroup('SIGKILL');
    const database = embeddedDatabasePid(this.options.dataDir);
    if (database !== null) signal(database, 'SIGINT');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  private failure(message: string): Error {
    const tail = lastLines(this.options.logFile, 15, this.logOffset).map((line) => `  | ${line}`);
    return new Error(`${message}. Last lines of ${this.options.logFile}:\n${tail.join('\n')}`);
  }
}
