import { mapWithConcurrency } from '../../common/concurrency';
import type { BatchRecord, HealthCheckResult } from '../domain';
import { checkBatchBudget } from '../planning/budget';
import { describeHealth, recordedResult, RolloutRun } from './rollout-pass';

/** `cancelled`: a cancel was seen; the batch is settled (handed back unchanged, finished or restored). */
export type BatchOutcome = 'continue' | 'stop' | 'cancelled';

interface ServerResult {
  serverId: number;
  healthy: boolean;
  health: HealthCheckResult;
  reason: string | null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One batch, in the order of ARCHITECTURE.md: budget, pull, drain, swap, probe, back or restore. A cancel
 * (`run.cancel`) ends the drain wait and the probes of the new instances at once: before the swap the
 * servers go back into rotation unchanged and the batch is `pending` again; after it the instances not yet
 * healthy are restored like unhealthy ones. Either way the deployment then ends `cancelled`.
 */
export async function runBatch(run: RolloutRun, batch: BatchRecord): Promise<BatchOutcome> {
  const outcome = await runBatchSteps(run, batch);
  return outcome === 'continue' && run.cancel.aborted ? 'cancelled' : outcome;
}

async function runBatchSteps(run: RolloutRun, batch: BatchRecord): Promise<BatchOutcome> {
  const { recorder, deployment } = run;
  const n = batch.batchNumber;
  const servers = batch.serverIds.map((id) => run.server(id));
  const limit = run.settings.batchConcurrency;
  // Only servers that serve (or have nothing deployed) may be handed back unchanged: a batch resumed after a
  // crash can hold servers already out of rotation mid-swap, which only the full path (swap, probe,
  // restore) leaves serving.
  const serving = batch.serverIds.filter((id) => run.instance(id).inRotation);
  const canHandBack = batch.serverIds.every(
    (id) => run.instance(id).inRotation || run.instance(id).status === 'absent',
  );
  if (run.cancel.aborted && canHandBack) return handBack(run, batch, serving, 'before it started');

  await recorder.batch(batch.id, {
    status: 'in_progress',
    ...(batch.startedAt ? {} : { startedAt: run.now() }),
  });

  const budget = checkBatchBudget({
    inRotation: run.inRotation(),
    batch: batch.serverIds,
    minimumHealthy: deployment.minimumHealthyInstances,
  });
  if (!budget.allowed) {
    await recorder.batch(batch.id, {
      status: 'failed',
      completedAt: run.now(),
      failureReason: budget.reason,
    });
    await recorder.finished(
      {
        status: 'failed',
        failedBatches: deployment.failedBatches + 1,
        failureReason: `Batch ${n}: ${budget.reason}`,
        completedAt: run.now(),
      },
      budget.reason,
    );
    return 'stop';
  }

  const pullErrors = await mapWithConcurrency(servers, limit, async (server) => {
    await recorder.phase(n, server.id, 'pulling', `Pulling ${deployment.image}:${deployment.tag}`);
    try {
      await run.operations(server).pull(deployment.image, deployment.tag);
      return null;
    } catch (error) {
      return messageOf(error);
    }
  });
  if (run.cancel.aborted && canHandBack) return handBack(run, batch, serving, 'after the pull');
  const failedPulls = pullErrors.filter((e): e is string => e !== null);
  if (failedPulls.length > 0) {
    return failBatch(run, batch, `Nothing was drained: ${failedPulls.join('; ')}`, failedPulls.length);
  }

  for (const id of batch.serverIds.filter((id) => run.instance(id).inRotation)) {
    await recorder.phase(n, id, 'draining', 'Taking out of rotation and draining');
  }
  try {
    // The drain wait ends on a cancel only when the batch can then be handed back: a swap must never
    // follow a drain cut short.
    await run.takeOut(batch.serverIds, canHandBack ? run.cancel : undefined);
  } catch (error) {
    return failBatch(run, batch, `load balancer: ${messageOf(error)}`, servers.length);
  }
  if (run.cancel.aborted && canHandBack) return handBack(run, batch, serving, 'while draining');

  const swapErrors = await mapWithConcurrency(servers, limit, async (server) => {
    await recorder.phase(n, server.id, 'starting', `Starting ${deployment.image}:${deployment.tag}`);
    try {
      const swap = await run.operations(server).swap(deployment.image, deployment.tag);
      await run.recordSwap(server.id, swap.previousReference);
      return null;
    } catch (error) {
      return messageOf(error);
    }
  });

  await recorder.batch(batch.id, { status: 'health_checking' });
  const results = await mapWithConcurrency(servers, limit, async (server, i): Promise<ServerResult> => {
    const swapError = swapErrors[i];
    if (swapError !== null) {
      await recorder.phase(n, server.id, 'unhealthy', swapError);
      const health = { healthy: false, statusCode: null, attempts: 0, elapsedMs: 0, message: swapError };
      return { serverId: server.id, healthy: false, health, reason: swapError };
    }
    await recorder.phase(n, server.id, 'health_checking', 'Probing the new instance');
    const outcome = await run.probe(server.id);
    const healthy = outcome.healthy;
    await recorder.phase(n, server.id, healthy ? 'healthy' : 'unhealthy', outcome.message);
    const reason = healthy
      ? null
      : `${server.name} (${server.host}): health check failed: ${describeHealth(outcome)}`;
    return { serverId: server.id, healthy, health: recordedResult(outcome), reason };
  });

  const healthyIds = results.filter((r) => r.healthy).map((r) => r.serverId);
  try {
    await run.putBack(healthyIds, n);
  } catch (error) {
    for (const result of results.filter((r) => r.healthy)) {
      result.healthy = false;
      result.reason = `${run.server(result.serverId).name}: load balancer: ${messageOf(error)}`;
    }
  }

  const failed = results.filter((r) => !r.healthy);
  const restores = await mapWithConcurrency(failed, limit, (r) => run.restore(n, r.serverId));
  const restoreFailures = restores.filter((r) => !r.restored).map((r) => r.reason);
  const reasons = [...failed.map((r) => r.reason), ...restoreFailures].filter((r): r is string => r !== null);

  const status = failed.length === 0 ? 'completed' : restoreFailures.length === 0 ? 'rolled_back' : 'failed';
  await recorder.batch(batch.id, {
    status,
    completedAt: run.now(),
    successfulInstances: results.length - failed.length,
    failedInstances: failed.length,
    healthCheckResults: Object.fromEntries(results.map((r) => [String(r.serverId), r.health])),
    failureReason: reasons.length > 0 ? reasons.join('; ') : null,
  });
  await recorder.deployment(
    status === 'completed'
      ? { completedBatches: deployment.completedBatches + 1 }
      : { failedBatches: deployment.failedBatches + 1 },
  );
  return 'continue';
}

/** Nothing was swapped: the drained servers go back into rotation and the batch counts as never run. */
async function handBack(
  run: RolloutRun,
  batch: BatchRecord,
  serving: number[],
  when: string,
): Promise<BatchOutcome> {
  const n = batch.batchNumber;
  try {
    await run.putBack(serving, n);
  } catch (error) {
    const reason = `Cancelled ${when}; putting the servers back failed: load balancer: ${messageOf(error)}`;
    await failBatch(run, batch, reason, serving.length);
    return 'cancelled';
  }
  await run.recorder.batch(batch.id, { status: 'pending', startedAt: null });
  await run.recorder.note(
    'batch_cancelled',
    `Batch ${n} cancelled ${when}: nothing swapped, every server serves as before`,
  );
  return 'cancelled';
}

async function failBatch(run: RolloutRun, batch: BatchRecord, reason: string, failedInstances: number) {
  await run.recorder.batch(batch.id, {
    status: 'failed',
    completedAt: run.now(),
    successfulInstances: 0,
    failedInstances,
    failureReason: reason,
  });
  await run.recorder.deployment({ failedBatches: run.deployment.failedBatches + 1 });
  return 'continue' as const;
}
