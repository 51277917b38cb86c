import type { BatchStatus, DeploymentStatus } from '../domain';
import { FINAL_DEPLOYMENT_STATUSES } from '../domain';

/**
 * The next step of a rollout, decided from its persisted state alone. Pure, so a worker that restarts
 * after a crash decides exactly as the one that died would have (the k8s controller's "one mutation,
 * then return" idea: every step re-reads the state it acts on).
 *
 * Worked example (failureThreshold 2, autoRollbackOnFailure true):
 *   [completed, failed, pending, pending]   → run batch 3   (one failure in a row so far)
 *   [completed, failed, failed, pending]    → fleet rollback (two in a row)
 *   [completed, failed, completed, failed]  → finish completed_with_errors (never two in a row)
 */
export type RolloutStep =
  | { kind: 'done' }
  | { kind: 'start' }
  | { kind: 'run_batch'; batchNumber: number }
  | { kind: 'pause'; beforeBatch: number }
  | { kind: 'fleet_rollback'; cause?: 'progress_deadline' }
  | { kind: 'finish'; status: DeploymentStatus; cause?: 'progress_deadline' };

export interface RolloutState {
  status: DeploymentStatus;
  cancelRequested: boolean;
  pauseRequested: boolean;
  /** No batch completed within `progressDeadline` (`planning/progress-deadline.ts`). */
  progressDeadlineExceeded?: boolean;
  failureThreshold: number;
  autoRollbackOnFailure: boolean;
  batches: readonly { batchNumber: number; status: BatchStatus }[];
}

const FINISHED_BATCH: readonly BatchStatus[] = ['completed', 'failed', 'rolled_back'];
const FAILED_BATCH: readonly BatchStatus[] = ['failed', 'rolled_back'];

export function isFinishedBatch(status: BatchStatus): boolean {
  return FINISHED_BATCH.includes(status);
}

export function isFailedBatch(status: BatchStatus): boolean {
  return FAILED_BATCH.includes(status);
}

/** Failed batches at the end of the finished ones, i.e. how many failed in a row most recently. */
export function trailingFailures(batches: RolloutState['batches']): number {
  const finished = [...batches]
    .sort((a, b) => a.batchNumber - b.batchNumber)
    .filter((b) => isFinishedBatch(b.status));
  let count = 0;
  for (const batch of finished.reverse()) {
    if (!isFailedBatch(batch.status)) break;
    count++;
  }
  return count;
}

export function nextStep(state: RolloutState): RolloutStep {
  // Paused: only `resume` (back to in_progress) or `cancel` (cancelled) moves it on.
  if (FINAL_DEPLOYMENT_STATUSES.includes(state.status) || state.status === 'paused') return { kind: 'done' };
  if (state.status === 'pending' || state.status === 'queued' || state.batches.length === 0)
    return { kind: 'start' };

  if (trailingFailures(state.batches) >= state.failureThreshold) {
    return state.autoRollbackOnFailure ? { kind: 'fleet_rollback' } : { kind: 'finish', status: 'failed' };
  }
  const next = [...state.batches]
    .sort((a, b) => a.batchNumber - b.batchNumber)
    .find((b) => !isFinishedBatch(b.status));
  // A batch already in flight is finished even when a cancel arrives; a pending one is not started.
  if (state.cancelRequested && (next === undefined || next.status === 'pending')) {
    return { kind: 'finish', status: 'cancelled' };
  }
  // Out of time: like too many failures, but for want of progress (a batch in flight finishes first).
  if (state.progressDeadlineExceeded && (next === undefined || next.status === 'pending')) {
    return state.autoRollbackOnFailure
      ? { kind: 'fleet_rollback', cause: 'progress_deadline' }
      : { kind: 'finish', status: 'failed', cause: 'progress_deadline' };
  }
  // A pause waits for the batch in flight, like a cancel; with nothing left to run the rollout just finishes.
  if (state.pauseRequested && next?.status === 'pending')
    return { kind: 'pause', beforeBatch: next.batchNumber };
  if (next) return { kind: 'run_batch', batchNumber: next.batchNumber };
  const anyFailed = state.batches.some((b) => isFailedBatch(b.status));
  return { kind: 'finish', status: anyFailed ? 'completed_with_errors' : 'completed' };
}
