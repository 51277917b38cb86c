import { Module } from '@nestjs/common';
import { RedisClientModule } from '../queue/redis-client.module';
import { RolloutMetricsModule } from './rollout-metrics.module';
import { WorkerMetricsPublisher } from './worker-metrics.publisher';

/** The worker's side of /metrics: publishes the rollout histograms to Redis. */
@Module({
  imports: [RolloutMetricsModule, RedisClientModule],
  providers: [WorkerMetricsPublisher],
})
export class WorkerMetricsModule {}
