import type { BatchRecord } from '../domain';

export interface ProgressFacts {
  /** Seconds; null: no deadline. */
  progressDeadline: number | null;
  /** When the rollout started (ISO 8601), when it was last resumed, and its batches. */
  startedAt: string | null;
  resumedAt: string | null;
  batches: readonly Pick<BatchRecord, 'status' | 'completedAt'>[];
  now: Date;
}

/**
 * Milliseconds left before `progressDeadline` passes without a completed batch; null when there is no
 * deadline (or nothing started yet). Progress is the latest of: the start, the last resume (a pause does not
 * count against it), the last completed batch. Pure, so a resumed worker decides as the first one would.
 *
 * Worked example: deadline 60 s, started 10:00:00, batch 1 completed 10:00:40, now 10:01:10 → 30 000 ms left.
 */
export function progressDeadlineLeftMs(facts: ProgressFacts): number | null {
  if (facts.progressDeadline === null || facts.startedAt === null) return null;
  const marks = [
    facts.startedAt,
    facts.resumedAt,
    ...facts.batches.filter((b) => b.status === 'completed').map((b) => b.completedAt),
  ]
    .filter((mark): mark is string => mark !== null)
    .map((mark) => Date.parse(mark));
  const lastProgress = Math.max(...marks);
  return lastProgress + facts.progressDeadline * 1000 - facts.now.getTime();
}
