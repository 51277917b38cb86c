import { type BatchJson, type DeploymentJson, isFinalStatus, type TimelineEventJson } from './api-types';
import type { FrameLine } from './live-screen';
import { type Paint, statusColour } from './output';

/**
 * A rollout's progress folded from what the API sends: the deployment, its batches and each server's
 * latest phase. Replayed timeline events and live `instance.updated` events share their ids, so an event
 * seen twice counts once; a late, older deployment or batch update never moves the view backwards.
 */

export interface ServerPhase {
  batchNumber: number | null;
  phase: string;
  message: string;
}

const BATCH_RANK: Readonly<Record<string, number>> = {
  pending: 0,
  in_progress: 1,
  health_checking: 2,
  completed: 3,
  failed: 3,
  rolled_back: 4,
};
const FINISHED_BATCH_RANK = 3;

function deploymentRank(status: string): number {
  if (isFinalStatus(status)) return 3;
  if (status === 'in_progress' || status === 'paused') return 2;
  return status === 'queued' ? 1 : 0;
}

/** How far one server's update got, out of DONE_STEP; a server put back on its old version is done too. */
const PHASE_STEP: Readonly<Record<string, number>> = {
  draining: 1,
  pulling: 1,
  starting: 2,
  health_checking: 3,
  healthy: 4,
  rolling_back: 4,
  unhealthy: 4,
  in_rotation: 5,
  rolled_back: 5,
};
const DONE_STEP = 5;

export class RolloutProgress {
  deployment: DeploymentJson | null = null;
  readonly batches = new Map<number, BatchJson>();
  readonly servers = new Map<number, ServerPhase>();
  /** The latest deployment-level note (an event without a server). */
  note: string | null = null;
  private readonly seen = new Set<number>();

  constructor(readonly deploymentId: number) {}

  get status(): string {
    return this.deployment?.status ?? 'pending';
  }

  get finished(): boolean {
    return isFinalStatus(this.status);
  }

  /** The highest event id seen: replay after it to catch up. */
  get lastEventId(): number {
    return Math.max(0, ...this.seen);
  }

  applyDeployment(deployment: DeploymentJson): boolean {
    if (deployment.id !== this.deploymentId) return false;
    const current = this.deployment;
    if (
      current &&
      (isFinalStatus(current.status) || deploymentRank(deployment.status) < deploymentRank(current.status))
    ) {
      // Older news; only the counters may still grow.
      if (
        deployment.completedBatches <= current.completedBatches &&
        deployment.failedBatches <= current.failedBatches
      ) {
        return false;
      }
      this.deployment = {
        ...current,
        completedBatches: Math.max(current.completedBatches, deployment.completedBatches),
        failedBatches: Math.max(current.failedBatches, deployment.failedBatches),
      };
      return true;
    }
    this.deployment = deployment;
    return true;
  }

  applyBatch(batch: BatchJson): boolean {
    if (batch.deploymentId !== undefined && batch.deploymentId !== this.deploymentId) return false;
    const current = this.batches.get(batch.batchNumber);
    if (current && (BATCH_RANK[batch.status] ?? 0) < (BATCH_RANK[current.status] ?? 0)) return false;
    this.batches.set(batch.batchNumber, batch);
    return true;
  }

  /** A timeline event (replayed or live); false when it was seen before. */
  applyEvent(event: TimelineEventJson & { deploymentId?: number }): boolean {
    if (event.deploymentId !== undefined && event.deploymentId !== this.deploymentId) return false;
    if (this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    if (event.serverId === null) {
      this.note = event.message;
      return true;
    }
    this.servers.set(event.serverId, {
      batchNumber: event.batchNumber,
      phase: event.phase,
      message: event.message,
    });
    return true;
  }
}

export type ServerNames = ReadonlyMap<number, string>;

export function nameOf(names: ServerNames, serverId: number): string {
  return names.get(serverId) ?? `server ${serverId}`;
}

/** `[########------------]`: `done` of `total` in `width` characters. */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? 0 : Math.round((Math.min(Math.max(done, 0), total) / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * A server's latest phase (a server is in one batch of a deployment, and a fleet rollback may move it
 * again after its batch), `waiting` before it starts, `untouched` when the rollout ended first.
 */
function phaseOf(progress: RolloutProgress, serverId: number): string {
  return progress.servers.get(serverId)?.phase ?? (progress.finished ? 'untouched' : 'waiting');
}

/**
 * One batch: `batch 2/4 [##########----------] 1/2  web-3 in_rotation, web-4 health_checking  completed`
 * (its status at the end once the batch is over).
 */
export function batchLine(
  progress: RolloutProgress,
  batch: BatchJson,
  names: ServerNames,
  paint: Paint,
): string {
  const total = Math.max(batch.totalBatches, progress.deployment?.totalBatches ?? 0);
  const over = (BATCH_RANK[batch.status] ?? 0) >= FINISHED_BATCH_RANK;
  const phases = batch.serverIds.map((id) => ({ id, phase: phaseOf(progress, id) }));
  const steps = phases.map(({ phase }) => (over ? DONE_STEP : (PHASE_STEP[phase] ?? 0)));
  const done = steps.filter((step) => step >= DONE_STEP).length;
  const bar = progressBar(
    steps.reduce((sum, step) => sum + step, 0),
    phases.length * DONE_STEP,
  );
  const servers = phases
    .map(({ id, phase }) => {
      const plain = phase === 'waiting' || phase === 'untouched';
      return `${nameOf(names, id)} ${plain ? phase : paint(phase, statusColour(phase))}`;
    })
    .join(', ');
  const status = over ? `  ${paint(batch.status, statusColour(batch.status))}` : '';
  return `  batch ${batch.batchNumber}/${total || '?'} ${bar} ${done}/${phases.length}  ${servers}${status}`;
}

/** The frame shown while watching: a title, one line per batch, the status. */
export function progressFrame(
  progress: RolloutProgress,
  title: string,
  names: ServerNames,
  paint: Paint,
): FrameLine[] {
  const deployment = progress.deployment;
  const batches = [...progress.batches.values()].sort((a, b) => a.batchNumber - b.batchNumber);
  const counts = deployment
    ? `  ${deployment.completedBatches}/${deployment.totalBatches || '?'} batches completed, ${deployment.failedBatches} failed`
    : '';
  const note = progress.note === null ? '' : `  (${progress.note})`;
  return [
    { key: 'title', text: paint(title, 'bold') },
    ...batches.map((batch) => ({
      key: `batch ${batch.batchNumber}`,
      text: batchLine(progress, batch, names, paint),
    })),
    {
      key: 'status',
      text: `  status ${paint(progress.status, statusColour(progress.status))}${counts}${note}`,
    },
  ];
}

function secondsBetween(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

/**
 * The end of a rollout, the status verbatim: `deployment 7 (v1 → v2): rolled_back after 12.3 s` and, when
 * it failed, `reason: …`.
 */
export function outcomeLines(deployment: DeploymentJson, paint: Paint): string[] {
  const from = deployment.previousTag === null ? '' : `${deployment.previousTag} → `;
  const took = secondsBetween(deployment.startedAt, deployment.completedAt);
  const lines = [
    `deployment ${deployment.id} (${from}${deployment.tag}): ${paint(deployment.status, statusColour(deployment.status))}${
      took === null ? '' : ` after ${took.toFixed(1)} s`
    }`,
  ];
  if (deployment.failureReason !== null) lines.push(`reason: ${deployment.failureReason}`);
  return lines;
}
