import type { Fleet, FleetHost } from '../fleet/fleet';
import { countersSince, type RunningHaproxy } from '../fleet/load-balancers';
import { startLoad } from '../fleet/load';
import { defined } from '../support/defined';
import {
  type Batch,
  containersOn,
  type Deployment,
  IMAGE,
  type ReceivedEvent,
  report,
  rollOut,
  startHaproxyShop,
  type HaproxyShop,
} from './support/scenario';
import type { Stack } from './support/stack';

jest.setTimeout(120_000);

/**
 * Where the worker is killed: at a command the docker stand-in holds (exact); or the held command is let go
 * and the kill comes once `killWhen` sees the state it waits for; or on an event (not exact).
 */
type KillPoint =
  | { hold: { host: number; name: string }; killWhen?: { note: string; ready: () => Promise<boolean> } }
  | { on: (event: ReceivedEvent) => boolean; note: string };

interface TimelineEvent {
  id: number;
  batchNumber: number | null;
  serverId: number | null;
  phase: string;
  message: string;
}

interface KilledRollout {
  deployment: Deployment;
  batches: Batch[];
  timeline: TimelineEvent[];
  /** Phases of each app server (web-1…), in the order recorded. */
  phases: string[][];
  traffic: { sent: number; failed: number; failuresByReason: Record<string, number> };
  haproxyErrors: { econ: number; eresp: number; wretr: number; wredis: number };
  killed: boolean;
}

const instanceEvent = (event: ReceivedEvent, batchNumber: number, serverId: number, phase: string) =>
  event.name === 'instance.updated' &&
  event.payload.batchNumber === batchNumber &&
  event.payload.serverId === serverId &&
  event.payload.phase === phase;

/**
 * One worker SIGKILLed at each step of a batch, under keep-alive load through HAProxy: the kill comes when
 * the docker stand-in reports it holds the named command (the worker is then waiting for exactly that
 * command), the held command is released (it completes on the host, as the Docker daemon finishes a request
 * whose client died) and a new worker is started, which takes the rollout over once the lock expires
 * (WORKER_LOCK_DURATION_MS 5000 in the stack). Where no docker command marks the step (the probe, the put
 * back) the kill comes on the worker's event instead, which is not exact. The cases run one after another
 * on one fleet, each deploying a new tag over the last.
 */
describe('a worker SIGKILLed at each step of a batch (at a held docker command, or on an event)', () => {
  let shop: HaproxyShop;
  let stack: Stack;
  let fleet: Fleet;
  let haproxy: RunningHaproxy;
  let serverIds: number[];
  let applicationId: number;
  let appHosts: FleetHost[];
  /** The tag every app host runs before the case. */
  let current = 'v1';

  beforeAll(async () => {
    shop = await startHaproxyShop({
      addressPrefix: '127.0.126.',
      appHosts: 3,
      drainSeconds: 0.3,
      deployed: 'v1',
      // The fleet rollback case makes web-2 report too little memory: its batch fails, batch 1 completed.
      reportedMemory: true,
    });
    ({ stack, fleet, haproxy, serverIds, applicationId } = shop);
    appHosts = fleet.hosts.slice(0, 3);
  });

  afterAll(async () => {
    await shop?.stop();
  });

  const web = (n: number) => defined(serverIds[n - 1], `the id of web-${n}`);

  async function rollOutKilled(
    label: string,
    tag: string,
    options: Record<string, unknown>,
    point: KillPoint,
  ): Promise<KilledRollout> {
    const kill: { at: number; done: Promise<void> | null } = { at: 0, done: null };
    const crash = async (afterKill: () => Promise<void> = () => Promise.resolve()) => {
      await stack.stopWorker('SIGKILL');
      kill.at = Date.now();
      await afterKill();
      stack.startWorker();
    };
    const hold = 'hold' in point ? point.hold : null;
    const holdHost = hold ? defined(appHosts[hold.host], `app host ${hold.host}`) : null;
    if (hold && holdHost) await fleet.hold(holdHost, hold.name);
    const onEvent = (event: ReceivedEvent) => {
      if ('on' in point && kill.done === null && point.on(event)) kill.done = crash();
    };

    const load = startLoad({ url: `${haproxy.url}/`, concurrency: 4, keepAlive: true });
    let result: Awaited<ReturnType<typeof rollOut>>;
    let traffic: Awaited<ReturnType<typeof load.stop>>;
    let haproxyErrors: KilledRollout['haproxyErrors'];
    try {
      await load.waitForOk(20);
      const errorsBefore = await haproxy.errorCounters();
      const rolling = rollOut(
        stack,
        applicationId,
        tag,
        { batchSize: 1, batchSizeIsPercentage: false, minimumHealthyInstances: 1, ...options },
        90_000,
        onEvent,
      );
      if (hold && holdHost) {
        const killWhen = 'killWhen' in point ? point.killWhen : undefined;
        kill.done = (async () => {
          await fleet.waitHeld(holdHost, hold.name, 60_000);
          if (killWhen === undefined) return crash(() => fleet.release(holdHost, hold.name));
          await fleet.release(holdHost, hold.name);
          const until = Date.now() + 30_000;
          while (!(await killWhen.ready())) {
            if (Date.now() > until) throw new Error(`never saw: ${killWhen.note}`);
            await new Promise((resolve) => setTimeout(resolve, 15));
          }
          return crash();
        })();
      }
      const [rolled, killing] = await Promise.allSettled([rolling, kill.done ?? Promise.resolve()]);
      // An event-driven kill starts from inside the rollout's callback.
      await kill.done;
      if (rolled.status === 'rejected') throw rolled.reason;
      if (killing.status === 'rejected') throw killing.reason;
      result = rolled.value;
      traffic = await load.stop();
      haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
    } finally {
      await load.stop();
      if (hold && holdHost) await fleet.release(holdHost, hold.name);
    }

    const { deployment, batches, durationMs } = result;
    const timeline = await stack.call<TimelineEvent[]>(
      'GET',
      `/api/deployments/${deployment.id}/events?afterId=0&limit=5000`,
    );
    const phases = serverIds.map((id) => timeline.filter((e) => e.serverId === id).map((e) => e.phase));
    const finishedAt = typeof deployment.completedAt === 'string' ? Date.parse(deployment.completedAt) : NaN;
    report(`kill matrix: ${label}`, {
      killedAt:
        'on' in point
          ? point.note
          : `${hold?.name} held on web-${(hold?.host ?? 0) + 1}${point.killWhen ? `, released; killed ${point.killWhen.note}` : ''}`,
      sent: traffic.sent,
      failed: traffic.failed,
      ...(traffic.failed > 0 ? { failuresByReason: traffic.failuresByReason } : {}),
      haproxyErrors,
      status: deployment.status,
      rolloutMs: durationMs,
      recoverMs: kill.at > 0 ? finishedAt - kill.at : null,
    });
    return {
      deployment,
      batches,
      timeline,
      phases,
      traffic,
      haproxyErrors,
      killed: kill.at > 0,
    };
  }

  /**
   * What every case must end with; prints the evidence (deployment, batches, phases, HAProxy, containers,
   * worker logs) when it does not.
   */
  async function expectSettled(run: KilledRollout, status: 'completed' | 'rolled_back', version: string) {
    const { deployment, batches, phases, traffic, haproxyErrors } = run;
    const containers = await Promise.all(appHosts.map((host) => fleet.runningContainers(host)));
    const stat = (await haproxy.showStat()).filter((r) => r.pxname === 'shop' && r.svname.startsWith('web-'));
    const states = stat.map((r) => `${r.svname} ${r.status}`);
    const images = containers.map((list) => list.map((c) => c.image));
    const settledAsExpected =
      deployment.status === status &&
      images.every((list) => list.length === 1 && list[0] === `${IMAGE}:${version}`) &&
      stat.every((r) => r.status === 'no check');
    if (!settledAsExpected) {
      const everyContainer = await Promise.all(appHosts.map((host) => containersOn(fleet, host)));
      process.stdout.write(
        `[e2e] kill matrix evidence for deployment ${deployment.id} (expected ${status} on ${version}):\n` +
          `deployment: ${JSON.stringify(deployment)}\n` +
          `batches: ${JSON.stringify(batches)}\n` +
          `phases by server: ${JSON.stringify(phases)}\n` +
          `timeline: ${JSON.stringify(run.timeline.map((e) => [e.batchNumber, e.serverId, e.phase, e.message]))}\n` +
          `haproxy: ${JSON.stringify(states)}\n` +
          `containers: ${JSON.stringify(everyContainer)}\n` +
          `worker logs:\n${workerLogLines().slice(-40).join('\n')}\n`,
      );
    }
    expect(run.killed).toBe(true);
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
    expect(deployment.status).toBe(status);
    if (status === 'completed') expect(deployment.failureReason).toBeNull();
    else expect(deployment.failureReason).toEqual(expect.stringMatching(/\S/));
    expect(deployment.resumeCount).toBeGreaterThanOrEqual(1);
    expect(images).toEqual(appHosts.map(() => [`${IMAGE}:${version}`]));
    expect(states).toEqual(['web-1 no check', 'web-2 no check', 'web-3 no check']);
    current = version;
  }

  /** The worker processes' log lines (the API's request lines left out). */
  function workerLogLines(): string[] {
    let label = '';
    const lines: string[] = [];
    for (const line of stack.logs().split('\n')) {
      const prefix = /^\[([\w-]+)\] /.exec(line);
      if (prefix) label = prefix[1] ?? '';
      if (!label.startsWith('worker') || line.trim() === '') continue;
      if (!/"context":"(InstanceLoader|NestFactory)"/.test(line)) lines.push(line.slice(0, 1500));
    }
    return lines;
  }

  const pulls = (phases: string[]) => phases.filter((p) => p === 'pulling').length;

  it('during the pull of batch 2, which runs ahead while batch 1 is swapped (web-2)', async () => {
    const run = await rollOutKilled('during the pull', 'v2', {}, { hold: { host: 1, name: 'pull' } });
    await expectSettled(run, 'completed', 'v2');
    expect(run.batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    // Killed mid-batch 1 (its own pull done, the next batch's held): batch 1 goes on from where it was,
    // batch 2's pull, lost with the worker, runs again and batch 2 runs once, in full.
    expect(run.phases.map(pulls)).toEqual([2, 1, 1]);
    expect(run.phases[1]).toEqual([
      'pulling',
      'draining',
      'starting',
      'health_checking',
      'healthy',
      'in_rotation',
    ]);
  });

  it("right after the drain, before the swap (web-2's first swap command: docker inspect shop)", async () => {
    const run = await rollOutKilled(
      'after the drain, before the swap',
      'v3',
      {},
      { hold: { host: 1, name: 'inspect-shop' } },
    );
    await expectSettled(run, 'completed', 'v3');
    expect(run.batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    expect(run.phases.map(pulls)).toEqual([1, 2, 1]);
    // Killed drained, before the swap; the next worker swaps it (it is already out of rotation).
    expect(run.phases[1]).toEqual([
      ...['pulling', 'draining', 'starting'],
      ...['pulling', 'starting', 'health_checking', 'healthy', 'in_rotation'],
    ]);
  });

  it('after the old container was renamed, before the new one started (docker run)', async () => {
    const run = await rollOutKilled(
      'after the rename, before the run',
      'v4',
      {},
      { hold: { host: 1, name: 'run-shop' } },
    );
    await expectSettled(run, 'completed', 'v4');
    expect(run.batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    expect(run.phases.map(pulls)).toEqual([1, 2, 1]);
    expect(run.phases[1]).toEqual([
      ...['pulling', 'draining', 'starting'],
      ...['pulling', 'starting', 'health_checking', 'healthy', 'in_rotation'],
    ]);
  });

  it('after the new one started, while it is probed (event-driven: batch 2 health_checking; it listens after 1 s)', async () => {
    // No docker command follows `docker run` in the swap: the kill comes on the probe's event, and the new
    // version only listens 1 s after its start, so the worker is killed before its probe can pass.
    const run = await rollOutKilled(
      'after the start, during the probe',
      'v5-slow1',
      {},
      {
        on: (event) => instanceEvent(event, 2, web(2), 'health_checking'),
        note: 'batch 2 health_checking',
      },
    );
    await expectSettled(run, 'completed', 'v5-slow1');
    expect(run.batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    expect(run.phases.map(pulls)).toEqual([1, 2, 1]);
    expect(run.phases[1]).toEqual([
      ...['pulling', 'draining', 'starting', 'health_checking'],
      ...['pulling', 'starting', 'health_checking', 'healthy', 'in_rotation'],
    ]);
  });

  it('while putting it back into rotation (event-driven: batch 2 healthy)', async () => {
    const run = await rollOutKilled(
      'while putting back into rotation',
      'v6-slow1',
      {},
      { on: (event) => instanceEvent(event, 2, web(2), 'healthy'), note: 'batch 2 healthy' },
    );
    await expectSettled(run, 'completed', 'v6-slow1');
    expect(run.batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    expect(run.phases.map(pulls)).toEqual([1, 2, 1]);
    const second = defined(run.phases[1], 'the phases of web-2');
    expect(second.slice(0, 5)).toEqual(['pulling', 'draining', 'starting', 'health_checking', 'healthy']);
    expect(second.slice(-4)).toEqual(['starting', 'health_checking', 'healthy', 'in_rotation']);
  });

  it('during a batch restore (web-1: docker rename shop-previous shop)', async () => {
    const previous = current;
    const run = await rollOutKilled(
      'during a batch restore',
      'v7-broken',
      { maxHealthCheckRetries: 3, failureThreshold: 2, autoRollbackOnFailure: true },
      { hold: { host: 0, name: 'rename-shop-previous' } },
    );
    await expectSettled(run, 'rolled_back', previous);
    expect(run.deployment.previousTag).toBe(previous);
    // Batch 1 ran again after the kill and was restored; batch 2 failed too: the fleet rollback had nothing
    // left to do, and web-3 was never touched.
    expect(run.batches.map((b) => b.status)).toEqual(['rolled_back', 'rolled_back', 'pending']);
    expect(run.batches.map((b) => b.serverOutcomes)).toEqual([
      { [web(1)]: 'restored' },
      { [web(2)]: 'restored' },
      { [web(3)]: 'untouched' },
    ]);
    expect(run.phases.map(pulls)).toEqual([2, 1, 0]);
    expect(run.deployment.failureReason).toMatch(/^Rolled back after 2 consecutive failed batch\(es\)/);
  });

  it("during the fleet rollback, once web-1's previous container runs again and is recorded, before it is put back", async () => {
    const previous = current;
    // The previous version (v6-slow1) listens only 1 s after its start: the worker probes it that long, out
    // of rotation. `docker start shop` of the rollback is held, let go, and the kill comes as soon as the
    // database records web-1 back on the previous version (so during that probe, before the put back).
    const web2 = defined(appHosts[1], 'web-2');
    await fleet.reportMemAvailable(web2, 120);
    const restoredOnWeb1 = async () => {
      const instances = await stack.call<{ serverId: number; tag: string | null; inRotation: boolean }[]>(
        'GET',
        `/api/applications/${applicationId}/instances`,
      );
      const instance = instances.find((i) => i.serverId === web(1));
      return instance?.tag === previous && !instance.inRotation;
    };
    let run: KilledRollout;
    try {
      run = await rollOutKilled(
        'during the fleet rollback, restored but not yet back in rotation',
        'v8',
        { failureThreshold: 1, autoRollbackOnFailure: true },
        {
          hold: { host: 0, name: 'start-shop' },
          killWhen: { note: 'once web-1 is recorded on the previous version', ready: restoredOnWeb1 },
        },
      );
    } finally {
      await fleet.reportMemAvailable(web2, 64 * 1024);
    }
    await expectSettled(run, 'rolled_back', previous);
    expect(run.deployment.previousTag).toBe(previous);
    // The first worker never put web-1 back: its last steps on web-1 were the rollback's drain and restore.
    const resumedAt = run.timeline.findIndex((e) => e.phase === 'resumed');
    expect(resumedAt).toBeGreaterThan(0);
    const beforeKill = run.timeline.slice(0, resumedAt).filter((e) => e.serverId === web(1));
    expect(beforeKill.map((e) => e.phase).slice(-3)).toEqual(['in_rotation', 'draining', 'rolling_back']);
    expect(run.batches.map((b) => b.status)).toEqual(['rolled_back', 'failed', 'pending']);
    expect(run.phases.map(pulls)).toEqual([1, 0, 0]);
    expect(run.deployment.failureReason).toMatch(/^Rolled back after 1 consecutive failed batch\(es\)/);
  });

  it("during the fleet rollback (web-1, batch 1's server: docker rename shop-previous shop)", async () => {
    // The case before may have left web-1 out of rotation on the previous version: batch 1 puts it back.
    const previous = current;
    // Batch 2 fails before anything is touched (web-2 reports 120 MB free, 256 MB required): with
    // failureThreshold 1 the fleet rolls back, and only its restore of web-1 renames shop-previous.
    await fleet.reportMemAvailable(defined(appHosts[1], 'web-2'), 120);
    let run: KilledRollout;
    try {
      run = await rollOutKilled(
        'during the fleet rollback',
        'v8',
        { failureThreshold: 1, autoRollbackOnFailure: true },
        { hold: { host: 0, name: 'rename-shop-previous' } },
      );
    } finally {
      await fleet.reportMemAvailable(defined(appHosts[1], 'web-2'), 64 * 1024);
    }
    await expectSettled(run, 'rolled_back', previous);
    expect(run.deployment.previousTag).toBe(previous);
    // Batch 1 completed (web-1 updated and back in rotation) before the rollback began, and was not redone.
    const rollbackAt = run.timeline.findIndex((e) => e.phase === 'fleet_rollback');
    const web1BeforeRollback = run.timeline.slice(0, rollbackAt).filter((e) => e.serverId === web(1));
    expect(web1BeforeRollback.map((e) => e.phase).slice(-2)).toEqual(['healthy', 'in_rotation']);
    expect(run.batches[1]?.failureReason).toMatch(/web-2 has insufficient capacity/);
    expect(run.batches.map((b) => b.status)).toEqual(['rolled_back', 'failed', 'pending']);
    expect(run.batches[0]?.serverOutcomes).toEqual({ [web(1)]: 'restored' });
    expect(run.phases.map(pulls)).toEqual([1, 0, 0]);
    expect(run.phases[0]?.slice(-2)).toEqual(['in_rotation', 'rolled_back']);
    expect(run.deployment.failureReason).toMatch(/^Rolled back after 1 consecutive failed batch\(es\)/);
  });
});
