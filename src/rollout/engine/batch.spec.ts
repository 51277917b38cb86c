import { CAPACITY_CHECK, IMAGE, imageOn, setup } from '../../../test/fakes/rollout-harness';
import { RemoteConnectionError } from '../ports';

describe('one batch: budget, pull, drain, swap, probe, back or restore', () => {
  it('pulls every server of a batch before draining any of them', async () => {
    const t = setup();
    await t.run();
    const order = t.executor.commands.map((c) => `${c.server} ${c.line.split(' ')[1]}`);
    expect(order.indexOf('web-2 pull')).toBeLessThan(order.indexOf('web-1 stop'));
  });

  it('checks and pulls the next batch while this one is swapped, and records it only when that batch starts', async () => {
    const t = setup();
    await t.run();
    expect(t.store.deployment.status).toBe('completed');
    const lines = t.executor.lines();
    expect(lines.indexOf(`web-3: docker pull ${IMAGE}:v2`)).toBeLessThan(
      lines.findIndex((line) => line.startsWith('web-1: docker run')),
    );
    // each server checked and pulled once
    expect(lines.filter((line) => line.includes('docker pull'))).toHaveLength(4);
    expect(t.capacity.asked.sort()).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
    const servers = t.events.emitted.flatMap((e) =>
      e.name === 'instance.updated' ? [`${e.payload.serverId} ${e.payload.phase}`] : [],
    );
    expect(servers.indexOf('3 pulling')).toBeGreaterThan(servers.lastIndexOf('1 in_rotation'));
  });

  it('fails the next batch at its turn when its pull, started ahead, failed', async () => {
    const t = setup({ deployment: { failureThreshold: 2 } });
    t.docker.failingPulls.add(`web-4/${IMAGE}:v2`);
    await t.run();
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'failed']);
    expect(t.store.batches[1]?.failureReason).toBe(
      `Nothing was drained: web-4 (10.0.0.4): pull failed: Error response from daemon: manifest for ${IMAGE}:v2 not found: manifest unknown`,
    );
    expect(t.executor.changes('web-4')).toEqual([]);
    expect(t.events.phases(4)).toEqual(['pulling']);
  });

  it('fails the next batch at its turn when its capacity check, run ahead, found no room', async () => {
    const t = setup({ deployment: { failureThreshold: 2 } });
    t.capacity.report('web-3', { memAvailableKb: 100 * 1024 });
    await t.run();
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'failed']);
    expect(t.store.batches[1]?.failureReason).toMatch(
      /^Server web-3 has insufficient capacity: 100 MB memory free/,
    );
    expect(t.executor.lines('web-3')).toEqual([`web-3: ${CAPACITY_CHECK}`]);
    expect(t.events.phases(3)).toEqual([]);
  });

  it('probes each new instance directly with the deployment settings', async () => {
    const t = setup({
      deployment: { healthCheckInterval: 0.5, healthCheckTimeout: 30, maxHealthCheckRetries: 4 },
    });
    await t.run();
    expect(t.probe.checks[0]).toEqual({
      url: 'http://10.0.0.1:8080/health',
      intervalMs: 500,
      deadlineMs: 30000,
      maxAttempts: 4,
      requestTimeoutMs: 5000,
      successThreshold: 1,
      startPeriodMs: 0,
      minReadyMs: 0,
    });
  });

  it('refuses a batch that would leave fewer than the minimum in rotation', async () => {
    const t = setup({ deployment: { minimumHealthyInstances: 3 } });
    await t.run();
    expect(t.store.deployment.status).toBe('failed');
    expect(t.store.deployment.failureReason).toBe(
      'Batch 1: Insufficient healthy instances. Current: 2, Minimum required: 3 (taking 2 of 4 in-rotation servers out would leave 2)',
    );
    expect(t.executor.commands).toEqual([]);
  });

  it('restores the previous container of an unhealthy server and, with threshold 1, ends rolled_back', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.probe.script('10.0.0.2:', false, true);
    await t.run();

    expect(t.executor.lines('web-2').slice(6)).toEqual([
      "web-2: docker inspect --type container --format '{{json .}}' shop-previous shop",
      'web-2: docker rm -f shop',
      'web-2: docker rename shop-previous shop',
      'web-2: docker start shop',
    ]);
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
    // The fleet rollback then restored web-1 too: every server of the batch is back, so it is rolled_back.
    expect(t.store.batches[0]).toMatchObject({
      status: 'rolled_back',
      successfulInstances: 1,
      failedInstances: 1,
      failureReason:
        'web-1 kept v2; web-2 is back on v1: web-2 (10.0.0.2): health check failed: Health check failed after 10 attempts (last: HTTP 500)',
      serverOutcomes: { '1': 'restored', '2': 'restored' },
    });
    expect(t.store.batches[0]?.healthCheckResults['2']).toMatchObject({ healthy: false, statusCode: 500 });
    // the restored container may take the whole healthCheckTimeout (120 s at 5 s → 25 attempts), not 10
    const restoreCheck = t.probe.checks.filter((c) => c.url.includes('10.0.0.2:'))[1];
    expect(restoreCheck).toMatchObject({ maxAttempts: 25, deadlineMs: 120000, intervalMs: 5000 });
    // threshold 1 reached: web-1, updated in the same batch, is rolled back too; batch 2 never starts
    expect(t.store.deployment.status).toBe('rolled_back');
    expect(t.store.deployment.failureReason).toMatch(/^Rolled back after 1 consecutive failed batch\(es\)/);
    for (const id of [1, 2, 3, 4]) expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v1`);
    expect(t.executor.changes('web-3')).toEqual([]);
    expect(t.store.batches[1]?.status).toBe('pending');
  });

  it('fails a batch whose image cannot be pulled before anything is drained', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.docker.failingPulls.add(`web-2/${IMAGE}:v2`);
    await t.run();
    expect(t.lb.calls).toEqual([]);
    expect(t.store.batches[0]?.status).toBe('failed');
    expect(t.store.batches[0]?.failureReason).toBe(
      `Nothing was drained: web-2 (10.0.0.2): pull failed: Error response from daemon: manifest for ${IMAGE}:v2 not found: manifest unknown`,
    );
    expect(t.store.deployment.status).toBe('rolled_back');
    expect(t.executor.commands.filter((c) => !c.line.startsWith('docker pull'))).toEqual([
      { server: 'web-1', line: CAPACITY_CHECK },
      { server: 'web-2', line: CAPACITY_CHECK },
    ]);
  });

  it('names the server and the step when SSH cannot connect', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.executor.when(
      'docker pull',
      new RemoteConnectionError('web-1', 'connect ECONNREFUSED 10.0.0.1:22'),
      'web-1',
    );
    await t.run();
    expect(t.store.batches[0]?.failureReason).toContain(
      'web-1 (10.0.0.1): SSH connect failed: connect ECONNREFUSED',
    );
  });

  it('swaps a tag pushed again with new content, keeping the old container as previous', async () => {
    const t = setup({ deployment: { tag: 'v1' } });
    t.docker.repush(`${IMAGE}:v1`);
    await t.run();

    expect(t.store.deployment.status).toBe('completed');
    expect(t.executor.lines('web-1')).toEqual(
      expect.arrayContaining([
        "web-1: docker image inspect --format '{{.Id}}' ghcr.io/acme/shop:v1",
        'web-1: docker rename shop shop-previous',
        expect.stringMatching(/^web-1: docker run .* ghcr\.io\/acme\/shop:v1$/),
      ]),
    );
    for (const id of [1, 2, 3, 4]) {
      expect(t.docker.container(`web-${id}`, 'shop')?.imageId).toBe(`id-of-${IMAGE}:v1-again`);
      expect(t.docker.container(`web-${id}`, 'shop-previous')?.imageId).toBe(`id-of-${IMAGE}:v1`);
    }
  });

  it('leaves a container that already runs the pulled image alone (same tag, same content)', async () => {
    const t = setup({ deployment: { tag: 'v1' } });
    await t.run();

    expect(t.store.deployment.status).toBe('completed');
    const lines = t.executor.lines();
    expect(lines.filter((l) => l.includes("image inspect --format '{{.Id}}'"))).toHaveLength(4);
    expect(lines.filter((l) => / docker (stop|rename|run|rm) /.test(l))).toEqual([]);
  });

  it('never puts the private key into an event or a failure reason', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.probe.script('10.0.0.1:', false);
    await t.run();
    expect(JSON.stringify([t.events.emitted, t.store.events, t.store.deployment])).not.toContain(
      'secret-key',
    );
  });

  it('finishes a swap that a crashed worker left between rename and run', async () => {
    const t = setup({ servers: 2, deployment: { status: 'in_progress', totalBatches: 2 } });
    t.store.batches = [1, 2].map((n) => ({
      id: 100 + n,
      batchNumber: n,
      totalBatches: 2,
      serverIds: [n],
      targetInstanceCount: 1,
      status: n === 1 ? 'in_progress' : 'pending',
      startedAt: null,
      completedAt: null,
      successfulInstances: 0,
      failedInstances: 0,
      healthCheckResults: {},
      failureReason: null,
      serverOutcomes: {},
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    }));
    t.store.seedInstance(1, { image: IMAGE, tag: 'v1', status: 'running', inRotation: false });
    t.docker.hosts.get('web-1')!.delete('shop');
    t.docker.seed('web-1', 'shop-previous', `${IMAGE}:v1`, false);
    await t.run();
    expect(t.store.deployment.status).toBe('completed');
    expect(imageOn(t.docker, 1)).toBe(`${IMAGE}:v2`);
    expect(t.store.instances.get(1)).toMatchObject({ tag: 'v2', inRotation: true, previousTag: 'v1' });
    expect(t.lb.calls[0]).toBe('add web-1 → [web-1,web-2]');
  });
});
