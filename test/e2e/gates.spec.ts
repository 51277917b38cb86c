import type { Fleet } from '../fleet/fleet';
import type { RunningHaproxy } from '../fleet/load-balancers';
import { rollOut, servedTag, startHaproxyShop, underHaproxyLoad, type HaproxyShop } from './support/scenario';
import type { Stack } from './support/stack';

jest.setTimeout(240_000);

/** Stricter gates on the real fleet, under keep-alive load through HAProxy: no request may fail. */
describe('successThreshold, minReadySeconds and progressDeadline under load', () => {
  let shop: HaproxyShop;
  let stack: Stack;
  let fleet: Fleet;
  let haproxy: RunningHaproxy;

  beforeAll(async () => {
    shop = await startHaproxyShop({
      addressPrefix: '127.0.37.',
      appHosts: 2,
      drainSeconds: 0.5,
      deployed: 'v1',
    });
    ({ stack, fleet, haproxy } = shop);
  });

  afterAll(async () => {
    await shop?.stop();
  });

  async function underLoad<T>(label: string, run: () => Promise<T>): Promise<T> {
    const { result, traffic, haproxyErrors } = await underHaproxyLoad(haproxy, label, run);
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    return result;
  }

  it('fails and restores an instance that passes its first probe and dies 2 s later (minReadySeconds 5)', async () => {
    const { deployment, batches } = await underLoad(
      'minReadySeconds: an instance that dies after passing',
      () =>
        rollOut(stack, shop.applicationId, 'v2-die2', {
          batchSize: 1,
          batchSizeIsPercentage: false,
          minReadySeconds: 5,
          failureThreshold: 1,
        }),
    );
    expect(deployment.status).toBe('rolled_back');
    expect(batches[0]?.status).toBe('rolled_back');
    expect(batches[0]?.failureReason).toContain('within minReadySeconds (5s)');
    expect(await Promise.all(fleet.hosts.slice(0, 2).map((host) => servedTag(host)))).toEqual(['v1', 'v1']);
  });

  it('needs successThreshold passes in a row before an instance goes back into rotation', async () => {
    const { deployment, batches } = await underLoad('successThreshold 3', () =>
      rollOut(stack, shop.applicationId, 'v3', {
        batchSize: 1,
        batchSizeIsPercentage: false,
        successThreshold: 3,
      }),
    );
    expect(deployment).toMatchObject({ status: 'completed', successThreshold: 3 });
    for (const batch of batches) {
      for (const result of Object.values(batch.healthCheckResults)) {
        expect(result.healthy).toBe(true);
        expect(result.attempts).toBeGreaterThanOrEqual(3);
      }
    }
    expect(await Promise.all(fleet.hosts.slice(0, 2).map((host) => servedTag(host)))).toEqual(['v3', 'v3']);
  });

  it('rolls back a version that never comes up once progressDeadline passes, long before its health check timeout', async () => {
    const started = Date.now();
    const { deployment } = await underLoad('progressDeadline 4 s on a version that hangs', () =>
      rollOut(stack, shop.applicationId, 'v4-slow600', {
        batchSize: 1,
        batchSizeIsPercentage: false,
        healthCheckTimeout: 120,
        maxHealthCheckRetries: 10_000,
        failureThreshold: 5,
        progressDeadline: 4,
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(deployment.status).toBe('rolled_back');
    expect(deployment.failureReason).toMatch(
      /^Rolled back after no batch completed within progressDeadline \(4s\); /,
    );
    expect(seconds).toBeLessThan(60);
    expect(await Promise.all(fleet.hosts.slice(0, 2).map((host) => servedTag(host)))).toEqual(['v3', 'v3']);
  });
});
