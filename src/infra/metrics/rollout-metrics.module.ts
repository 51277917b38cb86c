import { Module } from '@nestjs/common';
import { SystemClock } from '../../common/clock';
import { RolloutMetrics } from './rollout-metrics';

@Module({
  providers: [{ provide: RolloutMetrics, useFactory: () => new RolloutMetrics(new SystemClock()) }],
  exports: [RolloutMetrics],
})
export class RolloutMetricsModule {}
