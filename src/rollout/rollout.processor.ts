import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Job, Worker, type WorkerOptions } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { DEPLOYMENTS_QUEUE, parseRollingUpdateJobData } from '../infra/queue/queue.constants';
import { bullmqOptions } from '../infra/queue/redis-options';
import { RollingUpdateStrategy } from './rolling-update.strategy';

/**
 * A rollout is async I/O, so the lock (renewed every lockDuration / 2) only lapses when the process dies
 * or hangs; then another worker's stalled check (every lockDuration / 2) moves the job back to waiting and
 * the strategy resumes from Postgres. maxStalledCount 2 survives two crashes in a row before the job fails.
 */
export function rolloutWorkerOptions(config: AppConfig): WorkerOptions {
  return {
    ...bullmqOptions(config),
    autorun: false,
    concurrency: config.workerConcurrency,
    lockDuration: config.workerLockDurationMs,
    stalledInterval: Math.ceil(config.workerLockDurationMs / 2),
    maxStalledCount: 2,
  };
}

/**
 * Thin adapter from a `deployments` job to the strategy. Registered only in the worker process. It builds
 * its BullMQ Worker itself because the lock timings come from the configuration, which @nestjs/bullmq's
 * static `@Processor` options cannot read.
 */
@Injectable()
export class RolloutProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RolloutProcessor.name);
  readonly worker: Worker;

  constructor(
    private readonly strategy: RollingUpdateStrategy,
    config: AppConfig,
  ) {
    this.worker = new Worker(DEPLOYMENTS_QUEUE, (job) => this.process(job), rolloutWorkerOptions(config));
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    this.worker.on('stalled', (jobId) =>
      this.logger.warn({ jobId }, 'rollout job stalled; it will be resumed'),
    );
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'worker error'));
  }

  async process(job: Job): Promise<void> {
    const { deploymentId } = parseRollingUpdateJobData(job.data);
    this.logger.log({ deploymentId, jobId: job.id, attempt: job.attemptsMade + 1 }, 'rollout started');
    await this.strategy.run(deploymentId);
  }

  /** Started once the application is up, so no job runs before every provider is ready. */
  onApplicationBootstrap(): void {
    this.worker.run().catch((error: unknown) => this.logger.error({ err: error }, 'worker stopped'));
  }

  /**
   * Runs before Postgres and Redis clients close: stop taking jobs and wait for the active ones. If the
   * process is killed first, the jobs stall and another worker resumes them.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  private async onFailed(job: Job | undefined, error: Error): Promise<void> {
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
}
