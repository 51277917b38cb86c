import {
  IMAGE,
  phasesOf,
  ReceivedEvent,
  report,
  rollOut,
  servedTag,
  haproxyShopForFile,
  underHaproxyLoad,
} from './support/scenario';

jest.setTimeout(300_000);

const OUTAGE_MS = 20_000;

/**
 * PostgreSQL goes away under a running rollout. The machine's PostgreSQL is never stopped or blocked: the
 * connections terminated are this test database's own, and "unreachable" is a relay in front of it, cut.
 */
describe('PostgreSQL lost mid-batch', () => {
  const shop = haproxyShopForFile({
    addressPrefix: '127.0.128.',
    appHosts: 3,
    drainSeconds: 0.3,
    deployed: 'v1',
    stack: { databaseRelay: true },
  });

  async function expectEveryServerOn(tag: string) {
    for (const host of shop.fleet.hosts.slice(0, 3)) {
      expect(await servedTag(host)).toBe(tag);
      expect((await shop.fleet.runningContainers(host)).map((c) => c.image)).toEqual([`${IMAGE}:${tag}`]);
    }
    const states = (await shop.haproxy.showStat()).filter(
      (r) => r.pxname === 'shop' && r.svname.startsWith('web-'),
    );
    expect(states.map((r) => r.status)).toEqual(['no check', 'no check', 'no check']);
    const instances = await shop.stack.call<{ tag: string; inRotation: boolean }[]>(
      'GET',
      `/api/applications/${shop.applicationId}/instances`,
    );
    expect(instances.map((i) => [i.tag, i.inRotation])).toEqual(Array(3).fill([tag, true]));
  }

  it('goes on when its connections are terminated (pg_terminate_backend) mid-batch', async () => {
    const done: { terminated: Promise<number> | null } = { terminated: null };
    const terminateDuringSecondBatch = (event: ReceivedEvent) => {
      if (done.terminated || event.name !== 'instance.updated') return;
      if (event.payload.batchNumber === 2 && event.payload.phase === 'starting') {
        done.terminated = shop.stack.db.dataSource
          .query<{ pid: number }[]>(
            'SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [shop.stack.db.name],
          )
          .then((rows) => rows.length);
      }
    };
    const { result, traffic, haproxyErrors } = await underHaproxyLoad(
      shop.haproxy,
      'PostgreSQL connections terminated mid-batch',
      () =>
        rollOut(
          shop.stack,
          shop.applicationId,
          'v2',
          { batchSize: 1, batchSizeIsPercentage: false },
          180_000,
          terminateDuringSecondBatch,
        ),
    );
    const terminated = await done.terminated;
    report('PostgreSQL connections terminated: outcome', {
      terminated,
      status: result.deployment.status,
      resumeCount: result.deployment.resumeCount,
      durationMs: result.durationMs,
    });
    expect(terminated).toBeGreaterThan(0);
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(result.deployment.status).toBe('completed');
    expect(result.batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    await expectEveryServerOn('v2');
  });

  it('retries with backoff while PostgreSQL is unreachable for 20 s, then completes, every server known', async () => {
    const outage: { done: Promise<void> | null; backAt: number } = { done: null, backAt: 0 };
    const cutDuringSecondBatch = (event: ReceivedEvent) => {
      if (outage.done || event.name !== 'instance.updated') return;
      if (event.payload.batchNumber === 2 && event.payload.phase === 'starting') {
        outage.done = (async () => {
          shop.stack.database!.cut();
          await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
          shop.stack.database!.restore();
          outage.backAt = Date.now();
        })();
      }
    };
    const { result, traffic, haproxyErrors } = await underHaproxyLoad(
      shop.haproxy,
      'PostgreSQL unreachable for 20 s',
      () =>
        rollOut(
          shop.stack,
          shop.applicationId,
          'v3',
          { batchSize: 1, batchSizeIsPercentage: false },
          240_000,
          cutDuringSecondBatch,
        ),
    );
    await outage.done;
    const { deployment, batches, events } = result;
    report('PostgreSQL unreachable: recovery', {
      status: deployment.status,
      resumeCount: deployment.resumeCount,
      recoverMs: Date.now() - outage.backAt,
    });
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(deployment.status).toBe('completed');
    expect(deployment.resumeCount).toBeGreaterThanOrEqual(1);
    expect(batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    // Batch 1 was not redone.
    expect(phasesOf(events, shop.serverIds[0]!).filter((p) => p === 'pulling')).toHaveLength(1);
    await expectEveryServerOn('v3');
  });
});
