import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The compiled service and CLI, beside this file's folder in dist/. */
const START_ALL = join(__dirname, '..', 'src', 'start-all.js');
const CLI = join(__dirname, '..', 'src', 'cli.js');

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
  };
}

/** The last `count` lines of a file, or a note that it cannot be read. */
export function lastLines(file: string, count: number): string[] {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-count);
  } catch (error) {
    return [`(could not read ${file}: ${(error as Error).message})`];
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      done();
    });
  });
}

/**
 * The service (`dist/src/start-all.js`) as a child in its own process group, its output appended to
 * `logFile`. Its own group keeps a terminal's Ctrl-C from reaching it before the demo has decided the
 * order of the shutdown; killing the group reaches the embedded PostgreSQL it started too.
 */
export class ServiceProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitDescription: string | null = null;

  constructor(private readonly options: ServiceOptions) {
    const log = openSync(options.logFile, 'a');
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

  /** SIGTERM to the whole group, then SIGKILL if it has not ended after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.signalGroup('SIGTERM');
    const timer = new AbortController();
    await Promise.race([this.exited, delay(graceMs, timer.signal)]);
    timer.abort();
    if (this.running) this.kill();
    await this.exited;
  }

  /** At once: the process group gets SIGKILL (the second Ctrl-C, or the demo dying). */
  kill(): void {
    if (this.running) this.signalGroup('SIGKILL');
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
    const tail = lastLines(this.options.logFile, 20).map((line) => `  | ${line}`);
    return new Error(`${message}. Last lines of ${this.options.logFile}:\n${tail.join('\n')}`);
  }
}
