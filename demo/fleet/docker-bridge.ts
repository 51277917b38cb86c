import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CommandOutput } from './docker-cli';

export type DockerHandler = (serverName: string, argv: string[], cwd: string) => Promise<CommandOutput>;

const MAX_REQUEST_BYTES = 1024 * 1024;

/**
 * The `docker` each simulated server's shell finds first on its PATH: a shim that posts its argv to this
 * bridge (HTTP on 127.0.0.1, a per-fleet token) and replays the answer's stdout, stderr and exit code.
 */
export class DockerBridge {
  private constructor(
    private readonly server: Server,
    private readonly token: string,
    readonly binDir: string,
  ) {}

  static async start(dataDir: string, handle: DockerHandler): Promise<DockerBridge> {
    const binDir = join(dataDir, 'bin');
    await mkdir(binDir, { recursive: true, mode: 0o700 });
    const token = randomBytes(32).toString('hex');
    const expected = Buffer.from(`Bearer ${token}`);
    const server = createServer((request, response) => {
      const reply = (status: number, body: object) => {
        const text = JSON.stringify(body);
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(text);
      };
      const given = Buffer.from(request.headers.authorization ?? '');
      if (
        request.method !== 'POST' ||
        given.length !== expected.length ||
        !timingSafeEqual(given, expected)
      ) {
        return reply(403, { error: 'forbidden' });
      }
      readJson(request)
        .then(async (body) => {
          const { server: name, argv, cwd } = body as { server?: unknown; argv?: unknown; cwd?: unknown };
          if (typeof name !== 'string' || typeof cwd !== 'string' || !isStringArray(argv)) {
            return reply(400, { error: 'bad request' });
          }
          reply(200, await handle(name, argv, cwd));
        })
        .catch((error: unknown) =>
          reply(200, { exitCode: 125, stdout: '', stderr: `docker (demo fleet): ${String(error)}\n` }),
        );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const shimPath = join(binDir, 'docker-shim.js');
    await writeFile(shimPath, shimSource(port), { mode: 0o600 });
    const launcher = join(binDir, 'docker');
    // Node 20 takes an `--env-file` before `--` as its own option, so the script comes after `--`.
    await writeFile(launcher, `#!/bin/sh\nexec ${shQuote(process.execPath)} -- ${shQuote(shimPath)} "$@"\n`, {
      mode: 0o700,
    });
    await chmod(launcher, 0o700);
    return new DockerBridge(server, token, binDir);
  }

  /** What a shell of `serverName` needs in its environment for the shim to reach the bridge. */
  environment(serverName: string): Record<string, string> {
    return { DEMO_FLEET_SERVER: serverName, DEMO_FLEET_TOKEN: this.token };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) request.destroy(new Error('request too large'));
      else chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function shimSource(port: number): string {
  return `'use strict';
// The demo fleet's docker: forwards argv to the fleet process and replays its answer.
const http = require('http');
const body = JSON.stringify({ server: process.env.DEMO_FLEET_SERVER || '', argv: process.argv.slice(2), cwd: process.cwd() });
const request = http.request(
  {
    host: '127.0.0.1',
    port: ${port},
    method: 'POST',
    path: '/docker',
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      authorization: 'Bearer ' + (process.env.DEMO_FLEET_TOKEN || ''),
    },
  },
  (response) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('end', () => {
      if (response.statusCode !== 200) {
        process.stderr.write('docker: the demo fleet refused the command (HTTP ' + response.statusCode + ')\\n');
        process.exitCode = 125;
        return;
      }
      const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      process.stdout.write(answer.stdout);
      process.stderr.write(answer.stderr);
      process.exitCode = answer.exitCode;
    });
  },
);
request.on('error', (error) => {
  process.stderr.write('Cannot connect to the Docker daemon of the demo fleet (' + error.message + '). Is the demo running?\\n');
  process.exitCode = 1;
});
request.end(body);
`;
}
