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

@Injectable()
export class BullmqDeploymentQueue extends DeploymentQueue {
  constructor(@InjectQueue(DEPLOYMENTS_QUEUE) private readonly queue: Queue<RollingUpdateJobData>) {
    super();
  }

  async enqueue(deploymentId: number): Promise<void> {
    const jobId = deploymentJobId(deploymentId);
    // A finished job kept for inspection would swallow a new add with the same id (e.g. after a resume).
    const previous = await this.queue.getJob(jobId);
    if (previous && ((await previous.isCompleted()) || (await previous.isFailed()))) await previous.remove();
    await this.queue.add(ROLLING_UPDATE_JOB, { deploymentId }, { ...ROLLING_UPDATE_JOB_OPTIONS, jobId });
  }
}
