import { Module } from '@nestjs/common';
import { API_MODULES } from './app.module';
import { GatewayEventsModule } from './infra/events/gateway-events.module';
import { HealthModule } from './infra/health/http/health.module';
import { InProcessQueueModule } from './worker/in-process-queue.module';

/**
 * `npm start` without REDIS_URL: the API and one worker in one process. The in-process queue hands
 * deployments to the strategy and the events go straight to the gateway; Postgres is the only store.
 */
@Module({
  imports: [
    ...API_MODULES,
    InProcessQueueModule,
    GatewayEventsModule,
    HealthModule.register({ redis: false }),
  ],
})
export class StandaloneModule {}
