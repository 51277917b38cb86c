import { CAPACITY_CHECK, IMAGE, imageOn, setup } from '../../../test/fakes/rollout-harness';
import { RecordingEvents } from '../../../test/fakes/recording-events';

describe('RollingUpdateStrategy: the loop', () => {
  it('updates v1 → v2 batch by batch with the exact docker commands, in order', async () => {
    const t = setup();
    await t.run();

    expect(t.executor.lines('web-1')).toEqual([
      `web-1: ${CAPACITY_CHECK}`,
      'web-1: docker pull ghcr.io/acme/shop:v2',
      "web-1: docker inspect --type container --format '{{json .}}' shop shop-previous",
      'web-1: docker stop -t 10 shop',
      'web-1: docker rename shop shop-previous',
      'web-1: docker run -d --name shop --restart unless-stopped -p 8080:3000 -e NODE_ENV=production --label rollout.application=shop --label rollout.deployment=7 ghcr.io/acme/shop:v2',
    ]);
    expect(t.lb.calls).toEqual([
      'remove web-1,web-2 → [web-3,web-4]',
      'add web-1,web-2 → [web-1,web-2,web-3,web-4]',
      'remove web-3,web-4 → [web-1,web-2]',
      'add web-3,web-4 → [web-1,web-2,web-3,web-4]',
    ]);
    expect(t.store.deployment).toMatchObject({
      status: 'completed',
      previousImage: IMAGE,
      previousTag: 'v1',
      totalBatches: 2,
      completedBatches: 2,
      failedBatches: 0,
      failureReason: null,
    });
    expect(t.store.batches.map((b) => [b.batchNumber, b.serverIds, b.status, b.successfulInstances])).toEqual(
      [
        [1, [1, 2], 'completed', 2],
        [2, [3, 4], 'completed', 2],
      ],
    );
    expect(t.store.batches[0]?.healthCheckResults['1']).toEqual({
      healthy: true,
      statusCode: 200,
      attempts: 1,
      elapsedMs: 5,
      message: 'Health check passed',
    });
    for (const id of [1, 2, 3, 4]) {
      expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v2`);
      expect(t.docker.container(`web-${id}`, 'shop-previous')).toMatchObject({
        image: `${IMAGE}:v1`,
        running: false,
      });
      expect(t.store.instances.get(id)).toMatchObject({ tag: 'v2', inRotation: true, previousTag: 'v1' });
    }
  });

  it('stores previousImage and previousTag before touching any server', async () => {
    const t = setup();
    await t.run();
    const first = t.events.emitted[0];
    expect(first?.name).toBe('deployment.updated');
    expect(first?.payload).toMatchObject({ status: 'in_progress', previousImage: IMAGE, previousTag: 'v1' });
  });

  it('emits the events of one server in the order of the batch steps', async () => {
    const t = setup();
    await t.run();
    expect(t.events.phases(1)).toEqual([
      'pulling',
      'draining',
      'starting',
      'health_checking',
      'healthy',
      'in_rotation',
    ]);
    expect(t.events.emitted.at(-1)?.name).toBe('deployment.finished');
    expect(t.store.events.map((e) => e.type)).toContain('started');
  });

  it('deploys onto empty hosts without a budget check and without draining', async () => {
    const t = setup({ running: 'none', deployment: { minimumHealthyInstances: 3 } });
    await t.run();
    expect(t.store.deployment).toMatchObject({ status: 'completed', previousImage: null, previousTag: null });
    expect(t.lb.calls).toEqual([
      'add web-1,web-2 → [web-1,web-2]',
      'add web-3,web-4 → [web-1,web-2,web-3,web-4]',
    ]);
    expect(t.executor.lines('web-1')).toEqual([
      `web-1: ${CAPACITY_CHECK}`,
      'web-1: docker pull ghcr.io/acme/shop:v2',
      "web-1: docker inspect --type container --format '{{json .}}' shop shop-previous",
      'web-1: docker run -d --name shop --restart unless-stopped -p 8080:3000 -e NODE_ENV=production --label rollout.application=shop --label rollout.deployment=7 ghcr.io/acme/shop:v2',
    ]);
  });

  it('fails before anything is touched when too few instances are healthy', async () => {
    const t = setup({ deployment: { minimumHealthyInstances: 3 } });
    t.store.seedInstance(2, { image: IMAGE, tag: 'v1', status: 'running', inRotation: false });
    t.store.seedInstance(3, { image: IMAGE, tag: 'v1', status: 'running', inRotation: false });
    await t.run();
    expect(t.store.deployment).toMatchObject({
      status: 'failed',
      failureReason: 'Insufficient healthy instances. Current: 2, Minimum required: 3',
      previousImage: IMAGE,
    });
    expect(t.executor.commands).toEqual([]);
    expect(t.lb.calls).toEqual([]);
    expect(t.events.emitted.at(-1)?.name).toBe('deployment.finished');
  });

  it('finishes completed_with_errors when failures never reach the threshold in a row', async () => {
    const t = setup({ servers: 6, deployment: { failureThreshold: 2 } });
    t.probe.script('10.0.0.3:', false, true);
    await t.run();
    // Batch 2: web-3 was restored, web-4 kept the new version, so the batch failed but was not rolled back.
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'failed', 'completed']);
    expect(t.store.batches[1]?.serverOutcomes).toEqual({ '3': 'restored', '4': 'updated' });
    expect(t.store.deployment).toMatchObject({
      status: 'completed_with_errors',
      completedBatches: 2,
      failedBatches: 1,
      failureReason:
        '1 of 3 batch(es) failed: batch 2: web-4 kept v2; web-3 is back on v1: web-3 (10.0.0.3): health check failed: Health check failed after 10 attempts (last: HTTP 500)',
    });
    expect(imageOn(t.docker, 3)).toBe(`${IMAGE}:v1`);
    expect(imageOn(t.docker, 4)).toBe(`${IMAGE}:v2`);
  });

  it('without automatic rollback, stops at the threshold and ends failed', async () => {
    const t = setup({ deployment: { failureThreshold: 1, autoRollbackOnFailure: false } });
    t.probe.script('10.0.0.1:', false, true);
    await t.run();
    expect(t.store.deployment.status).toBe('failed');
    expect(t.store.deployment.failureReason).toContain('automatic rollback is off');
    expect(imageOn(t.docker, 2)).toBe(`${IMAGE}:v2`);
    expect(t.executor.changes('web-3')).toEqual([]);
  });

  it('says which server was left without an instance when a restore fails below the threshold', async () => {
    const t = setup({ servers: 6, deployment: { failureThreshold: 2 } });
    t.probe.script('10.0.0.2:', false);
    await t.run();
    expect(t.store.batches.map((b) => b.status)).toEqual(['failed', 'completed', 'completed']);
    expect(t.store.deployment.status).toBe('completed_with_errors');
    expect(t.store.deployment.failureReason).toMatch(
      /^1 of 3 batch\(es\) failed: batch 1: .*web-2 \(10\.0\.0\.2\): restore failed/,
    );
    expect(t.store.deployment.failureReason).not.toContain('rolled back to the previous version');
  });

  it('waits waitInterval between batches, not after the last', async () => {
    const t = setup({ servers: 6, deployment: { waitInterval: 1.5 } });
    await t.run();
    expect(t.clock.sleeps).toEqual([1500, 1500]);
  });

  it('resumes after a crash without redoing a completed batch', async () => {
    const t = setup();
    await t.run();
    const resumed = setup();
    resumed.store.deployment = { ...t.store.deployment, status: 'in_progress', completedBatches: 1 };
    resumed.store.batches = t.store.batches.map((b, i) =>
      i === 0 ? b : { ...b, status: 'pending', successfulInstances: 0, healthCheckResults: {} },
    );
    for (const id of [1, 2]) {
      resumed.store.seedInstance(id, {
        image: IMAGE,
        tag: 'v2',
        status: 'running',
        inRotation: true,
        previousImage: IMAGE,
        previousTag: 'v1',
      });
      resumed.docker
        .seed(`web-${id}`, 'shop', `${IMAGE}:v2`)
        .seed(`web-${id}`, 'shop-previous', `${IMAGE}:v1`, false);
    }
    await resumed.run();
    expect(resumed.executor.lines('web-1')).toEqual([]);
    expect(resumed.store.deployment).toMatchObject({ status: 'completed', completedBatches: 2 });
    expect(imageOn(resumed.docker, 4)).toBe(`${IMAGE}:v2`);
  });

  it('does not start a new batch after a cancel request', async () => {
    const t = setup();
    t.events.batchUpdated = (deploymentId, batch) => {
      if (batch.status === 'completed') t.store.cancelRequested = true;
      RecordingEvents.prototype.batchUpdated.call(t.events, deploymentId, batch);
    };
    await t.run();
    expect(t.store.deployment.status).toBe('cancelled');
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'pending']);
    expect(t.executor.changes('web-3')).toEqual([]);
  });

  it('does nothing for a deployment that already finished', async () => {
    const t = setup({ deployment: { status: 'completed' } });
    await t.run();
    expect(t.executor.commands).toEqual([]);
    expect(t.events.emitted).toEqual([]);
  });

  it('fails an abandoned deployment with the error and leaves a finished one alone', async () => {
    const t = setup({ deployment: { status: 'in_progress' } });
    await t.strategy.abandon(7, 'connect ECONNREFUSED 127.0.0.1:5432');
    expect(t.store.deployment).toMatchObject({
      status: 'failed',
      failureReason: 'The rollout stopped after repeated errors: connect ECONNREFUSED 127.0.0.1:5432',
    });
    expect(t.events.emitted.at(-1)?.name).toBe('deployment.finished');
    const done = setup({ deployment: { status: 'completed' } });
    await done.strategy.abandon(7, 'boom');
    expect(done.store.deployment.status).toBe('completed');
  });
});
