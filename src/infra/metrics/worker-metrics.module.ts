import { Module } from '@nestjs/common';
import { RolloutMetricsModule } from './rollout-metrics.module';
import { WorkerMetricsPublisher } from './worker-metrics.publisher';

/** The worker's side of /metrics: publishes the rollout histograms to Redis (REDIS_CLIENT, global). */
@Module({
  imports: [RolloutMetricsModule],
  providers: [WorkerMetricsPublisher],
})
export class WorkerMetricsModule {}
