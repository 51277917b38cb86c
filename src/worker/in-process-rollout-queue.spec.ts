import type { AppConfig } from '../config/app-config';
import type { ResumableDeployments } from '../infra/persistence/resumable-deployments';
import type { RolloutStore } from '../rollout/ports';
import type { RollingUpdateStrategy } from '../rollout/engine/rolling-update.strategy';
import { InProcessRolloutQueue } from './in-process-rollout-queue';

/** A strategy whose runs stay open until the test settles them; it records every run and abandon. */
class HeldStrategy {
  readonly runs: number[] = [];
  readonly abandoned: { id: number; error: string }[] = [];
  private readonly open = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  run(id: number): Promise<void> {
    this.runs.push(id);
    return new Promise((resolve, reject) => this.open.set(id, { resolve, reject }));
  }

  abandon(id: number, error: string): Promise<void> {
    this.abandoned.push({ id, error });
    return Promise.resolve();
  }

  finish(id: number): void {
    this.open.get(id)?.resolve();
    this.open.delete(id);
  }

  fail(id: number, message: string): void {
    this.open.get(id)?.reject(new Error(message));
    this.open.delete(id);
  }

  running(): number[] {
    return [...this.open.keys()];
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function queueWith(options: {
  teams?: Record<number, number>;
  resumable?: number[];
  concurrency?: number;
  teamLimit?: number;
}) {
  const strategy = new HeldStrategy();
  const store = {
    teamOf: (id: number) => Promise.resolve(options.teams?.[id] ?? 1),
  } as unknown as RolloutStore;
  const resumable = {
    ids: () => Promise.resolve(options.resumable ?? []),
  } as unknown as ResumableDeployments;
  const config = {
    workerConcurrency: options.concurrency ?? 4,
    teamMaxActiveRollouts: options.teamLimit ?? 2,
  } as AppConfig;
  const queue = new InProcessRolloutQueue(
    strategy as unknown as RollingUpdateStrategy,
    store,
    resumable,
    config,
  );
  return { queue, strategy };
}

describe('InProcessRolloutQueue', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] }));
  afterEach(() => jest.useRealTimers());

  it('resumes every deployment left queued or in progress at start, through the strategy', async () => {
    const { queue, strategy } = queueWith({ resumable: [3, 5] });
    await queue.onApplicationBootstrap();
    await settle();
    expect(strategy.runs).toEqual([3, 5]);
  });

  it('runs a deployment once while it waits or runs, and once more when enqueued again while running', async () => {
    const { queue, strategy } = queueWith({});
    await queue.enqueue(7);
    await queue.enqueue(7);
    await settle();
    expect(strategy.runs).toEqual([7]);
    // e.g. resumed right after it paused, while its run was still returning
    await queue.enqueue(7);
    strategy.finish(7);
    await settle();
    await settle();
    expect(strategy.runs).toEqual([7, 7]);
  });

  it('keeps to WORKER_CONCURRENCY and to the team limit, letting other teams through', async () => {
    const { queue, strategy } = queueWith({
      teams: { 1: 1, 2: 1, 3: 1, 4: 2 },
      concurrency: 3,
      teamLimit: 2,
    });
    for (const id of [1, 2, 3, 4]) await queue.enqueue(id);
    await settle();
    await settle();
    // Team 1 holds two slots; its third deployment waits a second and asks again; team 2 runs.
    expect(strategy.running().sort()).toEqual([1, 2, 4]);
    expect(await queue.depth()).toMatchObject({ active: 3, delayed: 1 });
    strategy.finish(1);
    await settle();
    jest.advanceTimersByTime(1000);
    await settle();
    await settle();
    expect(strategy.running().sort()).toEqual([2, 3, 4]);
  });

  it('retries a failed run after 10 s and 20 s, then abandons it with the error', async () => {
    const { queue, strategy } = queueWith({});
    await queue.enqueue(9);
    await settle();
    strategy.fail(9, 'database unreachable');
    await settle();
    jest.advanceTimersByTime(9_999);
    await settle();
    expect(strategy.runs).toEqual([9]);
    jest.advanceTimersByTime(1);
    await settle();
    await settle();
    expect(strategy.runs).toEqual([9, 9]);
    strategy.fail(9, 'database unreachable');
    await settle();
    jest.advanceTimersByTime(20_000);
    await settle();
    await settle();
    strategy.fail(9, 'still unreachable');
    await settle();
    await settle();
    expect(strategy.runs).toEqual([9, 9, 9]);
    expect(strategy.abandoned).toEqual([{ id: 9, error: 'still unreachable' }]);
    expect(await queue.depth()).toMatchObject({ failed: 1, active: 0, waiting: 0, delayed: 0 });
  });

  it('on shutdown takes nothing new and waits for the running rollouts', async () => {
    const { queue, strategy } = queueWith({ concurrency: 1 });
    await queue.enqueue(1);
    await queue.enqueue(2);
    await settle();
    let closed = false;
    const closing = queue.beforeApplicationShutdown().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    strategy.finish(1);
    await closing;
    await settle();
    expect(strategy.runs).toEqual([1]);
  });
});
