import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Emitter } from '@socket.io/redis-emitter';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import type { Socket } from 'socket.io-client';
import {
  DEPLOYMENT_EVENTS,
  DEPLOYMENTS_NAMESPACE,
  deploymentRoom,
} from '../src/deployments/socket-io.constants';
import { redisOptionsFromUrl } from '../src/infra/queue/redis-options';
import type { Stack } from '../test/e2e/support/stack';
import { TEST_REDIS_URL } from '../test/support/redis';

export interface LatencyFigures {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

export interface ApiFigures {
  /** POST /api/deployments/:id/rolling-update, each request on a different pending deployment. */
  rollingUpdate: LatencyFigures;
  /** GET /api/deployments/:id/batches of a deployment with batches. */
  batches: LatencyFigures;
  socket: { subscribers: number; events: number; p50Ms: number; p99Ms: number; lost: number };
}

export interface ApiBenchOptions {
  /**
   * Applications of the stack's team, none with a deployment queued, in progress or paused, each on at least
   * two servers (the request body is "one at a time": batchSize 1, absolute). The contract allows one active
   * rollout per application (409 otherwise), so every rolling-update request needs an application of its
   * own: the run ends after `applicationIds.length` requests if `durationSeconds` has not passed first.
   * `createBenchApplications` makes such applications.
   */
  applicationIds: number[];
  /** A deployment that has batches (one the worker ran); its batches are read, its room gets the events. */
  batchesDeploymentId: number;
  durationSeconds?: number;
  connections?: number;
  subscribers?: number;
  events?: number;
}

/** The body of every rolling-update request: the "one at a time" preset. */
const ROLLING_UPDATE_BODY = JSON.stringify({ batchSize: 1, batchSizeIsPercentage: false });
/** BullMQ job states of a job the worker has yet to take (or is running). */
const JOB_PENDING = ['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'];

/**
 * Creates `count` applications `<prefix>-1`… (no load balancer) on `serverIds`, for `applicationIds`; their
 * ids. At least two servers: with one, "one at a time" would take the only instance out (422).
 */
export async function createBenchApplications(
  stack: Stack,
  serverIds: number[],
  count: number,
  prefix = 'bench',
): Promise<number[]> {
  if (serverIds.length < 2) throw new Error('the rolling-update benchmark needs applications on two servers');
  const ids: number[] = [];
  await inParallel(
    Array.from({ length: count }, (_, i) => i + 1),
    5,
    async (i) => {
      const app = await stack.call<{ id: number }>('POST', '/api/applications', {
        name: `${prefix}-${i}`,
        image: 'registry.local/acme/bench',
        tag: 'v1',
        containerPort: 3000,
        hostPort: 9000,
        serverIds,
        loadBalancer: { type: 'none' },
      });
      ids.push(app.id);
    },
  );
  return ids;
}

/**
 * Measures the API of a running stack:
 * - `rollingUpdate`: autocannon POSTs rolling-update, each request to the next of one fresh pending
 *   deployment per application, with the worker stopped so nothing runs. Afterwards every deployment that
 *   got queued (those autocannon counted and the ones in flight when it stopped) is cancelled through the
 *   API, the worker is started again and this waits until it has taken every one of those jobs off the
 *   queue (each ends at once: the deployment is cancelled), so the worker is up and idle when the next
 *   measurement starts. Deployments that no request reached stay `pending` (nothing runs a pending
 *   deployment; the API has no delete).
 * - `batches`: autocannon GETs the batches of `batchesDeploymentId`.
 * - `socket`: `subscribers` socket.io clients subscribe to `batchesDeploymentId`; this process then acts as
 *   the worker does: a `@socket.io/redis-emitter` on the stack's SOCKET_IO_KEY publishes `events`
 *   `instance.updated` events (the worker's payload plus `benchSentAt`) to the deployment's room about every
 *   5 ms. The latency is the worker's path (emitter → Redis PUBLISH → the API's socket.io Redis adapter →
 *   websocket → client), from the moment of emit to receipt, over every (event, subscriber) pair; clients
 *   and emitter share this process's clock. `lost` is the pairs not received 2 s after the last emit.
 *
 * Latencies in milliseconds (autocannon's p50/p99 for HTTP). `requests` is the answers autocannon counted;
 * `perSecond` is that ÷ autocannon's run duration (not its per-second sample average, which a short or
 * amount-bound run skews); `non2xx` counts non-2xx answers and connection errors (timeouts included). The
 * emitter uses TEST_REDIS_URL: the stack must run on that Redis (startStack's default).
 */
export async function benchApi(stack: Stack, options: ApiBenchOptions): Promise<ApiFigures> {
  const durationSeconds = options.durationSeconds ?? 5;
  const connections = options.connections ?? 10;
  const rollingUpdate = await benchRollingUpdate(stack, options.applicationIds, durationSeconds, connections);
  const batches = figuresOf(
    await autocannon({
      url: `${stack.baseUrl}/api/deployments/${options.batchesDeploymentId}/batches`,
      headers: { authorization: `Bearer ${stack.token}` },
      connections,
      duration: durationSeconds,
    }),
  );
  const socket = await benchSocket(
    stack,
    options.batchesDeploymentId,
    options.subscribers ?? 100,
    options.events ?? 200,
  );
  return { rollingUpdate, batches, socket };
}

async function benchRollingUpdate(
  stack: Stack,
  applicationIds: number[],
  durationSeconds: number,
  connections: number,
): Promise<LatencyFigures> {
  if (applicationIds.length === 0) throw new Error('the rolling-update benchmark needs applications');
  const deploymentIds: number[] = [];
  await inParallel(applicationIds, 5, async (applicationId) => {
    const created = await stack.call<{ id: number }>('POST', '/api/deployments', {
      applicationId,
      tag: `bench-${Date.now()}`,
    });
    deploymentIds.push(created.id);
  });
  let next = 0;
  const nextRequest = (request: autocannon.Request): autocannon.Request => {
    const id = deploymentIds[next++];
    if (id === undefined) throw new Error('more rolling-update requests than pending deployments');
    return { ...request, path: `/api/deployments/${id}/rolling-update` };
  };
  await stack.stopWorker();
  try {
    const result = await autocannon({
      url: stack.baseUrl,
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: ROLLING_UPDATE_BODY,
      connections: Math.min(connections, deploymentIds.length),
      duration: durationSeconds,
      maxOverallRequests: deploymentIds.length,
      // Each client gets a request object of its own: autocannon builds a client's next request into the
      // shared `requests` objects, so shared ones would send one deployment id from several clients.
      setupClient: (client) => client.setRequests([{ setupRequest: nextRequest }]),
    });
    return figuresOf(result);
  } finally {
    const cancelled = await cancelQueued(stack, deploymentIds.slice(0, next));
    stack.startWorker();
    await waitForJobsTaken(stack, cancelled);
  }
}

/** Cancels each deployment that is `queued`; returns their ids. */
async function cancelQueued(stack: Stack, ids: number[]): Promise<number[]> {
  const cancelled: number[] = [];
  await inParallel(ids, 10, async (id) => {
    const { status } = await stack.call<{ status: string }>('GET', `/api/deployments/${id}`);
    if (status !== 'queued') return;
    await stack.call('POST', `/api/deployments/${id}/cancel`);
    cancelled.push(id);
  });
  return cancelled;
}

/**
 * Waits until the (restarted) worker has taken every job of `ids` off the queue, 2 s when there are none.
 * Slow: the worker takes a team's jobs TEAM_MAX_ACTIVE_ROLLOUTS (2) at a time and delays the others by 1 s,
 * about 7 jobs a second on a 2-CPU machine; hence 60 s plus 0.5 s per job at most.
 */
async function waitForJobsTaken(stack: Stack, ids: number[]): Promise<void> {
  if (ids.length === 0) return void (await sleep(2000));
  const deadline = Date.now() + 60_000 + 500 * ids.length;
  await inParallel(ids, 4, async (id) => {
    while (JOB_PENDING.includes(await stack.jobState(id))) {
      if (Date.now() > deadline) throw new Error(`the worker has not taken the job of deployment ${id}`);
      await sleep(200);
    }
  });
}

async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const lane = async () => {
    for (let item = items[index++]; item !== undefined; item = items[index++]) await work(item);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

function figuresOf(result: autocannon.Result): LatencyFigures {
  const requests = result.requests.total;
  return {
    requests,
    perSecond: round(requests / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx + result.errors,
  };
}

async function benchSocket(stack: Stack, deploymentId: number, subscribers: number, events: number) {
  const sockets: Socket[] = [];
  const redis = new Redis(redisOptionsFromUrl(TEST_REDIS_URL));
  const latencies: number[] = [];
  try {
    for (let i = 0; i < subscribers; i++) {
      const socket = await stack.socket();
      sockets.push(socket);
      socket.on(DEPLOYMENT_EVENTS.instanceUpdated, (payload: { benchSentAt?: unknown }) => {
        const receivedAt = performance.timeOrigin + performance.now();
        if (typeof payload.benchSentAt === 'number') latencies.push(receivedAt - payload.benchSentAt);
      });
      const ack = await new Promise<{ ok: boolean; error?: string }>((resolve) =>
        socket.emit('subscribe', { deploymentId }, resolve),
      );
      if (!ack.ok) throw new Error(`subscribe to deployment ${deploymentId} refused: ${ack.error}`);
    }
    const room = new Emitter(redis, { key: stack.socketIoKey }).of(DEPLOYMENTS_NAMESPACE);
    for (let i = 1; i <= events; i++) {
      room.to(deploymentRoom(deploymentId)).emit(DEPLOYMENT_EVENTS.instanceUpdated, {
        id: 1_000_000 + i,
        deploymentId,
        batchNumber: 1,
        serverId: 1,
        phase: 'health_checking',
        message: `Health check attempt ${i}: 200 OK`,
        benchSentAt: performance.timeOrigin + performance.now(),
      });
      await sleep(5);
    }
    await sleep(2000);
  } finally {
    for (const socket of sockets) socket.disconnect();
    await redis.quit();
  }
  latencies.sort((a, b) => a - b);
  return {
    subscribers,
    events,
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    lost: subscribers * events - latencies.length,
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
