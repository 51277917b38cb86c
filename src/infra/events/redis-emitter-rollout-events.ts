import { Logger } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import type Redis from 'ioredis';
import { DEPLOYMENTS_NAMESPACE, deploymentRoom } from '../../deployments/socket-io.constants';
import type { RolloutMetrics } from '../metrics/rollout-metrics';
import { SocketRolloutEvents } from './socket-rollout-events';

/**
 * Publishes rollout progress from a worker process through Redis to every API process's socket.io
 * adapter. One connection, one PUBLISH per call in call order: Redis delivers a channel's messages in
 * order, so subscribers see a deployment's events as they happened. A failed publish is logged.
 */
export class RedisEmitterRolloutEvents extends SocketRolloutEvents {
  private readonly logger = new Logger('RolloutEvents');
  private readonly emitter: Emitter;

  constructor(publisher: Redis, key: string, metrics?: RolloutMetrics) {
    super(metrics);
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

  protected emit(deploymentId: number, event: string, payload: object): void {
    this.emitter.to(deploymentRoom(deploymentId)).emit(event, payload);
  }
}
