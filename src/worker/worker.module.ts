import { Module } from '@nestjs/common';
import { AppConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { EventsModule } from '../infra/events/events.module';
import { LoggingModule } from '../infra/logging/logging.module';
import { WorkerMetricsModule } from '../infra/metrics/worker-metrics.module';
import { PersistenceModule } from '../infra/persistence/persistence.module';
import { QueueModule } from '../infra/queue/queue.module';
import { RedisClientModule } from '../infra/queue/redis-client.module';
import { RolloutModule } from './rollout.module';
import { RolloutProcessor } from './rollout.processor';

/** The worker process: the deployments queue, its consumer and everything a rollout needs. */
@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    DatabaseModule,
    RedisClientModule,
    EventsModule,
    WorkerMetricsModule,
    QueueModule,
    PersistenceModule,
    RolloutModule,
  ],
  providers: [RolloutProcessor],
})
export class WorkerModule {}
