export const DEPLOYMENTS_QUEUE = 'deployments';
export const ROLLING_UPDATE_JOB = 'rolling-update';

/** The whole job payload: an id, nothing secret (the worker reads everything else from Postgres). */
export interface RollingUpdateJobData {
  deploymentId: number;
}

/** One job per deployment: enqueueing twice while it waits or runs is a no-op. */
export function deploymentJobId(deploymentId: number): string {
  return `deployment-${deploymentId}`;
}

/** Throws on anything but `{ deploymentId: <positive integer> }`, e.g. a job added by hand. */
export function parseRollingUpdateJobData(data: unknown): RollingUpdateJobData {
  const id = (data as { deploymentId?: unknown } | null)?.deploymentId;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new Error(`invalid ${ROLLING_UPDATE_JOB} job payload: expected { deploymentId: positive integer }`);
  }
  return { deploymentId: id };
}
