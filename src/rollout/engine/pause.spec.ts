import { RecordingEvents } from '../../../test/fakes/recording-events';
import { setup } from '../../../test/fakes/rollout-harness';

describe('RollingUpdateStrategy: pause and the gate after each batch', () => {
  const swapped = (t: ReturnType<typeof setup>, server: string) =>
    t.executor.lines(server).filter((line) => / docker run /.test(line)).length;

  it('pauses before the next batch when asked, records it, and goes on from there once resumed', async () => {
    const t = setup({ deployment: { waitInterval: 0 } });
    t.events.batchUpdated = (deploymentId, batch) => {
      if (batch.batchNumber === 1 && batch.status === 'completed') t.store.pauseRequested = true;
      RecordingEvents.prototype.batchUpdated.call(t.events, deploymentId, batch);
    };
    await t.run();

    expect(t.store.deployment.status).toBe('paused');
    expect(t.store.pauseRequested).toBe(false);
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'pending']);
    expect(t.store.events.at(-1)).toMatchObject({
      type: 'paused',
      message: 'Paused before batch 2 of 2; resume to go on',
    });
    // A job for a paused deployment (e.g. resumed at a worker's start) does nothing.
    const linesWhilePaused = t.executor.lines('web-3').length;
    await t.run();
    expect(t.executor.lines('web-3')).toHaveLength(linesWhilePaused);

    t.store.deployment = { ...t.store.deployment, status: 'in_progress' };
    await t.run();
    expect(t.store.deployment).toMatchObject({ status: 'completed', completedBatches: 2 });
    // The first batch was not run again.
    expect(swapped(t, 'web-1')).toBe(1);
  });

  it('with pauseAfterEachBatch stops after every batch but the last, which completes the rollout', async () => {
    const t = setup({ deployment: { waitInterval: 0, pauseAfterEachBatch: true } });
    await t.run();
    expect(t.store.deployment.status).toBe('paused');
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'pending']);

    t.store.deployment = { ...t.store.deployment, status: 'in_progress' };
    await t.run();
    expect(t.store.deployment).toMatchObject({ status: 'completed', completedBatches: 2 });
    expect(t.store.events.filter((e) => e.type === 'paused')).toHaveLength(1);
  });
});
