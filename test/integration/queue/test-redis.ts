import { randomBytes } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import { TEST_REDIS_URL } from '../../support/redis';
import { waitFor } from '../../support/wait';
import { AppConfig, loadConfig } from '../../../src/config/app-config';

export { TEST_REDIS_URL };

/** A name no other test run shares: used as the BullMQ prefix and the socket.io key. */
export function uniqueName(kind: string): string {
  return `rollout-test-${kind}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A valid config whose Redis names are this test's own. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/unused',
    REDIS_URL: TEST_REDIS_URL,
    APP_KEY: '11'.repeat(32),
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX: uniqueName('q'),
    SOCKET_IO_KEY: uniqueName('io'),
    ...overrides,
  });
}

/**
 * Waits until the job reaches `state`, then reads it afresh: a Job object fetched before the
 * state change keeps its old fields (failedReason, attemptsMade) even once isFailed() says true.
 */
export async function waitForJobState(
  queue: Queue,
  jobId: string,
  state: 'completed' | 'failed',
): Promise<Job> {
  await waitFor(
    `job ${jobId} to be ${state}`,
    async () => ((await queue.getJobState(jobId)) === state ? true : undefined),
    10_000,
  );
  const job = await queue.getJob(jobId);
  if (!job) throw new Error(`job ${jobId} vanished after becoming ${state}`);
  return job;
}
