import type { DeploymentStatus, InstanceState } from '../domain';
import { planBatches } from './batches';
import { checkStartingBudget } from './budget';
import { currentVersion } from './current-version';
import { NO_SERVERS } from './reasons';

/**
 * What starting a rollout does, decided from the loaded state. Pure.
 *
 * Worked example: a queued deployment, servers [1, 2, 3] running v1 with 1 and 2 in rotation, batchSize 2
 * (absolute), minimumHealthyInstances 1:
 *   previous version v1 (only a queued or pending deployment records it: a resumed start keeps the first);
 *   batches [[1, 2], [3]];
 *   starting budget: 2 in rotation ≥ 1 → go (refusal null).
 * No servers at all → refusal `The application has no servers`; 0 in rotation with minimum 1 while
 * instances exist → `Insufficient healthy instances. Current: 0, Minimum required: 1`.
 */
export interface StartInput {
  status: DeploymentStatus;
  serverIds: readonly number[];
  instances: readonly Pick<InstanceState, 'status' | 'image' | 'tag'>[];
  /** How many of the application's servers are in rotation now. */
  inRotation: number;
  batchSize: number;
  batchSizeIsPercentage: boolean;
  minimumHealthy: number;
}

export interface StartPlan {
  previous: { image: string; tag: string } | null;
  batches: number[][];
  refusal: string | null;
}

export function planStart(input: StartInput): StartPlan {
  const previous =
    input.status === 'queued' || input.status === 'pending' ? currentVersion(input.instances) : null;
  const batches = planBatches(input.serverIds, input.batchSize, input.batchSizeIsPercentage);
  const budget = checkStartingBudget({
    inRotation: input.inRotation,
    existingInstances: input.instances.filter((i) => i.status !== 'absent').length,
    minimumHealthy: input.minimumHealthy,
  });
  const refusal = batches.length === 0 ? NO_SERVERS : budget.allowed ? null : budget.reason;
  return { previous, batches, refusal };
}
