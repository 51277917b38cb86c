import type { ServerOutcome } from '../domain';
import { everyServerBack } from '../planning/batch-decisions';
import { joinReasons, loadBalancerReason, UNKNOWN } from '../planning/reasons';
import type { UnhealthyInstance } from './instance-monitor';
import { restoreServer } from './restore-server';
import type { RolloutPass } from './rollout-pass';

/**
 * Between batches: each instance the monitor found unhealthy (`InstanceMonitor`) counts as a failure of the
 * batch that updated it. Its server is restored to the previous container (stop-first: taken out of
 * rotation first), the batch becomes `failed` (`rolled_back` when every server of it is back) with the
 * reason, and the deployment's counts follow, so the failure threshold sees it.
 */
export async function failUnhealthyInstances(pass: RolloutPass, found: UnhealthyInstance[]): Promise<void> {
  const { recorder, deployment } = pass;
  let completedBatches = deployment.completedBatches;
  let failedBatches = deployment.failedBatches;
  for (const batch of pass.context.batches) {
    const ofBatch = found.filter((u) => u.batchNumber === batch.batchNumber);
    if (ofBatch.length === 0) continue;
    const outcomes: Record<string, ServerOutcome> = {};
    const reasons: string[] = [];
    for (const { serverId, reason } of ofBatch) {
      reasons.push(reason);
      const restored = await restoreUnhealthy(pass, batch.batchNumber, serverId);
      outcomes[String(serverId)] = restored.restored ? 'restored' : 'restore_failed';
      if (restored.reason !== null) reasons.push(restored.reason);
    }
    const merged = { ...batch.serverOutcomes, ...outcomes };
    await recorder.batch(batch.id, {
      status: everyServerBack(batch.serverIds, merged) ? 'rolled_back' : 'failed',
      serverOutcomes: outcomes,
      successfulInstances: Object.values(merged).filter((o) => o === 'updated').length,
      failedInstances: Object.values(merged).filter((o) => o === 'restored' || o === 'restore_failed').length,
      failureReason: joinReasons([...(batch.failureReason ? [batch.failureReason] : []), ...reasons]),
    });
    if (batch.status === 'completed') {
      completedBatches -= 1;
      failedBatches += 1;
    }
  }
  await recorder.deployment({ completedBatches, failedBatches });
}

async function restoreUnhealthy(pass: RolloutPass, batchNumber: number, serverId: number) {
  if (pass.deployment.order === 'stop-first') {
    await pass.recorder.phase(batchNumber, serverId, 'draining', 'Taking out of rotation to restore');
    try {
      await pass.rotation.takeOut([serverId]);
    } catch (error) {
      return { restored: false, reason: `${pass.fleet.server(serverId).name}: ${loadBalancerReason(error)}` };
    }
  }
  const outcome = await restoreServer(pass, batchNumber, serverId);
  return { restored: outcome.restored, reason: outcome.restored ? null : (outcome.reason ?? UNKNOWN) };
}
