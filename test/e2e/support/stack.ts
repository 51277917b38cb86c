import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { io, Socket } from 'socket.io-client';
import { DEPLOYMENTS_QUEUE, deploymentJobId } from '../../../src/infra/queue/queue.constants';
import { redisOptionsFromUrl } from '../../../src/infra/queue/redis-options';
import { createTestDatabase, TestDatabase } from '../../integration/support/database';
import { freePort } from '../../support/net';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
import { deleteKeys, TEST_REDIS_URL } from '../../support/redis';
import { onExit } from '../../fleet/processes';

export { freePort };

const ROOT = join(__dirname, '..', '..', '..');

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

/** The compiled API and worker as real processes on a throwaway database and Redis prefix. */
export interface Stack {
  baseUrl: string;
  token: string;
  db: TestDatabase;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  /** The body of a 2xx answer; anything else throws with the answer. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  socket(): Promise<Socket>;
  /** Stops and starts the worker process (a crash when `signal` is SIGKILL). */
  restartWorker(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the worker process and waits for it to exit; `startWorker` starts a new one. */
  stopWorker(signal?: NodeJS.Signals): Promise<void>;
  startWorker(): void;
  /** Sends a signal to the worker process without waiting (SIGSTOP, SIGCONT: a worker that is only slow). */
  signalWorker(signal: NodeJS.Signals): void;
  /** Starts one more worker process beside the first (stopped with the stack). */
  startSecondWorker(): void;
  /** With `databaseRelay`: cut and restore the processes' way to PostgreSQL. */
  database: TcpProxy | null;
  /** The key the API's socket.io Redis adapter and the worker's emitter share (SOCKET_IO_KEY). */
  socketIoKey: string;
  /** The process ids of the API and of the (current) worker, for their memory and CPU figures. */
  pids(): { api: number; worker: number };
  /** The BullMQ state of a deployment's job (`waiting`, `active`, `completed`, …). */
  jobState(deploymentId: number): Promise<string>;
  logs(): string;
  stop(): Promise<void>;
}

function startProcess(script: string, env: NodeJS.ProcessEnv, log: string[], label: string): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', script)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    log.push(`[${label}] ${chunk.toString()}`);
    if (log.length > 2000) log.splice(0, log.length - 2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms:\n${log().slice(-4000)}`);
}

function runCli(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli.js'), ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`cli exited ${code}: ${stderr}`)),
    );
  });
}

function databaseAddress(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}

function viaRelay(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

export interface StackOptions {
  /** A Redis of the test's own (an outage test); the machine's by default. */
  redisUrl?: string;
  /** The API and worker reach PostgreSQL through a relay the test can cut (`stack.database`). */
  databaseRelay?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const db = await createTestDatabase();
  const relay = options.databaseRelay ? await startTcpProxy(databaseAddress(db.url)) : null;
  const port = await freePort();
  const prefix = `rollout-e2e-${process.pid}-${randomBytes(3).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: relay ? viaRelay(db.url, relay.port) : db.url,
    REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
    PORT: String(port),
    APP_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    QUEUE_PREFIX: prefix,
    SOCKET_IO_KEY: prefix,
    // A killed worker's rollout is picked up 5–7.5 s later instead of the production 30–45 s.
    WORKER_LOCK_DURATION_MS: '5000',
  };
  const log: string[] = [];
  const logs = () => log.join('');
  const token = (await runCli(env, ['token', 'create', '--team', 'e2e'])).trim();
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = startProcess('main.js', env, log, 'api');
  let worker = startProcess('worker.js', env, log, 'worker');
  const extraWorkers: ChildProcess[] = [];
  const sockets: Socket[] = [];
  // If the test runner dies, the API and worker must not outlive it (the database and keys may).
  const forgetExitHook = onExit(() => {
    api.kill('SIGKILL');
    worker.kill('SIGKILL');
    for (const extra of extraWorkers) extra.kill('SIGKILL');
  });

  await waitFor(async () => (await fetch(`${baseUrl}/health`)).ok, 30_000, 'The API', logs);

  const request = async <T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };

  return {
    baseUrl,
    token,
    db,
    database: relay,
    socketIoKey: prefix,
    pids() {
      if (api.pid === undefined || worker.pid === undefined) throw new Error('the API or worker has no pid');
      return { api: api.pid, worker: worker.pid };
    },
    request,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await request<T>(method, path, body);
      if (response.status < 200 || response.status > 299) {
        throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
      }
      return response.body;
    },
    async socket() {
      const socket = io(`${baseUrl}/deployments`, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
      });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      return socket;
    },
    async restartWorker(signal: NodeJS.Signals = 'SIGTERM') {
      await stopProcess(worker, signal);
      worker = startProcess('worker.js', env, log, 'worker');
    },
    async stopWorker(signal: NodeJS.Signals = 'SIGTERM') {
      await stopProcess(worker, signal);
    },
    startWorker() {
      worker = startProcess('worker.js', env, log, 'worker');
    },
    signalWorker(signal: NodeJS.Signals) {
      worker.kill(signal);
    },
    startSecondWorker() {
      extraWorkers.push(startProcess('worker.js', env, log, 'worker-2'));
    },
    async jobState(deploymentId: number) {
      const queue = new Queue(DEPLOYMENTS_QUEUE, {
        connection: { ...redisOptionsFromUrl(TEST_REDIS_URL), maxRetriesPerRequest: null },
        prefix,
      });
      try {
        return await queue.getJobState(deploymentJobId(deploymentId));
      } finally {
        await queue.close();
      }
    },
    logs,
    async stop() {
      for (const socket of sockets) socket.disconnect();
      worker.kill('SIGCONT');
      await Promise.all([stopProcess(api), stopProcess(worker), ...extraWorkers.map((w) => stopProcess(w))]);
      forgetExitHook();
      await relay?.close();
      await deleteKeys(`${prefix}:*`, `${prefix}#*`);
      await db.drop();
    },
  };
}
