import { setup } from '../../../test/fakes/rollout-harness';

describe('live health before each batch: the budget counts instances that answer now', () => {
  it('probes once every instance outside the batch that counts as in rotation', async () => {
    const t = setup({ deployment: { batchSize: 2 } });
    await t.run();
    // batch 1 (web-1, web-2): web-3 and web-4 asked; batch 2 (web-3, web-4): web-1 and web-2, updated by then
    expect(t.probe.liveChecks.map((c) => [c.url, c.maxAttempts])).toEqual([
      ['http://10.0.0.3:8080/health', 1],
      ['http://10.0.0.4:8080/health', 1],
      ['http://10.0.0.1:8080/health', 1],
      ['http://10.0.0.2:8080/health', 1],
    ]);
    expect(t.store.deployment.status).toBe('completed');
  });

  it('refuses a batch when a silent instance leaves too few, names it, and touches nothing', async () => {
    const t = setup({ deployment: { minimumHealthyInstances: 2 } });
    t.probe.scriptLive('10.0.0.3:', false);
    await t.run();
    expect(t.store.deployment).toMatchObject({
      status: 'failed',
      failureReason:
        'Batch 1: Insufficient healthy instances. Current: 1, Minimum required: 2 (taking 2 of 3 in-rotation servers out would leave 1); web-3 (10.0.0.3) did not answer: Health check failed after 1 attempts (last: HTTP 500)',
    });
    expect(t.executor.commands).toEqual([]);
    expect(t.lb.calls).toEqual([]);
  });

  it('goes on when the budget still holds, with a note naming the silent instance', async () => {
    const t = setup({ deployment: { minimumHealthyInstances: 1 } });
    t.probe.scriptLive('10.0.0.4:', false, true);
    await t.run();
    expect(t.store.deployment.status).toBe('completed');
    const notes = t.store.events.filter((e) => e.type === 'not_answering').map((e) => e.message);
    expect(notes).toEqual([
      'Before batch 1: web-4 (10.0.0.4) did not answer: Health check failed after 1 attempts (last: HTTP 500)',
    ]);
  });

  it('asks no one with start-first: no instance leaves rotation, so the budget never depends on them', async () => {
    const t = setup({ deployment: { order: 'start-first', minimumHealthyInstances: 4 } });
    t.probe.scriptLive('10.0.0.3:', false);
    await t.run();
    expect(t.probe.liveChecks).toEqual([]);
    expect(t.store.deployment.status).toBe('completed');
  });
});
