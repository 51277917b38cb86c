import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { DeploymentQueue } from '../../deployments/deployment-queue.port';
import { BullmqDeploymentQueue } from './bullmq-deployment.queue';
import { BullmqQueueInspector, QueueInspector } from './queue-inspector';
import { DEPLOYMENTS_QUEUE } from './queue.constants';
import { bullmqOptions } from './redis-options';

/**
 * The `deployments` queue on Redis as a producer, for the API and the worker (whose RolloutProcessor
 * consumes it). Global: the root module chooses it or the in-process queue of `npm start`.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: bullmqOptions,
    }),
    BullModule.registerQueue({ name: DEPLOYMENTS_QUEUE }),
  ],
  providers: [
    BullmqDeploymentQueue,
    { provide: DeploymentQueue, useExisting: BullmqDeploymentQueue },
    { provide: QueueInspector, useClass: BullmqQueueInspector },
  ],
  exports: [DeploymentQueue, QueueInspector, BullModule],
})
export class QueueModule {}
