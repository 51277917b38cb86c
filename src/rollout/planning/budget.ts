import type { UpdateOrder } from '../domain';

/**
 * The minimum-healthy budget. Pure.
 *
 * Worked example: 6 servers in rotation, minimumHealthyInstances 4, batches of 2:
 *   batch 1 takes 2 out → 4 remain ≥ 4 → allowed.
 *   With batches of 3: 3 remain < 4 → refused before anything is touched.
 * A batch whose servers are not in rotation (e.g. a first deployment) takes no capacity away and is allowed.
 * With `start-first` no server leaves rotation (the new container starts beside the old one), so no batch
 * takes capacity away: one server with minimumHealthyInstances 1 is allowed.
 */
export function insufficientHealthyMessage(current: number, minimum: number): string {
  return `Insufficient healthy instances. Current: ${current}, Minimum required: ${minimum}`;
}

export type BudgetVerdict = { allowed: true } | { allowed: false; reason: string };

export function checkBatchBudget(input: {
  inRotation: readonly number[];
  batch: readonly number[];
  minimumHealthy: number;
  order: UpdateOrder;
}): BudgetVerdict {
  const batch = new Set(input.order === 'start-first' ? [] : input.batch);
  const leaving = input.inRotation.filter((id) => batch.has(id)).length;
  const remaining = input.inRotation.length - leaving;
  if (leaving === 0 || remaining >= input.minimumHealthy) return { allowed: true };
  return {
    allowed: false,
    reason: `${insufficientHealthyMessage(remaining, input.minimumHealthy)} (taking ${leaving} of ${input.inRotation.length} in-rotation servers out would leave ${remaining})`,
  };
}

/**
 * Checked before a deployment touches anything: the instances serving now must meet the minimum.
 * A first deployment (no instance anywhere) has nothing to protect and skips the check.
 */
export function checkStartingBudget(input: {
  inRotation: number;
  existingInstances: number;
  minimumHealthy: number;
}): BudgetVerdict {
  if (input.existingInstances === 0 || input.inRotation >= input.minimumHealthy) return { allowed: true };
  return { allowed: false, reason: insufficientHealthyMessage(input.inRotation, input.minimumHealthy) };
}

/**
 * What the API checks at request time, counted on the application's servers (README "The API": 422): the
 * largest batch taken out must leave at least the minimum. It applies to a first deployment too, so a
 * sizing that could never be met on a later rollout is refused up front.
 */
export function checkSizingBudget(input: {
  serverCount: number;
  largestBatch: number;
  minimumHealthy: number;
  order: UpdateOrder;
}): BudgetVerdict {
  const remaining = input.serverCount - (input.order === 'start-first' ? 0 : input.largestBatch);
  if (remaining >= input.minimumHealthy) return { allowed: true };
  return {
    allowed: false,
    reason:
      input.order === 'start-first'
        ? `The application has ${input.serverCount} server(s), fewer than minimumHealthyInstances (${input.minimumHealthy})`
        : `Batches of ${input.largestBatch} of ${input.serverCount} servers would leave ${remaining} serving, fewer than minimumHealthyInstances (${input.minimumHealthy}); order start-first keeps every server serving`,
  };
}
