import type { BatchView, DeploymentView, InstanceEvent } from '../domain';

/** Live progress for socket.io subscribers of one deployment, in the order it happened. */
export abstract class RolloutEvents {
  abstract deploymentUpdated(deployment: DeploymentView): void;
  abstract batchUpdated(deploymentId: number, batch: BatchView): void;
  abstract instanceUpdated(event: InstanceEvent): void;
  abstract deploymentFinished(deployment: DeploymentView): void;
}
