import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { DeploymentQueue } from '../../deployments/deployment-queue.port';
import { BullmqDeploymentQueue } from './bullmq-deployment.queue';
import { QueueInspector } from './queue-inspector';
import { DEPLOYMENTS_QUEUE } from './queue.constants';
import { bullmqOptions } from './redis-options';

/** The `deployments` queue as a producer, for the API and the worker (whose RolloutProcessor consumes it). */
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
    QueueInspector,
  ],
  exports: [DeploymentQueue, QueueInspector, BullModule],
})
export class QueueModule {}
