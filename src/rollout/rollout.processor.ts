import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job, WorkerOptions } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { DEPLOYMENTS_QUEUE, parseRollingUpdateJobData } from '../infra/queue/queue.constants';
import { RollingUpdateStrategy } from './rolling-update.strategy';

/**
 * A rollout is async I/O, so the lock (renewed every lockDuration / 2) only lapses when the process
 * dies or hangs; then another worker's stalled check moves the job back to waiting and the strategy
 * resumes from Postgres. maxStalledCount 2 survives two crashes in a row before the job fails.
 */
export const ROLLOUT_WORKER_OPTIONS = {
  autorun: false,
  lockDuration: 30_000,
  stalledInterval: 15_000,
  maxStalledCount: 2,
} satisfies Partial<WorkerOptions>;

/** Thin adapter from a `deployments` job to the strategy. Registered only in the worker process. */
@Processor(DEPLOYMENTS_QUEUE, ROLLOUT_WORKER_OPTIONS)
export class RolloutProcessor
  extends WorkerHost
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(RolloutProcessor.name);

  constructor(
    private readonly strategy: RollingUpdateStrategy,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async process(job: Job): Promise<void> {
    const { deploymentId } = parseRollingUpdateJobData(job.data);
    this.logger.log({ deploymentId, jobId: job.id, attempt: job.attemptsMade + 1 }, 'rollout started');
    await this.strategy.run(deploymentId);
  }

  /** Started here, not by autorun, so the concurrency comes from the config. */
  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.workerConcurrency;
    this.worker.run().catch((error: unknown) => this.logger.error({ err: error }, 'worker stopped'));
  }

  /**
   * Runs before Postgres and Redis clients close: stop taking jobs and wait for the active ones. If the
   * process is killed first, the jobs stall and another worker resumes them.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job | undefined, error: Error): Promise<void> {
    this.logger.error({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: error }, 'rollout job failed');
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const deploymentId = (job.data as { deploymentId?: unknown }).deploymentId;
    if (typeof deploymentId !== 'number') return;
    await this.strategy
      .abandon(deploymentId, error.message)
      .catch((err: unknown) =>
        this.logger.error({ deploymentId, err }, 'could not mark the deployment failed'),
      );
  }

  @OnWorkerEvent('stalled')
  onStalled(jobId: string): void {
    this.logger.warn({ jobId }, 'rollout job stalled; it will be resumed');
  }
}
