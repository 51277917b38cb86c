import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DeploymentQueue } from '../deployments/deployment-queue.port';
import { ResumableDeployments } from '../infra/persistence/resumable-deployments';
import type { QueueDepth, QueueInspector } from '../infra/queue/queue-inspector';
import { ROLLING_UPDATE_JOB_OPTIONS } from '../infra/queue/bullmq-deployment.queue';
import { TeamSlots } from '../infra/queue/team-slots';
import { TEAM_SLOT_RETRY_DELAY_MS } from './rollout.processor';
import { RolloutStore } from '../rollout/ports';
import { RollingUpdateStrategy } from '../rollout/engine/rolling-update.strategy';

/** The BullMQ job's retry policy (ROLLING_UPDATE_JOB_OPTIONS), so both queues give a rollout the same chances. */
const ATTEMPTS = ROLLING_UPDATE_JOB_OPTIONS.attempts ?? 1;
const BACKOFF_MS =
  typeof ROLLING_UPDATE_JOB_OPTIONS.backoff === 'object'
    ? (ROLLING_UPDATE_JOB_OPTIONS.backoff.delay ?? 0)
    : 0;

/**
 * The deployments queue of `npm start` without Redis: the API and the worker share this process, so
 * enqueuing hands the id straight to the strategy, with the BullMQ worker's rules (WORKER_CONCURRENCY,
 * team slots, retries that resume from Postgres, `abandon` after the last attempt). Postgres stays the
 * only source of truth: nothing here survives a restart, and at start every deployment left `queued` or
 * `in_progress` is resumed through the same `strategy.run` the BullMQ worker calls.
 */
@Injectable()
export class InProcessRolloutQueue
  extends DeploymentQueue
  implements QueueInspector, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('InProcessQueue');
  private readonly waiting: number[] = [];
  private readonly delayed = new Map<number, NodeJS.Timeout>();
  private readonly active = new Map<number, Promise<void>>();
  private readonly attemptsMade = new Map<number, number>();
  /** Enqueued again while running (e.g. resumed right after it paused): run once more when it returns. */
  private readonly runAgain = new Set<number>();
  private readonly teamSlots: TeamSlots;
  private readonly concurrency: number;
  private failed = 0;
  private closing = false;
  /** Aborted at shutdown: running rollouts stop after their current step; the next start resumes them. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly strategy: RollingUpdateStrategy,
    private readonly store: RolloutStore,
    private readonly resumable: ResumableDeployments,
    config: AppConfig,
  ) {
    super();
    this.teamSlots = new TeamSlots(config.teamMaxActiveRollouts);
    this.concurrency = config.workerConcurrency;
  }

  enqueue(deploymentId: number): Promise<void> {
    // Like a BullMQ job id: a deployment already waiting or running is not queued twice.
    if (this.active.has(deploymentId)) this.runAgain.add(deploymentId);
    else if (!this.isKnown(deploymentId)) {
      this.waiting.push(deploymentId);
      this.pump();
    }
    return Promise.resolve();
  }

  depth(): Promise<QueueDepth> {
    return Promise.resolve({
      waiting: this.waiting.length,
      active: this.active.size,
      delayed: this.delayed.size,
      failed: this.failed,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const ids = await this.resumable.ids();
    if (ids.length > 0)
      this.logger.log({ deploymentIds: ids }, 'resuming deployments left queued or in progress');
    for (const id of ids) await this.enqueue(id);
  }

  /**
   * Takes nothing new; the running rollouts finish the step they are in and stop there, to resume at the
   * next start (as they do when killed first).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.stopping.abort();
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    if (this.active.size > 0) {
      this.logger.warn(
        { deploymentIds: [...this.active.keys()] },
        'waiting for the running rollouts to finish their current step (a second signal stops at once; they resume at the next start)',
      );
    }
    await Promise.allSettled(this.active.values());
  }

  private isKnown(deploymentId: number): boolean {
    return (
      this.waiting.includes(deploymentId) || this.delayed.has(deploymentId) || this.active.has(deploymentId)
    );
  }

  private pump(): void {
    while (!this.closing && this.active.size < this.concurrency) {
      const deploymentId = this.waiting.shift();
      if (deploymentId === undefined) return;
      const run = this.runOnce(deploymentId).finally(() => {
        this.active.delete(deploymentId);
        if (this.runAgain.delete(deploymentId) && !this.isKnown(deploymentId))
          this.waiting.push(deploymentId);
        this.pump();
      });
      this.active.set(deploymentId, run);
    }
  }

  private async runOnce(deploymentId: number): Promise<void> {
    let teamId: number | null = null;
    let holdsSlot = false;
    const attempt = (this.attemptsMade.get(deploymentId) ?? 0) + 1;
    try {
      // The team is read from the database, as the BullMQ worker does.
      teamId = await this.store.teamOf(deploymentId);
      if (teamId !== null && !this.teamSlots.tryAcquire(teamId)) {
        this.later(deploymentId, TEAM_SLOT_RETRY_DELAY_MS);
        return;
      }
      holdsSlot = teamId !== null;
      this.attemptsMade.set(deploymentId, attempt);
      this.logger.log({ deploymentId, attempt }, 'rollout started');
      await this.strategy.run(deploymentId, this.stopping.signal);
      this.attemptsMade.delete(deploymentId);
    } catch (error) {
      await this.onFailure(deploymentId, attempt, error);
    } finally {
      if (holdsSlot && teamId !== null) this.teamSlots.release(teamId);
    }
  }

  private async onFailure(deploymentId: number, attempt: number, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    this.logger.error({ deploymentId, attempt, err: error }, 'rollout attempt failed');
    if (attempt < ATTEMPTS) {
      this.attemptsMade.set(deploymentId, attempt);
      this.later(deploymentId, BACKOFF_MS * 2 ** (attempt - 1));
      return;
    }
    this.failed += 1;
    this.attemptsMade.delete(deploymentId);
    await this.strategy
      .abandon(deploymentId, message)
      .catch((err: unknown) =>
        this.logger.error({ deploymentId, err }, 'could not mark the deployment failed'),
      );
  }

  private later(deploymentId: number, delayMs: number): void {
    if (this.closing) return;
    const timer = setTimeout(() => {
      this.delayed.delete(deploymentId);
      this.waiting.push(deploymentId);
      this.pump();
    }, delayMs);
    this.delayed.set(deploymentId, timer);
  }
}
