import type { Fleet } from '../fleet/fleet';
import { countersSince, type RunningHaproxy } from '../fleet/load-balancers';
import { startLoad } from '../fleet/load';
import { defined } from '../support/defined';
import {
  IMAGE,
  phasesOf,
  ReceivedEvent,
  report,
  rollOut,
  servedTag,
  startHaproxyShop,
  underHaproxyLoad,
  type HaproxyShop,
} from './support/scenario';
import type { Stack } from './support/stack';

jest.setTimeout(300_000);

describe('a worker killed or stopped in the middle of a batch', () => {
  let shop: HaproxyShop;
  let stack: Stack;
  let fleet: Fleet;
  let haproxy: RunningHaproxy;
  let serverIds: number[];
  let applicationId: number;

  beforeAll(async () => {
    shop = await startHaproxyShop({
      addressPrefix: '127.0.33.',
      appHosts: 3,
      drainSeconds: 1,
      deployed: 'v1',
    });
    ({ stack, fleet, haproxy, serverIds, applicationId } = shop);
  });

  afterAll(async () => {
    await shop?.stop();
  });

  it('is replaced, and the rollout resumes without redoing a batch or leaving a server out of rotation', async () => {
    const load = startLoad({ url: `${haproxy.url}/`, concurrency: 4, keepAlive: true });
    await load.waitForOk(50);
    const errorsBefore = await haproxy.errorCounters();
    // Set from the event callback, so held in an object: TypeScript would narrow a `let` to its initial null.
    const crash: { restarted: Promise<void> | null } = { restarted: null };
    const killDuringSecondBatch = (event: ReceivedEvent) => {
      if (crash.restarted || event.name !== 'instance.updated') return;
      if (event.payload.batchNumber === 2 && event.payload.phase === 'starting') {
        crash.restarted = stack.restartWorker('SIGKILL');
      }
    };
    const { deployment, batches, events, durationMs } = await rollOut(
      stack,
      applicationId,
      'v2',
      { batchSize: 1, batchSizeIsPercentage: false, minimumHealthyInstances: 1 },
      180_000,
      killDuringSecondBatch,
    );
    await crash.restarted;
    const traffic = await load.stop();
    const haproxyErrors = countersSince(errorsBefore, await haproxy.errorCounters());
    report('worker SIGKILL mid-batch', { ...traffic, rolloutMs: durationMs, haproxyErrors });

    expect(crash.restarted).not.toBeNull();
    expect(deployment).toMatchObject({ status: 'completed', completedBatches: 3, failedBatches: 0 });
    expect(batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    // The takeover is visible: counted on the deployment, and a note naming both workers.
    expect(deployment.resumeCount).toBe(1);
    expect(deployment.lastResumedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    const timeline = await stack.call<{ phase: string; message: string }[]>(
      'GET',
      `/api/deployments/${deployment.id}/events?afterId=0`,
    );
    expect(timeline.filter((e) => e.phase === 'resumed').map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^Worker \S+#\d+ took over the rollout from worker \S+#\d+; continuing from the database \(resume 1\)$/,
      ),
    ]);
    // batch 1 ran once; batch 2 ran again from its start after the crash
    const [first, second] = [
      defined(serverIds[0], 'the id of web-1'),
      defined(serverIds[1], 'the id of web-2'),
    ];
    expect(phasesOf(events, first).filter((p) => p === 'pulling')).toHaveLength(1);
    expect(phasesOf(events, second).filter((p) => p === 'pulling')).toHaveLength(2);
    for (const host of fleet.hosts.slice(0, 3)) expect(await servedTag(host)).toBe('v2');
    const states = (await haproxy.showStat()).filter(
      (r) => r.pxname === 'shop' && r.svname.startsWith('web-'),
    );
    expect(states.map((r) => r.status)).toEqual(Array(3).fill('no check'));
    for (const host of fleet.hosts.slice(0, 3)) {
      const containers = await fleet.runningContainers(host);
      expect(containers.map((c) => c.image)).toEqual([`${IMAGE}:v2`]);
    }
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
  });

  it('on SIGTERM finishes its batch, hands the job back at once and another worker goes on from the next one', async () => {
    const shutdown: { done: Promise<void> | null; stateAfterExit: string | null; exitMs: number } = {
      done: null,
      stateAfterExit: null,
      exitMs: 0,
    };
    let deploymentId = 0;
    const stopDuringSecondBatch = (event: ReceivedEvent) => {
      if (event.name === 'deployment.updated') deploymentId = Number(event.payload.id);
      if (shutdown.done || event.name !== 'instance.updated') return;
      if (event.payload.batchNumber === 2 && event.payload.phase === 'starting') {
        shutdown.done = (async () => {
          const started = Date.now();
          await stack.stopWorker('SIGTERM');
          shutdown.exitMs = Date.now() - started;
          // Before any other worker runs: the job must already be back in the queue, not locked.
          shutdown.stateAfterExit = await stack.jobState(deploymentId);
          stack.startWorker();
        })();
      }
    };
    const { result, traffic, haproxyErrors } = await underHaproxyLoad(
      haproxy,
      'worker SIGTERM mid-batch',
      () =>
        rollOut(
          stack,
          applicationId,
          'v3',
          { batchSize: 1, batchSizeIsPercentage: false, minimumHealthyInstances: 1, waitInterval: 1 },
          180_000,
          stopDuringSecondBatch,
        ),
    );
    await shutdown.done;
    const { deployment, batches, events } = result;
    report('worker SIGTERM: exit and job state', { exitMs: shutdown.exitMs, state: shutdown.stateAfterExit });

    expect(shutdown.done).not.toBeNull();
    expect(shutdown.stateAfterExit).toBe('waiting');
    expect(deployment).toMatchObject({ status: 'completed', completedBatches: 3, resumeCount: 1 });
    expect(batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    // The stopping worker finished batch 2 itself: nothing was pulled twice.
    for (const id of serverIds) expect(phasesOf(events, id).filter((p) => p === 'pulling')).toHaveLength(1);
    const timeline = await stack.call<{ phase: string; message: string }[]>(
      'GET',
      `/api/deployments/${deployment.id}/events?afterId=0`,
    );
    const notes = timeline.filter((e) => ['handed_off', 'resumed'].includes(e.phase));
    expect(notes.map((e) => [e.phase, e.message])).toEqual([
      [
        'handed_off',
        expect.stringMatching(
          /^Worker \S+#\d+ is shutting down: stopped before batch 3; another worker continues/,
        ),
      ],
      ['resumed', expect.stringMatching(/^Worker \S+#\d+ took over the rollout from worker \S+#\d+;/)],
    ]);
    for (const host of fleet.hosts.slice(0, 3)) expect(await servedTag(host)).toBe('v3');
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
  });

  it('when only slow (its lock lapsed), is fenced off by the worker that took over and does nothing twice', async () => {
    const race: { paused: boolean; resumed: boolean } = { paused: false, resumed: false };
    const freezeDuringSecondProbe = (event: ReceivedEvent) => {
      const { payload } = event;
      if (!race.paused && event.name === 'instance.updated' && payload.batchNumber === 2) {
        if (payload.phase !== 'health_checking') return;
        race.paused = true;
        stack.signalWorker('SIGSTOP');
        stack.startSecondWorker();
      } else if (race.paused && !race.resumed && event.name === 'deployment.updated') {
        if (payload.resumeCount !== 1) return;
        // The second worker has claimed the rollout: the first wakes up in the middle of its probe.
        race.resumed = true;
        stack.signalWorker('SIGCONT');
      }
    };
    const { result, traffic, haproxyErrors } = await underHaproxyLoad(haproxy, 'two workers racing', () =>
      rollOut(
        stack,
        applicationId,
        'v4-slow3',
        { batchSize: 1, batchSizeIsPercentage: false, minimumHealthyInstances: 1 },
        180_000,
        freezeDuringSecondProbe,
      ),
    );
    const { deployment, batches, events } = result;
    expect(race).toEqual({ paused: true, resumed: true });
    expect(deployment).toMatchObject({ status: 'completed', completedBatches: 3, resumeCount: 1 });
    expect(batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed']);
    const [first, second, third] = serverIds.map((id) => phasesOf(events, id));
    const count = (phases: string[] | undefined, phase: string) => phases?.filter((p) => p === phase).length;
    // Batch 2 ran again under the second worker; the first, fenced, never recorded its result nor went on.
    expect(count(first, 'pulling')).toBe(1);
    expect(count(second, 'pulling')).toBe(2);
    expect(count(second, 'healthy')).toBe(1);
    expect(count(second, 'in_rotation')).toBe(1);
    expect(count(third, 'pulling')).toBe(1);
    for (const host of fleet.hosts.slice(0, 3)) {
      expect((await fleet.runningContainers(host)).map((c) => c.image)).toEqual([`${IMAGE}:v4-slow3`]);
    }
    expect(stack.logs()).toContain('rollout taken over by another worker; stopped here');
    expect(traffic.failed).toBe(0);
    expect(haproxyErrors).toEqual({ econ: 0, eresp: 0, wretr: 0, wredis: 0 });
  });
});
