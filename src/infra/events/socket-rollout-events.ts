import { DEPLOYMENT_EVENTS } from '../../deployments/socket-io.constants';
import type { BatchView, DeploymentView, InstanceEvent } from '../../rollout/domain';
import { RolloutEvents } from '../../rollout/ports/rollout-events.port';
import type { RolloutMetrics } from '../metrics/rollout-metrics';

/**
 * The RolloutEvents port as socket.io events to the room of each deployment, with timings observed into
 * RolloutMetrics. Subclasses say how an event reaches the sockets (through Redis, or straight to this
 * process's gateway). Sending never throws: live progress must not break a rollout (Postgres has it).
 */
export abstract class SocketRolloutEvents extends RolloutEvents {
  constructor(private readonly metrics?: RolloutMetrics) {
    super();
  }

  deploymentUpdated(deployment: DeploymentView): void {
    this.emit(deployment.id, DEPLOYMENT_EVENTS.deploymentUpdated, deployment);
  }

  batchUpdated(deploymentId: number, batch: BatchView): void {
    this.metrics?.observeBatch(deploymentId, batch);
    this.emit(deploymentId, DEPLOYMENT_EVENTS.batchUpdated, { ...batch, deploymentId });
  }

  instanceUpdated(event: InstanceEvent): void {
    this.metrics?.observeInstance(event);
    this.emit(event.deploymentId, DEPLOYMENT_EVENTS.instanceUpdated, event);
  }

  deploymentFinished(deployment: DeploymentView): void {
    this.metrics?.forgetDeployment(deployment.id);
    this.emit(deployment.id, DEPLOYMENT_EVENTS.deploymentFinished, deployment);
  }

  protected abstract emit(deploymentId: number, event: string, payload: object): void;
}
