import type { DeploymentEventEntity } from './deployment-event.entity';

/**
 * One step of a deployment's timeline. `phase` is the instance phase for a server's step (the same `id`
 * and phase as its `instance.updated` event) or the kind of a deployment-level note (`serverId` null).
 */
export interface DeploymentEventView {
  id: number;
  at: string;
  batchNumber: number | null;
  serverId: number | null;
  phase: string;
  message: string;
}

export function toDeploymentEventView(event: DeploymentEventEntity): DeploymentEventView {
  return {
    id: event.id,
    at: event.createdAt.toISOString(),
    batchNumber: event.batchNumber,
    serverId: event.serverId,
    phase: event.type,
    message: event.message,
  };
}
