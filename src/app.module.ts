import { Module } from '@nestjs/common';
import { ApplicationsModule } from './applications/applications.module';
import { AuthModule } from './common/auth/auth.module';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeploymentsModule } from './deployments/deployments.module';
import { EventsModule } from './infra/events/events.module';
import { EventsGatewayModule } from './infra/events/events-gateway.module';
import { HealthModule } from './infra/health/http/health.module';
import { LoggingModule } from './infra/logging/logging.module';
import { MetricsModule } from './infra/metrics/metrics.module';
import { QueueModule } from './infra/queue/queue.module';
import { RedisClientModule } from './infra/queue/redis-client.module';
import { ServersModule } from './servers/servers.module';
import { DashboardModule } from './infra/dashboard/dashboard.module';

/** What every API serves, whichever transport the root module picks for the queue and the events. */
export const API_MODULES = [
  AppConfigModule,
  LoggingModule,
  DatabaseModule,
  AuthModule,
  ServersModule,
  ApplicationsModule,
  DeploymentsModule,
  EventsGatewayModule,
  MetricsModule,
  DashboardModule,
];

/**
 * The API process when workers are separate processes: the queue and the events go through Redis. The
 * queue is only produced to here; RolloutProcessor lives in WorkerModule.
 */
@Module({
  imports: [
    ...API_MODULES,
    RedisClientModule,
    QueueModule,
    EventsModule,
    HealthModule.register({ redis: true }),
  ],
})
export class AppModule {}
