import type { Fleet } from '../fleet/fleet';
import type { RunningHaproxy } from '../fleet/load-balancers';
import { type OwnRedis, startOwnRedis } from '../support/redis-server';
import { freePort } from '../support/net';
import {
  phasesOf,
  ReceivedEvent,
  report,
  rollOut,
  servedTag,
  startHaproxyShop,
  underHaproxyLoad,
  type HaproxyShop,
} from './support/scenario';
import type { Stack } from './support/stack';

jest.setTimeout(300_000);

const OUTAGE_MS = 20_000;

/**
 * Redis (the queue, the locks, socket.io's fan-out) goes away for 20 s in the middle of a rollout. It is a
 * redis-server of the test's own: the machine's Redis is never touched.
 */
describe('Redis stopped for 20 s mid-rollout', () => {
  let redis: OwnRedis;
  let shop: HaproxyShop;
  let stack: Stack;
  let fleet: Fleet;
  let haproxy: RunningHaproxy;
  let serverIds: number[];

  beforeAll(async () => {
    redis = await startOwnRedis(await freePort());
    shop = await startHaproxyShop({
      addressPrefix: '127.0.127.',
      appHosts: 3,
      drainSeconds: 0.3,
      deployed: 'v1',
      stack: { redisUrl: redis.url },
    });
    ({ stack, fleet, haproxy, serverIds } = shop);
  });

  afterAll(async () => {
    await shop?.stop();
    await redis?.close();
  });

  it('continues or resumes, loses no event of the timeline, and subscribers get the events after it', async () => {
    const outage: { done: Promise<void> | null; backAt: number } = { done: null, backAt: 0 };
    const received: ReceivedEvent[] = [];
    const stopAfterFirstBatch = (event: ReceivedEvent) => {
      received.push(event);
      const { payload } = event;
      if (outage.done || event.name !== 'instance.updated') return;
      if (payload.batchNumber === 1 && payload.phase === 'in_rotation') {
        outage.done = (async () => {
          await redis.stop();
          await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
          await redis.start();
          outage.backAt = Date.now();
        })();
      }
    };
    const { result, traffic, haproxyErrors } = await underHaproxyLoad(haproxy, 'Redis down for 20 s', () =>
      rollOut(
        stack,
        shop.applicationId,
        'v2',
        // Long waits: the rollout is still going when Redis returns, so its last batch runs after the outage.
        { batchSize: 1, batchSizeIsPercentage: false, waitInterval: 12 },
        240_000,
        stopAfterFirstBatch,
      ),
    );
    await outage.done;
    const { deployment, batches, events } = result;
    const finishedAt = Date.now();
    report('Redis outage: recovery', {
      status: deployment.status,
      resumeCount: deployment.resumeCount,
      recoverMs: finishedAt - outage.backAt,
    });
    expect(outage.backAt).toBeGreaterThan(0);
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(deployment.status).toBe('completed');
    expect(batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    for (const host of fleet.hosts.slice(0, 3)) expect(await servedTag(host)).toBe('v2');

    // The timeline in PostgreSQL has every step of every server, each batch run to its end.
    const timeline = await stack.call<{ id: number; serverId: number | null; phase: string }[]>(
      'GET',
      `/api/deployments/${deployment.id}/events?afterId=0&limit=500`,
    );
    for (const id of serverIds) {
      const phases = timeline.filter((e) => e.serverId === id).map((e) => e.phase);
      expect(phases).toEqual(expect.arrayContaining(['pulling', 'starting', 'healthy', 'in_rotation']));
      expect(phases.at(-1)).toBe('in_rotation');
    }
    // Subscribers got the rollout's events after the outage, up to its end: batch 3 ran after it.
    const afterOutage = received.filter((e) => e.name === 'instance.updated' && e.payload.batchNumber === 3);
    expect(afterOutage.map((e) => e.payload.phase)).toEqual(
      expect.arrayContaining(['pulling', 'in_rotation']),
    );
    expect(received.some((e) => e.name === 'deployment.finished')).toBe(true);
    expect(phasesOf(events, serverIds[2]!)).toEqual(expect.arrayContaining(['pulling', 'in_rotation']));
  });
});
