import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { AppConfig } from '../../../src/config/app-config';
import { DeploymentEntity } from '../../../src/deployments/deployment.entity';
import { ROLLING_UPDATE_JOB_OPTIONS } from '../../../src/infra/queue/bullmq-deployment.queue';
import {
  DEPLOYMENTS_QUEUE,
  ROLLING_UPDATE_JOB,
  deploymentJobId,
} from '../../../src/infra/queue/queue.constants';
import { bullmqOptions } from '../../../src/infra/queue/redis-options';
import { TypeormRolloutStore } from '../../../src/infra/persistence/typeorm-rollout-store';
import type { RollingUpdateStrategy } from '../../../src/rollout/engine/rolling-update.strategy';
import { RolloutProcessor, TEAM_SLOT_RETRY_DELAY_MS } from '../../../src/worker/rollout.processor';
import { deleteKeys } from '../../support/redis';
import { waitFor } from '../../support/wait';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Fixtures, TEST_APP_KEY } from '../support/fixtures';
import { testConfig, waitForJobState } from './test-redis';

jest.setTimeout(30_000);

/** Holds every run until released; records who ran alongside whom. */
class BlockingStrategy {
  readonly started: number[] = [];
  readonly running = new Set<number>();
  /** The deployments running when each one started. */
  readonly runningAtStart = new Map<number, number[]>();
  readonly abandoned: number[] = [];
  maxRunningOf = (ids: number[]) => this.peaks.get(ids.join()) ?? 0;
  private readonly peaks = new Map<string, number>();
  private readonly releases = new Map<number, () => void>();

  constructor(private readonly watched: number[]) {}

  async run(deploymentId: number): Promise<void> {
    this.runningAtStart.set(deploymentId, [...this.running]);
    this.started.push(deploymentId);
    this.running.add(deploymentId);
    const key = this.watched.join();
    const count = this.watched.filter((id) => this.running.has(id)).length;
    this.peaks.set(key, Math.max(this.peaks.get(key) ?? 0, count));
    await new Promise<void>((resolve) => this.releases.set(deploymentId, resolve));
    this.running.delete(deploymentId);
  }

  release(deploymentId: number): void {
    this.releases.get(deploymentId)?.();
  }

  abandon(deploymentId: number): Promise<void> {
    this.abandoned.push(deploymentId);
    return Promise.resolve();
  }
}

describe('TEAM_MAX_ACTIVE_ROLLOUTS: one team holds at most its share of a worker (BullMQ, Redis, Postgres)', () => {
  const config: AppConfig = { ...testConfig(), workerConcurrency: 4, teamMaxActiveRollouts: 2 };
  let db: TestDatabase;
  let queue: Queue;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    db = await createTestDatabase();
    queue = new Queue(DEPLOYMENTS_QUEUE, bullmqOptions(config));
  }, 30_000);

  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await deleteKeys(`${config.queuePrefix}:*`);
    await db?.drop();
  });

  /** A queued deployment of the team, on an application of its own (one active rollout per application). */
  async function queuedDeployment(fixtures: Fixtures, teamId: number): Promise<number> {
    const server = await fixtures.server(teamId);
    const app = await fixtures.application(teamId, [server.id]);
    return (await fixtures.deployment(app.id, { status: 'queued' })).id;
  }

  it('runs 2 of team A at once, B beside them, and A’s third once one of A’s finishes', async () => {
    const fixtures = new Fixtures(db.dataSource);
    const [teamA, teamB] = [await fixtures.team(), await fixtures.team()];
    const [a1, a2, a3] = [
      await queuedDeployment(fixtures, teamA.id),
      await queuedDeployment(fixtures, teamA.id),
      await queuedDeployment(fixtures, teamA.id),
    ];
    const b1 = await queuedDeployment(fixtures, teamB.id);

    const strategy = new BlockingStrategy([a1, a2, a3]);
    const store = new TypeormRolloutStore(db.dataSource, { ...config, appKey: TEST_APP_KEY });
    const processor = new RolloutProcessor(strategy as unknown as RollingUpdateStrategy, store, config);
    processor.onApplicationBootstrap();
    try {
      for (const id of [a1, a2, a3, b1]) {
        // a3's payload claims team B: the team is read from the database, so it changes nothing
        const data = id === a3 ? { deploymentId: id, teamId: teamB.id } : { deploymentId: id };
        await queue.add(ROLLING_UPDATE_JOB, data, {
          ...ROLLING_UPDATE_JOB_OPTIONS,
          jobId: deploymentJobId(id),
        });
      }

      await waitFor('A1, A2 and B1 to run', () =>
        [a1, a2, b1].every((id) => strategy.running.has(id)) ? true : undefined,
      );
      await waitFor('A3 to be put back', async () =>
        (await queue.getJobState(deploymentJobId(a3))) === 'delayed' ? true : undefined,
      );
      const delayed = await queue.getJob(deploymentJobId(a3));
      expect(delayed?.attemptsMade).toBe(0);

      // A3 keeps being put back while A1 and A2 hold the team's 2 slots (several retry delays)
      await new Promise((resolve) => setTimeout(resolve, 2.5 * TEAM_SLOT_RETRY_DELAY_MS));
      expect(strategy.started).not.toContain(a3);
      expect(processor.teamSlots.heldBy(teamA.id)).toBe(2);
      // B did not wait for A: it started while A's two ran (or before them)
      expect(strategy.started.indexOf(b1)).toBeLessThan(3);

      strategy.release(a1);
      await waitFor('A3 to run once A1 finished', () => (strategy.running.has(a3) ? true : undefined), 5000);
      expect(strategy.runningAtStart.get(a3)).toEqual(expect.arrayContaining([a2, b1]));
      expect(strategy.runningAtStart.get(a3)).not.toContain(a1);
      expect(strategy.maxRunningOf([a1, a2, a3])).toBe(2);

      for (const id of [a2, a3, b1]) strategy.release(id);
      const done = await waitForJobState(queue, deploymentJobId(a3), 'completed');
      // every put-back cost no attempt; nothing failed, nothing was abandoned
      expect(done.attemptsMade).toBe(1);
      expect(strategy.started.filter((id) => id === a3)).toHaveLength(1);
      expect(strategy.abandoned).toEqual([]);
      const row = await db.dataSource.getRepository(DeploymentEntity).findOneByOrFail({ id: a3 });
      expect(row.status).toBe('queued');
      expect(processor.teamSlots.heldBy(teamA.id)).toBe(0);
    } finally {
      for (const id of [a1, a2, a3, b1]) strategy.release(id);
      await processor.beforeApplicationShutdown();
    }
  });
});
