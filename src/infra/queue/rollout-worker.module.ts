import { Module } from '@nestjs/common';
import { RolloutModule } from '../../rollout/rollout.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { RolloutProcessor } from '../../rollout/rollout.processor';
import { QueueModule } from './queue.module';

/** The queue plus its consumer: imported by the worker process only. */
@Module({
  imports: [QueueModule, RolloutModule, PersistenceModule],
  providers: [RolloutProcessor],
})
export class RolloutWorkerModule {}
