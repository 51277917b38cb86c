import { IMAGE, imageOn, setup, type Harness } from '../../../test/fakes/rollout-harness';

/** During the wait before batch 2, the monitor ticks `times` times (its period is healthCheckInterval). */
function tickDuringWait(t: Harness, times: number): void {
  let done = false;
  t.clock.onSleep = async (ms) => {
    if (done || ms !== 30_000) return;
    done = true;
    for (let i = 0; i < times; i++) await t.clock.fireRepeats();
  };
}

const notes = (t: Harness) => t.store.events.filter((e) => e.type === 'not_answering').map((e) => e.message);

describe('the monitor of updated instances', () => {
  it('asks the instances finished batches updated, once per healthCheckInterval', async () => {
    const t = setup({ deployment: { waitInterval: 30, healthCheckInterval: 2 } });
    tickDuringWait(t, 1);
    await t.run();
    expect(t.clock.repeats.map((r) => [r.ms, r.stopped])).toEqual([[2000, true]]);
    // before batch 2: web-3, web-4 by the budget; then web-1, web-2 by the monitor during the wait
    expect(t.probe.liveChecks.map((c) => c.url)).toEqual([
      'http://10.0.0.3:8080/health',
      'http://10.0.0.4:8080/health',
      'http://10.0.0.1:8080/health',
      'http://10.0.0.2:8080/health',
      'http://10.0.0.1:8080/health',
      'http://10.0.0.2:8080/health',
    ]);
    expect(t.store.deployment.status).toBe('completed');
  });

  it('asks a large batch’s instances in turn, at most 100 requests a second over all of them', async () => {
    const t = setup({
      servers: 48,
      deployment: { waitInterval: 30, healthCheckInterval: 0.02, batchSize: 25 },
    });
    tickDuringWait(t, 2);
    await t.run();
    // paced at 100 ms (the floor of any probe pace): 10 of batch 1's instances per tick, in turn
    expect(t.clock.repeats[0]?.ms).toBe(100);
    const updatedFirst = t.store.batches[0]?.serverIds.map((id) => `http://10.0.0.${id}:8080/health`) ?? [];
    expect(updatedFirst.length).toBeGreaterThan(20);
    const budgetBefore = 48 - updatedFirst.length;
    const monitor = t.probe.liveChecks.slice(budgetBefore, budgetBefore + 20).map((c) => c.url);
    // the second tick goes on where the first stopped
    expect(monitor).toEqual(updatedFirst.slice(0, 20));
    expect(t.store.deployment.status).toBe('completed');
  });

  it('forgives one failed answer: only two in a row make an instance unhealthy', async () => {
    const t = setup({ deployment: { waitInterval: 30 } });
    t.probe.scriptLive('10.0.0.2:', false, true);
    tickDuringWait(t, 3);
    await t.run();
    expect(notes(t)).toEqual([]);
    expect(t.store.deployment.status).toBe('completed');
  });

  it('reports an updated instance that stops answering and fails its batch, restoring the server', async () => {
    const t = setup({ deployment: { waitInterval: 30 } });
    t.probe.scriptLive('10.0.0.2:', false, false, true);
    tickDuringWait(t, 2);
    await t.run();

    const reason =
      'web-2 (10.0.0.2) stopped answering after batch 1 put it in rotation: Health check failed after 1 attempts (last: HTTP 500)';
    expect(notes(t)).toEqual([reason]);
    expect(t.events.phases(2)).toEqual([
      'pulling',
      'draining',
      'starting',
      'health_checking',
      'healthy',
      'in_rotation',
      'unhealthy',
      'draining',
      'rolling_back',
      'in_rotation',
      'rolled_back',
    ]);
    expect(t.lb.calls).toContain('remove web-2 → [web-1,web-3,web-4]');
    expect(imageOn(t.docker, 2)).toBe(`${IMAGE}:v1`);
    expect(t.store.batches[0]).toMatchObject({
      status: 'failed',
      serverOutcomes: { '1': 'updated', '2': 'restored' },
      successfulInstances: 1,
      failedInstances: 1,
      failureReason: reason,
    });
    // one failed batch, threshold 2: batch 2 still runs and the rollout ends with errors
    expect(t.store.batches[1]?.status).toBe('completed');
    expect(t.store.deployment).toMatchObject({
      status: 'completed_with_errors',
      completedBatches: 1,
      failedBatches: 1,
    });
  });

  it('counts toward the failure threshold: with threshold 1 the fleet rolls back', async () => {
    const t = setup({ deployment: { waitInterval: 30, failureThreshold: 1 } });
    t.probe.scriptLive('10.0.0.1:', false, false, true);
    tickDuringWait(t, 2);
    await t.run();
    expect(t.store.deployment.status).toBe('rolled_back');
    expect(t.store.batches.map((b) => b.status)).toEqual(['rolled_back', 'pending']);
    for (const id of [1, 2, 3, 4]) expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v1`);
  });

  it('with start-first, restores beside the unhealthy instance without taking it out', async () => {
    const t = setup({ deployment: { waitInterval: 30, order: 'start-first' } });
    t.probe.scriptLive('10.0.0.2:', false, false, true);
    tickDuringWait(t, 2);
    await t.run();
    expect(t.lb.calls.some((c) => c.startsWith('remove'))).toBe(false);
    expect(t.lb.calls).toContain('move web-2:8080 → [web-1,web-2,web-3,web-4]');
    expect(t.docker.container('web-2', 'shop')).toMatchObject({ image: `${IMAGE}:v1`, hostPort: 8080 });
    expect(t.store.batches[0]?.serverOutcomes).toEqual({ '1': 'updated', '2': 'restored' });
  });
});
