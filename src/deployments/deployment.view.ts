import type { ApplicationEntity } from '../applications/application.entity';
import type { DeploymentView, RollingUpdateOptions } from '../rollout/domain';
import type { DeploymentEntity } from './deployment.entity';

/** A nullable timestamp as the API writes it. */
export function iso(date: Date | null): string | null {
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
    pauseAfterEachBatch: deployment.pauseAfterEachBatch,
    successThreshold: deployment.successThreshold,
    startPeriod: deployment.startPeriod,
    minReadySeconds: deployment.minReadySeconds,
    progressDeadline: deployment.progressDeadline,
    order: deployment.order,
  };
}

/** The deployment JSON of the README's API; the API, socket.io and the worker all build it here. */
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
    resumeCount: deployment.resumeCount,
    lastResumedAt: iso(deployment.lastResumedAt),
    createdAt: deployment.createdAt.toISOString(),
    startedAt: iso(deployment.startedAt),
    completedAt: iso(deployment.completedAt),
  };
}
