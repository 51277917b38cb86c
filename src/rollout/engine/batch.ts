import { mapWithConcurrency } from '../../common/concurrency';
import type { BatchRecord, HealthCheckResult, ServerOutcome } from '../domain';
import { canHandBack, settledBatchStatus } from '../planning/batch-decisions';
import { checkBatchBudget } from '../planning/budget';
import { capacityShortage, type UpdateOrder } from '../planning/capacity';
import {
  batchBudgetReason,
  handBackFailedReason,
  healthCheckFailedReason,
  joinReasons,
  loadBalancerReason,
  messageOf,
  pullsFailedReason,
  putBackFailedReason,
  restoreErrorReason,
  restoreUnhealthyReason,
  splitBatchReason,
} from '../planning/reasons';
import type { ServerTarget } from '../domain';
import type { HealthCheckOutcome } from '../ports';
import type { RolloutPass } from './rollout-pass';

/** The only order there is so far: the old container stops before the new one starts. */
const ORDER: UpdateOrder = 'stop-first';

/** `cancelled`: a cancel was seen; the batch is settled (handed back unchanged, finished or restored). */
export type BatchOutcome = 'continue' | 'stop' | 'cancelled';

export interface RestoreOutcome {
  restored: boolean;
  reason: string | null;
}

interface ServerResult {
  serverId: number;
  healthy: boolean;
  health: HealthCheckResult;
  reason: string | null;
}

/**
 * One batch, in the order of the README's "How a batch runs" (steps 1–6): budget, pull, drain, swap, probe,
 * back into rotation or restore. A cancel (`pass.cancel`) ends the drain wait and the probes of the new
 * instances at once: before the swap the servers go back into rotation unchanged and the batch is `pending`
 * again; after it the instances not yet healthy are restored like unhealthy ones. Either way the deployment
 * then ends `cancelled`.
 */
export async function deployBatch(pass: RolloutPass, batch: BatchRecord): Promise<BatchOutcome> {
  const outcome = await batchSteps(pass, batch);
  return outcome === 'continue' && pass.cancel.aborted ? 'cancelled' : outcome;
}

async function batchSteps(pass: RolloutPass, batch: BatchRecord): Promise<BatchOutcome> {
  const { recorder, deployment, fleet, rotation } = pass;
  const n = batch.batchNumber;
  const servers = batch.serverIds.map((id) => fleet.server(id));
  const limit = pass.settings.batchConcurrency;
  const serving = batch.serverIds.filter((id) => fleet.instance(id).inRotation);
  const handBackAllowed = canHandBack(batch.serverIds.map((id) => fleet.instance(id)));
  if (pass.cancel.aborted && handBackAllowed) return handBack(pass, batch, serving, 'before it started');

  await recorder.batch(batch.id, {
    status: 'in_progress',
    ...(batch.startedAt ? {} : { startedAt: pass.now() }),
  });

  // 1. The budget.
  const budget = checkBatchBudget({
    inRotation: fleet.inRotation(),
    batch: batch.serverIds,
    minimumHealthy: deployment.minimumHealthyInstances,
  });
  if (!budget.allowed) {
    await recorder.batch(batch.id, {
      status: 'failed',
      completedAt: pass.now(),
      failureReason: budget.reason,
    });
    await recorder.finished(
      {
        status: 'failed',
        failedBatches: deployment.failedBatches + 1,
        failureReason: batchBudgetReason(n, budget.reason),
        completedAt: pass.now(),
      },
      budget.reason,
    );
    return 'stop';
  }

  // Room for the new container on every server, before anything is touched. A batch resumed after a crash
  // may hold a server taken out mid-swap: it is not checked again, only the full path leaves it serving.
  if (handBackAllowed) {
    const shortages = await mapWithConcurrency(servers, limit, (server) => capacityProblem(pass, server));
    const short = shortages.filter((reason): reason is string => reason !== null);
    if (short.length > 0) return failBatch(pass, batch, short.join('; '), short.length);
  }

  // 2. Pull while the servers still serve.
  const pullErrors = await mapWithConcurrency(servers, limit, async (server) => {
    await recorder.phase(n, server.id, 'pulling', `Pulling ${deployment.image}:${deployment.tag}`);
    try {
      await pass.operations(server).pull(deployment.image, deployment.tag);
      return null;
    } catch (error) {
      return messageOf(error);
    }
  });
  if (pass.cancel.aborted && handBackAllowed) return handBack(pass, batch, serving, 'after the pull');
  const failedPulls = pullErrors.filter((e): e is string => e !== null);
  if (failedPulls.length > 0) {
    return failBatch(pass, batch, pullsFailedReason(failedPulls), failedPulls.length);
  }

  // 3. Out of rotation, drained.
  for (const id of batch.serverIds.filter((id) => fleet.instance(id).inRotation)) {
    await recorder.phase(n, id, 'draining', 'Taking out of rotation and draining');
  }
  try {
    // The drain wait ends on a cancel only when the batch can then be handed back: a swap must never
    // follow a drain cut short.
    await rotation.takeOut(batch.serverIds, handBackAllowed ? pass.cancel : undefined);
  } catch (error) {
    return failBatch(pass, batch, loadBalancerReason(error), servers.length);
  }
  if (pass.cancel.aborted && handBackAllowed) return handBack(pass, batch, serving, 'while draining');

  // 4. The old container kept as `<name>-previous`, the new one started.
  const swaps = await mapWithConcurrency(servers, limit, async (server) => {
    await recorder.phase(n, server.id, 'starting', `Starting ${deployment.image}:${deployment.tag}`);
    try {
      const swap = await pass.operations(server).swap(deployment.image, deployment.tag);
      await fleet.recordSwap(server.id, swap.previousReference);
      return { server, swapError: null };
    } catch (error) {
      return { server, swapError: messageOf(error) };
    }
  });

  // 5. Direct health checks of the new instances.
  await recorder.batch(batch.id, { status: 'health_checking' });
  const results = await mapWithConcurrency(
    swaps,
    limit,
    async ({ server, swapError }): Promise<ServerResult> => {
      if (swapError !== null) {
        await recorder.phase(n, server.id, 'unhealthy', swapError);
        const health = { healthy: false, statusCode: null, attempts: 0, elapsedMs: 0, message: swapError };
        return { serverId: server.id, healthy: false, health, reason: swapError };
      }
      await recorder.phase(n, server.id, 'health_checking', 'Probing the new instance');
      const outcome = await pass.probe(server.id);
      const healthy = outcome.healthy;
      await recorder.phase(n, server.id, healthy ? 'healthy' : 'unhealthy', outcome.message);
      const reason = healthy ? null : healthCheckFailedReason(server, outcome);
      return { serverId: server.id, healthy, health: recordedResult(outcome), reason };
    },
  );

  // 6. Healthy: back into rotation. Unhealthy: the previous container restored.
  const healthyIds = results.filter((r) => r.healthy).map((r) => r.serverId);
  try {
    await rotation.putBack(healthyIds, n);
  } catch (error) {
    for (const result of results.filter((r) => r.healthy)) {
      result.healthy = false;
      result.reason = putBackFailedReason(fleet.server(result.serverId).name, error);
    }
  }

  const failed = results.filter((r) => !r.healthy);
  const restores = await mapWithConcurrency(failed, limit, (r) => restoreServer(pass, n, r.serverId));
  const restoreFailures = restores.filter((r) => !r.restored).map((r) => r.reason);
  const reasons = [...failed.map((r) => r.reason), ...restoreFailures].filter((r): r is string => r !== null);

  const status = settledBatchStatus(results.length, failed.length, restoreFailures.length);
  const outcomes: Record<string, ServerOutcome> = {};
  for (const r of results.filter((r) => r.healthy)) outcomes[String(r.serverId)] = 'updated';
  failed.forEach((r, i) => {
    outcomes[String(r.serverId)] = restores[i]?.restored ? 'restored' : 'restore_failed';
  });
  const joined = joinReasons(reasons);
  const updatedNames = results.filter((r) => r.healthy).map((r) => fleet.server(r.serverId).name);
  const restoredNames = failed
    .filter((r) => outcomes[String(r.serverId)] === 'restored')
    .map((r) => fleet.server(r.serverId).name);
  await recorder.batch(batch.id, {
    status,
    completedAt: pass.now(),
    successfulInstances: results.length - failed.length,
    failedInstances: failed.length,
    healthCheckResults: Object.fromEntries(results.map((r) => [String(r.serverId), r.health])),
    serverOutcomes: outcomes,
    failureReason:
      joined !== null && updatedNames.length > 0 && restoredNames.length > 0
        ? splitBatchReason(updatedNames, restoredNames, deployment.tag, deployment.previousTag, joined)
        : joined,
  });
  await recorder.deployment(
    status === 'completed'
      ? { completedBatches: deployment.completedBatches + 1 }
      : { failedBatches: deployment.failedBatches + 1 },
  );
  return 'continue';
}

/** Why the server has no room for the new container (or its check failed); null when it has. */
async function capacityProblem(pass: RolloutPass, server: ServerTarget): Promise<string | null> {
  const { application } = pass.context;
  try {
    const figures = await pass.operations(server).capacity();
    return capacityShortage({ serverName: server.name, figures, required: application, order: ORDER });
  } catch (error) {
    return messageOf(error);
  }
}

/**
 * Step 6 for an unhealthy server (and the fleet rollback's way back): removes the new container, restarts
 * the previous one, probes it and puts it back into rotation.
 */
export async function restoreServer(
  pass: RolloutPass,
  batchNumber: number,
  serverId: number,
): Promise<RestoreOutcome> {
  const { recorder, fleet } = pass;
  const server = fleet.server(serverId);
  await recorder.phase(batchNumber, serverId, 'rolling_back', 'Restoring the previous container');
  try {
    const hadPrevious = await pass.operations(server).restorePrevious();
    if (!hadPrevious) {
      await fleet.recordRemoved(serverId);
      await recorder.phase(batchNumber, serverId, 'rolled_back', 'No previous container: new one removed');
      return { restored: true, reason: null };
    }
    await fleet.recordRestored(serverId);
    const health = await pass.probe(serverId, 'restored');
    if (!health.healthy) {
      await recorder.phase(
        batchNumber,
        serverId,
        'unhealthy',
        `Previous container unhealthy: ${health.message}`,
      );
      return { restored: false, reason: restoreUnhealthyReason(server, health) };
    }
    await pass.rotation.putBack([serverId], batchNumber);
    await recorder.phase(batchNumber, serverId, 'rolled_back', 'Previous container restored');
    return { restored: true, reason: null };
  } catch (error) {
    await recorder.phase(batchNumber, serverId, 'unhealthy', `Restore failed: ${messageOf(error)}`);
    return { restored: false, reason: restoreErrorReason(server.name, error) };
  }
}

/** Nothing was swapped: the drained servers go back into rotation and the batch counts as never run. */
async function handBack(
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

async function failBatch(
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
