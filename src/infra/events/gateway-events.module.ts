import { Global, Module } from '@nestjs/common';
import { DeploymentsGateway } from '../../deployments/deployments.gateway';
import { RolloutEvents } from '../../rollout/ports/rollout-events.port';
import { IN_PROCESS_WORKER_METRICS } from '../metrics/api-metrics';
import { RolloutMetrics } from '../metrics/rollout-metrics';
import { RolloutMetricsModule } from '../metrics/rollout-metrics.module';
import { EventsGatewayModule } from './events-gateway.module';
import { GatewayRolloutEvents } from './gateway-rollout-events';

/**
 * The RolloutEvents port when the worker runs in the API's process (`npm start` without Redis): events go
 * straight to this process's gateway, and /metrics serves the worker's registry directly.
 */
@Global()
@Module({
  imports: [EventsGatewayModule, RolloutMetricsModule],
  providers: [
    {
      provide: RolloutEvents,
      inject: [DeploymentsGateway, RolloutMetrics],
      useFactory: (gateway: DeploymentsGateway, metrics: RolloutMetrics) =>
        new GatewayRolloutEvents(gateway, metrics),
    },
    { provide: IN_PROCESS_WORKER_METRICS, useExisting: RolloutMetrics },
  ],
  exports: [RolloutEvents, IN_PROCESS_WORKER_METRICS],
})
export class GatewayEventsModule {}
