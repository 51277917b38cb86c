import { Module } from '@nestjs/common';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './infra/events/events.module';
import { LoggingModule } from './infra/logging/logging.module';
import { WorkerMetricsModule } from './infra/metrics/worker-metrics.module';
import { RolloutWorkerModule } from './infra/queue/rollout-worker.module';
import { RolloutModule } from './rollout/rollout.module';

/** The worker process: the deployments queue's consumer and everything a rollout needs. */
@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    DatabaseModule,
    EventsModule,
    WorkerMetricsModule,
    RolloutModule,
    RolloutWorkerModule,
  ],
})
export class WorkerModule {}
