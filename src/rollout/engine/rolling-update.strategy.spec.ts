import { SystemClock } from '../../common/clock';
import { FakeDocker } from '../../../test/fakes/fake-docker';
import { FixedClock } from '../../../test/fakes/fixed-clock';
import { MemoryRolloutStore } from '../../../test/fakes/memory-rollout-store';
import { RecordingEvents } from '../../../test/fakes/recording-events';
import { RecordingExecutor } from '../../../test/fakes/recording-executor';
import { RecordingLoadBalancer } from '../../../test/fakes/recording-load-balancer';
import { ScriptedProbe } from '../../../test/fakes/scripted-probe';
import { serverTarget } from '../../../test/fakes/server-targets';
import type { ApplicationSpec, DeploymentView } from '../domain';
import { HEALTH_CHECK_STOPPED, LoadBalancerError, RemoteConnectionError } from '../ports';
import { RollingUpdateStrategy } from './rolling-update.strategy';
import { RolloutSettings } from './rollout-settings';

const IMAGE = 'ghcr.io/acme/shop';
const server = (id: number) => serverTarget(id);
const lbServer = serverTarget(9, { name: 'lb-1' });

function application(serverIds: number[]): ApplicationSpec {
  return {
    id: 1,
    name: 'shop',
    image: IMAGE,
    tag: 'v1',
    containerPort: 3000,
    hostPort: 8080,
    env: { NODE_ENV: 'production' },
    healthCheckPath: '/health',
    serverIds,
    loadBalancer: {
      type: 'haproxy',
      serverId: 9,
      backend: 'shop',
      socketPath: '/run/haproxy/admin.sock',
      drainSeconds: 5,
    },
  };
}

interface Options {
  servers?: number;
  running?: 'v1' | 'none';
  deployment?: Partial<DeploymentView>;
}

function setup({ servers = 4, running = 'v1', deployment = {} }: Options = {}) {
  const ids = Array.from({ length: servers }, (_, i) => i + 1);
  const store = new MemoryRolloutStore(application(ids), ids.map(server), lbServer, {
    batchSize: 2,
    batchSizeIsPercentage: false,
    ...deployment,
  });
  const docker = new FakeDocker();
  if (running === 'v1') {
    for (const id of ids) {
      store.seedInstance(id, { image: IMAGE, tag: 'v1', status: 'running', inRotation: true });
      docker.seed(`web-${id}`, 'shop', `${IMAGE}:v1`);
    }
  }
  const executor = new RecordingExecutor().use(docker.responder);
  const probe = new ScriptedProbe();
  const lb = new RecordingLoadBalancer();
  const events = new RecordingEvents();
  const clock = new FixedClock();
  const settings = new RolloutSettings();
  const strategy = new RollingUpdateStrategy(store, events, executor, probe, lb, clock, settings);
  return { store, docker, executor, probe, lb, events, clock, strategy, run: () => strategy.run(7) };
}

const imageOn = (docker: FakeDocker, id: number) => docker.container(`web-${id}`, 'shop')?.image;

describe('RollingUpdateStrategy', () => {
  it('updates v1 → v2 batch by batch with the exact docker commands, in order', async () => {
    const t = setup();
    await t.run();

    expect(t.executor.lines('web-1')).toEqual([
      'web-1: docker pull ghcr.io/acme/shop:v2',
      "web-1: docker inspect --type container --format '{{json .}}' shop",
      "web-1: docker inspect --type container --format '{{json .}}' shop-previous",
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
    expect(t.store.batches[0].healthCheckResults['1']).toEqual({
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

  it('pulls every server of a batch before draining any of them', async () => {
    const t = setup();
    await t.run();
    const order = t.executor.commands.map((c) => `${c.server} ${c.line.split(' ')[1]}`);
    expect(order.indexOf('web-2 pull')).toBeLessThan(order.indexOf('web-1 stop'));
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
    });
  });

  it('stores previousImage and previousTag before touching any server', async () => {
    const t = setup();
    await t.run();
    const first = t.events.emitted[0];
    expect(first.name).toBe('deployment.updated');
    expect(first.payload).toMatchObject({ status: 'in_progress', previousImage: IMAGE, previousTag: 'v1' });
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
      'web-1: docker pull ghcr.io/acme/shop:v2',
      "web-1: docker inspect --type container --format '{{json .}}' shop",
      "web-1: docker inspect --type container --format '{{json .}}' shop-previous",
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
      "web-2: docker inspect --type container --format '{{json .}}' shop-previous",
      "web-2: docker inspect --type container --format '{{json .}}' shop",
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
    expect(t.store.batches[0]).toMatchObject({
      status: 'rolled_back',
      successfulInstances: 1,
      failedInstances: 1,
      failureReason:
        'web-2 (10.0.0.2): health check failed: Health check failed after 10 attempts (last: HTTP 500)',
    });
    expect(t.store.batches[0].healthCheckResults['2']).toMatchObject({ healthy: false, statusCode: 500 });
    // the restored container may take the whole healthCheckTimeout (120 s at 5 s → 25 attempts), not 10
    const restoreCheck = t.probe.checks.filter((c) => c.url.includes('10.0.0.2:'))[1];
    expect(restoreCheck).toMatchObject({ maxAttempts: 25, deadlineMs: 120000, intervalMs: 5000 });
    // threshold 1 reached: web-1, updated in the same batch, is rolled back too; batch 2 never starts
    expect(t.store.deployment.status).toBe('rolled_back');
    expect(t.store.deployment.failureReason).toMatch(/^Rolled back after 1 consecutive failed batch\(es\)/);
    for (const id of [1, 2, 3, 4]) expect(imageOn(t.docker, id)).toBe(`${IMAGE}:v1`);
    expect(t.executor.lines('web-3')).toEqual([]);
    expect(t.store.batches[1].status).toBe('pending');
  });

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

  it('finishes completed_with_errors when failures never reach the threshold in a row', async () => {
    const t = setup({ servers: 6, deployment: { failureThreshold: 2 } });
    t.probe.script('10.0.0.3:', false, true);
    await t.run();
    expect(t.store.batches.map((b) => b.status)).toEqual(['completed', 'rolled_back', 'completed']);
    expect(t.store.deployment).toMatchObject({
      status: 'completed_with_errors',
      completedBatches: 2,
      failedBatches: 1,
      failureReason: '1 of 3 batch(es) failed: batch 2 rolled back to the previous version',
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
    expect(t.executor.lines('web-3')).toEqual([]);
  });

  it('fails a batch whose image cannot be pulled before anything is drained', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.docker.failingPulls.add(`web-2/${IMAGE}:v2`);
    await t.run();
    expect(t.lb.calls).toEqual([]);
    expect(t.store.batches[0].status).toBe('failed');
    expect(t.store.batches[0].failureReason).toBe(
      `Nothing was drained: web-2 (10.0.0.2): pull failed: Error response from daemon: manifest for ${IMAGE}:v2 not found: manifest unknown`,
    );
    expect(t.store.deployment.status).toBe('rolled_back');
    expect(t.executor.commands.filter((c) => !c.line.startsWith('docker pull'))).toEqual([]);
  });

  it('names the server and the step when SSH cannot connect', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.executor.when(
      'docker pull',
      new RemoteConnectionError('web-1', 'connect ECONNREFUSED 10.0.0.1:22'),
      'web-1',
    );
    await t.run();
    expect(t.store.batches[0].failureReason).toContain(
      'web-1 (10.0.0.1): SSH connect failed: connect ECONNREFUSED',
    );
  });

  it('puts the batch back and fails it when the load balancer refuses the drain', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.lb.failNext = new LoadBalancerError('haproxy drain failed: No such server.');
    await t.run();
    expect(t.store.batches[0]).toMatchObject({
      status: 'failed',
      failureReason: 'load balancer: haproxy drain failed: No such server.',
    });
    expect(t.executor.commands.filter((c) => c.line.includes('docker run'))).toEqual([]);
    // a half-applied drain is undone: the batch goes back into rotation
    expect(t.lb.calls[0]).toBe('add web-1,web-2 → [web-1,web-2,web-3,web-4]');
  });

  it('ends rollback_failed naming the server whose previous container stays unhealthy', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.probe.script('10.0.0.2:', false);
    await t.run();
    expect(t.store.batches[0].status).toBe('failed');
    expect(t.store.deployment.status).toBe('rollback_failed');
    expect(t.store.deployment.failureReason).toContain('web-2 (10.0.0.2): restore failed');
    expect(t.store.instances.get(2)).toMatchObject({ tag: 'v1', inRotation: false });
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
    expect(t.executor.lines('web-3')).toEqual([]);
  });

  it('does nothing for a deployment that already finished', async () => {
    const t = setup({ deployment: { status: 'completed' } });
    await t.run();
    expect(t.executor.commands).toEqual([]);
    expect(t.events.emitted).toEqual([]);
  });

  it('never puts the private key into an event or a failure reason', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.probe.script('10.0.0.1:', false);
    await t.run();
    expect(JSON.stringify([t.events.emitted, t.store.events, t.store.deployment])).not.toContain(
      'secret-key',
    );
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

describe('RollingUpdateStrategy: a cancel ends any wait at once', () => {
  const HOUR_MS = 3_600_000;
  const swapLines = (t: ReturnType<typeof setup>, id: number) =>
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
    expect(t.executor.lines('web-3')).toEqual([]);
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
    expect(t.store.batches[0]).toMatchObject({
      status: 'rolled_back',
      successfulInstances: 1,
      failedInstances: 1,
      failureReason: `web-2 (10.0.0.2): health check failed: ${HEALTH_CHECK_STOPPED}`,
    });
    // the new instances' probes carried the cancel; the restored container's probe did not (it must finish)
    const web2 = t.probe.checks.flatMap((c, i) => (c.url.includes('10.0.0.2:') ? [t.probe.signals[i]] : []));
    expect(web2.map((signal) => signal?.aborted)).toEqual([true, undefined]);
    // threshold 1 would have rolled the fleet back; the cancel ends the deployment instead
    expect(t.store.deployment).toMatchObject({ status: 'cancelled', completedBatches: 0, failedBatches: 1 });
    expect(t.executor.lines('web-3')).toEqual([]);
    expect(t.store.batches[1].status).toBe('pending');
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
    expect(t.store.batches[0].status).toBe('rolled_back');
    expect(t.store.deployment.status).toBe('cancelled');
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
});
