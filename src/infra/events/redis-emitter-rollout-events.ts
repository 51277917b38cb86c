import { Logger } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import type Redis from 'ioredis';
import {
  DEPLOYMENT_EVENTS,
  DEPLOYMENTS_NAMESPACE,
  deploymentRoom,
} from '../../deployments/socket-io.constants';
import type { BatchView, DeploymentView, InstanceEvent } from '../../rollout/domain';
import { RolloutEvents } from '../../rollout/ports/rollout-events.port';
import type { RolloutMetrics } from '../metrics/rollout-metrics';

/**
 * Publishes rollout progress from the worker through Redis to every API process's socket.io adapter.
 * One connection, one PUBLISH per call in call order: Redis delivers a channel's messages in order,
 * so subscribers see a deployment's events as they happened. A failed publish is logged, never
 * thrown: live progress must not break a rollout (the state is in Postgres).
 */
export class RedisEmitterRolloutEvents extends RolloutEvents {
  private readonly logger = new Logger('RolloutEvents');
  private readonly emitter: Emitter;

  constructor(
    publisher: Redis,
    key: string,
    private readonly metrics?: RolloutMetrics,
  ) {
    super();
    // The emitter ignores publish's promise; a rejection would be unhandled and end the process.
    const safePublisher = {
      publish: (channel: string, message: Buffer | string) =>
        publisher.publish(channel, message).catch((error: unknown) => {
          this.logger.warn({ err: error, channel }, 'could not publish a rollout event');
          return 0;
        }),
    };
    this.emitter = new Emitter(safePublisher, { key }).of(DEPLOYMENTS_NAMESPACE);
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

  private emit(deploymentId: number, event: string, payload: object): void {
    this.emitter.to(deploymentRoom(deploymentId)).emit(event, payload);
  }
}
