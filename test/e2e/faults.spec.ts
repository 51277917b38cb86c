import {
  containersOn,
  IMAGE,
  phasesOf,
  report,
  rollOut,
  servedTag,
  haproxyShopForFile,
  underHaproxyLoad,
} from './support/scenario';

jest.setTimeout(120_000);

/**
 * Faults of the new version and of the server, on the real shop.fleet through HAProxy under keep-alive load:
 * a health endpoint that accepts connections and never answers (or answers after 30 s) fails its batch in
 * bounded time, and a disk that fills up during the pull fails the batch before anything is drained. No
 * request fails in either case.
 */
describe('faults: a health endpoint that never answers, a disk full during the pull', () => {
  const shop = haproxyShopForFile({
    addressPrefix: '127.0.124.',
    appHosts: 2,
    drainSeconds: 0.3,
    deployed: 'v1',
  });

  const appHosts = () => shop.fleet.hosts.slice(0, 2);
  /** `text` as a regular expression that matches exactly it. */
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  async function underLoad<T>(label: string, run: () => Promise<T>): Promise<T> {
    const { result, traffic, haproxyErrors } = await underHaproxyLoad(shop.haproxy, label, run);
    expect(traffic.failed).toBe(0);
    expect(traffic.ok).toBeGreaterThan(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    return result;
  }

  /** web-N → HAProxy's status of that server ('no check' is READY without HAProxy's own checks). */
  async function haproxyStates(): Promise<Record<string, string>> {
    const rows = (await shop.haproxy.showStat()).filter(
      (r) => r.pxname === 'shop' && r.svname.startsWith('web-'),
    );
    return Object.fromEntries(rows.map((r) => [r.svname, r.status ?? '(none)']));
  }

  /** Every distinct HAProxy state seen while `work` runs, sampled every 50 ms. */
  async function watchingHaproxy<T>(work: () => Promise<T>) {
    const seen = new Set<string>();
    let done = false;
    const sampler = (async () => {
      while (!done) {
        seen.add(JSON.stringify(await haproxyStates()));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      return { result: await work(), seen };
    } finally {
      done = true;
      await sampler;
    }
  }

  const silentHealth = {
    batchSize: 1,
    batchSizeIsPercentage: false,
    healthCheckTimeout: 3,
    healthCheckInterval: 0.2,
    maxHealthCheckRetries: 100,
    failureThreshold: 1,
  };

  it.each([
    ['v2-hang', 'accepts connections and never answers'],
    ['v2-late30', 'answers every request 30 s late'],
  ])(
    'fails a batch whose health endpoint %s (%s) within the health check timeout, and restores v1',
    async (tag, behaviour) => {
      const web1 = shop.serverIds[0]!;
      const { deployment, batches, events, durationMs } = await underLoad(
        `a health endpoint that ${behaviour} (${tag})`,
        () => rollOut(shop.stack, shop.applicationId, tag, silentHealth),
      );
      const probe = batches[0]?.healthCheckResults[String(web1)];
      report(`${tag}: the rollout`, {
        durationMs,
        status: deployment.status,
        deploymentReason: deployment.failureReason,
        batchReason: batches[0]?.failureReason,
        probe,
        phases: phasesOf(events, web1),
      });

      // Bounded: the 3 s probe deadline holds although no answer ever comes (30 s would be far later).
      expect(durationMs).toBeLessThan(20_000);
      expect(deployment.status).toBe('rolled_back');
      expect(batches.map((b) => b.status)).toEqual(['rolled_back', 'pending']);
      expect(batches[0]).toMatchObject({
        serverOutcomes: { [web1]: 'restored' },
        successfulInstances: 0,
        failedInstances: 1,
      });
      const reason = batches[0]?.failureReason ?? '';
      expect(reason).toMatch(
        new RegExp(
          `^${literal(`web-1 (${shop.fleet.host(0).address}): health check failed: `)}` +
            'Health check failed after \\d+ attempts: deadline of 3s reached \\(last: request timed out after (\\d+)ms\\)$',
        ),
      );
      // The request that hung was cut at the probe's deadline, not at the worker's default 5000 ms.
      const timedOutAfterMs = Number(/request timed out after (\d+)ms/.exec(reason)?.[1]);
      expect(timedOutAfterMs).toBeGreaterThan(0);
      expect(timedOutAfterMs).toBeLessThanOrEqual(3000);
      expect(probe).toMatchObject({ healthy: false, statusCode: null });
      // The probe as a whole ended at its 3 s deadline (give or take a timer), far from 5 s or 30 s.
      expect((probe as { elapsedMs?: number } | undefined)?.elapsedMs).toBeLessThan(4000);
      expect(deployment.failureReason).toBe(
        `Rolled back after 1 consecutive failed batch(es) (failureThreshold 1); last failure: ${reason}`,
      );
      expect(phasesOf(events, web1)).toEqual([
        'pulling',
        'draining',
        'starting',
        'health_checking',
        'unhealthy',
        'rolling_back',
        'in_rotation',
        'rolled_back',
      ]);
      expect(phasesOf(events, shop.serverIds[1]!)).toEqual([]);

      expect(await Promise.all(appHosts().map((h) => servedTag(h)))).toEqual(['v1', 'v1']);
      expect(
        (await containersOn(shop.fleet, shop.fleet.host(0))).map((c) => [c.name, c.image, c.running]),
      ).toEqual([['shop', `${IMAGE}:v1`, true]]);
      expect(await haproxyStates()).toEqual({ 'web-1': 'no check', 'web-2': 'no check' });
    },
  );

  it('fails a batch whose server runs out of disk during the pull before draining anything', async () => {
    const web1 = shop.serverIds[0]!;
    const before = await haproxyStates();
    expect(before).toEqual({ 'web-1': 'no check', 'web-2': 'no check' });
    const { result, seen } = await watchingHaproxy(() =>
      underLoad('a disk full during the pull (v3-nospace)', () =>
        rollOut(shop.stack, shop.applicationId, 'v3-nospace', {
          batchSize: 1,
          batchSizeIsPercentage: false,
          failureThreshold: 1,
        }),
      ),
    );
    const { deployment, batches, events, durationMs } = result;
    report('v3-nospace: the rollout', {
      durationMs,
      status: deployment.status,
      deploymentReason: deployment.failureReason,
      batches: batches.map((b) => ({
        status: b.status,
        reason: b.failureReason,
        outcomes: b.serverOutcomes,
      })),
      phases: shop.serverIds.map((id) => phasesOf(events, id)),
      haproxyStatesSeen: [...seen],
    });

    const reason = batches[0]?.failureReason ?? '';
    expect(reason).toMatch(
      new RegExp(
        `^${literal(`Nothing was drained: web-1 (${shop.fleet.host(0).address}): pull failed: `)}` +
          'failed to register layer: write /var/lib/docker/overlay2/[0-9a-f]{64}/diff/\\S+: no space left on device$',
      ),
    );
    expect(batches.map((b) => b.status)).toEqual(['failed', 'pending']);
    expect(batches[0]).toMatchObject({
      serverOutcomes: { [web1]: 'untouched' },
      successfulInstances: 0,
      failedInstances: 1,
    });
    // failureThreshold 1: the deployment ends there; no server had been updated, so none is rolled back.
    expect(deployment.status).toBe('rolled_back');
    expect(deployment.failureReason).toBe(
      `Rolled back after 1 consecutive failed batch(es) (failureThreshold 1); last failure: ${reason}`,
    );
    expect(durationMs).toBeLessThan(10_000);
    // Nothing left rotation: web-1 only pulled, web-2 was never reached, HAProxy never saw another state.
    expect(phasesOf(events, web1)).toEqual(['pulling']);
    expect(phasesOf(events, shop.serverIds[1]!)).toEqual([]);
    expect([...seen]).toEqual([JSON.stringify(before)]);
    expect(await haproxyStates()).toEqual(before);
    expect(await Promise.all(appHosts().map((h) => servedTag(h)))).toEqual(['v1', 'v1']);
    const stored = await shop.fleet.docker(shop.fleet.host(0), ['image', 'inspect', `${IMAGE}:v3-nospace`]);
    expect(stored.exitCode).toBe(1);
    expect(
      (await containersOn(shop.fleet, shop.fleet.host(0))).map((c) => [c.name, c.image, c.running]),
    ).toEqual([['shop', `${IMAGE}:v1`, true]]);
  });
});
