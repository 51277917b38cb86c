import type { Fleet } from '../fleet/fleet';
import { countersSince, type RunningHaproxy } from '../fleet/load-balancers';
import { startLoad } from '../fleet/load';
import { defined } from '../support/defined';
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

/**
 * One application server stops answering SSH (its packets are dropped, as behind a dead firewall or a hung
 * sshd) after the worker already holds a pooled connection to it. Its instance keeps serving.
 */
describe('a server whose SSH goes dark during a rollout', () => {
  let shop: HaproxyShop;
  let stack: Stack;
  let fleet: Fleet;
  let haproxy: RunningHaproxy;
  let serverIds: number[];
  let applicationId: number;

  beforeAll(async () => {
    shop = await startHaproxyShop({
      addressPrefix: '127.0.34.',
      appHosts: 4,
      drainSeconds: 1,
      deployed: 'v1',
    });
    ({ stack, fleet, haproxy, serverIds, applicationId } = shop);
  });

  afterAll(async () => {
    await shop?.stop();
  });

  it('fails that server’s batch naming it, keeps it serving in rotation, and updates the others', async () => {
    const dark = fleet.host(2);
    const load = startLoad({ url: `${haproxy.url}/`, concurrency: 4, keepAlive: true });
    await load.waitForOk(50);
    await fleet.takeDark(dark);
    const errorsBefore = await haproxy.errorCounters();

    const { deployment, batches, events, durationMs } = await rollOut(
      stack,
      applicationId,
      'v2',
      { batchSize: 1, batchSizeIsPercentage: false, minimumHealthyInstances: 1, failureThreshold: 2 },
      240_000,
    );
    const traffic = await load.stop();
    const haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
    report('SSH of web-3 dark during the rollout', {
      ...traffic,
      rolloutMs: durationMs,
      haproxyErrors,
      reason: batches[2]?.failureReason,
    });

    expect(deployment).toMatchObject({
      status: 'completed_with_errors',
      completedBatches: 3,
      failedBatches: 1,
    });
    expect(batches.map((b) => b.status)).toEqual(['completed', 'completed', 'failed', 'completed']);
    expect(batches[2]?.failureReason).toMatch(/web-3/);
    expect(batches[2]?.failureReason).toMatch(/SSH|ssh/);
    expect(phasesOf(events, defined(serverIds[2], 'the id of web-3'))).not.toContain('draining');
    for (const host of [0, 1, 3].map((i) => fleet.host(i))) expect(await servedTag(host)).toBe('v2');
    expect(await servedTag(dark)).toBe('v1');
    const states = (await haproxy.showStat()).filter(
      (r) => r.pxname === 'shop' && r.svname.startsWith('web-'),
    );
    expect(states.map((r) => [r.svname, r.status])).toEqual([
      ['web-1', 'no check'],
      ['web-2', 'no check'],
      ['web-3', 'no check'],
      ['web-4', 'no check'],
    ]);
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });

    await fleet.restore(dark);
    const containers = await fleet.runningContainers(dark);
    expect(containers.map((c) => c.image)).toEqual([`${IMAGE}:v1`]);
  });
});
