import { mapWithConcurrency } from '../common/concurrency';
import type { BatchView, HealthCheckResult } from './domain';
import { checkBatchBudget } from './planning/budget';
import { describeHealth, recordedResult, RolloutRun } from './rollout-run';

export type BatchOutcome = 'continue' | 'stop';

interface ServerResult {
  serverId: number;
  healthy: boolean;
  health: HealthCheckResult;
  reason: string | null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One batch, in the order of ARCHITECTURE.md: budget, pull, drain, swap, probe, back or restore. */
export async function runBatch(run: RolloutRun, batch: BatchView): Promise<BatchOutcome> {
  const { recorder, deployment } = run;
  const n = batch.batchNumber;
  const servers = batch.serverIds.map((id) => run.server(id));
  const limit = run.settings.batchConcurrency;
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
  const failedPulls = pullErrors.filter((e): e is string => e !== null);
  if (failedPulls.length > 0) {
    return failBatch(run, batch, `Nothing was drained: ${failedPulls.join('; ')}`, failedPulls.length);
  }

  for (const id of batch.serverIds.filter((id) => run.instance(id).inRotation)) {
    await recorder.phase(n, id, 'draining', 'Taking out of rotation and draining');
  }
  try {
    await run.takeOut(batch.serverIds);
  } catch (error) {
    return failBatch(run, batch, `load balancer: ${messageOf(error)}`, servers.length);
  }

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

async function failBatch(run: RolloutRun, batch: BatchView, reason: string, failedInstances: number) {
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
