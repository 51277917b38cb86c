import type { BatchRecord, HealthCheckResult, ServerTarget } from '../domain';
import { handBackFailedReason, healthCheckFailedReason } from '../planning/reasons';
import type { HealthCheckOutcome } from '../ports';
import type { RolloutPass } from './rollout-pass';

/** `cancelled`: a cancel was seen; the batch is settled (handed back unchanged, finished or restored). */
export type BatchOutcome = 'continue' | 'stop' | 'cancelled';

export interface RestoreOutcome {
  restored: boolean;
  reason: string | null;
}

/** What one server of a batch ended with after its probe (and, with `start-first`, its move). */
export interface ServerResult {
  serverId: number;
  healthy: boolean;
  health: HealthCheckResult;
  reason: string | null;
  /** Already settled without a restore (`start-first`: the new container removed, the old one serving). */
  settled?: RestoreOutcome;
}

/** A server whose start failed: unhealthy without a probe. */
export async function startFailed(
  pass: RolloutPass,
  batchNumber: number,
  serverId: number,
  message: string,
): Promise<ServerResult> {
  await pass.recorder.phase(batchNumber, serverId, 'unhealthy', message);
  const health = { healthy: false, statusCode: null, attempts: 0, elapsedMs: 0, message };
  return { serverId, healthy: false, health, reason: message };
}

/** Probes a new instance (on `port` when it is not yet its recorded one) and records the phases. */
export async function probeNew(
  pass: RolloutPass,
  batchNumber: number,
  server: ServerTarget,
  port?: number,
): Promise<ServerResult> {
  await pass.recorder.phase(batchNumber, server.id, 'health_checking', 'Probing the new instance');
  const outcome = await pass.probe(server.id, 'new', port);
  const healthy = outcome.healthy;
  await pass.recorder.phase(batchNumber, server.id, healthy ? 'healthy' : 'unhealthy', outcome.message);
  const reason = healthy ? null : healthCheckFailedReason(server, outcome);
  return { serverId: server.id, healthy, health: recordedResult(outcome), reason };
}

/** Nothing was swapped: the drained servers go back into rotation and the batch counts as never run. */
export async function handBack(
  pass: RolloutPass,
  batch: BatchRecord,
  serving: number[],
  when: string,
): Promise<BatchOutcome> {
  const n = batch.batchNumber;
  try {
    await pass.rotation.putBack(serving, n);
  } catch (error) {
    await failBatch(pass, batch, handBackFailedReason(when, error), serving.length);
    return 'cancelled';
  }
  await pass.recorder.batch(batch.id, { status: 'pending', startedAt: null });
  await pass.recorder.note(
    'batch_cancelled',
    `Batch ${n} cancelled ${when}: nothing swapped, every server serves as before`,
  );
  return 'cancelled';
}

export async function failBatch(
  pass: RolloutPass,
  batch: BatchRecord,
  reason: string,
  failedInstances: number,
): Promise<BatchOutcome> {
  await pass.recorder.batch(batch.id, {
    status: 'failed',
    completedAt: pass.now(),
    successfulInstances: 0,
    failedInstances,
    failureReason: reason,
  });
  await pass.recorder.deployment({ failedBatches: pass.deployment.failedBatches + 1 });
  return 'continue';
}

function recordedResult(outcome: HealthCheckOutcome): HealthCheckResult {
  const { healthy, statusCode, attempts, elapsedMs, message } = outcome;
  return { healthy, statusCode, attempts, elapsedMs, message };
}
