import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DelayedError, type Job, WaitingError, Worker, type WorkerOptions } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { DEPLOYMENTS_QUEUE, parseRollingUpdateJobData } from '../infra/queue/queue.constants';
import { bullmqOptions } from '../infra/queue/redis-options';
import { TeamSlots } from '../infra/queue/team-slots';
import { RolloutStore } from '../rollout/ports';
import { RollingUpdateStrategy } from '../rollout/engine/rolling-update.strategy';

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

/** How long a job of a team at its TEAM_MAX_ACTIVE_ROLLOUTS waits before it asks for a slot again. */
export const TEAM_SLOT_RETRY_DELAY_MS = 1000;

/**
 * Thin adapter from a `deployments` job to the strategy. Registered only in the worker process. It builds
 * its BullMQ Worker itself because the lock timings come from the configuration, which @nestjs/bullmq's
 * static `@Processor` options cannot read.
 */
@Injectable()
export class RolloutProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RolloutProcessor.name);
  readonly worker: Worker;
  readonly teamSlots: TeamSlots;
  /** Aborted at shutdown: running rollouts stop after their current step and go back to the queue. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly strategy: RollingUpdateStrategy,
    private readonly store: RolloutStore,
    config: AppConfig,
  ) {
    this.teamSlots = new TeamSlots(config.teamMaxActiveRollouts);
    this.worker = new Worker(
      DEPLOYMENTS_QUEUE,
      (job, token) => this.process(job, token),
      rolloutWorkerOptions(config),
    );
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    this.worker.on('stalled', (jobId) =>
      this.logger.warn({ jobId }, 'rollout job stalled; it will be resumed'),
    );
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'worker error'));
  }

  async process(job: Job, token?: string): Promise<void> {
    const { deploymentId } = parseRollingUpdateJobData(job.data);
    // The team is read from the database: the payload carries only the deployment id.
    const teamId = await this.store.teamOf(deploymentId);
    if (teamId !== null && !this.teamSlots.tryAcquire(teamId)) {
      // Back to the queue for a while: moveToDelayed uses no attempt, DelayedError is neither a failure nor a
      // completion, and the strategy has not run, so the deployment stays as it was (`queued`).
      this.logger.debug({ deploymentId, jobId: job.id, teamId }, 'team at its rollout limit; job delayed');
      await job.moveToDelayed(Date.now() + TEAM_SLOT_RETRY_DELAY_MS, token);
      throw new DelayedError();
    }
    try {
      this.logger.log({ deploymentId, jobId: job.id, attempt: job.attemptsMade + 1 }, 'rollout started');
      const end = await this.strategy.run(deploymentId, this.stopping.signal);
      if (end === 'fenced') {
        // Its lock had lapsed and another worker holds the job now: leave it to that one.
        this.logger.warn(
          { deploymentId, jobId: job.id },
          'rollout taken over by another worker; stopped here',
        );
        return;
      }
      if (end === 'handed_off') {
        // Back to waiting at once, its lock released: another worker takes it now, not once the lock expires.
        this.logger.log({ deploymentId, jobId: job.id }, 'rollout handed off: this worker is shutting down');
        await job.moveToWait(token);
        throw new WaitingError();
      }
    } finally {
      if (teamId !== null) this.teamSlots.release(teamId);
    }
  }

  /** Started once the application is up, so no job runs before every provider is ready. */
  onApplicationBootstrap(): void {
    this.worker.run().catch((error: unknown) => this.logger.error({ err: error }, 'worker stopped'));
  }

  /**
   * Runs before Postgres and Redis clients close: stop taking jobs; each running rollout finishes the step
   * it is in (a batch, or cuts the wait before the next one), notes where it stopped and goes back to the
   * queue for another worker. If the process is killed first, the jobs stall and another worker resumes
   * them once their lock expires.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
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
