import { RecordingEvents } from '../../../test/fakes/recording-events';
import { setup } from '../../../test/fakes/rollout-harness';

describe('RollingUpdateStrategy: progressDeadline', () => {
  it('caps every probe of a new instance at the time left, and rolls the fleet back once it has passed', async () => {
    const t = setup({
      servers: 4,
      deployment: { waitInterval: 0, progressDeadline: 30, healthCheckTimeout: 120 },
    });
    // Batch 1 takes 10 s; batch 2's instances never become healthy: its probes run out the 30 s.
    t.events.batchUpdated = (deploymentId, batch) => {
      if (batch.batchNumber === 1 && batch.status === 'health_checking') t.clock.advance(10_000);
      RecordingEvents.prototype.batchUpdated.call(t.events, deploymentId, batch);
    };
    t.probe.script('10.0.0.3', false, true).script('10.0.0.4', false, true);
    t.probe.onCheck = (spec) => {
      if (spec.url.includes('10.0.0.3') && spec.successThreshold !== undefined)
        t.clock.advance(spec.deadlineMs);
    };
    await t.run();

    // The fleet rollback then probes the restored containers of batch 1 (uncapped): take the first checks.
    const firstBatch = t.probe.checks.filter((spec) => /10\.0\.0\.[12]:/.test(spec.url)).slice(0, 2);
    const secondBatch = t.probe.checks.filter((spec) => /10\.0\.0\.[34]:/.test(spec.url));
    // Batch 1 probes 10 s after the start: 20 s left of 30 (the 120 s health check timeout is capped).
    expect(firstBatch.map((spec) => spec.deadlineMs)).toEqual([20_000, 20_000]);
    // Batch 1 completed 10 s in, which restarts the clock: batch 2 again has 30 s, not 120 s.
    expect(secondBatch[0]?.deadlineMs).toBe(30_000);
    expect(t.store.deployment).toMatchObject({ status: 'rolled_back' });
    expect(t.store.deployment.failureReason).toMatch(
      /^Rolled back after no batch completed within progressDeadline \(30s\); last failure: /,
    );
    expect(t.store.events.map((e) => e.message)).toContain(
      'Rolling back the fleet: no batch completed within progressDeadline (30s)',
    );
  });

  it('fails without rolling back when autoRollbackOnFailure is off', async () => {
    const t = setup({
      servers: 4,
      deployment: {
        waitInterval: 0,
        progressDeadline: 5,
        autoRollbackOnFailure: false,
        failureThreshold: 10,
      },
    });
    t.probe.script('10.0.0.1', false);
    t.probe.onCheck = (spec) => {
      if (spec.url.includes('10.0.0.1') && spec.successThreshold !== undefined)
        t.clock.advance(spec.deadlineMs);
    };
    await t.run();
    expect(t.store.deployment.status).toBe('failed');
    expect(t.store.deployment.failureReason).toMatch(
      /^No batch completed within progressDeadline \(5s\) and automatic rollback is off; last failure: /,
    );
    expect(t.store.batches.map((b) => b.status)).toEqual(['failed', 'pending']);
  });
});
