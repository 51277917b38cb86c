import type { RollingUpdateOptions } from '../domain';
import { planBatches } from './batches';

/** What `POST /api/deployments/:id/plan` answers: the rollout that the same body would run, and its risks. */
export interface PlanPreview {
  batches: { batchNumber: number; serverIds: number[] }[];
  /** The fewest instances in rotation at any moment of the rollout (stop-first: a batch is out while it runs; start-first: all). */
  minimumInRotation: number;
  estimatedSeconds: number;
  warnings: string[];
}

export interface PlanPreviewInput {
  applicationName: string;
  /** The application's servers, in their order (the order batches are cut in). */
  serverIds: readonly number[];
  /** Servers whose instance is in rotation now. */
  inRotation: ReadonlySet<number>;
  /** Servers already running the version to deploy. */
  onTarget: ReadonlySet<number>;
  options: RollingUpdateOptions;
  target: string;
  /** The load balancer's drain time (0 without one). */
  drainSeconds: number;
  /** Durations of the application's recent completed batches (seconds), newest first; may be empty. */
  recentBatchSeconds: readonly number[];
  /** Whether a previous version is known to go back to. */
  hasPrevious: boolean;
}

/** Pull, stop, start and the first probe of one batch when nothing has been measured yet. */
export const UNMEASURED_SWAP_SECONDS = 10;
/** How many recent batches the estimate looks at. */
export const ESTIMATE_SAMPLE = 20;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * The plan of a rolling update, from the same pure batching the rollout uses (so the rollout started with
 * the same body on the same servers runs exactly these batches). The estimate uses the median of the
 * application's recent batches when there are any, otherwise the options: drain, a swap, one probe interval.
 */
export function previewPlan(input: PlanPreviewInput): PlanPreview {
  const { options } = input;
  const cut = planBatches(input.serverIds, options.batchSize, options.batchSizeIsPercentage);
  const batches = cut.map((serverIds, index) => ({ batchNumber: index + 1, serverIds: [...serverIds] }));
  const inRotationNow = input.serverIds.filter((id) => input.inRotation.has(id)).length;
  // start-first: the new container starts beside the old one, so no batch takes an instance out.
  const outAtOnce = batches.map((batch) =>
    options.order === 'start-first' ? 0 : batch.serverIds.filter((id) => input.inRotation.has(id)).length,
  );
  const minimumInRotation = inRotationNow - Math.max(0, ...outAtOnce);

  const samples = input.recentBatchSeconds.slice(0, ESTIMATE_SAMPLE);
  const perBatch =
    samples.length > 0
      ? median(samples)
      : input.drainSeconds + UNMEASURED_SWAP_SECONDS + options.healthCheckInterval;
  const estimatedSeconds = Math.ceil(
    batches.length * perBatch + Math.max(0, batches.length - 1) * options.waitInterval,
  );

  const warnings: string[] = [];
  batches.forEach((batch, index) => {
    if (inRotationNow > 0 && outAtOnce[index] === inRotationNow) {
      warnings.push(
        `Batch ${batch.batchNumber} takes every instance of ${input.applicationName} out of rotation: it does not answer while that batch runs`,
      );
    }
  });
  if (!input.hasPrevious) {
    warnings.push(
      `No previous version of ${input.applicationName} to go back to: a failed batch cannot be restored and the rollout cannot be rolled back`,
    );
  }
  if (input.serverIds.length > 0 && input.serverIds.every((id) => input.onTarget.has(id))) {
    warnings.push(`Every server of ${input.applicationName} already runs ${input.target}`);
  }
  if (!options.autoRollbackOnFailure) {
    warnings.push(
      `autoRollbackOnFailure is off: after ${options.failureThreshold} failed batch(es) in a row the rollout stops as failed and the fleet stays on mixed versions`,
    );
  }
  return { batches, minimumInRotation, estimatedSeconds, warnings };
}
