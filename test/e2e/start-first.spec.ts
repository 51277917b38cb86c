import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { Fleet, FleetHost } from '../fleet/fleet';
import { countersSince, type RunningHaproxy, type RunningNginx, startHaproxy } from '../fleet/load-balancers';
import { type LoadReport, startLoad } from '../fleet/load';
import {
  containersOn,
  type Deployment,
  deployFirst,
  FAST_CHECKS,
  type HostContainer,
  IMAGE,
  type NginxBalancer,
  phasesOf,
  report,
  rollOut,
  servedTag,
  startHaproxyShop,
  startNginxBalancer,
  startNginxShop,
} from './support/scenario';
import { freePort, type Stack } from './support/stack';

jest.setTimeout(180_000);

/**
 * `order: start-first` end to end: the new container starts beside the old one on the other port, the load
 * balancer moves to it, the old one retires. Each case runs under load through the load balancer (keep-alive
 * through HAProxy; see `Bench.keepAlive` for nginx): no request may fail, the load balancer may have hidden
 * no failure (HAProxy's error counters, nginx's upstream errors), and once an instance moved (and its drain
 * passed) no request may still reach the old container. One fleet per load balancer, the cases in turn.
 */

interface App {
  name: 'shop' | 'solo';
  applicationId: number;
  serverIds: number[];
  hosts: FleetHost[];
  /** Where the load goes: the application's load balancer. */
  url: string;
}

interface Bench {
  stack: Stack;
  fleet: Fleet;
  /** `shop` on 4 servers (web-1…web-4), v1 deployed on 8080. */
  shop: App;
  /** `solo` on one server, the load balancer's host (lb-1), behind a load balancer of its own; v1 on 8080. */
  solo: App;
  /** Starts counting the load balancers' own error reports; the function returns what was counted since. */
  watchErrors(): Promise<() => Promise<{ figures: Record<string, unknown>; problems: string[] }>>;
  /** `address:port` of every instance of the application the load balancer sends requests to now, sorted. */
  routes(app: App): Promise<string[]>;
  /**
   * Whether the load reuses connections. nginx's `-s reload`, by itself and with an unchanged configuration,
   * resets a keep-alive client now and then (an old worker closes its idle connections as the next request
   * arrives; Node's agent does not retry), so nginx gets `Connection: close` load as in nginx-rollout.spec;
   * nginx still keeps its upstream connections alive (`keepalive 16`), the side a move could break.
   */
  keepAlive: boolean;
  stop(): Promise<void>;
}

interface Instance {
  serverId: number;
  tag: string;
  inRotation: boolean;
  hostPort: number;
}

const DRAIN_SECONDS = 0.5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createSolo(stack: Stack, serverId: number, loadBalancer: Record<string, unknown>) {
  const app = await stack.call<{ id: number }>('POST', '/api/applications', {
    name: 'solo',
    image: IMAGE,
    tag: 'v1',
    containerPort: 3000,
    hostPort: 8080,
    serverIds: [serverId],
    loadBalancer: { ...loadBalancer, serverId },
  });
  return app.id;
}

/**
 * `address:port` (show stat's `addr`) of each server of the backend that HAProxy sends requests to:
 * status `no check`, HAProxy's READY without health checks (MAINT or DRAIN would show otherwise).
 */
async function haproxyRoutes(haproxy: RunningHaproxy, backend: string): Promise<string[]> {
  const rows = (await haproxy.showStat()).filter(
    (r) => r.pxname === backend && r.svname !== 'BACKEND' && r.svname !== 'FRONTEND',
  );
  if (rows.length === 0) throw new Error(`show stat lists no server of ${backend}`);
  return rows
    .filter((r) => r.status === 'no check')
    .map((r) => r.addr ?? `no addr column for ${r.svname}`)
    .sort();
}

/** The `server ADDRESS:PORT;` lines of the upstream in the file Rollout writes. */
async function nginxRoutes(nginx: RunningNginx): Promise<string[]> {
  const text = await readFile(nginx.includeFile, 'utf8');
  return [...text.matchAll(/^\s+server (\S+);$/gm)].map((m) => m[1] ?? '').sort();
}

/** nginx's `[error]` lines about an upstream written after `offset` (each one a request nginx retried). */
function upstreamErrorsSince(log: string, offset: number): string[] {
  return log
    .slice(offset)
    .split('\n')
    .filter((line) => line.includes('[error]') && line.includes('upstream'));
}

/**
 * HAProxy keeps reusing its open connections to a server's old address after `set server addr`, so
 * start-first behind HAProxy needs server-side connections closed after each response (README); clients
 * still keep theirs alive.
 */
const SERVER_CLOSE = ['option http-server-close'];

/** `shop` on the first 4 hosts and `solo` on the load balancer's host (the fifth), with their URLs. */
function benchApps(
  shop: { applicationId: number; serverIds: number[]; loadBalancerServerId: number },
  fleet: Fleet,
  soloId: number,
  [shopUrl, soloUrl]: [string, string],
): Pick<Bench, 'shop' | 'solo'> {
  return {
    shop: {
      name: 'shop',
      applicationId: shop.applicationId,
      serverIds: shop.serverIds,
      hosts: fleet.hosts.slice(0, 4),
      url: shopUrl,
    },
    solo: {
      name: 'solo',
      applicationId: soloId,
      serverIds: [shop.loadBalancerServerId],
      hosts: [fleet.host(4)],
      url: soloUrl,
    },
  };
}

async function haproxyBench(): Promise<Bench> {
  const shop = await startHaproxyShop({
    addressPrefix: '127.0.120.',
    appHosts: 4,
    drainSeconds: DRAIN_SECONDS,
    deployed: 'v1',
    backendOptions: SERVER_CLOSE,
  });
  let soloHaproxy: RunningHaproxy | undefined;
  const stop = async () => {
    await soloHaproxy?.stop();
    await shop.stop();
  };
  try {
    const { stack, fleet } = shop;
    const lbHost = fleet.host(4);
    const address = '127.0.120.101';
    soloHaproxy = await startHaproxy({
      listenAddress: address,
      listenPort: await freePort(address),
      backend: 'solo',
      servers: [{ name: 'lb-1', address: lbHost.address, port: 8080 }],
      backendOptions: SERVER_CLOSE,
    });
    const soloId = await createSolo(stack, shop.loadBalancerServerId, {
      type: 'haproxy',
      backend: 'solo',
      socketPath: soloHaproxy.socketPath,
      drainSeconds: DRAIN_SECONDS,
    });
    await deployFirst(stack, soloId, 'v1');
    const balancers: [RunningHaproxy, string][] = [
      [shop.haproxy, 'shop'],
      [soloHaproxy, 'solo'],
    ];
    return {
      stack,
      fleet,
      ...benchApps(shop, fleet, soloId, [shop.haproxy.url, soloHaproxy.url]),
      async watchErrors() {
        const before = await Promise.all(balancers.map(([haproxy]) => haproxy.errorCounters()));
        return async () => {
          const figures: Record<string, unknown> = {};
          const problems: string[] = [];
          for (const [i, [haproxy, backend]] of balancers.entries()) {
            const since = countersSince(before[i]!, await haproxy.errorCounters());
            figures[`haproxyErrors_${backend}`] = since;
            for (const [counter, n] of Object.entries(since))
              if (n !== 0) problems.push(`${backend}: ${counter} ${n}`);
          }
          return { figures, problems };
        };
      },
      routes: (app) => haproxyRoutes(app.name === 'shop' ? shop.haproxy : soloHaproxy!, app.name),
      keepAlive: true,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function nginxBench(): Promise<Bench> {
  const shop = await startNginxShop({
    addressPrefix: '127.0.121.',
    appHosts: 4,
    drainSeconds: DRAIN_SECONDS,
    deployed: 'v1',
  });
  let solo: NginxBalancer | undefined;
  const stop = async () => {
    await solo?.stop();
    await shop.stop();
  };
  try {
    const { stack, fleet } = shop;
    solo = await startNginxBalancer(DRAIN_SECONDS);
    const soloNginx = solo.nginx;
    const soloId = await createSolo(stack, shop.loadBalancerServerId, solo.loadBalancer);
    const serving503 = soloNginx.workers();
    await deployFirst(stack, soloId, 'v1');
    await soloNginx.waitForWorkersReplaced(serving503);
    const balancers: [RunningNginx, string][] = [
      [shop.nginx, 'shop'],
      [soloNginx, 'solo'],
    ];
    return {
      stack,
      fleet,
      ...benchApps(shop, fleet, soloId, [shop.nginx.url, soloNginx.url]),
      async watchErrors() {
        const offsets = await Promise.all(balancers.map(async ([nginx]) => (await nginx.errorLog()).length));
        return async () => {
          const problems: string[] = [];
          for (const [i, [nginx, name]] of balancers.entries()) {
            for (const line of upstreamErrorsSince(await nginx.errorLog(), offsets[i]!))
              problems.push(`${name}: ${line}`);
          }
          return { figures: { upstreamErrors: problems.length }, problems };
        };
      },
      routes: (app) => nginxRoutes(app.name === 'shop' ? shop.nginx : soloNginx),
      keepAlive: false,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Move {
  /** When the test first saw the load balancer send `address` to the new port. */
  at: number;
  address: string;
  from: number;
  to: number;
}

/**
 * Polls the load balancer's list until the returned function is called: the fewest instances it listed at
 * any moment, and each instance it moved from one port to another (an address whose port changed).
 */
function watchRotation(bench: Bench, app: App): () => Promise<{ fewest: number; moves: Move[] }> {
  let fewest = Number.POSITIVE_INFINITY;
  const moves: Move[] = [];
  const portOf = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const routes = await bench.routes(app);
      const at = Date.now();
      fewest = Math.min(fewest, routes.length);
      for (const route of routes) {
        const [address = '', port] = route.split(':');
        const from = portOf.get(address);
        if (from !== undefined && from !== Number(port)) moves.push({ at, address, from, to: Number(port) });
        portOf.set(address, Number(port));
      }
      await sleep(25);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return { fewest, moves };
  };
}

interface Answer {
  sentAt: number;
  /** The fleet host (`host11`…) whose container answered, and its version. */
  host: string;
  tag: string;
}

/** Two request loops through the load balancer recording when each answered request was sent, and by whom. */
function startProbe(url: string, keepAlive: boolean) {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 2 }) : undefined;
  const answers: Answer[] = [];
  const failures: string[] = [];
  let stopped = false;
  const once = () =>
    new Promise<void>((resolve) => {
      const sentAt = Date.now();
      const req = request(url, {
        agent: agent ?? false,
        headers: keepAlive ? {} : { connection: 'close' },
        timeout: 10_000,
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => {
        failures.push(error.code ?? error.message);
        resolve();
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          try {
            const body = JSON.parse(text) as { host: string; tag: string };
            if (res.statusCode === 200) answers.push({ sentAt, host: body.host, tag: body.tag });
            else failures.push(`HTTP ${res.statusCode}`);
          } catch {
            failures.push(`HTTP ${res.statusCode} ${text.slice(0, 80)}`);
          }
          resolve();
        });
      });
      req.end();
    });
  const loops = Promise.all(
    [0, 1].map(async () => {
      while (!stopped) await once();
    }),
  );
  return async () => {
    stopped = true;
    await loops;
    agent?.destroy();
    return { answers, failures };
  };
}

/**
 * Requests sent more than `graceMs` after the load balancer moved an instance to its new port that the old
 * container still answered. The old version is the one the host answered with just before the move (only
 * the old container is routed to before it); 100 ms before the move was seen, to allow for the polling.
 */
function answeredByOldAfterMove(answers: Answer[], moves: Move[], fleet: Fleet, graceMs: number): string[] {
  const late: string[] = [];
  for (const move of moves) {
    const host = fleet.hosts.find((h) => h.address === move.address)?.name;
    const before = answers
      .filter((a) => a.host === host && a.sentAt < move.at - 100)
      .sort((x, y) => x.sentAt - y.sentAt);
    const oldTag = before.at(-1)?.tag;
    if (oldTag === undefined) continue;
    const stale = answers.filter((a) => a.host === host && a.tag === oldTag && a.sentAt > move.at + graceMs);
    if (stale.length > 0) {
      const lastMs = Math.max(...stale.map((a) => a.sentAt)) - move.at;
      late.push(
        `${host}: ${stale.length} request(s) sent ${graceMs}–${lastMs} ms after the move to :${move.to} answered by the old ${oldTag} on :${move.from}`,
      );
    }
  }
  return late;
}

const ports = (hosts: FleetHost[], port: number) => hosts.map((h) => `${h.address}:${port}`).sort();

/** name, image, running, hostPort of each container on the host, by name. */
const containerSummary = (containers: HostContainer[]) =>
  containers
    .map((c) => [c.name, c.image, c.running, c.hostPort])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));

// The phases of an instance updated start-first: it never leaves rotation, so it is never drained.
const START_FIRST_PHASES = ['pulling', 'starting', 'health_checking', 'healthy', 'in_rotation'];

function startFirstCases(label: string, setUp: () => Promise<Bench>, more?: (bench: () => Bench) => void) {
  describe(`order start-first through ${label}, under load`, () => {
    let bench: Bench;

    beforeAll(async () => {
      bench = await setUp();
    });

    afterAll(async () => {
      await bench?.stop();
    });

    const instancesOf = (app: App) =>
      bench.stack.call<Instance[]>('GET', `/api/applications/${app.applicationId}/instances`);

    /** Runs `work` under load through the application's load balancer and reports the figures. */
    async function underLoad<T>(caseLabel: string, app: App, work: () => Promise<T>) {
      const { keepAlive } = bench;
      const load = startLoad({ url: `${app.url}/`, concurrency: 4, keepAlive });
      await load.waitForOk(20);
      const probe = startProbe(`${app.url}/`, keepAlive);
      const errors = await bench.watchErrors();
      const rotation = watchRotation(bench, app);
      let result: T;
      let traffic: LoadReport;
      let watched: { fewest: number; moves: Move[] };
      let probed: { answers: Answer[]; failures: string[] };
      try {
        result = await work();
        await load.waitForOk(20);
      } finally {
        traffic = await load.stop();
        probed = await probe();
        watched = await rotation();
      }
      const lb = await errors();
      const lateOld = answeredByOldAfterMove(
        probed.answers,
        watched.moves,
        bench.fleet,
        DRAIN_SECONDS * 1000,
      );
      report(`start-first ${label}: ${caseLabel}`, {
        keepAlive,
        ...traffic,
        probe: { answered: probed.answers.length, failed: probed.failures.length },
        fewestInRotation: watched.fewest,
        moves: watched.moves.length,
        lateOld,
        ...lb.figures,
      });
      return {
        result,
        traffic,
        fewestInRotation: watched.fewest,
        moves: watched.moves,
        probeFailures: probed.failures,
        lateOld,
        lbProblems: lb.problems,
      };
    }

    function expectNoFailure(run: {
      traffic: LoadReport;
      probeFailures: string[];
      lbProblems: string[];
      lateOld: string[];
    }) {
      expect(run.traffic.failuresByReason).toEqual({});
      expect(run.traffic.failed).toBe(0);
      expect(run.probeFailures).toEqual([]);
      // the load balancer retried nothing on the clients' behalf
      expect(run.lbProblems).toEqual([]);
      // once moved (and drained), the load balancer sends nothing more to the old container it then stops
      expect(run.lateOld).toEqual([]);
      expect(run.traffic.sent).toBeGreaterThan(100);
    }

    it('updates a single-server application start-first by default: 8080 → 8081 → 8080, nothing left serving on the old port', async () => {
      const { stack, fleet, solo } = bench;
      const host = solo.hosts[0]!;
      const serverId = solo.serverIds[0]!;
      const look = async () => ({
        instances: await instancesOf(solo),
        containers: containerSummary(await containersOn(fleet, host)),
        routes: await bench.routes(solo),
        on8080: await servedTag(host, 8080),
        on8081: await servedTag(host, 8081),
      });
      const run = await underLoad('one server v1→v2→v3, no order given', solo, async () => {
        const toV2 = await rollOut(stack, solo.applicationId, 'v2', {});
        const afterV2 = await look();
        const toV3 = await rollOut(stack, solo.applicationId, 'v3', {});
        return { toV2, afterV2, toV3, afterV3: await look() };
      });
      const { toV2, afterV2, toV3, afterV3 } = run.result;

      expect(toV2.deployment).toMatchObject({
        status: 'completed',
        order: 'start-first',
        minimumHealthyInstances: 1,
        previousTag: 'v1',
        failureReason: null,
      });
      expect(toV2.batches.map((b) => [b.status, b.serverOutcomes])).toEqual([
        ['completed', { [serverId]: 'updated' }],
      ]);
      expect(phasesOf(toV2.events, serverId)).toEqual(START_FIRST_PHASES);
      expect(afterV2).toEqual({
        instances: [expect.objectContaining({ serverId, tag: 'v2', inRotation: true, hostPort: 8081 })],
        containers: [
          ['solo', `${IMAGE}:v2`, true, 8081],
          ['solo-previous', `${IMAGE}:v1`, false, 8080],
        ],
        routes: [`${host.address}:8081`],
        on8080: 'ECONNREFUSED',
        on8081: 'v2',
      });

      expect(toV3.deployment).toMatchObject({ status: 'completed', order: 'start-first', previousTag: 'v2' });
      expect(phasesOf(toV3.events, serverId)).toEqual(START_FIRST_PHASES);
      expect(afterV3).toEqual({
        instances: [expect.objectContaining({ serverId, tag: 'v3', inRotation: true, hostPort: 8080 })],
        containers: [
          ['solo', `${IMAGE}:v3`, true, 8080],
          ['solo-previous', `${IMAGE}:v2`, false, 8081],
        ],
        routes: [`${host.address}:8080`],
        on8080: 'v3',
        on8081: 'ECONNREFUSED',
      });

      expectNoFailure(run);
      expect(run.fewestInRotation).toBe(1);
      expect(run.moves.map((m) => [m.address, m.from, m.to])).toEqual([
        [host.address, 8080, 8081],
        [host.address, 8081, 8080],
      ]);
      for (const tag of ['v1', 'v2', 'v3']) expect(run.traffic.tags[tag]).toBeGreaterThan(0);
    });

    it('updates 4 servers in batches of 2 beside the old containers: every server serves the new version on 8081, none ever drained', async () => {
      const { stack, fleet, shop } = bench;
      const run = await underLoad('4 servers, batches of 2, v1→v2', shop, () =>
        rollOut(stack, shop.applicationId, 'v2', {
          order: 'start-first',
          batchSize: 2,
          batchSizeIsPercentage: false,
        }),
      );
      const { deployment, batches, events } = run.result;
      const [a, b, c, d] = shop.serverIds as [number, number, number, number];

      expect(deployment).toMatchObject({
        status: 'completed',
        order: 'start-first',
        previousTag: 'v1',
        totalBatches: 2,
        completedBatches: 2,
        failedBatches: 0,
      });
      expect(batches.map((x) => [x.batchNumber, x.serverIds, x.status, x.serverOutcomes])).toEqual([
        [1, [a, b], 'completed', { [a]: 'updated', [b]: 'updated' }],
        [2, [c, d], 'completed', { [c]: 'updated', [d]: 'updated' }],
      ]);
      for (const batch of batches) {
        for (const id of batch.serverIds)
          expect(batch.healthCheckResults[String(id)]).toMatchObject({ healthy: true, statusCode: 200 });
      }
      for (const id of shop.serverIds) {
        expect(phasesOf(events, id)).not.toContain('draining');
        expect(phasesOf(events, id)).toEqual(START_FIRST_PHASES);
      }
      for (const host of shop.hosts) {
        expect([host.name, await servedTag(host, 8081), await servedTag(host, 8080)]).toEqual([
          host.name,
          'v2',
          'ECONNREFUSED',
        ]);
        expect(containerSummary(await containersOn(fleet, host))).toEqual([
          ['shop', `${IMAGE}:v2`, true, 8081],
          ['shop-previous', `${IMAGE}:v1`, false, 8080],
        ]);
      }
      expect((await instancesOf(shop)).map((i) => [i.serverId, i.tag, i.inRotation, i.hostPort])).toEqual(
        shop.serverIds.map((id) => [id, 'v2', true, 8081]),
      );
      expect(await bench.routes(shop)).toEqual(ports(shop.hosts, 8081));

      expectNoFailure(run);
      // capacity never dipped: all 4 stayed listed throughout, each moved once
      expect(run.fewestInRotation).toBe(4);
      expect(run.moves.map((m) => [m.address, m.from, m.to]).sort()).toEqual(
        shop.hosts.map((h) => [h.address, 8080, 8081]),
      );
      expect(run.traffic.tags.v1).toBeGreaterThan(0);
      expect(run.traffic.tags.v2).toBeGreaterThan(0);
    });

    it('accepts "all at once" (100 %) start-first with the default minimumHealthyInstances, which stop-first refuses, and completes it', async () => {
      const { stack, shop } = bench;
      const allAtOnce = { batchSize: 100, batchSizeIsPercentage: true };
      // the contrast: the same sizing stop-first would take every server out at once
      const pending = await stack.call<Deployment>('POST', '/api/deployments', {
        applicationId: shop.applicationId,
        tag: 'v3',
      });
      const stopFirst = await stack.request<{ message: unknown }>(
        'POST',
        `/api/deployments/${pending.id}/rolling-update`,
        { ...FAST_CHECKS, ...allAtOnce, order: 'stop-first' },
      );
      expect(stopFirst.status).toBe(422);
      expect(String(stopFirst.body.message)).toContain('minimumHealthyInstances (1)');

      const run = await underLoad('4 servers all at once (100 %), v2→v3', shop, () =>
        rollOut(stack, shop.applicationId, 'v3', { ...allAtOnce, order: 'start-first' }),
      );
      const { deployment, batches, events } = run.result;
      expect(deployment).toMatchObject({
        status: 'completed',
        order: 'start-first',
        minimumHealthyInstances: 1,
        totalBatches: 1,
        completedBatches: 1,
      });
      expect(batches.map((x) => [x.serverIds, x.status])).toEqual([[shop.serverIds, 'completed']]);
      for (const id of shop.serverIds) expect(phasesOf(events, id)).toEqual(START_FIRST_PHASES);
      for (const host of shop.hosts) {
        expect([host.name, await servedTag(host, 8080), await servedTag(host, 8081)]).toEqual([
          host.name,
          'v3',
          'ECONNREFUSED',
        ]);
      }
      expect((await instancesOf(shop)).map((i) => [i.tag, i.hostPort])).toEqual(
        shop.serverIds.map(() => ['v3', 8080]),
      );
      expect(await bench.routes(shop)).toEqual(ports(shop.hosts, 8080));

      expectNoFailure(run);
      expect(run.fewestInRotation).toBe(4);
      expect(run.moves.map((m) => [m.address, m.from, m.to]).sort()).toEqual(
        shop.hosts.map((h) => [h.address, 8081, 8080]),
      );
      expect(run.traffic.tags.v3).toBeGreaterThan(0);
    });

    it('removes a broken version started beside the old containers; the old ones are untouched and never left rotation', async () => {
      const { stack, fleet, shop } = bench;
      const before = await Promise.all(shop.hosts.map((host) => containersOn(fleet, host)));
      const run = await underLoad('broken version (HTTP 500), failureThreshold 1', shop, () =>
        rollOut(stack, shop.applicationId, 'v4-broken', {
          order: 'start-first',
          batchSize: 2,
          batchSizeIsPercentage: false,
          failureThreshold: 1,
          maxHealthCheckRetries: 3,
        }),
      );
      const { deployment, batches, events } = run.result;
      const [a, b, c, d] = shop.serverIds as [number, number, number, number];

      expect(deployment).toMatchObject({ status: 'rolled_back', order: 'start-first', previousTag: 'v3' });
      expect(deployment.failureReason).toContain('HTTP 500');
      expect(batches.map((x) => [x.batchNumber, x.status, x.serverOutcomes])).toEqual([
        [1, 'rolled_back', { [a]: 'restored', [b]: 'restored' }],
        [2, 'pending', { [c]: 'untouched', [d]: 'untouched' }],
      ]);
      for (const id of [a, b]) {
        expect(batches[0]?.healthCheckResults[String(id)]).toMatchObject({ healthy: false, statusCode: 500 });
        expect(phasesOf(events, id)).toEqual(
          expect.arrayContaining(['starting', 'unhealthy', 'rolled_back']),
        );
      }
      for (const id of shop.serverIds) expect(phasesOf(events, id)).not.toContain('draining');

      const after = await Promise.all(shop.hosts.map((host) => containersOn(fleet, host)));
      // the same containers, not restarted: `shop` (v3 on 8080) still running, `shop-next` gone
      expect(after).toEqual(before);
      for (const containers of after) {
        expect(containers.map((x) => x.name)).not.toContain('shop-next');
        expect(containers.find((x) => x.name === 'shop')).toMatchObject({
          image: `${IMAGE}:v3`,
          running: true,
          hostPort: 8080,
        });
      }
      for (const host of shop.hosts) {
        expect([host.name, await servedTag(host, 8080), await servedTag(host, 8081)]).toEqual([
          host.name,
          'v3',
          'ECONNREFUSED',
        ]);
      }
      expect((await instancesOf(shop)).map((i) => [i.tag, i.inRotation, i.hostPort])).toEqual(
        shop.serverIds.map(() => ['v3', true, 8080]),
      );
      expect(await bench.routes(shop)).toEqual(ports(shop.hosts, 8080));

      expectNoFailure(run);
      expect(run.fewestInRotation).toBe(4);
      expect(run.moves).toEqual([]);
      expect(run.traffic.tags['v4-broken']).toBeUndefined();
    });

    more?.(() => bench);
  });
}

startFirstCases('HAProxy', haproxyBench, (bench) => {
  it('answers 422 naming order for start-first without a load balancer, and 400 naming order for an unknown one', async () => {
    const { stack, shop } = bench();
    const bare = await stack.call<{ id: number }>('POST', '/api/applications', {
      name: 'bare',
      image: IMAGE,
      tag: 'v1',
      containerPort: 3000,
      hostPort: 9090,
      serverIds: [shop.serverIds[0]],
      loadBalancer: { type: 'none' },
    });
    const pending = await stack.call<Deployment>('POST', '/api/deployments', {
      applicationId: bare.id,
      tag: 'v2',
    });
    const message = (body: { message?: unknown }) => [body.message].flat().join(' | ');

    const noBalancer = await stack.request<{ message?: unknown }>(
      'POST',
      `/api/deployments/${pending.id}/rolling-update`,
      { order: 'start-first' },
    );
    expect(noBalancer.status).toBe(422);
    expect(message(noBalancer.body)).toMatch(/^order start-first needs a load balancer/);
    const plan = await stack.request<{ message?: unknown }>('POST', `/api/deployments/${pending.id}/plan`, {
      order: 'start-first',
    });
    expect(plan.status).toBe(422);

    for (const applicationId of [bare.id, shop.applicationId]) {
      const other = await stack.call<Deployment>('POST', '/api/deployments', { applicationId, tag: 'v2' });
      const sideways = await stack.request<{ message?: unknown }>(
        'POST',
        `/api/deployments/${other.id}/rolling-update`,
        { order: 'sideways' },
      );
      expect(sideways.status).toBe(400);
      expect(message(sideways.body)).toContain('order must be one of: stop-first, start-first');
    }
    // nothing changed: still pending, nothing started on the server
    expect((await stack.call<Deployment>('GET', `/api/deployments/${pending.id}`)).status).toBe('pending');
    expect(await servedTag(shop.hosts[0]!, 9090)).toBe('ECONNREFUSED');
  });
});

startFirstCases('nginx', nginxBench);
