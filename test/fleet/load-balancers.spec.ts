import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { Fleet, FleetHost, startFleet } from './fleet';
import { countersSince, startHaproxy, startNginx } from './load-balancers';
import { startLoad } from './load';
import { run } from './processes';
import { freePort } from '../support/net';
import { eventually } from '../support/wait';

jest.setTimeout(30_000);

function get(url: string): Promise<{ status: number; tag?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => {
        let tag: string | undefined;
        try {
          tag = (JSON.parse(text) as { tag?: string }).tag;
        } catch {
          tag = undefined;
        }
        resolve({ status: res.statusCode ?? 0, tag });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('load balancers and load for end-to-end tests', () => {
  let fleet: Fleet;
  let host: FleetHost;

  beforeAll(async () => {
    fleet = await startFleet({ count: 1, addressPrefix: '127.0.23.' });
    host = fleet.host(0);
    const started = await fleet.docker(host, [
      'run',
      '-d',
      '--name',
      'shop',
      '-p',
      '18300:3000',
      'ghcr.io/acme/shop:v1',
    ]);
    expect(started.exitCode).toBe(0);
    await eventually(
      () => get('http://127.0.23.11:18300/'),
      (a) => a.status === 200,
    );
  });
  afterAll(() => fleet?.stop());

  it('runs nginx that answers 503 until its include file proxies to an instance', async () => {
    const nginx = await startNginx({ listenAddress: '127.0.23.1', listenPort: 18380 });
    try {
      expect((await get(`${nginx.url}/`)).status).toBe(503);
      await writeFile(
        nginx.includeFile,
        'upstream shop { server 127.0.23.11:18300; }\n' +
          'server { listen 127.0.23.1:18380; location / { proxy_pass http://shop; } }\n',
      );
      expect(await run('sh', ['-c', nginx.testCommand])).toMatchObject({ exitCode: 0 });
      expect(await run('sh', ['-c', nginx.reloadCommand])).toMatchObject({ exitCode: 0 });
      const answer = await eventually(
        () => get(`${nginx.url}/`),
        (a) => a.status === 200,
      );
      expect(answer).toEqual({ status: 200, tag: 'v1' });
    } finally {
      await nginx.stop();
    }
    await expect(get(`${nginx.url}/`)).rejects.toThrow('ECONNREFUSED');
  });

  it("counts HAProxy's retries of a ready server that refuses connections, which clients never see", async () => {
    const closedPort = await freePort('127.0.23.1');
    const haproxy = await startHaproxy({
      listenAddress: '127.0.23.1',
      listenPort: await freePort('127.0.23.1'),
      backend: 'shop',
      servers: [{ name: 'web-1', address: '127.0.23.1', port: closedPort }],
    });
    try {
      const before = await haproxy.errorCounters();
      expect(before).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
      await haproxy.command('set server shop/web-1 state ready');
      expect((await get(`${haproxy.url}/`)).status).toBe(503);

      const counted = countersSince(before, await haproxy.errorCounters());
      expect(counted.wretr).toBeGreaterThan(0);
      expect(counted.econ).toBeGreaterThan(0);
    } finally {
      await haproxy.stop();
    }
  });

  it('runs HAProxy with servers in maintenance until the runtime API sets them ready', async () => {
    const haproxy = await startHaproxy({
      listenAddress: '127.0.23.1',
      listenPort: 18381,
      backend: 'shop',
      servers: [{ name: 'web-1', address: host.address, port: 18300 }],
    });
    try {
      expect((await get(`${haproxy.url}/`)).status).toBe(503);
      const row = async () =>
        (await haproxy.showStat()).find((r) => r.pxname === 'shop' && r.svname === 'web-1');
      expect((await row())?.status).toBe('MAINT');

      expect(await haproxy.command('set server shop/web-1 state ready')).toBe('\n');
      expect(await get(`${haproxy.url}/`)).toEqual({ status: 200, tag: 'v1' });
      expect((await row())?.status).not.toBe('MAINT');

      // The socket is reachable from a fleet host's shell, as Rollout reaches it over SSH.
      const viaSsh = await fleet.ssh(
        host,
        `echo 'show stat' | socat stdio UNIX-CONNECT:${haproxy.socketPath}`,
      );
      expect(viaSsh.stdout).toContain('shop,web-1,');

      const load = startLoad({
        url: `${haproxy.url}/`,
        concurrency: 4,
        keepAlive: true,
        maxDurationMs: 10_000,
      });
      await load.waitForOk(200);
      const report = await load.stop();
      expect(report.failed).toBe(0);
      expect(report.ok).toBeGreaterThanOrEqual(200);
      expect(report.tags).toEqual({ v1: report.ok });
    } finally {
      await haproxy.stop();
    }
  });

  it('counts failures of a load by reason and stops by itself', async () => {
    const load = startLoad({
      url: 'http://127.0.23.11:18399/',
      concurrency: 2,
      keepAlive: false,
      maxDurationMs: 300,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const report = load.snapshot();
    expect(report.ok).toBe(0);
    expect(report.failed).toBeGreaterThan(0);
    expect(report.failuresByReason).toEqual({ ECONNREFUSED: report.failed });
    expect(report.failureSample[0]).toMatch(/^\d+ms ECONNREFUSED$/);
    const final = await load.stop();
    expect(final.sent).toBe(report.sent);
  });
});
