import type { ApplicationSpec, InstanceStatus } from '../rollout/domain';
import type { ApplicationInstanceEntity } from './application-instance.entity';
import type { ApplicationEntity } from './application.entity';

/**
 * The application as the API shows it: its rollout specification plus timestamps. Secret env is
 * write-only: only its variable names are shown.
 */
export interface ApplicationView extends Omit<ApplicationSpec, 'secretEnv'> {
  secretEnvKeys: string[];
  createdAt: string;
  updatedAt: string;
}

export interface InstanceView {
  serverId: number;
  image: string | null;
  tag: string | null;
  status: InstanceStatus;
  inRotation: boolean;
  /** The port this instance serves on now (the application's hostPort until an instance records another). */
  hostPort: number;
}

/** The application's server ids in their stored order (batches follow it). */
export function serverIdsOf(application: ApplicationEntity): number[] {
  return [...(application.serverLinks ?? [])]
    .sort((a, b) => a.position - b.position)
    .map((link) => link.serverId);
}

export function toApplicationView(application: ApplicationEntity): ApplicationView {
  return {
    id: application.id,
    name: application.name,
    image: application.image,
    tag: application.tag,
    containerPort: application.containerPort,
    hostPort: application.hostPort,
    alternateHostPort: application.alternateHostPort,
    env: application.env,
    secretEnvKeys: [...application.secretEnvKeys].sort(),
    healthCheckPath: application.healthCheckPath,
    serverIds: serverIdsOf(application),
    loadBalancer: application.loadBalancer,
    stopTimeout: application.stopTimeout,
    minFreeMemoryMb: application.minFreeMemoryMb,
    minFreeDiskMb: application.minFreeDiskMb,
    dockerDataPath: application.dockerDataPath,
    createdAt: application.createdAt.toISOString(),
    updatedAt: application.updatedAt.toISOString(),
  };
}

/** One entry per server of the application; a server without a recorded instance shows as absent. */
export function toInstanceViews(
  serverIds: number[],
  instances: ApplicationInstanceEntity[],
  hostPort: number,
): InstanceView[] {
  const byServer = new Map(instances.map((instance) => [instance.serverId, instance]));
  return serverIds.map((serverId) => {
    const instance = byServer.get(serverId);
    return {
      serverId,
      image: instance?.image ?? null,
      tag: instance?.tag ?? null,
      status: instance?.status ?? 'absent',
      inRotation: instance?.inRotation ?? false,
      hostPort: instance?.hostPort ?? hostPort,
    };
  });
}
