import { setTimeout as sleep } from 'node:timers/promises';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import { DeploymentQueue } from '../../deployments/deployment-queue.port';
import {
  DEPLOYMENTS_QUEUE,
  ROLLING_UPDATE_JOB,
  type RollingUpdateJobData,
  deploymentJobId,
} from './queue.constants';

/**
 * Retries resume the rollout where the database says it stopped (the strategy is idempotent), so a
 * transient failure (Postgres or Redis blip) costs a pause, not a half-done deployment.
 */
export const ROLLING_UPDATE_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: { count: 1000, age: 7 * 24 * 3600 },
  removeOnFail: { count: 5000, age: 30 * 24 * 3600 },
};

const ACTIVE_JOB_WAIT_MS = 10_000;
const POLL_MS = 50;

@Injectable()
export class BullmqDeploymentQueue extends DeploymentQueue {
  constructor(@InjectQueue(DEPLOYMENTS_QUEUE) private readonly queue: Queue<RollingUpdateJobData>) {
    super();
  }

  async enqueue(deploymentId: number): Promise<void> {
    const jobId = deploymentJobId(deploymentId);
    // A job with the same id swallows a new add: a finished one kept for inspection (e.g. before a resume), or
    // one still returning after it paused the rollout (a resume that came quickly): wait for it, then replace.
    const previous = await this.queue.getJob(jobId);
    if (previous) {
      for (let waited = 0; (await previous.isActive()) && waited < ACTIVE_JOB_WAIT_MS; waited += POLL_MS) {
        await sleep(POLL_MS);
      }
      if ((await previous.isCompleted()) || (await previous.isFailed())) await previous.remove();
    }
    await this.queue.add(ROLLING_UPDATE_JOB, { deploymentId }, { ...ROLLING_UPDATE_JOB_OPTIONS, jobId });
  }
}
