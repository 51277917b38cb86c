import { CAPACITY_CHECK, IMAGE, imageOn, setup } from '../../../test/fakes/rollout-harness';
import { RemoteConnectionError } from '../ports';

const MEMORY_SHORT =
  'Server web-2 has insufficient capacity: 120 MB memory free, 256 MB required (checked for stop-first)';

describe('the capacity check before each batch', () => {
  it('asks every server of a batch once, before its pull', async () => {
    const t = setup();
    await t.run();
    expect(t.store.deployment.status).toBe('completed');
    expect(t.capacity.asked.sort()).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
    for (const id of [1, 2, 3, 4]) {
      const lines = t.executor.lines(`web-${id}`);
      expect(lines[0]).toBe(`web-${id}: ${CAPACITY_CHECK}`);
      expect(lines[1]).toBe(`web-${id}: docker pull ${IMAGE}:v2`);
    }
  });

  it('fails a batch with a server short of memory before anything is touched on it', async () => {
    const t = setup({ deployment: { failureThreshold: 2 } });
    t.capacity.report('web-2', { memAvailableKb: 120 * 1024 + 1023 });
    await t.run();

    expect(t.store.batches.map((b) => b.status)).toEqual(['failed', 'completed']);
    expect(t.store.batches[0]).toMatchObject({
      failureReason: MEMORY_SHORT,
      successfulInstances: 0,
      failedInstances: 1,
    });
    // Only the check reached the batch's servers: no pull, no docker step, no load balancer change.
    for (const server of ['web-1', 'web-2'])
      expect(t.executor.lines(server)).toEqual([`${server}: ${CAPACITY_CHECK}`]);
    expect(t.lb.calls).toEqual([
      'remove web-3,web-4 → [web-1,web-2]',
      'add web-3,web-4 → [web-1,web-2,web-3,web-4]',
    ]);
    expect(t.events.phases(1)).toEqual([]);
    expect(t.events.phases(2)).toEqual([]);
    expect([1, 2].map((id) => imageOn(t.docker, id))).toEqual([`${IMAGE}:v1`, `${IMAGE}:v1`]);
    expect([3, 4].map((id) => imageOn(t.docker, id))).toEqual([`${IMAGE}:v2`, `${IMAGE}:v2`]);
    expect(t.store.deployment).toMatchObject({
      status: 'completed_with_errors',
      completedBatches: 1,
      failedBatches: 1,
    });
    expect(t.store.deployment.failureReason).toContain(MEMORY_SHORT);
  });

  it('names the path measured when the disk is short (the fallback to / when the data path is missing)', async () => {
    const t = setup({ deployment: { failureThreshold: 1 }, app: { minFreeDiskMb: 2048 } });
    t.capacity.report('web-1', { diskAvailableKb: 800 * 1024, dataPathExists: false });
    t.capacity.report('web-2', { diskAvailableKb: 2047 * 1024 });
    await t.run();

    expect(t.store.batches[0]?.failureReason).toBe(
      'Server web-1 has insufficient capacity: 800 MB disk free on /, 2048 MB required (checked for stop-first); ' +
        'Server web-2 has insufficient capacity: 2047 MB disk free on /var/lib/docker, 2048 MB required (checked for stop-first)',
    );
    expect(t.store.batches[0]?.failedInstances).toBe(2);
    expect(t.executor.commands.filter((c) => c.line !== CAPACITY_CHECK)).toEqual([]);
  });

  it('counts towards failureThreshold: the fleet rollback then finds nothing to restore on that batch', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.capacity.report('web-2', { memAvailableKb: 120 * 1024 });
    await t.run();

    expect(t.store.batches.map((b) => b.status)).toEqual(['failed', 'pending']);
    expect(t.store.deployment.status).toBe('rolled_back');
    expect(t.store.deployment.failureReason).toBe(
      `Rolled back after 1 consecutive failed batch(es) (failureThreshold 1); last failure: ${MEMORY_SHORT}`,
    );
    expect(t.executor.commands.filter((c) => c.line !== CAPACITY_CHECK)).toEqual([]);
    expect(t.lb.calls).toEqual([]);
    for (const id of [1, 2, 3, 4]) expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v1`);
  });

  it('uses the application’s thresholds and data path', async () => {
    const t = setup({ app: { minFreeMemoryMb: 0, minFreeDiskMb: 0, dockerDataPath: '/srv/docker' } });
    t.capacity.report('web-1', { memAvailableKb: 0, diskAvailableKb: 0 });
    await t.run();
    expect(t.store.deployment.status).toBe('completed');
    expect(t.executor.lines('web-1')[0]).toBe(
      `web-1: ${CAPACITY_CHECK.replace(/\/var\/lib\/docker$/, '/srv/docker')}`,
    );
  });

  it('fails the batch naming the server and the output when the check itself fails', async () => {
    const t = setup({ deployment: { failureThreshold: 2 } });
    t.capacity.fail('web-1', { stderr: 'grep: /proc/meminfo: No such file or directory\n' });
    t.capacity.fail('web-2', { exitCode: 0, stdout: 'path /\nsomething else entirely\n' });
    await t.run();

    expect(t.store.batches[0]?.failureReason).toBe(
      'web-1 (10.0.0.1): capacity check failed: grep: /proc/meminfo: No such file or directory; ' +
        'web-2 (10.0.0.2): capacity check failed: no "MemAvailable: N kB" line in the output: path / something else entirely',
    );
    expect(t.store.batches.map((b) => b.status)).toEqual(['failed', 'completed']);
    expect(t.executor.lines('web-1')).toEqual([`web-1: ${CAPACITY_CHECK}`]);
  });

  it('names the server when SSH cannot connect for the check', async () => {
    const t = setup({ deployment: { failureThreshold: 2 } });
    t.executor.when(
      'MemAvailable',
      new RemoteConnectionError('web-2', 'connect ECONNREFUSED 10.0.0.2:22'),
      'web-2',
    );
    await t.run();
    expect(t.store.batches[0]?.failureReason).toBe(
      'web-2 (10.0.0.2): SSH connect failed: connect ECONNREFUSED 10.0.0.2:22',
    );
    expect(t.executor.lines('web-1')).toEqual([`web-1: ${CAPACITY_CHECK}`]);
  });
});

describe('the capacity check of a batch resumed after a crash', () => {
  it('is skipped when a server was already taken out: only the full path leaves it serving', async () => {
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
    t.capacity.report('web-1', { memAvailableKb: 0 });
    await t.run();

    expect(t.capacity.asked).toEqual([]);
    expect(t.store.batches[0]?.status).toBe('completed');
    for (const id of [1, 2]) {
      expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v2`);
      expect(t.store.instances.get(id)).toMatchObject({ tag: 'v2', inRotation: true });
    }
  });
});

describe('stopTimeout', () => {
  it.each([0, 10, 3600])('stops every old container with docker stop -t %i', async (stopTimeout) => {
    const t = setup({ app: { stopTimeout } });
    await t.run();
    const stops = t.executor.lines().filter((line) => line.includes('docker stop'));
    expect(stops).toEqual([1, 2, 3, 4].map((id) => `web-${id}: docker stop -t ${stopTimeout} shop`));
  });
});
