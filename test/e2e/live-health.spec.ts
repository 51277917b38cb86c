import { startLoad } from '../fleet/load';
import {
  phasesOf,
  report,
  rollOut,
  servedTag,
  haproxyShopForFile,
  underHaproxyLoad,
} from './support/scenario';

jest.setTimeout(300_000);

/**
 * Live health on the real shop.fleet through HAProxy under keep-alive load: the budget counts instances that
 * answer now, not the ones the database remembers in rotation, and an updated instance that stops
 * answering after its batch fails that batch and is restored.
 */
describe('live health: the budget and the monitor of updated instances', () => {
  const shop = haproxyShopForFile({
    addressPrefix: '127.0.123.',
    appHosts: 4,
    drainSeconds: 0.3,
    deployed: 'v1',
  });

  const appHosts = () => shop.fleet.hosts.slice(0, 4);

  async function until(check: () => Promise<boolean>, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const underLoad = <T>(label: string, work: () => Promise<T>) => underHaproxyLoad(shop.haproxy, label, work);

  it('fails before touching anything when an instance outside the batch is dead, naming it', async () => {
    const dead = shop.fleet.host(3);
    expect((await shop.fleet.docker(dead, ['stop', 'shop'])).exitCode).toBe(0);
    expect(await servedTag(dead)).toBe('ECONNREFUSED');
    // As HAProxy's own health checks would: the dead server gets no traffic, while Rollout's database still
    // counts it in rotation (only a live probe can tell).
    await shop.haproxy.command('set server shop/web-4 state maint');

    try {
      const { result, traffic, haproxyErrors } = await underLoad(
        'an instance outside the batch killed before it',
        () =>
          rollOut(shop.stack, shop.applicationId, 'v2', {
            batchSize: 2,
            batchSizeIsPercentage: false,
            minimumHealthyInstances: 2,
          }),
      );
      const { deployment, batches, events } = result;
      expect(traffic.failed).toBe(0);
      expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
      expect(deployment.status).toBe('failed');
      expect(deployment.failureReason).toMatch(
        /^Batch 1: Insufficient healthy instances\. Current: 1, Minimum required: 2 \(/,
      );
      expect(deployment.failureReason).toContain(`; web-4 (${dead.address}) did not answer: `);
      expect(batches[0]?.status).toBe('failed');
      for (const id of shop.serverIds) expect(phasesOf(events, id)).toEqual([]);
      expect(
        await Promise.all(
          appHosts()
            .slice(0, 3)
            .map((h) => servedTag(h)),
        ),
      ).toEqual(['v1', 'v1', 'v1']);
    } finally {
      await shop.fleet.docker(dead, ['start', 'shop']);
      await shop.haproxy.command('set server shop/web-4 state ready');
    }
    await until(async () => (await servedTag(dead)) === 'v1', 10_000);
  });

  it('fails and restores the batch of an updated instance that stops answering while the rollout goes on', async () => {
    const { result, traffic } = await underLoad(
      'updated instances that die 4 s after their batch completed',
      () =>
        rollOut(shop.stack, shop.applicationId, 'v3-die4', {
          batchSize: 2,
          batchSizeIsPercentage: false,
          waitInterval: 30,
          healthCheckInterval: 0.3,
          failureThreshold: 1,
        }),
    );
    const { deployment, batches, events, durationMs } = result;
    // HAProxy here has no health checks of its own: until Rollout takes the dead instances out, requests
    // sent to them fail (the instance exits under them). Once the monitor restored them, none does.
    report('requests that failed while dead instances were in rotation', { failed: traffic.failed });
    const after = startLoad({ url: `${shop.haproxy.url}/`, concurrency: 4, keepAlive: true });
    await after.waitForOk(100);
    const afterTraffic = await after.stop();
    report('after the monitor restored them', { ...afterTraffic });
    expect(afterTraffic.failed).toBe(0);
    expect(afterTraffic.tags).toEqual({ v1: afterTraffic.ok });
    expect(deployment.status).toBe('rolled_back');
    expect(batches[0]).toMatchObject({
      status: 'rolled_back',
      serverOutcomes: { [shop.serverIds[0]!]: 'restored' },
    });
    expect(batches[0]?.failureReason).toContain(
      `web-1 (${shop.fleet.host(0).address}) stopped answering after batch 1 put it in rotation`,
    );
    expect(batches[1]?.status).toBe('pending');
    // Reported as it happened, then restored: the wait of 30 s before batch 2 ended early.
    expect(phasesOf(events, shop.serverIds[0]!)).toEqual(
      expect.arrayContaining(['healthy', 'in_rotation', 'unhealthy', 'rolling_back', 'rolled_back']),
    );
    expect(durationMs).toBeLessThan(25_000);
    expect(await Promise.all(appHosts().map((h) => servedTag(h)))).toEqual(['v1', 'v1', 'v1', 'v1']);
  });
});
