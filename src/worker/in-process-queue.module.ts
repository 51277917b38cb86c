import { Global, Module } from '@nestjs/common';
import { DeploymentQueue } from '../deployments/deployment-queue.port';
import { PersistenceModule } from '../infra/persistence/persistence.module';
import { QueueInspector } from '../infra/queue/queue-inspector';
import { InProcessRolloutQueue } from './in-process-rollout-queue';
import { RolloutModule } from './rollout.module';

/** The queue and the worker of `npm start` without Redis, in the API's process. Global like QueueModule. */
@Global()
@Module({
  imports: [PersistenceModule, RolloutModule],
  providers: [
    InProcessRolloutQueue,
    { provide: DeploymentQueue, useExisting: InProcessRolloutQueue },
    { provide: QueueInspector, useExisting: InProcessRolloutQueue },
  ],
  exports: [DeploymentQueue, QueueInspector],
})
export class InProcessQueueModule {}
