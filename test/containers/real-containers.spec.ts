import { Fleet, FleetHost, startFleet } from '../fleet/fleet';
import { Deployment, registerServers, rollOut, servedTag, waitForFinish } from '../e2e/support/scenario';
import { freePort, Stack, startStack } from '../e2e/support/stack';
import { defined } from '../support/defined';
import { LabContainer, PodmanLab, SHOP_CONTAINER_PORT, startPodmanLab, summary } from './podman';

jest.setTimeout(180_000);

/** One server at a time, nothing else in rotation on a single host. */
const ONE_HOST = { batchSize: 1, batchSizeIsPercentage: false, minimumHealthyInstances: 0 };

const timings: Record<string, number> = {};

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[label] = Date.now() - started;
  }
}

describe('rolling updates against a real container runtime (podman with the Docker CLI)', () => {
  const started = Date.now();
  let lab: PodmanLab;
  let fleet: Fleet;
  let stack: Stack;
  let host: FleetHost;
  let hostPort: number;
  let applicationId: number;
  let updateId: number;
  let v1Container: LabContainer;
  let v2Container: LabContainer;

  /** `STATUS body` of the instance's health check, straight at the host port, or the fetch error. */
  const health = async () => {
    try {
      const response = await fetch(`http://${host.address}:${hostPort}/health`);
      return `${response.status} ${(await response.text()).trim()}`;
    } catch (error) {
      return (error as Error).message;
    }
  };

  beforeAll(async () => {
    await timed('setupMs', async () => {
      const stackStarted = startStack();
      stackStarted.catch(() => undefined); // awaited below; only keeps an early failure "handled"
      try {
        lab = await startPodmanLab([
          { tag: 'v1', healthy: true },
          { tag: 'v2', healthy: true },
          { tag: 'broken', healthy: false },
        ]);
        // The host's `docker` is the lab's podman wrapper, first on the SSH session's PATH.
        fleet = await startFleet({
          count: 1,
          addressPrefix: '127.0.40.',
          firstOctet: 11,
          binDir: lab.binDir,
        });
      } finally {
        stack = await stackStarted;
      }
      host = fleet.host(0);
      // In the root network namespace `-p PORT:…` takes the port on every local address.
      hostPort = await freePort('0.0.0.0');
      const [serverId] = await registerServers(stack, fleet, [host]);
      const app = await stack.call<{ id: number }>('POST', '/api/applications', {
        name: 'shop',
        image: lab.image,
        tag: 'v1',
        containerPort: SHOP_CONTAINER_PORT,
        hostPort,
        healthCheckPath: '/health',
        serverIds: [serverId],
        loadBalancer: { type: 'none' },
      });
      applicationId = app.id;
    });
  });

  afterAll(async () => {
    timings.totalMs = Date.now() - started;
    process.stdout.write(`[containers] podman, 1 host: ${JSON.stringify(timings)}\n`);
    // The worker first, so that nothing issues docker commands while the rest goes away.
    await stack?.stop().catch((e: unknown) => console.error(e));
    await lab?.stop().catch((e: unknown) => console.error(e));
    await fleet?.stop();
  });

  it("runs the host's docker as podman with runc on the lab's own, empty storage", async () => {
    const session = await fleet.ssh(
      host,
      "command -v docker && docker info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphRoot}}'",
    );
    expect(session.stdout.trim().split('\n')).toEqual([`${lab.binDir}/docker`, `runc ${lab.dir}/host/root`]);
    expect(await lab.containers()).toEqual([]);
    expect((await lab.docker(['images', '-q'])).stdout.trim()).toBe('');
  });

  it('deploys v1 onto the empty host: the real container runs it and answers on the host port', async () => {
    expect(await health()).toBe('fetch failed');
    const { deployment, batches } = await timed('firstDeployMs', () =>
      rollOut(stack, applicationId, 'v1', ONE_HOST),
    );
    expect(deployment).toMatchObject({ status: 'completed', completedBatches: 1, failureReason: null });
    const batch = defined(batches[0], 'the batch');
    expect(batch.healthCheckResults[String(batch.serverIds[0])]).toMatchObject({
      healthy: true,
      statusCode: 200,
    });

    const containers = await lab.containers();
    expect(summary(containers)).toEqual([{ name: 'shop', image: `${lab.image}:v1`, state: 'running' }]);
    v1Container = defined(containers[0], 'the shop container');
    expect(v1Container.labels).toMatchObject({
      'rollout.application': 'shop',
      'rollout.deployment': String(deployment.id),
    });
    expect(await servedTag(host, hostPort)).toBe('v1');
    expect(await health()).toBe('200 v1');
  });

  it('updates v1 → v2: the new container serves, the v1 container is kept stopped as shop-previous', async () => {
    const { deployment, batches } = await timed('updateMs', () =>
      rollOut(stack, applicationId, 'v2', ONE_HOST),
    );
    updateId = deployment.id;
    expect(batches.map((b) => [b.status, b.failureReason])).toEqual([['completed', null]]);
    expect(deployment).toMatchObject({
      status: 'completed',
      failureReason: null,
      tag: 'v2',
      previousTag: 'v1',
    });

    const containers = await lab.containers();
    expect(summary(containers)).toEqual([
      { name: 'shop', image: `${lab.image}:v2`, state: 'running' },
      { name: 'shop-previous', image: `${lab.image}:v1`, state: 'exited' },
    ]);
    // Renamed, not recreated: the very container that ran v1.
    expect(containers[1]?.id).toBe(v1Container.id);
    v2Container = defined(containers[0], 'the shop container');
    expect(await servedTag(host, hostPort)).toBe('v2');
  });

  it('rolls a tag that fails its health check back to the v2 container', async () => {
    const { deployment, batches } = await timed('brokenMs', () =>
      rollOut(stack, applicationId, 'broken', { ...ONE_HOST, failureThreshold: 1, maxHealthCheckRetries: 3 }),
    );
    expect(deployment.status).toBe('rolled_back');
    const batch = defined(batches[0], 'the batch');
    expect(batch.status).toBe('rolled_back');
    expect(batch.healthCheckResults[String(batch.serverIds[0])]).toMatchObject({
      healthy: false,
      statusCode: 404,
    });
    expect(batch.failureReason).toContain('HTTP 404');

    // The broken container is gone; the v2 container is back under its name. The v1 container was
    // removed when v2 became the retained previous one, so nothing else remains.
    const containers = await lab.containers();
    expect(summary(containers)).toEqual([{ name: 'shop', image: `${lab.image}:v2`, state: 'running' }]);
    expect(containers[0]?.id).toBe(v2Container.id);
    expect(await servedTag(host, hostPort)).toBe('v2');
    expect(await health()).toBe('200 v2');
  });

  it('fails a tag missing from the registry at the pull, before any container is touched', async () => {
    const before = await lab.containers();
    const { deployment, batches, events } = await timed('missingMs', () =>
      rollOut(stack, applicationId, 'v9', { ...ONE_HOST, failureThreshold: 1 }),
    );
    expect(batches[0]?.status).toBe('failed');
    expect(batches[0]?.failureReason).toContain('pull failed');
    expect(batches[0]?.failureReason).toContain('manifest unknown');
    expect(deployment.failureReason).toContain('manifest unknown');
    const phases = events.filter((e) => e.name === 'instance.updated').map((e) => e.payload.phase);
    expect(phases).toContain('pulling');
    expect(phases).not.toContain('draining');
    expect(phases).not.toContain('starting');
    expect(await lab.containers()).toEqual(before);
    expect(await servedTag(host, hostPort)).toBe('v2');
  });

  it('rolls the v1 → v2 update back on demand to v1', async () => {
    const rollback = await stack.call<Deployment>('POST', `/api/deployments/${updateId}/rollback`);
    expect(rollback).toMatchObject({ status: 'queued', tag: 'v1', previousTag: 'v2' });
    const finished = await timed('rollbackMs', () => waitForFinish(stack, rollback.id, [], 60_000));
    expect(finished).toMatchObject({ status: 'completed', failureReason: null, completedBatches: 1 });

    const containers = await lab.containers();
    expect(summary(containers)).toEqual([
      { name: 'shop', image: `${lab.image}:v1`, state: 'running' },
      { name: 'shop-previous', image: `${lab.image}:v2`, state: 'exited' },
    ]);
    expect(containers[1]?.id).toBe(v2Container.id);
    expect(await servedTag(host, hostPort)).toBe('v1');
    expect(await health()).toBe('200 v1');
  });

  it('leaves the running container alone for the same tag, and replaces it once the tag is pushed again', async () => {
    const running = defined((await lab.containers())[0], 'the running container');
    const same = await timed('sameTagMs', () => rollOut(stack, applicationId, 'v1', ONE_HOST));
    expect(same.deployment).toMatchObject({ status: 'completed', failureReason: null });
    expect((await lab.containers()).find((c) => c.name === 'shop')?.id).toBe(running.id);

    await lab.push([{ tag: 'v1', healthy: true, build: 2 }]);
    const repushed = await timed('repushedTagMs', () => rollOut(stack, applicationId, 'v1', ONE_HOST));
    expect(repushed.deployment).toMatchObject({ status: 'completed', failureReason: null });

    const containers = await lab.containers();
    expect(summary(containers)).toEqual([
      { name: 'shop', image: `${lab.image}:v1`, state: 'running' },
      { name: 'shop-previous', image: `${lab.image}:v1`, state: 'exited' },
    ]);
    expect(containers[0]?.id).not.toBe(running.id);
    expect(containers[1]?.id).toBe(running.id);
    expect(await health()).toBe('200 v1 build 2');
  });
});
