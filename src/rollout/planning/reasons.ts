import type { BatchRecord, DeploymentStatus } from '../domain';
import { isFailedBatch } from './transitions';

/**
 * Every failure reason the engine records, in one place. Pure. The texts are part of the public record
 * (`failureReason` of deployments and batches): change them only on purpose. A reason names the server as
 * `web-2 (10.0.0.2)`, the step that failed and the remote output, so the reader needs no log.
 */

type Named = { name: string; host: string };
type ProbeOutcome = { message: string; lastError: string | null; statusCode: number | null };

export const NO_SERVERS = 'The application has no servers';
/** Stands for a failure whose text was not recorded. */
export const UNKNOWN = 'unknown';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `web-2 (10.0.0.2)` */
export function serverLabel(server: Named): string {
  return `${server.name} (${server.host})`;
}

/** `Health check failed after 10 attempts (last: HTTP 500)`: the probe's message and the last error seen. */
export function describeHealth(outcome: ProbeOutcome): string {
  const last = outcome.lastError ?? (outcome.statusCode !== null ? `HTTP ${outcome.statusCode}` : null);
  return last ? `${outcome.message} (last: ${last})` : outcome.message;
}

/** Several reasons of one batch or rollback, or null when there are none. */
export function joinReasons(reasons: readonly string[]): string | null {
  return reasons.length > 0 ? reasons.join('; ') : null;
}

// One batch.

/** `Batch 2: Insufficient healthy instances. …` (the deployment's reason; the batch keeps the bare one). */
export function batchBudgetReason(batchNumber: number, budgetReason: string): string {
  return `Batch ${batchNumber}: ${budgetReason}`;
}

/** `web-3 (10.0.0.3) did not answer: …` for instances that count as in rotation but failed a live probe. */
export function notAnsweringReason(instances: readonly { server: Named; outcome: ProbeOutcome }[]): string {
  return instances
    .map(({ server, outcome }) => `${serverLabel(server)} did not answer: ${describeHealth(outcome)}`)
    .join('; ');
}

/** An instance the monitor saw stop answering after its batch put it in rotation. */
export function stoppedAnsweringReason(server: Named, batchNumber: number, outcome: ProbeOutcome): string {
  return `${serverLabel(server)} stopped answering after batch ${batchNumber} put it in rotation: ${describeHealth(outcome)}`;
}

export function pullsFailedReason(pullErrors: readonly string[]): string {
  return `Nothing was drained: ${pullErrors.join('; ')}`;
}

export interface CapacityShortfalls {
  memory?: { freeMb: number; requiredMb: number };
  disk?: { freeMb: number; requiredMb: number; path: string };
}

/**
 * `Server web-3 has insufficient capacity: 120 MB memory free, 256 MB required (checked for stop-first)`;
 * disk: `… 800 MB disk free on /var/lib/docker, 1024 MB required …`; both: memory first, then `; ` disk.
 */
export function insufficientCapacityReason(
  serverName: string,
  order: string,
  { memory, disk }: CapacityShortfalls,
): string {
  const parts = [
    ...(memory ? [`${memory.freeMb} MB memory free, ${memory.requiredMb} MB required`] : []),
    ...(disk ? [`${disk.freeMb} MB disk free on ${disk.path}, ${disk.requiredMb} MB required`] : []),
  ];
  return `Server ${serverName} has insufficient capacity: ${parts.join('; ')} (checked for ${order})`;
}

export function loadBalancerReason(error: unknown): string {
  return `load balancer: ${messageOf(error)}`;
}

export function healthCheckFailedReason(server: Named, outcome: ProbeOutcome): string {
  return `${serverLabel(server)}: health check failed: ${describeHealth(outcome)}`;
}

/** A healthy server the load balancer would not take back. */
/** `web-1 kept v2; web-2 and web-3 are back on v1: …` for a batch that ended with servers on both versions. */
export function splitBatchReason(
  updated: readonly string[],
  restored: readonly string[],
  target: string,
  previous: string | null,
  reasons: string,
): string {
  const back = `${restored.join(' and ')} ${restored.length === 1 ? 'is' : 'are'} back on ${previous ?? 'the previous version'}`;
  return `${updated.join(' and ')} kept ${target}; ${back}: ${reasons}`;
}

/** A healthy server the load balancer would not take back, left out of rotation, and what to do. */
export function leftOutReason(serverName: string, error: unknown): string {
  return `${putBackFailedReason(serverName, error)} (${serverName} is left out of rotation on a working version: check that the load balancer's host answers; the next deployment or rollback puts it back)`;
}

export function putBackFailedReason(serverName: string, error: unknown): string {
  return `${serverName}: ${loadBalancerReason(error)}`;
}

/** `when`: `before it started`, `after the pull`, `while draining`. */
export function handBackFailedReason(when: string, error: unknown): string {
  return `Cancelled ${when}; putting the servers back failed: ${loadBalancerReason(error)}`;
}

export function restoreUnhealthyReason(server: Named, outcome: ProbeOutcome): string {
  return `${serverLabel(server)}: restore failed: ${describeHealth(outcome)}`;
}

/** A restore that threw: a ServerStepError names the server already; any other error gets its name. */
export function restoreErrorReason(serverName: string, error: unknown): string {
  const reason = messageOf(error);
  return reason.includes(serverName) ? reason : `${serverName}: ${reason}`;
}

// The per-server container steps.

/** `web-1 (10.0.0.1): pull failed: Error response from daemon: …` */
export function serverStepReason(server: Named, step: string, detail: string): string {
  return `${serverLabel(server)}: ${step} failed: ${detail}`;
}

export function envFileLeftReason(path: string, problem: string): string {
  return `the container started but its env file ${path} was not removed: ${problem}`;
}

// The fleet rollback.

export function fleetBatchLoadBalancerReason(batchNumber: number, error: unknown): string {
  return `batch ${batchNumber}: ${loadBalancerReason(error)}`;
}

export function outOfRotationReason(server: Named): string {
  return `${serverLabel(server)} is out of rotation`;
}

/** Whether one of the rollback's failures is about this server already (they start with its name). */
export function namesServer(reasons: readonly string[], serverName: string): boolean {
  return reasons.some((reason) => reason.startsWith(`${serverName} `));
}

/** The reason of the most recent batch that recorded one. */
export function lastFailureOf(batches: readonly Pick<BatchRecord, 'failureReason'>[]): string {
  return [...batches].reverse().find((b) => b.failureReason)?.failureReason ?? UNKNOWN;
}

/** Why a fleet rolls back: too many failed batches in a row, or no completed batch within the deadline. */
export type RollbackCause =
  | { kind: 'failures'; failedInARow: number; failureThreshold: number }
  | { kind: 'progress_deadline'; seconds: number };

export function progressDeadlineText(seconds: number): string {
  return `no batch completed within progressDeadline (${seconds}s)`;
}

function causeText(cause: RollbackCause, lastFailure: string): string {
  const why =
    cause.kind === 'failures'
      ? `${cause.failedInARow} consecutive failed batch(es) (failureThreshold ${cause.failureThreshold})`
      : progressDeadlineText(cause.seconds);
  return `${why}; last failure: ${lastFailure}`;
}

export function rolledBackReason(cause: RollbackCause, lastFailure: string): string {
  return `Rolled back after ${causeText(cause, lastFailure)}`;
}

export function rollbackFailedReason(
  cause: RollbackCause,
  lastFailure: string,
  notRestored: readonly string[],
): string {
  return `Rollback failed after ${causeText(cause, lastFailure)}. Not restored: ${notRestored.join('; ')}`;
}

// The end of a deployment.

export interface FinishFacts {
  /** Set when the rollout ends for want of progress (the deadline in seconds). */
  progressDeadline?: number | null;
  failedInARow: number;
  failureThreshold: number;
  completedBatches: number;
  failedBatches: number;
  totalBatches: number;
  batches: readonly Pick<BatchRecord, 'batchNumber' | 'status' | 'failureReason'>[];
}

/** The reason a deployment ends with `status`; null for the statuses that need none (`completed`). */
export function finishReason(status: DeploymentStatus, facts: FinishFacts): string | null {
  switch (status) {
    case 'failed':
      if (facts.progressDeadline) {
        const text = progressDeadlineText(facts.progressDeadline);
        return `${text.charAt(0).toUpperCase()}${text.slice(1)} and automatic rollback is off; last failure: ${lastFailureOf(facts.batches)}`;
      }
      return `${facts.failedInARow} consecutive failed batch(es) (failureThreshold ${facts.failureThreshold}) and automatic rollback is off`;
    case 'cancelled':
      return `Cancelled after ${facts.completedBatches + facts.failedBatches} of ${facts.totalBatches} batch(es)`;
    case 'completed_with_errors':
      return failedBatchesSummary(facts.batches, facts.totalBatches);
    // A fleet rollback writes its own reason (rolledBackReason, rollbackFailedReason); the others need none.
    case 'rolled_back':
    case 'rollback_failed':
    case 'completed':
    case 'pending':
    case 'queued':
    case 'in_progress':
    case 'paused':
      return null;
  }
}

/**
 * `1 of 4 batch(es) failed: batch 2 rolled back to the previous version; batch 3: web-5 (10.0.0.5): pull
 * failed: …`. A batch whose restore failed keeps its own reason, which names the servers left without a
 * serving instance, so the summary never claims a restore that did not happen.
 */
export function failedBatchesSummary(batches: FinishFacts['batches'], totalBatches: number): string {
  const failed = [...batches]
    .sort((a, b) => a.batchNumber - b.batchNumber)
    .filter((b) => isFailedBatch(b.status));
  const details = failed.map((b) =>
    b.status === 'rolled_back'
      ? `batch ${b.batchNumber} rolled back to the previous version`
      : `batch ${b.batchNumber}: ${b.failureReason ?? 'failed'}`,
  );
  return `${failed.length} of ${totalBatches} batch(es) failed: ${details.join('; ')}`;
}

export function abandonedReason(error: string): string {
  return `The rollout stopped after repeated errors: ${error}`;
}
