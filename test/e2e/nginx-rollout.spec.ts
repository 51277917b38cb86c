import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet, startFleet } from '../fleet/fleet';
import { RunningNginx, startNginx } from '../fleet/load-balancers';
import { startLoad } from '../fleet/load';
import { report, rollOut, servedTag, createShop, Deployment, waitForFinish } from './support/scenario';
import { freePort, Stack, startStack } from './support/stack';

/** nginx's `[error]` lines about an upstream written after `offset` (each one a request nginx retried). */
function upstreamErrorsSince(log: string, offset: number): string[] {
  return log
    .slice(offset)
    .split('\n')
    .filter((line) => line.includes('[error]') && line.includes('upstream'));
}

jest.setTimeout(300_000);

async function eventuallyServes(url: string, tag: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/`, { headers: { connection: 'close' } });
    seen = response.ok ? String(((await response.json()) as { tag: string }).tag) : `HTTP ${response.status}`;
    if (seen === tag) return seen;
    await new Promise((r) => setTimeout(r, 20));
  }
  return seen;
}

describe('rolling updates through nginx on a fleet of 4 OpenSSH hosts', () => {
  let stack: Stack;
  let fleet: Fleet;
  let nginx: RunningNginx;
  let confDir: string;
  let applicationId: number;
  let updateId: number;

  beforeAll(async () => {
    [stack, fleet] = await Promise.all([startStack(), startFleet({ count: 5, addressPrefix: '127.0.31.' })]);
    const port = await freePort();
    confDir = await mkdtemp(join(tmpdir(), 'rollout-e2e-nginx-conf-'));
    const includeFile = join(confDir, 'shop.conf');
    // Rollout's file listens on every address; start from the same shape so reloads never rebind.
    await writeFile(includeFile, `server {\n  listen ${port};\n  return 503;\n}\n`);
    nginx = await startNginx({ listenPort: port, includeFile });
    ({ applicationId } = await createShop(stack, fleet, fleet.hosts.slice(0, 4), fleet.host(4), {
      type: 'nginx',
      configPath: includeFile,
      listenPort: port,
      reloadCommand: nginx.reloadCommand,
      testCommand: nginx.testCommand,
      drainSeconds: 1,
    }));
  });

  afterAll(async () => {
    await nginx?.stop();
    await fleet?.stop();
    await stack?.stop();
    if (confDir) await rm(confDir, { recursive: true, force: true });
  });

  it('serves 503 before the first deployment and the new instances after it', async () => {
    expect((await fetch(`${nginx.url}/`)).status).toBe(503);
    const workersServing503 = nginx.workers();
    expect(workersServing503).toHaveLength(1);
    const { deployment } = await rollOut(stack, applicationId, 'v1', {
      batchSize: 100,
      minimumHealthyInstances: 0,
    });
    expect(deployment.status).toBe('completed');
    const config = await readFile(nginx.includeFile, 'utf8');
    for (const host of fleet.hosts.slice(0, 4)) expect(config).toContain(`server ${host.address}:8080`);
    // `nginx -s reload` returns before the new workers take over: allow it a moment
    expect(await eventuallyServes(nginx.url, 'v1')).toBe('v1');
    // and no worker of the 503 configuration may still accept the load of the next test
    await nginx.waitForWorkersReplaced(workersServing503);
  });

  it('updates v1 → v2 in batches of 2 under Connection: close load with zero failed requests', async () => {
    expect(await eventuallyServes(nginx.url, 'v1')).toBe('v1');
    const load = startLoad({ url: `${nginx.url}/`, concurrency: 4, keepAlive: false });
    await load.waitForOk(50);
    const logBefore = (await nginx.errorLog()).length;
    const { deployment, batches, durationMs } = await rollOut(stack, applicationId, 'v2', {
      batchSize: 2,
      batchSizeIsPercentage: false,
      minimumHealthyInstances: 1,
    });
    await load.waitForOk(50);
    const traffic = await load.stop();
    const upstreamErrors = upstreamErrorsSince(await nginx.errorLog(), logBefore);
    report('nginx v1→v2 connection-close', { ...traffic, rolloutMs: durationMs, upstreamErrors });
    updateId = deployment.id;

    expect(traffic.failed).toBe(0);
    // proxy_next_upstream retries a failed upstream request, hiding it from clients: nginx logs each one
    expect(upstreamErrors).toEqual([]);
    expect(traffic.tags.v1).toBeGreaterThan(0);
    expect(traffic.tags.v2).toBeGreaterThan(0);
    expect(deployment).toMatchObject({ status: 'completed', completedBatches: 2, previousTag: 'v1' });
    expect(batches.map((b) => b.status)).toEqual(['completed', 'completed']);
    for (const host of fleet.hosts.slice(0, 4)) expect(await servedTag(host)).toBe('v2');
  });

  it('fails an image that cannot be pulled before anything is drained, with the pull error', async () => {
    const before = await readFile(nginx.includeFile, 'utf8');
    const { deployment, batches, events } = await rollOut(stack, applicationId, 'v9-missing', {
      batchSize: 2,
      batchSizeIsPercentage: false,
      failureThreshold: 1,
    });
    expect(batches[0]?.status).toBe('failed');
    expect(batches[0]?.failureReason).toContain('pull failed');
    expect(batches[0]?.failureReason).toContain('manifest unknown');
    expect(deployment.failureReason).toContain('manifest unknown');
    expect(events.some((e) => e.name === 'instance.updated' && e.payload.phase === 'draining')).toBe(false);
    expect(await readFile(nginx.includeFile, 'utf8')).toBe(before);
    for (const host of fleet.hosts.slice(0, 4)) expect(await servedTag(host)).toBe('v2');
  });

  it('rolls the application back to the previous version on demand, with zero failed requests', async () => {
    const load = startLoad({ url: `${nginx.url}/`, concurrency: 4, keepAlive: false });
    await load.waitForOk(50);
    const logBefore = (await nginx.errorLog()).length;
    const rollback = await stack.call<Deployment>('POST', `/api/deployments/${updateId}/rollback`);
    expect(rollback).toMatchObject({ status: 'queued', tag: 'v1', previousTag: 'v2' });
    expect(rollback.id).not.toBe(updateId);
    const finished = await waitForFinish(stack, rollback.id, [], 120_000);
    await load.waitForOk(50);
    const traffic = await load.stop();
    const upstreamErrors = upstreamErrorsSince(await nginx.errorLog(), logBefore);
    report('nginx rollback v2→v1 on demand', { ...traffic, upstreamErrors });

    expect(finished).toMatchObject({ status: 'completed', completedBatches: 2 });
    expect(traffic.failed).toBe(0);
    expect(upstreamErrors).toEqual([]);
    for (const host of fleet.hosts.slice(0, 4)) expect(await servedTag(host)).toBe('v1');
  });
});
