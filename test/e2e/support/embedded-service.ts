import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoServer } from '../../../demo/fleet';
import { onExit } from '../../fleet/processes';
import { waitFor } from '../../support/wait';

const ROOT = join(__dirname, '..', '..', '..');
const START = join(ROOT, 'dist', 'src', 'start-all.js');
const FIRST_TOKEN = /^(rlt_[A-Za-z0-9_-]{43})$/m;

/** `npm start` as a user runs it on a bare machine: neither DATABASE_URL nor REDIS_URL, a data folder. */
export interface EmbeddedService {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  exited: Promise<number | null>;
  /** The admin token its first start printed (rejects when it printed none). */
  firstToken(timeoutMs?: number): Promise<string>;
  waitUntilHealthy(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM (then SIGKILL after 15 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function startEmbeddedService(options: {
  dataDir: string;
  port: number;
  logLevel?: string;
  /** Run as this user (the test runs as root). */
  uid?: number;
  gid?: number;
}): EmbeddedService {
  const child = spawn(process.execPath, [START], {
    cwd: ROOT,
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
    env: {
      ...process.env,
      DATABASE_URL: '',
      REDIS_URL: '',
      APP_KEY: '',
      ROLLOUT_DATA_DIR: options.dataDir,
      PORT: String(options.port),
      LOG_LEVEL: options.logLevel ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const forget = onExit(() => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      forget();
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const running = () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the service exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-3000)}`);
    }
  };
  return {
    child,
    url,
    output: () => output,
    exited,
    firstToken: (timeoutMs = 90_000) =>
      waitFor(
        'the service to print its first admin token',
        () => {
          running();
          return FIRST_TOKEN.exec(output)?.[1];
        },
        timeoutMs,
      ),
    waitUntilHealthy: (timeoutMs = 90_000) =>
      waitFor(
        'the service to answer /health',
        async () => {
          running();
          const response = await fetch(`${url}/health`).catch(() => null);
          return response?.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
        },
        timeoutMs,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${output.slice(-3000)}`);
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The pid in the embedded cluster's lock file, or null. */
export function postmasterPid(dataDir: string): number | null {
  try {
    return Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The body of `POST /api/servers` for a server of the demo fleet. */
export function demoServerBody(server: DemoServer): Record<string, unknown> {
  return {
    name: server.name,
    host: server.host,
    port: server.port,
    user: server.user,
    privateKey: server.privateKey,
    hostKeyFingerprint: server.hostKeyFingerprint,
  };
}
