import { ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseShowStat, type StatRow } from '../../src/rollout/commands/haproxy-stat';
import { waitFor } from '../support/wait';
import { listProcesses, onExit } from './processes';

export interface NginxOptions {
  listenAddress?: string;
  listenPort: number;
  /** The file Rollout writes; created with a server block answering 503 when it does not exist. */
  includeFile?: string;
}

export interface RunningNginx {
  dir: string;
  includeFile: string;
  url: string;
  reloadCommand: string;
  testCommand: string;
  errorLog(): Promise<string>;
  /** The master's worker processes, including old ones still shutting down after a reload. */
  workers(): number[];
  /**
   * Waits until every worker of `before` has exited. After `nginx -s reload` the old worker keeps
   * accepting connections with the old configuration until it handles its QUIT signal, so a test that
   * measures from "the new configuration answered once" can still meet the old one.
   */
  waitForWorkersReplaced(before: readonly number[], timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const { listenAddress = '127.0.0.1', listenPort } = options;
  const dir = await mkdtemp(join(tmpdir(), 'rollout-nginx-'));
  await chmod(dir, 0o755);
  const includeFile = options.includeFile ?? join(dir, 'conf.d', 'app.conf');
  await mkdir(dirname(includeFile), { recursive: true });
  const existing = await readFile(includeFile, 'utf8').catch(() => null);
  if (existing === null) {
    await writeFile(includeFile, `server {\n  listen ${listenAddress}:${listenPort};\n  return 503;\n}\n`);
  }
  const conf = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'error.log');
  await writeFile(
    conf,
    `user root;
worker_processes 1;
worker_shutdown_timeout 10s;
pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} notice;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  include ${includeFile};
}
`,
  );
  const base = `nginx -p ${dir} -c ${conf} -e ${errorLog}`;
  const child = spawn('/usr/sbin/nginx', ['-p', dir, '-c', conf, '-e', errorLog, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = collect(child);
  const attached = detachFromRunner(child, dir);
  await waitForPort(listenAddress, listenPort, child, () => `nginx: ${stderr()}`);
  const workers = () =>
    listProcesses()
      .filter((p) => p.ppid === child.pid && p.cmdline.includes('worker process'))
      .map((p) => p.pid);
  return {
    dir,
    includeFile,
    url: `http://${listenAddress}:${listenPort}`,
    reloadCommand: `${base} -s reload`,
    testCommand: `${base} -t`,
    errorLog: () => readFile(errorLog, 'utf8').catch(() => ''),
    workers,
    async waitForWorkersReplaced(before, timeoutMs = 15_000) {
      await waitFor(
        `nginx workers ${before.join(', ')} to be replaced`,
        () => {
          const now = workers();
          return now.length > 0 && now.every((pid) => !before.includes(pid)) ? true : undefined;
        },
        timeoutMs,
      );
    },
    async stop() {
      await stopChild(child, 'SIGTERM');
      attached();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface HaproxyServer {
  name: string;
  address: string;
  port: number;
}

export interface HaproxyOptions {
  listenAddress?: string;
  listenPort: number;
  backend: string;
  servers: HaproxyServer[];
  /** Lines added to the backend section, e.g. `option http-server-close` (start-first needs it). */
  backendOptions?: string[];
}

export interface RunningHaproxy {
  dir: string;
  socketPath: string;
  url: string;
  /** Sends one runtime API command and returns its answer. */
  command(line: string): Promise<string>;
  showStat(): Promise<StatRow[]>;
  /**
   * HAProxy's own error counters summed over the backend's servers: connection and response errors,
   * retries and redispatches. HAProxy retries a refused connection (3 times, a second apart), so a
   * server stopped while still in rotation costs the client latency, not an error: only these counters
   * show that no request was ever sent to a stopped instance.
   */
  errorCounters(): Promise<HaproxyErrorCounters>;
  stop(): Promise<void>;
}

export interface HaproxyErrorCounters {
  econ: number;
  eresp: number;
  wretr: number;
  wredis: number;
}

/** `after - before`, counter by counter. */
export function countersSince(
  before: HaproxyErrorCounters,
  after: HaproxyErrorCounters,
): HaproxyErrorCounters {
  return {
    econ: after.econ - before.econ,
    eresp: after.eresp - before.eresp,
    wretr: after.wretr - before.wretr,
    wredis: after.wredis - before.wredis,
  };
}

export async function startHaproxy(options: HaproxyOptions): Promise<RunningHaproxy> {
  const { listenAddress = '127.0.0.1', listenPort, backend, servers } = options;
  const dir = await mkdtemp(join(tmpdir(), 'rollout-haproxy-'));
  const socketPath = join(dir, 'admin.sock');
  const conf = join(dir, 'haproxy.cfg');
  await writeFile(
    conf,
    [
      'global',
      `  stats socket ${socketPath} mode 600 level admin`,
      '',
      'defaults',
      '  mode http',
      '  option http-keep-alive',
      '  timeout connect 2s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  timeout http-keep-alive 10s',
      '',
      'frontend app',
      `  bind ${listenAddress}:${listenPort}`,
      `  default_backend ${backend}`,
      '',
      `backend ${backend}`,
      ...(options.backendOptions ?? []).map((line) => `  ${line}`),
      // `disabled` starts each server in maintenance: Rollout sets it ready after its health check.
      ...servers.map((s) => `  server ${s.name} ${s.address}:${s.port} disabled`),
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/haproxy', ['-f', conf, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = collect(child);
  const attached = detachFromRunner(child, dir);
  await waitForPort(listenAddress, listenPort, child, () => `haproxy: ${stderr()}`);
  const command = (line: string) => runtimeCommand(socketPath, line);
  const showStat = async () => parseShowStat(await command('show stat'));
  return {
    dir,
    socketPath,
    url: `http://${listenAddress}:${listenPort}`,
    command,
    showStat,
    async errorCounters() {
      const totals: HaproxyErrorCounters = { econ: 0, eresp: 0, wretr: 0, wredis: 0 };
      const rows = await showStat();
      for (const row of rows.filter(
        (r) => r.pxname === backend && r.svname !== 'BACKEND' && r.svname !== 'FRONTEND',
      )) {
        for (const key of Object.keys(totals) as Array<keyof HaproxyErrorCounters>)
          totals[key] += Number(row[key] || 0);
      }
      return totals;
    },
    async stop() {
      await stopChild(child, 'SIGTERM');
      attached();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function runtimeCommand(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error(`haproxy runtime API timed out on: ${line}`)));
    socket.on('connect', () => socket.end(`${line}\n`));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** A forgotten load balancer must neither keep the test runner alive nor outlive it. */
function detachFromRunner(child: ChildProcess, dir: string): () => void {
  child.unref();
  (child.stderr as (NodeJS.ReadableStream & { unref?: () => void }) | null)?.unref?.();
  return onExit(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-8192);
  });
  return () => text;
}

async function waitForPort(
  address: string,
  port: number,
  child: ChildProcess,
  describe: () => string,
): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await accepts(address, port)) return;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  child.kill('SIGKILL');
  throw new Error(`did not start listening on ${address}:${port}: ${describe()}`);
}

function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Graceful signal first, SIGKILL if the process lingers. */
async function stopChild(child: ChildProcess, graceful: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(graceful);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
