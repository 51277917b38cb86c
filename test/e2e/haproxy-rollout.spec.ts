import type { Fleet } from '../fleet/fleet';
import { countersSince, type RunningHaproxy } from '../fleet/load-balancers';
import { startLoad } from '../fleet/load';
import {
  IMAGE,
  phasesOf,
  report,
  rollOut,
  servedTag,
  startHaproxyShop,
  type HaproxyShop,
} from './support/scenario';
import type { Stack } from './support/stack';

jest.setTimeout(300_000);

describe('rolling updates through HAProxy on a fleet of 6 OpenSSH hosts', () => {
  let shop: HaproxyShop;
  let stack: Stack;
  let fleet: Fleet;
  let haproxy: RunningHaproxy;
  let serverIds: number[];
  let applicationId: number;

  beforeAll(async () => {
    shop = await startHaproxyShop({
      addressPrefix: '127.0.30.',
      appHosts: 6,
      drainSeconds: 2,
      extra: { env: { GREETING: 'hello world' }, healthCheckPath: '/health' },
    });
    ({ stack, fleet, haproxy, serverIds, applicationId } = shop);
  });

  afterAll(async () => {
    await shop?.stop();
  });

  it('deploys a first version onto empty hosts and puts every instance into rotation', async () => {
    const { deployment, batches, durationMs } = await rollOut(stack, applicationId, 'v1', {
      batchSize: 50,
      batchSizeIsPercentage: true,
      minimumHealthyInstances: 0,
    });
    expect(deployment).toMatchObject({
      status: 'completed',
      previousImage: null,
      previousTag: null,
      totalBatches: 2,
    });
    expect(batches.map((b) => b.status)).toEqual(['completed', 'completed']);
    for (const host of fleet.hosts.slice(0, 6)) expect(await servedTag(host)).toBe('v1');
    const states = (await haproxy.showStat()).filter(
      (r) => r.pxname === 'shop' && r.svname.startsWith('web-'),
    );
    // 'no check' is HAProxy's READY without health checks; MAINT or DRAIN would show otherwise
    expect(states.map((r) => r.status)).toEqual(Array(6).fill('no check'));
    report('haproxy first deployment', { hosts: 6, batches: 2, durationMs });
  });

  it('updates v1 → v2 in batches of 2 under keep-alive load with zero failed requests', async () => {
    const load = startLoad({ url: `${haproxy.url}/`, concurrency: 6, keepAlive: true });
    await load.waitForOk(50);
    const errorsBefore = await haproxy.errorCounters();
    const { deployment, batches, events, durationMs } = await rollOut(stack, applicationId, 'v2', {
      batchSize: 2,
      batchSizeIsPercentage: false,
      minimumHealthyInstances: 2,
    });
    await load.waitForOk(50);
    const traffic = await load.stop();
    const haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
    report('haproxy v1→v2 keep-alive', { ...traffic, rolloutMs: durationMs, haproxyErrors });

    expect(traffic.failed).toBe(0);
    // HAProxy retries a refused connection, hiding it from clients: its counters must stay at 0 too
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(traffic.sent).toBeGreaterThan(200);
    expect(traffic.tags.v1).toBeGreaterThan(0);
    expect(traffic.tags.v2).toBeGreaterThan(0);
    expect(deployment).toMatchObject({
      status: 'completed',
      previousImage: IMAGE,
      previousTag: 'v1',
      totalBatches: 3,
      completedBatches: 3,
      failedBatches: 0,
    });
    expect(batches.map((b) => [b.batchNumber, b.serverIds, b.status])).toEqual([
      [1, serverIds.slice(0, 2), 'completed'],
      [2, serverIds.slice(2, 4), 'completed'],
      [3, serverIds.slice(4, 6), 'completed'],
    ]);
    for (const batch of batches) {
      for (const id of batch.serverIds) {
        expect(batch.healthCheckResults[String(id)]).toMatchObject({ healthy: true, statusCode: 200 });
      }
    }
    for (const host of fleet.hosts.slice(0, 6)) expect(await servedTag(host)).toBe('v2');

    // socket.io: every step, in order
    expect(events[0]).toMatchObject({ name: 'deployment.updated', payload: { status: 'queued' } });
    expect(events[1]).toMatchObject({ name: 'deployment.updated', payload: { status: 'in_progress' } });
    expect(events.at(-1)).toMatchObject({ name: 'deployment.finished', payload: { status: 'completed' } });
    for (const id of serverIds) {
      expect(phasesOf(events, id)).toEqual([
        'pulling',
        'draining',
        'starting',
        'health_checking',
        'healthy',
        'in_rotation',
      ]);
    }
    const batchOrder = events
      .filter((e) => e.name === 'batch.updated' && e.payload.status === 'completed')
      .map((e) => e.payload.batchNumber);
    expect(batchOrder).toEqual([1, 2, 3]);

    const instances = await stack.call<{ serverId: number; tag: string; inRotation: boolean }[]>(
      'GET',
      `/api/applications/${applicationId}/instances`,
    );
    expect(instances.map((i) => [i.serverId, i.tag, i.inRotation])).toEqual(
      serverIds.map((id) => [id, 'v2', true]),
    );
    // the last server was registered without a fingerprint: the first connection pinned it
    const tofu = await stack.call<{ hostKeyFingerprint: string }>('GET', `/api/servers/${serverIds[5]}`);
    expect(tofu.hostKeyFingerprint).toBe(fleet.host(5).hostKeyFingerprint);
  });

  it('restores a broken version batch and, with failureThreshold 1, rolls back with zero failed requests', async () => {
    const load = startLoad({ url: `${haproxy.url}/`, concurrency: 6, keepAlive: true });
    await load.waitForOk(50);
    const errorsBefore = await haproxy.errorCounters();
    const { deployment, batches, durationMs } = await rollOut(stack, applicationId, 'v3-broken', {
      batchSize: 2,
      batchSizeIsPercentage: false,
      minimumHealthyInstances: 2,
      failureThreshold: 1,
      maxHealthCheckRetries: 3,
    });
    const traffic = await load.stop();
    const haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
    report('haproxy broken v3 rollback', { ...traffic, rolloutMs: durationMs, haproxyErrors });

    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(traffic.tags['v3-broken']).toBeUndefined();
    expect(deployment.status).toBe('rolled_back');
    expect(deployment.failureReason).toContain('health check failed');
    expect(batches[0]).toMatchObject({ status: 'rolled_back', failedInstances: 2 });
    expect(batches[0]?.healthCheckResults[String(serverIds[0])]).toMatchObject({
      healthy: false,
      statusCode: 500,
      attempts: 3,
    });
    expect(batches.slice(1).map((b) => b.status)).toEqual(['pending', 'pending']);
    for (const host of fleet.hosts.slice(0, 6)) expect(await servedTag(host)).toBe('v2');
    const states = (await haproxy.showStat()).filter(
      (r) => r.pxname === 'shop' && r.svname.startsWith('web-'),
    );
    // 'no check' is HAProxy's READY without health checks; MAINT or DRAIN would show otherwise
    expect(states.map((r) => r.status)).toEqual(Array(6).fill('no check'));
  });
});
