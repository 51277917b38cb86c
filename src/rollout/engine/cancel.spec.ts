import { SystemClock } from '../../common/clock';
import { IMAGE, imageOn, setup, type Harness } from '../../../test/fakes/rollout-harness';
import { RecordingEvents } from '../../../test/fakes/recording-events';
import { HEALTH_CHECK_STOPPED } from '../ports';
import { RollingUpdateStrategy } from './rolling-update.strategy';
import { RolloutSettings } from './rollout-settings';

describe('RollingUpdateStrategy: a cancel ends any wait at once', () => {
  const HOUR_MS = 3_600_000;
  const swapLines = (t: Harness, id: number) =>
    t.executor.lines(`web-${id}`).filter((l) => / docker (stop|rename|run|rm|start) /.test(l));

  it('cuts a 3600 s waitInterval short and ends cancelled without starting the next batch', async () => {
    const t = setup({ deployment: { waitInterval: 3600 } });
    const started = t.clock.now().getTime();
    t.clock.onSleep = (ms) => {
      if (ms === HOUR_MS) t.store.cancelRequested = true;
    };
    await t.run();

    expect(t.clock.sleeps).toEqual([HOUR_MS]);
    expect(t.clock.now().getTime() - started).toBe(0);
    expect(t.store.deployment).toMatchObject({
      status: 'cancelled',
      completedBatches: 1,
      failureReason: 'Cancelled after 1 of 2 batch(es)',
    });
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'pending']);
    expect(t.executor.changes('web-3')).toEqual([]);
    expect(t.store.openWatches).toBe(0);
  });

  it('returns within a second of the cancel on the real clock, though the wait was an hour', async () => {
    const t = setup({ deployment: { waitInterval: 3600 } });
    const strategy = new RollingUpdateStrategy(
      t.store,
      t.events,
      t.executor,
      t.probe,
      t.lb,
      new SystemClock(),
      new RolloutSettings(),
    );
    let cancelledAt = 0;
    t.events.batchUpdated = (deploymentId, batch) => {
      if (batch.status === 'completed') {
        setTimeout(() => {
          cancelledAt = Date.now();
          t.store.cancelRequested = true;
        }, 50);
      }
      RecordingEvents.prototype.batchUpdated.call(t.events, deploymentId, batch);
    };
    await strategy.run(7);

    expect(cancelledAt).toBeGreaterThan(0);
    expect(Date.now() - cancelledAt).toBeLessThan(1000);
    expect(t.store.deployment.status).toBe('cancelled');
    expect(t.store.openWatches).toBe(0);
  });

  it('during the drain: puts the batch back unchanged, never swaps, and the batch counts as not run', async () => {
    const t = setup();
    t.lb.onRemove = () => {
      t.store.cancelRequested = true;
    };
    await t.run();

    expect(t.lb.removalSignals[0]?.aborted).toBe(true);
    expect(t.lb.calls).toEqual([
      'remove web-1,web-2 → [web-3,web-4]',
      'add web-1,web-2 → [web-1,web-2,web-3,web-4]',
    ]);
    for (const id of [1, 2]) {
      expect(swapLines(t, id)).toEqual([]);
      expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v1`);
      expect(t.store.instances.get(id)).toMatchObject({ tag: 'v1', inRotation: true });
      expect(t.events.phases(id)).toEqual(['pulling', 'draining', 'in_rotation']);
    }
    expect(t.store.batches.map((b) => [b.status, b.startedAt])).toEqual([
      ['pending', null],
      ['pending', null],
    ]);
    expect(t.store.deployment).toMatchObject({
      status: 'cancelled',
      failedBatches: 0,
      failureReason: 'Cancelled after 0 of 2 batch(es)',
    });
    expect(t.store.events.map((e) => e.message)).toContain(
      'Batch 1 cancelled while draining: nothing swapped, every server serves as before',
    );
    expect(t.events.emitted.at(-1)).toMatchObject({ name: 'deployment.finished' });
  });

  it('during the health checks: keeps the instance already healthy, restores the other, no fleet rollback', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.probe.onCheck = (spec) => {
      if (spec.url.includes('10.0.0.2:')) t.store.cancelRequested = true;
    };
    await t.run();

    // web-1 passed before the cancel; web-2's probe stopped at once and its previous container came back
    expect(imageOn(t.docker, 1)).toBe(`${IMAGE}:v2`);
    expect(imageOn(t.docker, 2)).toBe(`${IMAGE}:v1`);
    expect(t.store.instances.get(2)).toMatchObject({ tag: 'v1', inRotation: true });
    expect(t.events.phases(2)).toEqual([
      'pulling',
      'draining',
      'starting',
      'health_checking',
      'unhealthy',
      'rolling_back',
      'in_rotation',
      'rolled_back',
    ]);
    // web-1 kept the new version, web-2 is back on the old one: the batch failed, it was not rolled back.
    expect(t.store.batches[0]).toMatchObject({
      status: 'failed',
      successfulInstances: 1,
      failedInstances: 1,
      failureReason: `web-1 kept v2; web-2 is back on v1: web-2 (10.0.0.2): health check failed: ${HEALTH_CHECK_STOPPED}`,
      serverOutcomes: { '1': 'updated', '2': 'restored' },
    });
    // the new instances' probes carried the cancel; the restored container's probe did not (it must finish)
    const web2 = t.probe.checks.flatMap((c, i) => (c.url.includes('10.0.0.2:') ? [t.probe.signals[i]] : []));
    expect(web2.map((signal) => signal?.aborted)).toEqual([true, undefined]);
    // threshold 1 would have rolled the fleet back; the cancel ends the deployment instead
    expect(t.store.deployment).toMatchObject({ status: 'cancelled', completedBatches: 0, failedBatches: 1 });
    expect(t.executor.changes('web-3')).toEqual([]);
    expect(t.store.batches[1]?.status).toBe('pending');
  });

  it('a cancel that arrives once every probe passed lets the batch complete', async () => {
    const t = setup();
    t.events.instanceUpdated = (event) => {
      if (event.phase === 'in_rotation' && event.serverId === 2) t.store.cancelRequested = true;
      RecordingEvents.prototype.instanceUpdated.call(t.events, event);
    };
    await t.run();
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'pending']);
    expect(t.store.deployment).toMatchObject({ status: 'cancelled', completedBatches: 1 });
  });

  it('never cuts the drain of a resumed batch holding a server already out of rotation', async () => {
    // A crashed worker had taken web-1 out; web-2 still serves. Handing the batch back could put web-1,
    // whose container may be half-swapped, into rotation, so the batch takes the full path: drain (not
    // cut short), swap, probes stopped by the cancel, restore.
    const t = setup({
      servers: 2,
      deployment: { status: 'in_progress', totalBatches: 1, batchSize: 2, minimumHealthyInstances: 0 },
    });
    t.store.batches = [
      {
        id: 101,
        batchNumber: 1,
        totalBatches: 1,
        serverIds: [1, 2],
        targetInstanceCount: 1,
        status: 'in_progress',
        startedAt: null,
        completedAt: null,
        successfulInstances: 0,
        failedInstances: 0,
        healthCheckResults: {},
        failureReason: null,
        serverOutcomes: {},
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
    ];
    t.store.seedInstance(1, { image: IMAGE, tag: 'v1', status: 'running', inRotation: false });
    t.store.cancelRequested = true;
    await t.run();

    expect(t.lb.removalSignals).toStrictEqual([undefined]);
    expect(t.lb.calls[0]).toBe('remove web-2 → []');
    for (const id of [1, 2]) {
      expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v1`);
      expect(t.store.instances.get(id)).toMatchObject({ tag: 'v1', inRotation: true });
    }
    expect(t.store.batches[0]?.status).toBe('rolled_back');
    expect(t.store.deployment.status).toBe('cancelled');
  });
});
