import { mapWithConcurrency } from '../../common/concurrency';
import type { BatchRecord, ServerOutcome } from '../domain';
import { canHandBack, settledBatchStatus } from '../planning/batch-decisions';
import { checkBatchBudget } from '../planning/budget';
import {
  batchBudgetReason,
  joinReasons,
  notAnsweringReason,
  pullsFailedReason,
  splitBatchReason,
} from '../planning/reasons';
import { type BatchPreparations, prepareServers } from './batch-preparation';
import { type BatchOutcome, failBatch, handBack, type ServerResult } from './batch-steps';
import { restoreServer } from './restore-server';
import type { RolloutPass } from './rollout-pass';
import { startFirstSteps } from './start-first';
import { stopFirstSteps } from './stop-first';

export type { BatchOutcome, RestoreOutcome } from './batch-steps';
export { restoreServer } from './restore-server';

/**
 * One batch, in the order of the README's "How a batch runs": budget, capacity, pull, then the swap in the
 * deployment's order (`stop-first.ts`, `start-first.ts`), then the unhealthy servers restored and the batch
 * settled. A cancel (`pass.cancel`) ends the drain wait and the probes of the new instances at once: before
 * the swap the servers go back into rotation unchanged and the batch is `pending` again; after it the
 * instances not yet healthy are restored like unhealthy ones. Either way the deployment then ends
 * `cancelled`.
 */
export async function deployBatch(
  pass: RolloutPass,
  batch: BatchRecord,
  preparations?: BatchPreparations,
): Promise<BatchOutcome> {
  const outcome = await batchSteps(pass, batch, preparations);
  return outcome === 'continue' && pass.cancel.aborted ? 'cancelled' : outcome;
}

async function batchSteps(
  pass: RolloutPass,
  batch: BatchRecord,
  preparations?: BatchPreparations,
): Promise<BatchOutcome> {
  const { recorder, deployment, fleet } = pass;
  const n = batch.batchNumber;
  const servers = batch.serverIds.map((id) => fleet.server(id));
  const serving = batch.serverIds.filter((id) => fleet.instance(id).inRotation);
  const handBackAllowed = canHandBack(batch.serverIds.map((id) => fleet.instance(id)));
  if (pass.cancel.aborted && handBackAllowed) return handBack(pass, batch, serving, 'before it started');

  await recorder.batch(batch.id, {
    status: 'in_progress',
    ...(batch.startedAt ? {} : { startedAt: pass.now() }),
  });

  // 1. The budget, on live answers: stop-first takes the batch out, so the rest must really serve.
  const silent = deployment.order === 'stop-first' ? await notAnswering(pass, batch) : [];
  const budget = checkBatchBudget({
    inRotation: fleet.inRotation().filter((id) => !silent.some((s) => s.server.id === id)),
    batch: batch.serverIds,
    minimumHealthy: deployment.minimumHealthyInstances,
    order: deployment.order,
  });
  const silentReason = silent.length > 0 ? notAnsweringReason(silent) : null;
  if (!budget.allowed) {
    const reason = silentReason ? `${budget.reason}; ${silentReason}` : budget.reason;
    await recorder.batch(batch.id, { status: 'failed', completedAt: pass.now(), failureReason: reason });
    await recorder.finished(
      {
        status: 'failed',
        failedBatches: deployment.failedBatches + 1,
        failureReason: batchBudgetReason(n, reason),
        completedAt: pass.now(),
      },
      reason,
    );
    return 'stop';
  }
  if (silentReason) await recorder.note('not_answering', `Before batch ${n}: ${silentReason}`);

  // Room for the new container on every server, then the pull, while the servers still serve (perhaps
  // done already, while the batch before was swapped). A batch resumed after a crash may hold a server taken
  // out mid-swap: its room is not checked again, only the full path leaves it serving.
  const recordPulling = async () => {
    for (const server of servers)
      await recorder.phase(n, server.id, 'pulling', `Pulling ${deployment.image}:${deployment.tag}`);
  };
  const ahead = handBackAllowed ? preparations?.take(n) : undefined;
  const prepared = ahead
    ? await ahead
    : await prepareServers(pass, servers, { checkCapacity: handBackAllowed, beforePull: recordPulling });
  if (prepared.shortages.length > 0)
    return failBatch(pass, batch, prepared.shortages.join('; '), prepared.shortages.length);
  if (ahead) await recordPulling();
  if (pass.cancel.aborted && handBackAllowed) return handBack(pass, batch, serving, 'after the pull');
  if (prepared.pullErrors.length > 0) {
    return failBatch(pass, batch, pullsFailedReason(prepared.pullErrors), prepared.pullErrors.length);
  }
  // The next batch's capacity check and pull run while this one is swapped and probed.
  preparations?.startNext(pass, batch);

  // 3–6. The swap in the deployment's order, the probes, back into (or kept in) rotation.
  const results =
    deployment.order === 'start-first'
      ? await startFirstSteps(pass, batch)
      : await stopFirstSteps(pass, batch, handBackAllowed);
  if (!Array.isArray(results)) return results;
  await settle(pass, batch, results);
  return 'continue';
}

/** The unhealthy servers restored (unless already settled); the batch's status, outcomes and reason. */
async function settle(pass: RolloutPass, batch: BatchRecord, results: ServerResult[]): Promise<void> {
  const { recorder, deployment, fleet } = pass;
  const failed = results.filter((r) => !r.healthy);
  const restores = await mapWithConcurrency(
    failed,
    pass.settings.batchConcurrency,
    async (r) => r.settled ?? (await restoreServer(pass, batch.batchNumber, r.serverId)),
  );
  const restoreFailures = restores.filter((r) => !r.restored).map((r) => r.reason);
  const reasons = [
    ...new Set([...failed.map((r) => r.reason), ...restoreFailures].filter((r): r is string => r !== null)),
  ];

  const status = settledBatchStatus(results.length, failed.length, restoreFailures.length);
  const outcomes: Record<string, ServerOutcome> = {};
  for (const r of results.filter((r) => r.healthy)) outcomes[String(r.serverId)] = 'updated';
  failed.forEach((r, i) => {
    outcomes[String(r.serverId)] = restores[i]?.restored ? 'restored' : 'restore_failed';
  });
  const joined = joinReasons(reasons);
  const namesWith = (outcome: ServerOutcome) =>
    results.filter((r) => outcomes[String(r.serverId)] === outcome).map((r) => fleet.server(r.serverId).name);
  const updatedNames = namesWith('updated');
  const restoredNames = namesWith('restored');
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
}

/** The instances outside the batch that count as in rotation and do not answer a probe now. */
async function notAnswering(pass: RolloutPass, batch: BatchRecord) {
  const outside = pass.fleet.inRotation().filter((id) => !batch.serverIds.includes(id));
  const answers = await mapWithConcurrency(outside, pass.settings.batchConcurrency, async (id) => ({
    server: pass.fleet.server(id),
    outcome: await pass.probe(id, 'live'),
  }));
  return answers.filter((answer) => !answer.outcome.healthy);
}
