import { Logger } from '@nestjs/common';
import type { DeploymentsGateway } from '../../deployments/deployments.gateway';
import type { RolloutMetrics } from '../metrics/rollout-metrics';
import { SocketRolloutEvents } from './socket-rollout-events';

/** Rollout progress of the in-process worker (`npm start` without Redis), handed to this process's gateway. */
export class GatewayRolloutEvents extends SocketRolloutEvents {
  private readonly logger = new Logger('RolloutEvents');

  constructor(
    private readonly gateway: DeploymentsGateway,
    metrics?: RolloutMetrics,
  ) {
    super(metrics);
  }

  protected emit(deploymentId: number, event: string, payload: object): void {
    try {
      this.gateway.publish(deploymentId, event, payload);
    } catch (error) {
      this.logger.warn({ err: error, deploymentId, event }, 'could not send a rollout event');
    }
  }
}
