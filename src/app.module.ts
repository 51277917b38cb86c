import { Module } from '@nestjs/common';
import { ApplicationsModule } from './applications/applications.module';
import { AuthModule } from './common/auth/auth.module';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeploymentsModule } from './deployments/deployments.module';
import { EventsGatewayModule } from './infra/events/events-gateway.module';
import { HealthModule } from './infra/health/http/health.module';
import { LoggingModule } from './infra/logging/logging.module';
import { MetricsModule } from './infra/metrics/metrics.module';
import { QueueModule } from './infra/queue/queue.module';
import { ServersModule } from './servers/servers.module';

/** The API process. The queue is only produced to here; RolloutProcessor lives in WorkerModule. */
@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    DatabaseModule,
    AuthModule,
    ServersModule,
    ApplicationsModule,
    DeploymentsModule,
    QueueModule,
    EventsGatewayModule,
    HealthModule,
    MetricsModule,
  ],
})
export class AppModule {}
