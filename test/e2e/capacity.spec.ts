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
 * A server that reports less free memory than the application's minimum (its /proc/meminfo is the test's)
 * fails its batch before anything changes on it: no pull, no drain, its instance keeps serving v1.
 */
describe('a server short of memory', () => {
  let shop: HaproxyShop;
  let stack: Stack;
  let fleet: Fleet;
  let haproxy: RunningHaproxy;
  let serverIds: number[];
  let applicationId: number;

  beforeAll(async () => {
    shop = await startHaproxyShop({
      addressPrefix: '127.0.36.',
      appHosts: 3,
      drainSeconds: 1,
      deployed: 'v1',
      reportedMemory: true,
      extra: { minFreeMemoryMb: 256 },
    });
    ({ stack, fleet, haproxy, serverIds, applicationId } = shop);
  });

  afterAll(async () => {
    await shop?.stop();
  });

  it('is named in the plan preview, read over SSH, before anything starts', async () => {
    await fleet.reportMemAvailable(fleet.host(1), 120);
    const pending = await stack.call<{ id: number }>('POST', '/api/deployments', {
      applicationId,
      tag: 'v2',
    });
    const plan = await stack.call<{ warnings: string[] }>('POST', `/api/deployments/${pending.id}/plan`, {
      batchSize: 1,
      batchSizeIsPercentage: false,
    });
    expect(plan.warnings).toEqual([
      'Server web-2 has insufficient capacity: 120 MB memory free, 256 MB required (checked for stop-first)',
    ]);
    const startFirst = await stack.call<{ warnings: string[] }>(
      'POST',
      `/api/deployments/${pending.id}/plan`,
      {
        order: 'start-first',
      },
    );
    expect(startFirst.warnings).toEqual([
      'Server web-2 has insufficient capacity: 120 MB memory free, 256 MB required (checked for start-first)',
    ]);
  });

  it('fails its batch with the figures before anything changes, and the other batches go on', async () => {
    const short = fleet.host(1);
    await fleet.reportMemAvailable(short, 120);
    const load = startLoad({ url: `${haproxy.url}/`, concurrency: 4, keepAlive: true });
    await load.waitForOk(50);
    const errorsBefore = await haproxy.errorCounters();

    const { deployment, batches, events, durationMs } = await rollOut(stack, applicationId, 'v2', {
      batchSize: 1,
      batchSizeIsPercentage: false,
      minimumHealthyInstances: 1,
      failureThreshold: 2,
    });
    const traffic = await load.stop();
    const haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
    report('web-2 reports 120 MB MemAvailable, 256 MB required', {
      ...traffic,
      rolloutMs: durationMs,
      haproxyErrors,
      reason: batches[1]?.failureReason,
    });

    expect(batches.map((b) => b.status)).toEqual(['completed', 'failed', 'completed']);
    expect(batches[1]).toMatchObject({
      failureReason:
        'Server web-2 has insufficient capacity: 120 MB memory free, 256 MB required (checked for stop-first)',
      successfulInstances: 0,
      failedInstances: 1,
    });
    expect(deployment).toMatchObject({
      status: 'completed_with_errors',
      completedBatches: 2,
      failedBatches: 1,
    });

    // Nothing happened on web-2: no step event, no pull, the same container serving v1 in rotation.
    expect(phasesOf(events, defined(serverIds[1], 'the id of web-2'))).toEqual([]);
    expect(await servedTag(short)).toBe('v1');
    const pulled = await fleet.docker(short, ['image', 'inspect', '--format', '{{.Id}}', `${IMAGE}:v2`]);
    expect(pulled.exitCode).not.toBe(0);
    expect((await fleet.runningContainers(short)).map((c) => [c.name, c.image])).toEqual([
      ['shop', `${IMAGE}:v1`],
    ]);
    for (const host of [fleet.host(0), fleet.host(2)]) expect(await servedTag(host)).toBe('v2');
    const states = (await haproxy.showStat()).filter(
      (r) => r.pxname === 'shop' && r.svname.startsWith('web-'),
    );
    expect(states.map((r) => [r.svname, r.status])).toEqual([
      ['web-1', 'no check'],
      ['web-2', 'no check'],
      ['web-3', 'no check'],
    ]);
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
  });
});
