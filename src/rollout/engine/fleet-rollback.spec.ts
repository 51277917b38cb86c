import { IMAGE, imageOn, setup } from '../../../test/fakes/rollout-harness';

describe('the fleet rollback', () => {
  it('goes on after one failed batch with threshold 2 and rolls the whole fleet back after two', async () => {
    const t = setup({ servers: 6, deployment: { failureThreshold: 2 } });
    t.probe.script('10.0.0.3:', false, true).script('10.0.0.5:', false, true);
    await t.run();

    expect(t.store.batches.map((b) => b.status)).toEqual(['rolled_back', 'rolled_back', 'rolled_back']);
    expect(t.store.deployment).toMatchObject({
      status: 'rolled_back',
      completedBatches: 1,
      failedBatches: 2,
    });
    for (const id of [1, 2, 3, 4, 5, 6]) expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v1`);
    // the fleet rollback drains what it restores, last batch first
    expect(t.lb.calls.slice(-7)).toEqual([
      'remove web-6 → [web-1,web-2,web-3,web-4,web-5]',
      'add web-6 → [web-1,web-2,web-3,web-4,web-5,web-6]',
      'remove web-4 → [web-1,web-2,web-3,web-5,web-6]',
      'add web-4 → [web-1,web-2,web-3,web-4,web-5,web-6]',
      'remove web-1,web-2 → [web-3,web-4,web-5,web-6]',
      'add web-1 → [web-1,web-3,web-4,web-5,web-6]',
      'add web-2 → [web-1,web-2,web-3,web-4,web-5,web-6]',
    ]);
    expect(t.events.emitted.filter((e) => e.name === 'deployment.finished')).toHaveLength(1);
  });

  it('ends rollback_failed naming the server whose previous container stays unhealthy', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.probe.script('10.0.0.2:', false);
    await t.run();
    expect(t.store.batches[0]?.status).toBe('failed');
    expect(t.store.deployment.status).toBe('rollback_failed');
    expect(t.store.deployment.failureReason).toContain('web-2 (10.0.0.2): restore failed');
    expect(t.store.instances.get(2)).toMatchObject({ tag: 'v1', inRotation: false });
  });

  it('does not interrupt a fleet rollback already under way', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.probe.script('10.0.0.2:', false, true);
    t.lb.onRemove = () => {
      // the second removal is the fleet rollback taking web-1 out again
      if (t.lb.calls.length === 4) t.store.cancelRequested = true;
    };
    await t.run();

    expect(t.lb.calls[3]).toBe('remove web-1 → [web-2,web-3,web-4]');
    expect(t.lb.removalSignals[1]).toBeUndefined();
    expect(t.store.deployment.status).toBe('rolled_back');
    for (const id of [1, 2]) expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v1`);
  });

  it('resumes a rollback that stopped after restoring a server: it is probed and put back, not skipped', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.probe.script('10.0.0.3:', false, true);
    // The rollback restores web-1 and is probing it when the database goes away: the worker's run dies.
    const saveInstance = t.store.saveInstance.bind(t.store);
    const appendEvent = t.store.appendEvent.bind(t.store);
    let web1Checks = 0;
    t.probe.onCheck = (spec) => {
      if (!spec.url.includes('10.0.0.1:') || ++web1Checks !== 2) return;
      t.store.saveInstance = () => Promise.reject(new Error('database gone'));
      t.store.appendEvent = () => Promise.reject(new Error('database gone'));
    };
    await expect(t.run()).rejects.toThrow('database gone');
    expect(t.store.instances.get(1)).toMatchObject({ tag: 'v1', inRotation: false });

    t.store.saveInstance = saveInstance;
    t.store.appendEvent = appendEvent;
    await t.run();
    expect(t.store.deployment.status).toBe('rolled_back');
    expect(t.store.instances.get(1)).toMatchObject({ tag: 'v1', inRotation: true });
    expect(t.store.batches[0]).toMatchObject({
      status: 'rolled_back',
      serverOutcomes: { '1': 'restored', '2': 'restored' },
    });
    for (const id of [1, 2, 3, 4]) expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v1`);
  });
});
