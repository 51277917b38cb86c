import type { Socket } from 'socket.io-client';
import type { Fleet } from '../fleet/fleet';
import { countersSince, type RunningHaproxy } from '../fleet/load-balancers';
import { startLoad } from '../fleet/load';
import {
  FAST_CHECKS,
  type Deployment,
  report,
  servedTag,
  startHaproxyShop,
  type HaproxyShop,
} from './support/scenario';
import type { Stack } from './support/stack';

jest.setTimeout(240_000);

interface TimelineEvent {
  id: number;
  batchNumber: number | null;
  serverId: number | null;
  phase: string;
}

/** A subscriber's view of a deployment: the instance events it received live, in order. */
async function subscribeTo(stack: Stack, deploymentId: number) {
  const socket: Socket = await stack.socket();
  const live: TimelineEvent[] = [];
  const statuses: string[] = [];
  socket.on('instance.updated', (event: TimelineEvent) => live.push(event));
  socket.on('deployment.updated', (deployment: Deployment) => statuses.push(deployment.status));
  const ack = await new Promise<{ ok: boolean }>((resolve) =>
    socket.emit('subscribe', { deploymentId }, resolve),
  );
  if (!ack.ok) throw new Error('subscribe refused');
  return { socket, live, statuses };
}

async function statusBecomes(stack: Stack, id: number, status: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const deployment = await stack.call<Deployment>('GET', `/api/deployments/${id}`);
    if (deployment.status === status) return deployment;
    if (Date.now() > deadline) throw new Error(`deployment ${id} is ${deployment.status}, never ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const key = (e: TimelineEvent) => `${e.id}:${e.batchNumber}:${e.serverId}:${e.phase}`;

describe('pause, resume and the gate after each batch, under load through HAProxy', () => {
  let shop: HaproxyShop;
  let stack: Stack;
  let fleet: Fleet;
  let haproxy: RunningHaproxy;

  beforeAll(async () => {
    shop = await startHaproxyShop({
      addressPrefix: '127.0.35.',
      appHosts: 3,
      drainSeconds: 0.5,
      deployed: 'v1',
    });
    ({ stack, fleet, haproxy } = shop);
  });

  afterAll(async () => {
    await shop?.stop();
  });

  it('stops after every batch until resumed, drops no request, and the events endpoint replays what a subscriber saw', async () => {
    const load = startLoad({ url: `${haproxy.url}/`, concurrency: 4, keepAlive: true });
    await load.waitForOk(50);
    const errorsBefore = await haproxy.errorCounters();
    const created = await stack.call<Deployment>('POST', '/api/deployments', {
      applicationId: shop.applicationId,
      tag: 'v2',
    });
    const early = await subscribeTo(stack, created.id);
    await stack.call('POST', `/api/deployments/${created.id}/rolling-update`, {
      ...FAST_CHECKS,
      batchSize: 1,
      batchSizeIsPercentage: false,
      pauseAfterEachBatch: true,
    });

    // The gate: paused after batch 1, the other servers untouched and every server in rotation.
    const first = await statusBecomes(stack, created.id, 'paused');
    expect(first).toMatchObject({ completedBatches: 1, pauseAfterEachBatch: true });
    expect(await Promise.all(fleet.hosts.slice(0, 3).map((host) => servedTag(host)))).toEqual([
      'v2',
      'v1',
      'v1',
    ]);
    const statesWhilePaused = (await haproxy.showStat()).filter((r) => r.svname.startsWith('web-'));
    expect(statesWhilePaused.map((r) => r.status)).toEqual(Array(3).fill('no check'));
    const pauseAgain = await stack.request('POST', `/api/deployments/${created.id}/pause`);
    expect(pauseAgain.status).toBe(409);

    // A client that subscribes now replays the timeline, then follows the stream.
    const late = await subscribeTo(stack, created.id);
    const replayed = await stack.call<TimelineEvent[]>(
      'GET',
      `/api/deployments/${created.id}/events?afterId=0`,
    );
    const lastReplayed = Math.max(...replayed.map((e) => e.id));

    expect((await stack.request('POST', `/api/deployments/${created.id}/resume`)).status).toBe(202);
    await statusBecomes(stack, created.id, 'paused');
    expect(await Promise.all(fleet.hosts.slice(0, 3).map((host) => servedTag(host)))).toEqual([
      'v2',
      'v2',
      'v1',
    ]);
    expect((await stack.request('POST', `/api/deployments/${created.id}/resume`)).status).toBe(202);
    const done = await statusBecomes(stack, created.id, 'completed');
    expect(done).toMatchObject({ completedBatches: 3, failedBatches: 0 });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const traffic = await load.stop();
    const haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
    report('pause after each batch, resumed twice', { ...traffic, haproxyErrors });
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(await Promise.all(fleet.hosts.slice(0, 3).map((host) => servedTag(host)))).toEqual([
      'v2',
      'v2',
      'v2',
    ]);
    expect(early.statuses.filter((s) => s === 'paused')).toHaveLength(2);

    // What the early subscriber saw live is exactly the server steps of the recorded timeline.
    const timeline = await stack.call<TimelineEvent[]>('GET', `/api/deployments/${created.id}/events`);
    const serverSteps = timeline.filter((e) => e.serverId !== null);
    expect(early.live.map(key)).toEqual(serverSteps.map(key));
    expect(timeline.map((e) => e.phase)).toEqual(expect.arrayContaining(['paused', 'resumed', 'finished']));
    // The late one: replay + live events after the last replayed id = the same, without a gap or a duplicate.
    const lateView = [
      ...replayed.filter((e) => e.serverId !== null),
      ...late.live.filter((e) => e.id > lastReplayed),
    ];
    expect(lateView.map(key)).toEqual(serverSteps.map(key));
    early.socket.disconnect();
    late.socket.disconnect();
  });

  it('pauses on request before the next batch, while the batch in flight finishes', async () => {
    const created = await stack.call<Deployment>('POST', '/api/deployments', {
      applicationId: shop.applicationId,
      tag: 'v3',
    });
    const watcher = await subscribeTo(stack, created.id);
    // Set from the event callback, so held in an object: TypeScript would narrow a `let` to its initial null.
    const pause: { answer: Promise<number> | null } = { answer: null };
    watcher.socket.on('instance.updated', (event: TimelineEvent) => {
      if (pause.answer === null && event.batchNumber === 1 && event.phase === 'starting') {
        pause.answer = stack.request('POST', `/api/deployments/${created.id}/pause`).then((r) => r.status);
      }
    });
    await stack.call('POST', `/api/deployments/${created.id}/rolling-update`, {
      ...FAST_CHECKS,
      batchSize: 1,
      batchSizeIsPercentage: false,
    });
    const paused = await statusBecomes(stack, created.id, 'paused');
    expect(await pause.answer).toBe(202);
    expect(paused).toMatchObject({ completedBatches: 1 });
    const batches = await stack.call<{ status: string }[]>('GET', `/api/deployments/${created.id}/batches`);
    expect(batches.map((b) => b.status)).toEqual(['completed', 'pending', 'pending']);

    expect((await stack.request('POST', `/api/deployments/${created.id}/resume`)).status).toBe(202);
    expect(await statusBecomes(stack, created.id, 'completed')).toMatchObject({ completedBatches: 3 });
    expect(await Promise.all(fleet.hosts.slice(0, 3).map((host) => servedTag(host)))).toEqual([
      'v3',
      'v3',
      'v3',
    ]);
    watcher.socket.disconnect();
  });
});
