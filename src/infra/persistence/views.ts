import type { ApplicationEntity } from '../../applications/application.entity';
import type { DeploymentBatchEntity } from '../../deployments/deployment-batch.entity';
import type { DeploymentEntity } from '../../deployments/deployment.entity';
import type { BatchView, DeploymentView, RollingUpdateOptions } from '../../rollout/domain';

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** The stored rolling-update options; the health path falls back to the application's. */
export function rollingUpdateOptionsOf(
  deployment: DeploymentEntity,
  application: Pick<ApplicationEntity, 'healthCheckPath'>,
): RollingUpdateOptions {
  return {
    batchSize: deployment.batchSize,
    batchSizeIsPercentage: deployment.batchSizeIsPercentage,
    waitInterval: deployment.waitInterval,
    healthCheckPath: deployment.healthCheckPath ?? application.healthCheckPath,
    healthCheckTimeout: deployment.healthCheckTimeout,
    healthCheckInterval: deployment.healthCheckInterval,
    maxHealthCheckRetries: deployment.maxHealthCheckRetries,
    minimumHealthyInstances: deployment.minimumHealthyInstances,
    autoRollbackOnFailure: deployment.autoRollbackOnFailure,
    failureThreshold: deployment.failureThreshold,
  };
}

/** The deployment JSON of CONTRACT.md; the API, socket.io and the worker all build it here. */
export function toDeploymentView(
  deployment: DeploymentEntity,
  application: Pick<ApplicationEntity, 'healthCheckPath'>,
): DeploymentView {
  return {
    id: deployment.id,
    applicationId: deployment.applicationId,
    strategy: deployment.strategy,
    status: deployment.status,
    image: deployment.image,
    tag: deployment.tag,
    previousImage: deployment.previousImage,
    previousTag: deployment.previousTag,
    ...rollingUpdateOptionsOf(deployment, application),
    totalBatches: deployment.totalBatches,
    completedBatches: deployment.completedBatches,
    failedBatches: deployment.failedBatches,
    failureReason: deployment.failureReason,
    createdAt: deployment.createdAt.toISOString(),
    startedAt: iso(deployment.startedAt),
    completedAt: iso(deployment.completedAt),
  };
}

/** One batch JSON of CONTRACT.md. */
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
  };
}
