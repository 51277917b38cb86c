/** The socket.io side of the contract: one namespace, one room per deployment, four events. */
export const DEPLOYMENTS_NAMESPACE = '/deployments';

export const DEPLOYMENT_EVENTS = {
  deploymentUpdated: 'deployment.updated',
  batchUpdated: 'batch.updated',
  instanceUpdated: 'instance.updated',
  deploymentFinished: 'deployment.finished',
} as const;

export function deploymentRoom(deploymentId: number): string {
  return `deployment:${deploymentId}`;
}
