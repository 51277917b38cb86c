import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { type Fleet, type FleetHost, startFleet } from '../../fleet/fleet';
import {
  countersSince,
  RunningHaproxy,
  RunningNginx,
  startHaproxy,
  startNginx,
} from '../../fleet/load-balancers';
import { startLoad } from '../../fleet/load';
import { freePort, type Stack, type StackOptions, startStack } from './stack';

export const IMAGE = 'registry.local/acme/shop';

/** Fast probing for a local fleet; every other option keeps the contract's default unless given. */
export const FAST_CHECKS = {
  healthCheckInterval: 0.2,
  healthCheckTimeout: 20,
  maxHealthCheckRetries: 60,
  waitInterval: 0.3,
};

export interface Deployment {
  id: number;
  status: string;
  failureReason: string | null;
  [key: string]: unknown;
}

export interface Batch {
  batchNumber: number;
  serverIds: number[];
  status: string;
  successfulInstances: number;
  failedInstances: number;
  healthCheckResults: Record<string, { healthy: boolean; statusCode: number | null; attempts: number }>;
  /** By server id: `updated`, `restored`, `restore_failed` or `untouched`. */
  serverOutcomes: Record<string, string>;
  failureReason: string | null;
}

export interface ReceivedEvent {
  name: string;
  payload: Record<string, unknown>;
}

/** Registers fleet hosts as Rollout servers named `web-1`…; the last one is left to trust on first use. */
export async function registerServers(stack: Stack, fleet: Fleet, hosts: FleetHost[], prefix = 'web') {
  const ids: number[] = [];
  for (const [i, host] of hosts.entries()) {
    const server = await stack.call<{ id: number }>('POST', '/api/servers', {
      name: `${prefix}-${i + 1}`,
      host: host.address,
      port: host.port,
      user: 'root',
      privateKey: fleet.privateKey,
      ...(i < hosts.length - 1 ? { hostKeyFingerprint: host.hostKeyFingerprint } : {}),
    });
    ids.push(server.id);
  }
  return ids;
}

/** Subscribes to a deployment's events, starts its rolling update and waits for `deployment.finished`. */
export async function rollOut(
  stack: Stack,
  applicationId: number,
  tag: string,
  options: Record<string, unknown>,
  timeoutMs = 120_000,
  onEvent: (event: ReceivedEvent) => void = () => undefined,
) {
  const created = await stack.call<Deployment>('POST', '/api/deployments', { applicationId, tag });
  const socket = await stack.socket();
  const events: ReceivedEvent[] = [];
  for (const name of ['deployment.updated', 'batch.updated', 'instance.updated', 'deployment.finished']) {
    socket.on(name, (payload: Record<string, unknown>) => {
      events.push({ name, payload });
      onEvent({ name, payload });
    });
  }
  const ack = await subscribe(socket, created.id);
  if (!ack.ok) throw new Error(`subscribe refused: ${ack.error}`);
  const started = Date.now();
  await stack.call('POST', `/api/deployments/${created.id}/rolling-update`, { ...FAST_CHECKS, ...options });
  const finished = await waitForFinish(stack, created.id, events, timeoutMs);
  const durationMs = Date.now() - started;
  // the finished event can trail the database by a moment
  await until(() => events.some((e) => e.name === 'deployment.finished'), 5000);
  socket.disconnect();
  const batches = await stack.call<Batch[]>('GET', `/api/deployments/${created.id}/batches`);
  return { deployment: finished, batches, events, durationMs };
}

function subscribe(socket: Socket, deploymentId: number): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => socket.emit('subscribe', { deploymentId }, resolve));
}

async function until(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

const FINAL = ['completed', 'completed_with_errors', 'failed', 'rolled_back', 'rollback_failed', 'cancelled'];

export async function waitForFinish(stack: Stack, id: number, events: ReceivedEvent[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // An answer that is not 2xx (the API without its database, in an outage test) is asked again.
    const deployment = await stack.call<Deployment>('GET', `/api/deployments/${id}`).catch(() => null);
    if (deployment && FINAL.includes(deployment.status)) return deployment;
    if (Date.now() > deadline) {
      throw new Error(
        `deployment ${id} still ${deployment?.status ?? 'unknown'} after ${timeoutMs} ms; last events: ${JSON.stringify(events.slice(-5))}\n${stack.logs().slice(-3000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What the instance on a host answers directly (its `tag`), or the error. */
export function servedTag(host: FleetHost, port = 8080): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: host.address, port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        try {
          resolve(String((JSON.parse(text) as { tag: string }).tag));
        } catch {
          resolve(`HTTP ${res.statusCode}`);
        }
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

/** Phases of one server's instance events, in arrival order. */
export function phasesOf(events: ReceivedEvent[], serverId: number): string[] {
  return events
    .filter((e) => e.name === 'instance.updated' && e.payload.serverId === serverId)
    .map((e) => String(e.payload.phase));
}

/** One line for the closing note: what a run measured. */
export function report(label: string, figures: Record<string, unknown>) {
  process.stdout.write(`[e2e] ${label}: ${JSON.stringify(figures)}\n`);
}

/**
 * Runs `work` under keep-alive load through HAProxy (4 connections, from 20 answered requests on) and
 * reports, under `label`, the traffic and HAProxy's own error counters over it.
 */
export async function underHaproxyLoad<T>(haproxy: RunningHaproxy, label: string, work: () => Promise<T>) {
  const load = startLoad({ url: `${haproxy.url}/`, concurrency: 4, keepAlive: true });
  await load.waitForOk(20);
  const errorsBefore = await haproxy.errorCounters();
  const result = await work();
  const traffic = await load.stop();
  const haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
  report(label, { ...traffic, haproxyErrors });
  return { result, traffic, haproxyErrors };
}

/**
 * Registers `appHosts` as web-1… and `lbHost` as lb-1, and creates the application `shop` (v1 on port
 * 8080) behind `loadBalancer` (its `serverId` is filled in).
 */
export async function createShop(
  stack: Stack,
  fleet: Fleet,
  appHosts: FleetHost[],
  lbHost: FleetHost,
  loadBalancer: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<{ serverIds: number[]; applicationId: number; loadBalancerServerId: number }> {
  const serverIds = await registerServers(stack, fleet, appHosts);
  const [lbId] = await registerServers(stack, fleet, [lbHost], 'lb');
  if (lbId === undefined) throw new Error('the load balancer host was not registered');
  const app = await stack.call<{ id: number }>('POST', '/api/applications', {
    name: 'shop',
    image: IMAGE,
    tag: 'v1',
    containerPort: 3000,
    hostPort: 8080,
    serverIds,
    loadBalancer: { ...loadBalancer, serverId: lbId },
    ...extra,
  });
  return { serverIds, applicationId: app.id, loadBalancerServerId: lbId };
}

export interface HaproxyShop {
  stack: Stack;
  fleet: Fleet;
  haproxy: RunningHaproxy;
  serverIds: number[];
  applicationId: number;
  /** lb-1, the Rollout server of the load balancer's host. */
  loadBalancerServerId: number;
  stop(): Promise<void>;
}

/**
 * The shop of a spec file: started before its tests and stopped after them (jest's beforeAll/afterAll).
 * Its fields are there once the tests run.
 */
export function haproxyShopForFile(options: Parameters<typeof startHaproxyShop>[0]): HaproxyShop {
  const shop = {} as HaproxyShop;
  beforeAll(async () => {
    Object.assign(shop, await startHaproxyShop(options));
  });
  afterAll(async () => {
    if (typeof shop.stop === 'function') await shop.stop();
  });
  return shop;
}

/**
 * The compiled stack; `appHosts` fleet hosts on `addressPrefix` registered as web-1… plus one more as lb-1;
 * HAProxy on `<addressPrefix>100` with backend `shop` (one `server web-N host:8080` line per host, in
 * maintenance); and the application `shop` behind it.
 */
export async function startHaproxyShop(options: {
  addressPrefix: string;
  appHosts: number;
  drainSeconds: number;
  extra?: Record<string, unknown>;
  /** Deploys this tag onto every (empty) host at once before returning, and fails unless it completes. */
  deployed?: string;
  /** The hosts' /proc/meminfo is the test's to set (`fleet.reportMemAvailable`). */
  reportedMemory?: boolean;
  /** Lines for HAProxy's backend section (`startHaproxy`). */
  backendOptions?: string[];
  /** Passed to `startStack` (e.g. a Redis of the test's own). */
  stack?: StackOptions;
}): Promise<HaproxyShop> {
  const { addressPrefix, drainSeconds, extra } = options;
  const [stack, fleet] = await Promise.all([
    startStack(options.stack),
    startFleet({
      count: options.appHosts + 1,
      addressPrefix,
      ...(options.reportedMemory === true && { reportedMemory: true }),
    }),
  ]);
  let haproxy: RunningHaproxy | undefined;
  const stop = async () => {
    await haproxy?.stop();
    await fleet.stop();
    await stack.stop();
  };
  try {
    const appHosts = fleet.hosts.slice(0, options.appHosts);
    const address = `${addressPrefix}100`;
    haproxy = await startHaproxy({
      listenAddress: address,
      listenPort: await freePort(address),
      backend: 'shop',
      servers: appHosts.map((h, i) => ({ name: `web-${i + 1}`, address: h.address, port: 8080 })),
      ...(options.backendOptions && { backendOptions: options.backendOptions }),
    });
    const loadBalancer = { type: 'haproxy', backend: 'shop', socketPath: haproxy.socketPath, drainSeconds };
    const lbHost = fleet.host(options.appHosts);
    const shop = await createShop(stack, fleet, appHosts, lbHost, loadBalancer, extra);
    if (options.deployed !== undefined) await deployFirst(stack, shop.applicationId, options.deployed);
    return { stack, fleet, haproxy, ...shop, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Deploys `tag` onto every (empty) server of the application at once; throws unless it completes. */
export async function deployFirst(stack: Stack, applicationId: number, tag: string): Promise<void> {
  const first = await rollOut(stack, applicationId, tag, { batchSize: 100, minimumHealthyInstances: 0 });
  if (first.deployment.status !== 'completed')
    throw new Error(
      `the first deployment ended ${first.deployment.status}: ${first.deployment.failureReason}`,
    );
}

export interface NginxBalancer {
  nginx: RunningNginx;
  /** The application's `loadBalancer` (without `serverId`): the include file, port and nginx's own commands. */
  loadBalancer: Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * nginx on a free port of every address, including a file of its own that Rollout writes. The file starts
 * as a server block answering 503 in the shape Rollout writes (`listen PORT;`), so reloads never rebind.
 */
export async function startNginxBalancer(drainSeconds: number): Promise<NginxBalancer> {
  const port = await freePort();
  const confDir = await mkdtemp(join(tmpdir(), 'rollout-e2e-nginx-conf-'));
  const includeFile = join(confDir, 'app.conf');
  try {
    await writeFile(includeFile, `server {\n  listen ${port};\n  return 503;\n}\n`);
    const nginx = await startNginx({ listenPort: port, includeFile });
    return {
      nginx,
      loadBalancer: {
        type: 'nginx',
        configPath: includeFile,
        listenPort: port,
        reloadCommand: nginx.reloadCommand,
        testCommand: nginx.testCommand,
        drainSeconds,
      },
      async stop() {
        await nginx.stop();
        await rm(confDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(confDir, { recursive: true, force: true });
    throw error;
  }
}

export interface NginxShop {
  stack: Stack;
  fleet: Fleet;
  nginx: RunningNginx;
  serverIds: number[];
  applicationId: number;
  /** lb-1, the Rollout server of the load balancer's host. */
  loadBalancerServerId: number;
  stop(): Promise<void>;
}

/**
 * As `startHaproxyShop`, behind nginx (`startNginxBalancer`). With `deployed`, returns only once no nginx
 * worker of the 503 configuration is left to accept a connection.
 */
export async function startNginxShop(options: {
  addressPrefix: string;
  appHosts: number;
  drainSeconds: number;
  extra?: Record<string, unknown>;
  deployed?: string;
}): Promise<NginxShop> {
  const { addressPrefix, drainSeconds, extra } = options;
  const [stack, fleet] = await Promise.all([
    startStack(),
    startFleet({ count: options.appHosts + 1, addressPrefix }),
  ]);
  let balancer: NginxBalancer | undefined;
  const stop = async () => {
    await balancer?.stop();
    await fleet.stop();
    await stack.stop();
  };
  try {
    balancer = await startNginxBalancer(drainSeconds);
    const { nginx } = balancer;
    const appHosts = fleet.hosts.slice(0, options.appHosts);
    const lbHost = fleet.host(options.appHosts);
    const shop = await createShop(stack, fleet, appHosts, lbHost, balancer.loadBalancer, extra);
    if (options.deployed !== undefined) {
      const serving503 = nginx.workers();
      await deployFirst(stack, shop.applicationId, options.deployed);
      await nginx.waitForWorkersReplaced(serving503);
    }
    return { stack, fleet, nginx, ...shop, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface HostContainer {
  id: string;
  name: string;
  image: string;
  running: boolean;
  startedAt: string;
  /** The host port it publishes, null when none. */
  hostPort: number | null;
}

/** Every container on a host (running or not), by name, as the docker stand-in's `inspect` reports it. */
export async function containersOn(fleet: Fleet, host: FleetHost): Promise<HostContainer[]> {
  const names = await fleet.docker(host, ['ps', '-a', '--format', '{{.Names}}']);
  if (names.exitCode !== 0) throw new Error(`docker ps failed on ${host.name}: ${names.stderr}`);
  const list = names.stdout.split('\n').filter(Boolean).sort();
  if (list.length === 0) return [];
  const inspected = await fleet.docker(host, ['inspect', '--format', '{{json .}}', ...list]);
  if (inspected.exitCode !== 0) throw new Error(`docker inspect failed on ${host.name}: ${inspected.stderr}`);
  return inspected.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const c = JSON.parse(line) as {
        Id: string;
        Name: string;
        Config: { Image: string };
        State: { Running: boolean; StartedAt: string };
        HostConfig: { PortBindings: Record<string, { HostPort: string }[]> };
      };
      const binding = Object.values(c.HostConfig.PortBindings).flat()[0];
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        image: c.Config.Image,
        running: c.State.Running,
        startedAt: c.State.StartedAt,
        hostPort: binding ? Number(binding.HostPort) : null,
      };
    });
}
