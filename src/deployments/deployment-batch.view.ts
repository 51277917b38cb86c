import type { BatchView } from '../rollout/domain';
import type { DeploymentBatchEntity } from './deployment-batch.entity';
import { iso } from './deployment.view';

/** One batch JSON of the README's API. */
export function toBatchView(batch: DeploymentBatchEntity): BatchView {
  return {
    id: batch.id,
    batchNumber: batch.batchNumber,
    totalBatches: batch.totalBatches,
    serverIds: batch.serverIds,
    targetInstanceCount: batch.targetInstanceCount,
    status: batch.status,
    startedAt: iso(batch.startedAt),
    completedAt: iso(batch.completedAt),
    successfulInstances: batch.successfulInstances,
    failedInstances: batch.failedInstances,
    healthCheckResults: batch.healthCheckResults,
    failureReason: batch.failureReason,
    serverOutcomes: Object.fromEntries(
      batch.serverIds.map((id) => [String(id), batch.serverOutcomes?.[String(id)] ?? 'untouched']),
    ),
    createdAt: batch.createdAt.toISOString(),
    updatedAt: batch.updatedAt.toISOString(),
  };
}
