import type { ApplicationEntity } from '../../applications/application.entity';
import type { ApplicationInstanceEntity } from '../../applications/application-instance.entity';
import type { ApplicationSpec, InstanceState, ServerTarget } from '../../rollout/domain';
import { RecordNotFoundError } from './persistence-errors';

/** Rows as the engine reads them. */
export function requireTarget(targets: Map<number, ServerTarget>, serverId: number): ServerTarget {
  const target = targets.get(serverId);
  if (!target) throw new RecordNotFoundError('server', serverId);
  return target;
}

export function toApplicationSpec(
  app: ApplicationEntity,
  serverIds: number[],
  secretEnv: Record<string, string>,
): ApplicationSpec {
  return {
    id: app.id,
    name: app.name,
    image: app.image,
    tag: app.tag,
    containerPort: app.containerPort,
    hostPort: app.hostPort,
    alternateHostPort: app.alternateHostPort,
    env: app.env,
    ...(Object.keys(secretEnv).length > 0 && { secretEnv }),
    healthCheckPath: app.healthCheckPath,
    serverIds,
    loadBalancer: app.loadBalancer,
    stopTimeout: app.stopTimeout,
    minFreeMemoryMb: app.minFreeMemoryMb,
    minFreeDiskMb: app.minFreeDiskMb,
    dockerDataPath: app.dockerDataPath,
  };
}

export function toInstanceState(
  serverId: number,
  app: ApplicationEntity,
  instances: ApplicationInstanceEntity[],
): InstanceState {
  const row = instances.find((instance) => instance.serverId === serverId);
  if (!row) {
    return {
      serverId,
      image: null,
      tag: null,
      status: 'absent',
      inRotation: false,
      hostPort: app.hostPort,
      previousImage: null,
      previousTag: null,
    };
  }
  return {
    serverId,
    image: row.image,
    tag: row.tag,
    status: row.status,
    inRotation: row.inRotation,
    hostPort: row.hostPort,
    previousImage: row.previousImage,
    previousTag: row.previousTag,
  };
}
