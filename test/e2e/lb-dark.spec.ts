import {
  phasesOf,
  ReceivedEvent,
  report,
  rollOut,
  servedTag,
  haproxyShopForFile,
  underHaproxyLoad,
} from './support/scenario';

jest.setTimeout(300_000);

/**
 * The load balancer's host stops answering SSH (its packets dropped) while a batch is out of rotation:
 * HAProxy itself keeps serving, but Rollout can no longer change it.
 */
describe("the load balancer's host dark while a batch is drained", () => {
  const shop = haproxyShopForFile({
    addressPrefix: '127.0.125.',
    appHosts: 2,
    drainSeconds: 0.5,
    deployed: 'v1',
  });

  const states = async () =>
    (await shop.haproxy.showStat())
      .filter((r) => r.pxname === 'shop' && r.svname.startsWith('web-'))
      .map((r) => [r.svname, r.status]);

  it('fails the batch naming the load balancer, leaves every server on a working version, and the next deployment restores rotation', async () => {
    const lbHost = shop.fleet.host(2);
    const darkWhenDrained = (event: ReceivedEvent) => {
      const { payload } = event;
      if (event.name === 'instance.updated' && payload.batchNumber === 1 && payload.phase === 'starting') {
        void shop.fleet.takeDark(lbHost);
      }
    };
    const { result, traffic, haproxyErrors } = await underHaproxyLoad(
      shop.haproxy,
      'load balancer host dark',
      () =>
        rollOut(
          shop.stack,
          shop.applicationId,
          'v2',
          { batchSize: 1, batchSizeIsPercentage: false, minimumHealthyInstances: 1, failureThreshold: 1 },
          240_000,
          darkWhenDrained,
        ),
    );
    const { deployment, batches, durationMs } = result;
    report('load balancer host dark: the outcome', {
      durationMs,
      status: deployment.status,
      reason: deployment.failureReason,
      batch: batches[0]?.failureReason,
    });
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(deployment.status).toBe('rollback_failed');
    expect(batches[0]?.status).toBe('failed');
    expect(batches[0]?.failureReason).toContain('web-1: load balancer:');
    expect(batches[0]?.failureReason).toContain('lb-1');
    expect(batches[0]?.failureReason).toContain("check that the load balancer's host answers");
    expect(deployment.failureReason).toContain('web-1');
    // web-1 is back on v1 (restored, drained in HAProxy); web-2 was never touched: both on a working version.
    expect(await Promise.all(shop.fleet.hosts.slice(0, 2).map((h) => servedTag(h)))).toEqual(['v1', 'v1']);
    expect(await states()).toEqual([
      ['web-1', 'DRAIN'],
      ['web-2', 'no check'],
    ]);

    await shop.fleet.restore(lbHost);
    const next = await underHaproxyLoad(
      shop.haproxy,
      'the next deployment after the load balancer returned',
      () => rollOut(shop.stack, shop.applicationId, 'v3', { batchSize: 1, batchSizeIsPercentage: false }),
    );
    expect(next.traffic.failed).toBe(0);
    expect(next.result.deployment.status).toBe('completed');
    expect(phasesOf(next.result.events, shop.serverIds[0]!)).toContain('in_rotation');
    expect(await states()).toEqual([
      ['web-1', 'no check'],
      ['web-2', 'no check'],
    ]);
    expect(await Promise.all(shop.fleet.hosts.slice(0, 2).map((h) => servedTag(h)))).toEqual(['v3', 'v3']);
  });
});
