import { Histogram, Registry } from 'prom-client';
import type { Clock } from '../../common/clock';
import type { BatchStatus, BatchView, InstanceEvent, InstancePhase } from '../../rollout/domain';

const FINAL_BATCH_STATUSES: readonly BatchStatus[] = ['completed', 'failed', 'rolled_back'];
/** After these an instance waits for nothing more in this batch; the next phase starts a new timeline. */
const LAST_PHASES: readonly InstancePhase[] = ['in_rotation', 'rolled_back'];

/**
 * Rollout timings observed from the worker's events, in a registry of their own (the worker has no
 * HTTP port: WorkerMetricsPublisher hands the registry to the API's /metrics through Redis).
 */
export class RolloutMetrics {
  readonly registry = new Registry();
  private readonly batchDuration = new Histogram({
    name: 'rollout_batch_duration_seconds',
    help: 'Time from a batch starting to reaching a final status',
    labelNames: ['status'] as const,
    buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 3600],
    registers: [this.registry],
  });
  private readonly instanceStep = new Histogram({
    name: 'rollout_instance_step_duration_seconds',
    help: 'Time an instance spent in a phase before its next phase, by the phase it left',
    labelNames: ['phase'] as const,
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  /** `deploymentId:serverId` → the phase it is in and since when (ms). */
  private readonly phases = new Map<string, { phase: InstancePhase; since: number }>();
  /** Batch ids already observed per deployment: an update repeated after a resume counts once. */
  private readonly observedBatches = new Map<number, Set<number>>();

  constructor(private readonly clock: Clock) {}

  observeBatch(deploymentId: number, batch: BatchView): void {
    if (!FINAL_BATCH_STATUSES.includes(batch.status) || !batch.startedAt || !batch.completedAt) return;
    const seen = this.observedBatches.get(deploymentId) ?? new Set<number>();
    if (seen.has(batch.id)) return;
    seen.add(batch.id);
    this.observedBatches.set(deploymentId, seen);
    const seconds = (Date.parse(batch.completedAt) - Date.parse(batch.startedAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0)
      this.batchDuration.observe({ status: batch.status }, seconds);
  }

  observeInstance(event: InstanceEvent): void {
    const key = `${event.deploymentId}:${event.serverId}`;
    const now = this.clock.now().getTime();
    const previous = this.phases.get(key);
    if (previous && previous.phase !== event.phase) {
      this.instanceStep.observe({ phase: previous.phase }, Math.max(0, now - previous.since) / 1000);
    }
    if (LAST_PHASES.includes(event.phase)) this.phases.delete(key);
    else if (previous?.phase !== event.phase) this.phases.set(key, { phase: event.phase, since: now });
  }

  /** Drops what is kept for a finished deployment, so memory stays bounded. */
  forgetDeployment(deploymentId: number): void {
    this.observedBatches.delete(deploymentId);
    for (const key of this.phases.keys()) {
      if (key.startsWith(`${deploymentId}:`)) this.phases.delete(key);
    }
  }
}
