import { setup } from '../../../test/fakes/rollout-harness';

const notes = (t: ReturnType<typeof setup>) =>
  t.store.events.filter((e) => e.type === 'resumed').map((e) => e.message);

describe('a rollout taken over from a worker whose run never ended', () => {
  it('counts nothing on a first run and leaves no owner behind once it ends', async () => {
    const t = setup();
    await t.run();
    expect(t.store.deployment).toMatchObject({ status: 'completed', resumeCount: 0, lastResumedAt: null });
    expect(t.store.runOwner).toBeNull();
    expect(notes(t)).toEqual([]);
  });

  it('counts a resume, names both workers in the timeline and tells subscribers', async () => {
    const t = setup({ deployment: { status: 'in_progress' } });
    t.store.runOwner = 'web-old#41';
    await t.run();
    expect(t.store.deployment.resumeCount).toBe(1);
    expect(t.store.deployment.lastResumedAt).not.toBeNull();
    expect(notes(t)).toEqual([
      `Worker ${t.settings.workerId} took over the rollout from worker web-old#41; continuing from the database (resume 1)`,
    ]);
    const updates = t.events.emitted.filter((e) => e.name === 'deployment.updated');
    expect(updates[0]?.payload).toMatchObject({ resumeCount: 1 });
    expect(t.store.runOwner).toBeNull();
  });

  it('keeps its mark when a run throws, so the retry counts as a resume of its own', async () => {
    const t = setup();
    const append = t.store.appendEvent.bind(t.store);
    let failures = 1;
    t.store.appendEvent = (event) =>
      failures-- > 0 ? Promise.reject(new Error('database gone')) : append(event);
    await expect(t.run()).rejects.toThrow('database gone');
    expect(t.store.runOwner).toBe(`${t.settings.workerId}/1`);

    await t.run();
    expect(t.store.deployment).toMatchObject({ status: 'completed', resumeCount: 1 });
    expect(notes(t)).toEqual([
      `Worker ${t.settings.workerId} resumed the rollout after its previous attempt (run ${t.settings.workerId}/1) stopped; continuing from the database (resume 1)`,
    ]);
  });

  it('does not touch a deployment that is already over', async () => {
    const t = setup({ deployment: { status: 'completed' } });
    t.store.runOwner = 'web-old#41';
    await t.run();
    expect(t.store.deployment.resumeCount).toBe(0);
    expect(notes(t)).toEqual([]);
  });

  it('hands off at shutdown after the step under way, and the next worker continues from there', async () => {
    const t = setup({ deployment: { waitInterval: 30 } });
    const stop = new AbortController();
    // The shutdown arrives during the wait after batch 1: the wait ends and no batch 2 is started.
    t.clock.onSleep = (ms) => {
      if (ms === 30_000) stop.abort();
    };
    expect(await t.strategy.run(7, stop.signal)).toBe('handed_off');
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'pending']);
    expect(t.store.deployment.status).toBe('in_progress');
    expect(t.store.events.filter((e) => e.type === 'handed_off').map((e) => e.message)).toEqual([
      `Worker ${t.settings.workerId} is shutting down: stopped before batch 2; another worker continues from here`,
    ]);
    expect(t.store.runOwner).toBe(`${t.settings.workerId}/1`);

    t.clock.onSleep = null;
    t.settings.workerId = 'web-next#2';
    expect(await t.strategy.run(7)).toBe('ended');
    expect(t.store.deployment).toMatchObject({ status: 'completed', resumeCount: 1 });
    expect(notes(t)).toEqual([
      expect.stringMatching(/^Worker web-next#2 took over the rollout from worker \S+#\d+; continuing/),
    ]);
  });

  it('stops at its next write once another worker took the rollout over while it was only slow', async () => {
    const t = setup();
    // While this worker probes web-1 (its lock lapsed meanwhile), another worker claims the rollout.
    t.probe.onCheck = (spec) => {
      if (spec.url.includes('10.0.0.1:')) t.store.runOwner = 'web-other#9';
    };
    expect(await t.strategy.run(7)).toBe('fenced');
    // Nothing more was done: no rotation change after the probe, no further phase, the mark is the other's.
    expect(t.lb.calls).toEqual(['remove web-1,web-2 → [web-3,web-4]']);
    expect(t.events.phases(1).at(-1)).toBe('health_checking');
    expect(t.store.runOwner).toBe('web-other#9');
    expect(t.executor.changes('web-3')).toEqual([]);
    expect(t.store.batches[0]?.status).toBe('health_checking');
  });

  it('fences off an older run of the same worker too (its lock lapsed and the job came back to it)', async () => {
    const t = setup();
    // Held in an object: TypeScript would narrow a `let` set in the callback to its initial null.
    const again: { run: Promise<string> | null } = { run: null };
    t.probe.onCheck = (spec) => {
      if (again.run === null && spec.url.includes('10.0.0.1:')) again.run = t.strategy.run(7);
    };
    const first = await t.strategy.run(7);
    expect(first).toBe('fenced');
    expect(await again.run).toBe('ended');
    expect(t.store.deployment).toMatchObject({ status: 'completed', resumeCount: 1 });
    expect(notes(t)).toEqual([
      `Worker ${t.settings.workerId} resumed the rollout after its previous attempt (run ${t.settings.workerId}/1) stopped; continuing from the database (resume 1)`,
    ]);
  });
});
