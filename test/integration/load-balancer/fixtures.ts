import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `rollout-${prefix}-`));
}

export function removeDirectory(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

export { freePort } from '../../support/net';

/** A backend answering its own name; `/slow` requests wait until `releaseSlow()`. */
export interface Backend {
  name: string;
  port: number;
  slowInFlight: number;
  releaseSlow(): void;
  close(): Promise<void>;
}

export async function startBackend(name: string): Promise<Backend> {
  let waiting: Array<() => void> = [];
  const backend: Backend = {
    name,
    port: 0,
    slowInFlight: 0,
    releaseSlow() {
      waiting.forEach((release) => release());
      waiting = [];
    },
    close: async () => {
      backend.releaseSlow();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(name);
    if (req.url !== '/slow') return answer();
    backend.slowInFlight++;
    waiting.push(() => {
      backend.slowInFlight--;
      answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as AddressInfo).port;
  return backend;
}

export interface Reply {
  status: number;
  body: string;
}

/** One request on a fresh connection (`Connection: close`), so no keep-alive race with reloads. */
export function get(port: number, path = '/', host = 'shop.test'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, headers: { host, connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`request to :${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The distinct bodies of `count` sequential requests. */
export async function bodiesOf(port: number, count = 8): Promise<string[]> {
  const bodies = new Set<string>();
  for (let i = 0; i < count; i++) bodies.add((await get(port)).body);
  return [...bodies].sort();
}

/** Waits for a daemon to create `path`; fails at once, with its output, if it exits first. */
export async function waitForFile(path: string, daemon: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!existsSync(path)) {
    if (daemon.exitCode !== null)
      throw new Error(`${daemon.spawnfile} exited ${daemon.exitCode}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`${daemon.spawnfile} did not create ${path}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts a foreground daemon; its output is kept for failure messages. */
export function startProcess(command: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
