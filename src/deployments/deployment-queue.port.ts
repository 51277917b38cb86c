/** Hands a deployment to the worker processes. The payload carries only the id: no secrets. */
export abstract class DeploymentQueue {
  abstract enqueue(deploymentId: number): Promise<void>;
}
