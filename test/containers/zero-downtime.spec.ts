import { readlinkSync } from 'node:fs';
import { Fleet, FleetHost, startFleet } from '../fleet/fleet';
import { countersSince, RunningHaproxy, startHaproxy } from '../fleet/load-balancers';
import { LoadReport, RunningLoad, startLoad } from '../fleet/load';
import { registerServers, rollOut, servedTag } from '../e2e/support/scenario';
import { freePort, Stack, startStack } from '../e2e/support/stack';
import { defined } from '../support/defined';
import { HostNamespaces, startHostNamespaces } from './namespaces';
import { LabContainer, PodmanLab, SHOP_CONTAINER_PORT, startPodmanLab, summary } from './podman';

jest.setTimeout(180_000);

const HOSTS = 3;
/** Every host publishes the same port: each in a network namespace of its own. */
const HOST_PORT = 8080;
/** HAProxy, and the SSH host Rollout drives its runtime socket through, in the root namespace. */
const LB_PREFIX = '127.0.50.';
/** One host at a time; the other two stay in rotation. */
const ONE_AT_A_TIME = { batchSize: 1, batchSizeIsPercentage: false, minimumHealthyInstances: 2 };

const figures: Record<string, unknown> = {};

function traffic(report: LoadReport, rolloutMs: number) {
  const { sent, ok, failed, failuresByReason, failureSample, tags } = report;
  return { sent, ok, failed, failuresByReason, failureSample, tags, loadMs: report.durationMs, rolloutMs };
}

describe(`zero downtime on real containers: ${HOSTS} podman hosts in network namespaces behind HAProxy`, () => {
  const started = Date.now();
  let network: HostNamespaces;
  let lab: PodmanLab;
  let fleet: Fleet;
  let haproxy: RunningHaproxy;
  let stack: Stack;
  let hosts: FleetHost[];
  let serverIds: number[];
  let applicationId: number;
  let load: RunningLoad | undefined;
  const v2Containers: LabContainer[] = [];

  const backendRows = async () =>
    (await haproxy.showStat()).filter((row) => row.pxname === 'shop' && row.svname.startsWith('web-'));
  const backendStatuses = async () => (await backendRows()).map((row) => [row.svname, row.status]);
  beforeAll(async () => {
    const stackStarted = startStack();
    stackStarted.catch(() => undefined); // awaited below; only keeps an early failure "handled"
    try {
      network = await startHostNamespaces({ count: HOSTS });
      // The registry listens in the root namespace where every namespace reaches it; all hosts pull the
      // same image name from it.
      lab = await startPodmanLab(
        [
          { tag: 'v1', healthy: true },
          { tag: 'v2', healthy: true },
          { tag: 'broken', healthy: false },
        ],
        {
          registryAddress: network.rootAddress,
          hosts: network.hosts.map((h, i) => ({ name: `host${i + 1}`, netns: h.netns })),
        },
      );
      fleet = await startFleet({
        hosts: [
          ...network.hosts.map((h, i) => ({
            name: `host${i + 1}`,
            address: h.address,
            netns: h.netns,
            binDir: defined(lab.hosts[i], `lab host ${i + 1}`).binDir,
          })),
          { name: 'lb', address: `${LB_PREFIX}11` },
        ],
      });
      hosts = fleet.hosts.slice(0, HOSTS);
      haproxy = await startHaproxy({
        listenAddress: `${LB_PREFIX}1`,
        listenPort: await freePort(`${LB_PREFIX}1`),
        backend: 'shop',
        servers: hosts.map((h, i) => ({ name: `web-${i + 1}`, address: h.address, port: HOST_PORT })),
      });
    } finally {
      stack = await stackStarted;
    }
    serverIds = await registerServers(stack, fleet, hosts);
    const [lbId] = await registerServers(stack, fleet, [fleet.host(HOSTS)], 'lb');
    const app = await stack.call<{ id: number }>('POST', '/api/applications', {
      name: 'shop',
      image: lab.image,
      tag: 'v1',
      containerPort: SHOP_CONTAINER_PORT,
      hostPort: HOST_PORT,
      healthCheckPath: '/health',
      serverIds,
      loadBalancer: {
        type: 'haproxy',
        serverId: lbId,
        backend: 'shop',
        socketPath: haproxy.socketPath,
        drainSeconds: 2,
      },
    });
    applicationId = app.id;
    figures.setupMs = Date.now() - started;
  });

  afterAll(async () => {
    figures.totalMs = Date.now() - started;
    process.stdout.write(
      `[containers] podman, ${HOSTS} hosts in network namespaces behind HAProxy: ${JSON.stringify(figures)}\n`,
    );
    const errors: unknown[] = [];
    const step = async (work: (() => Promise<unknown>) | undefined) => {
      try {
        await work?.();
      } catch (error) {
        errors.push(error);
      }
    };
    const running = load;
    await step(running && (() => running.stop()));
    // The worker first, so that nothing issues docker commands while the rest goes away; the namespaces
    // last, once nothing runs in them.
    await step(stack && (() => stack.stop()));
    await step(lab && (() => lab.stop()));
    await step(fleet && (() => fleet.stop()));
    await step(haproxy && (() => haproxy.stop()));
    await step(network && (() => network.stop()));
    if (errors.length > 0) throw new AggregateError(errors, `clean-up failed: ${errors.join('; ')}`);
  });

  it('runs each host, its SSH sessions and its podman in a network namespace of its own', async () => {
    const rootNamespace = readlinkSync('/proc/self/ns/net');
    const seen = await Promise.all(
      hosts.map(async (host) => {
        const session = await fleet.ssh(
          host,
          "readlink /proc/self/ns/net && docker info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphRoot}}'",
        );
        expect(session.exitCode).toBe(0);
        return session.stdout.trim().split('\n');
      }),
    );
    const namespaces = seen.map(([namespace]) => namespace);
    expect(new Set([rootNamespace, ...namespaces]).size).toBe(HOSTS + 1);
    expect(seen.map(([, runtime]) => runtime)).toEqual(lab.hosts.map((h) => `runc ${h.graphRoot}`));
    for (const labHost of lab.hosts) expect(await labHost.containers()).toEqual([]);
  });

  it('deploys v1 to every host: each runs a real container on the same host port, all ready in HAProxy', async () => {
    const { deployment } = await rollOut(stack, applicationId, 'v1', {
      batchSize: 100,
      batchSizeIsPercentage: true,
      minimumHealthyInstances: 0,
    });
    expect(deployment).toMatchObject({ status: 'completed', failureReason: null, totalBatches: 1 });
    for (const [i, labHost] of lab.hosts.entries()) {
      expect(summary(await labHost.containers())).toEqual([
        { name: 'shop', image: `${lab.image}:v1`, state: 'running' },
      ]);
      expect(await servedTag(fleet.host(i), HOST_PORT)).toBe('v1');
    }
    // 'no check' is HAProxy's READY without health checks.
    expect(await backendStatuses()).toEqual(hosts.map((_, i) => [`web-${i + 1}`, 'no check']));
  });

  it('updates v1 → v2 one host at a time under keep-alive load through HAProxy with zero failed requests', async () => {
    load = startLoad({ url: `${haproxy.url}/`, concurrency: 6, keepAlive: true });
    await load.waitForOk(50);
    const errorsBefore = await haproxy.errorCounters();
    const { deployment, batches, durationMs } = await rollOut(stack, applicationId, 'v2', ONE_AT_A_TIME);
    await load.waitForOk(50);
    const report = await load.stop();
    load = undefined;
    const haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
    figures['v1→v2'] = { ...traffic(report, durationMs), haproxyErrors };

    expect(deployment).toMatchObject({
      status: 'completed',
      failureReason: null,
      tag: 'v2',
      previousTag: 'v1',
      totalBatches: HOSTS,
      completedBatches: HOSTS,
      failedBatches: 0,
    });
    expect(batches.map((b) => [b.serverIds, b.status])).toEqual(serverIds.map((id) => [[id], 'completed']));
    for (const batch of batches) {
      expect(batch.healthCheckResults[String(batch.serverIds[0])]).toMatchObject({
        healthy: true,
        statusCode: 200,
      });
    }
    // Every host's podman runs v2 and keeps the v1 container stopped.
    for (const [i, labHost] of lab.hosts.entries()) {
      const containers = await labHost.containers();
      expect(summary(containers)).toEqual([
        { name: 'shop', image: `${lab.image}:v2`, state: 'running' },
        { name: 'shop-previous', image: `${lab.image}:v1`, state: 'exited' },
      ]);
      v2Containers.push(defined(containers[0], 'the shop container'));
      expect(await servedTag(fleet.host(i), HOST_PORT)).toBe('v2');
    }
    expect(await backendStatuses()).toEqual(hosts.map((_, i) => [`web-${i + 1}`, 'no check']));

    expect(report.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(report.sent).toBeGreaterThan(200);
    expect(report.tags.v1).toBeGreaterThan(0);
    expect(report.tags.v2).toBeGreaterThan(0);
  });

  it('rolls a tag that fails its health check back (failureThreshold 1) with zero failed requests', async () => {
    load = startLoad({ url: `${haproxy.url}/`, concurrency: 6, keepAlive: true });
    await load.waitForOk(50);
    const errorsBefore = await haproxy.errorCounters();
    const { deployment, batches, durationMs } = await rollOut(stack, applicationId, 'broken', {
      ...ONE_AT_A_TIME,
      failureThreshold: 1,
      maxHealthCheckRetries: 3,
    });
    await load.waitForOk(50);
    const report = await load.stop();
    load = undefined;
    const haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
    figures.broken = { ...traffic(report, durationMs), haproxyErrors };

    expect(deployment.status).toBe('rolled_back');
    expect(batches.map((b) => b.status)).toEqual(['rolled_back', 'pending', 'pending']);
    expect(batches[0]?.healthCheckResults[String(serverIds[0])]).toMatchObject({
      healthy: false,
      statusCode: 404,
    });
    // The first host's broken container is gone and its v2 container is back (the v1 one was removed when
    // v2 became the retained previous); the others were never touched.
    for (const [i, labHost] of lab.hosts.entries()) {
      const containers = await labHost.containers();
      expect(summary(containers)).toEqual([
        { name: 'shop', image: `${lab.image}:v2`, state: 'running' },
        ...(i === 0 ? [] : [{ name: 'shop-previous', image: `${lab.image}:v1`, state: 'exited' }]),
      ]);
      expect(containers[0]?.id).toBe(defined(v2Containers[i], `the v2 container of host ${i + 1}`).id);
      expect(await servedTag(fleet.host(i), HOST_PORT)).toBe('v2');
    }
    expect(await backendStatuses()).toEqual(hosts.map((_, i) => [`web-${i + 1}`, 'no check']));

    expect(report.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(report.sent).toBeGreaterThan(100);
    expect(Object.keys(report.tags)).toEqual(['v2']);
  });
});
