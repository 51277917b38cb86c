import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readConfig } from './config';
import { EXIT } from './errors';
import { runCli } from './program';

const TOKEN = `rlt_${'k'.repeat(43)}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command line with captured output, its own config folder and nothing from this process's env. */
async function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin: Readable = Readable.from([]),
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    args,
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      stdin,
      env,
    },
    new AbortController().signal,
  );
  return { code, stdout, stderr };
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A stand-in API on loopback that records what it was asked and answers from `handler`. */
async function stubApi(handler: Handler): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function closedPort(): Promise<number> {
  const { server, url } = await stubApi(() => undefined);
  await new Promise((resolve) => server.close(resolve));
  return Number(new URL(url).port);
}

describe('rollout command line', () => {
  let configDir: string;
  let stub: Awaited<ReturnType<typeof stubApi>> | undefined;
  beforeEach(() => (configDir = mkdtempSync(join(tmpdir(), 'rollout-cli-'))));
  afterEach(async () => {
    rmSync(configDir, { recursive: true, force: true });
    if (stub) await new Promise((resolve) => stub?.server.close(resolve));
    stub = undefined;
  });
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ROLLOUT_CONFIG_DIR: configDir,
    ...extra,
  });

  it('reports a bad --batch as one line and exit 2, before any request', async () => {
    const run = await cli(['deploy', 'shop', '--tag', 'v2', '--batch', '0%'], env());
    expect(run.code).toBe(EXIT.usage);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: option '--batch <size>' argument '0%' is invalid\. .+\n$/);
    expect(run.stderr.split('\n')).toHaveLength(2);
  });

  it('says how to log in when there is no login', async () => {
    const run = await cli(['servers', 'list'], env());
    expect(run).toEqual({
      code: EXIT.usage,
      stdout: '',
      stderr:
        'error: not logged in: run rollout login URL --token TOKEN (or set ROLLOUT_URL and ROLLOUT_TOKEN)\n',
    });
  });

  it('names the URL when the API refuses connections, without the token', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await cli(['apps', 'list'], env({ ROLLOUT_URL: url, ROLLOUT_TOKEN: TOKEN }));
    expect(run.code).toBe(EXIT.unreachable);
    expect(run.stderr).toBe(`error: cannot reach the API at ${url}: connection refused (is it running?)\n`);
  });

  it('prints the HTTP status and the API message of an error answer, never the token', async () => {
    stub = await stubApi((_request, response) =>
      json(response, 401, { statusCode: 401, error: 'Unauthorized', message: `Invalid token ${TOKEN}` }),
    );
    const run = await cli(['servers', 'list'], env({ ROLLOUT_URL: stub.url, ROLLOUT_TOKEN: TOKEN }));
    expect(run.code).toBe(EXIT.api);
    expect(run.stderr).toBe(
      'error: GET /api/servers?limit=500 answered 401: Unauthorized: Invalid token rlt_…\n',
    );
    expect(run.stderr + run.stdout).not.toContain(TOKEN);
    expect(stub.requests).toEqual([`GET /api/servers?limit=500 Bearer ${TOKEN}`]);
  });

  it('refuses --plan without a terminal or --yes before creating anything', async () => {
    stub = await stubApi((_request, response) => json(response, 500, {}));
    const run = await cli(
      ['deploy', 'shop', '--tag', 'v2', '--plan'],
      env({ ROLLOUT_URL: stub.url, ROLLOUT_TOKEN: TOKEN }),
    );
    expect(run.code).toBe(EXIT.notConfirmed);
    expect(run.stderr).toBe(
      'error: --plan asks before starting, but there is no terminal to answer on: add --yes to start without asking\n',
    );
    expect(stub.requests).toEqual([]);
  });

  it('logs in only with a token the API accepts, storing it 0600 and printing it nowhere', async () => {
    stub = await stubApi((request, response) => {
      if (request.headers.authorization === `Bearer ${TOKEN}`) json(response, 200, []);
      else json(response, 401, { statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' });
    });
    const refused = await cli(['login', stub.url, '--token', 'rlt_wrong'], env());
    expect(refused.code).toBe(EXIT.api);
    expect(refused.stderr).toBe(`error: the API at ${stub.url} refused the token (401); nothing was saved\n`);
    expect((await readConfig(configDir)).config).toBeNull();

    const accepted = await cli(['login', `${stub.url}/`, '--token', TOKEN, '--json'], env());
    expect(accepted.code).toBe(EXIT.ok);
    const file = join(configDir, 'config.json');
    expect(JSON.parse(accepted.stdout)).toEqual({ url: stub.url, configFile: file });
    expect(accepted.stdout + accepted.stderr).not.toContain(TOKEN);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await readConfig(configDir)).config).toEqual({ url: stub.url, token: TOKEN });
    expect(stub.requests.at(-1)).toBe(`GET /api/servers?limit=1 Bearer ${TOKEN}`);
  });

  it('reads the token from stdin when --token is not given', async () => {
    stub = await stubApi((_request, response) => json(response, 200, []));
    const run = await cli(['login', stub.url], env(), Readable.from([`${TOKEN}\n`]));
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toBe(`logged in to ${stub.url}; saved in ${join(configDir, 'config.json')}\n`);
    expect((await readConfig(configDir)).config?.token).toBe(TOKEN);
  });

  it("gives only the API's JSON on stdout with --json, and a table without", async () => {
    const servers = [
      { id: 2, name: 'web-2', host: '127.0.0.112', port: 2222, user: 'demo', hostKeyFingerprint: null },
      {
        id: 1,
        name: 'web-1',
        host: '127.0.0.111',
        port: 2222,
        user: 'demo',
        hostKeyFingerprint: 'SHA256:abc',
      },
    ];
    stub = await stubApi((_request, response) => json(response, 200, servers));
    const connection = env({ ROLLOUT_URL: stub.url, ROLLOUT_TOKEN: TOKEN });
    const machine = await cli(['servers', 'list', '--json'], connection);
    expect(JSON.parse(machine.stdout)).toEqual(servers);
    expect(machine.stderr).toBe('');
    const people = await cli(['servers', 'list'], connection);
    expect(people.stdout.split('\n')).toEqual([
      'ID  NAME   ADDRESS           USER  HOST KEY',
      '2   web-2  127.0.0.112:2222  demo  (pinned on first connection)',
      '1   web-1  127.0.0.111:2222  demo  SHA256:abc',
      '',
    ]);
  });

  it('prints help with the exit codes, exit 0; an unknown command is a usage error', async () => {
    const help = await cli(['--help'], env());
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toContain('deploy [options] <app>');
    const unknown = await cli(['deplyo'], env());
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/^error: unknown command 'deplyo'/);
  });
});
