import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type Job, Queue, Worker } from 'bullmq';
import { AppConfig } from '../../../src/config/app-config';
import { AppConfigModule } from '../../../src/config/config.module';
import { DeploymentQueue } from '../../../src/deployments/deployment-queue.port';
import { DEPLOYMENTS_QUEUE } from '../../../src/infra/queue/queue.constants';
import { QueueModule } from '../../../src/infra/queue/queue.module';
import { RolloutStore } from '../../../src/rollout/ports';
import { RollingUpdateStrategy } from '../../../src/rollout/engine/rolling-update.strategy';
import { RolloutProcessor, rolloutWorkerOptions } from '../../../src/worker/rollout.processor';
import { testConfig, waitForJobState } from './test-redis';
import { defined } from '../../support/defined';
import { waitFor } from '../../support/wait';
import { deleteKeys } from '../../support/redis';

jest.setTimeout(30_000);

/** Records the deployments it was asked to run and abandon; `block` holds a run, `failWith` fails it. */
class FakeStrategy {
  readonly runs: number[] = [];
  readonly abandoned: Array<[number, string]> = [];
  block: Promise<void> | null = null;
  failWith: string | null = null;

  async run(deploymentId: number): Promise<void> {
    this.runs.push(deploymentId);
    if (this.block) await this.block;
    if (this.failWith) throw new Error(this.failWith);
  }

  abandon(deploymentId: number, reason: string): Promise<void> {
    this.abandoned.push([deploymentId, reason]);
    return Promise.resolve();
  }
}

/** Every deployment belongs to one team (the team limits are tested in team-slots.spec.ts). */
const oneTeam = { teamOf: () => Promise.resolve(1) } as unknown as RolloutStore;

describe('deployments queue (BullMQ, real Redis)', () => {
  const config = testConfig();
  let producer: INestApplicationContext;
  let deployments: DeploymentQueue;
  let queue: Queue;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppConfigModule, QueueModule] })
      .overrideProvider(AppConfig)
      .useValue(config)
      .compile();
    moduleRef.useLogger(false);
    producer = await moduleRef.init();
    deployments = producer.get(DeploymentQueue);
    queue = producer.get<Queue>(getQueueToken(DEPLOYMENTS_QUEUE));
  });

  afterAll(async () => {
    await producer?.close();
    await deleteKeys(`${config.queuePrefix}:*`);
  });

  afterEach(async () => {
    await queue.obliterate({ force: true });
  });

  it('enqueues only the deployment id, one job per deployment, under the configured prefix', async () => {
    await deployments.enqueue(7);
    await deployments.enqueue(7);

    const jobs = await queue.getJobs(['waiting', 'active', 'delayed']);
    expect(jobs).toHaveLength(1);
    const job = defined(jobs[0], 'the enqueued job');
    expect(job).toMatchObject({ id: 'deployment-7', name: 'rolling-update', data: { deploymentId: 7 } });
    expect(Object.keys(job.data as object)).toEqual(['deploymentId']);
    expect(job.opts).toMatchObject({ attempts: 3 });
    expect(job.opts.removeOnComplete).toBeTruthy();
    expect(job.opts.removeOnFail).toBeTruthy();
    expect(queue.opts.prefix).toBe(config.queuePrefix);
  });

  describe('with the RolloutProcessor', () => {
    let worker: INestApplicationContext;
    const strategy = new FakeStrategy();

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [AppConfigModule, QueueModule],
        providers: [
          RolloutProcessor,
          { provide: RollingUpdateStrategy, useValue: strategy },
          { provide: RolloutStore, useValue: oneTeam },
        ],
      })
        .overrideProvider(AppConfig)
        .useValue({ ...config, workerConcurrency: 2 })
        .compile();
      moduleRef.useLogger(false);
      worker = await moduleRef.init();
    });

    afterAll(async () => {
      await worker?.close();
    });

    beforeEach(() => {
      strategy.runs.length = 0;
      strategy.abandoned.length = 0;
      strategy.block = null;
      strategy.failWith = null;
    });

    it('runs the strategy for the job with the configured concurrency', async () => {
      await deployments.enqueue(11);
      const job = await waitForJobState(queue, 'deployment-11', 'completed');

      expect(strategy.runs).toEqual([11]);
      expect(job.attemptsMade).toBe(1);
      expect(worker.get(RolloutProcessor).worker.concurrency).toBe(2);
    });

    it('runs a deployment again when it is enqueued after its job finished (e.g. a resume)', async () => {
      await deployments.enqueue(12);
      await waitFor('the first run', () => (strategy.runs.length === 1 ? true : undefined));
      await waitFor('finish', async () =>
        (await queue.getJob('deployment-12'))?.finishedOn ? true : undefined,
      );
      await deployments.enqueue(12);
      await waitFor('the second run', () => (strategy.runs.length === 2 ? true : undefined));

      expect(strategy.runs).toEqual([12, 12]);
    });

    it('fails a job with a malformed payload without calling the strategy', async () => {
      await queue.add('rolling-update', { deploymentId: 'seven' }, { jobId: 'malformed' });
      const job = await waitForJobState(queue, 'malformed', 'failed');

      expect(job.failedReason).toMatch(/invalid rolling-update job payload/);
      expect(strategy.runs).toEqual([]);
    });

    it('marks the deployment failed through the strategy once the last attempt has failed', async () => {
      strategy.failWith = 'Postgres went away';
      await queue.add('rolling-update', { deploymentId: 14 }, { jobId: 'deployment-14', attempts: 2 });
      await waitForJobState(queue, 'deployment-14', 'failed');
      await waitFor('the abandon call', () => (strategy.abandoned.length > 0 ? true : undefined));

      expect(strategy.runs).toEqual([14, 14]);
      expect(strategy.abandoned).toEqual([[14, 'Postgres went away']]);
    });

    it('waits for the active job when the worker closes', async () => {
      let release!: () => void;
      strategy.block = new Promise((resolve) => (release = resolve));
      await deployments.enqueue(13);
      await waitFor('the run to start', () => (strategy.runs.length === 1 ? true : undefined));

      let closed = false;
      const closing = worker
        .get(RolloutProcessor)
        .worker.close()
        .then(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(closed).toBe(false);
      release();
      await closing;

      expect(await (await queue.getJob('deployment-13'))?.isCompleted()).toBe(true);
    });
  });

  it('hands the job of a worker that died mid-run to another worker, which resumes it', async () => {
    // WORKER_LOCK_DURATION_MS of 1 s stands in for the production 30 s so the test need not wait for it.
    const fastConfig = { ...config, workerLockDurationMs: 1_000 };
    let startedOnFirst!: (job: Job) => void;
    const firstStarted = new Promise<Job>((resolve) => (startedOnFirst = resolve));
    const dying = new Worker(
      DEPLOYMENTS_QUEUE,
      (job) => {
        startedOnFirst(job);
        return new Promise(() => undefined);
      },
      { ...rolloutWorkerOptions(fastConfig), autorun: true },
    );

    await deployments.enqueue(21);
    await firstStarted;
    await dying.close(true);

    const strategy = new FakeStrategy();
    const survivor = new RolloutProcessor(strategy as unknown as RollingUpdateStrategy, oneTeam, fastConfig);
    expect(survivor.worker.opts).toMatchObject({ lockDuration: 1_000, stalledInterval: 500 });
    survivor.onApplicationBootstrap();
    try {
      const job = await waitForJobState(queue, 'deployment-21', 'completed');

      expect(strategy.runs).toEqual([21]);
      expect(job.stalledCounter).toBe(1);
    } finally {
      await survivor.beforeApplicationShutdown();
    }
  });
});
