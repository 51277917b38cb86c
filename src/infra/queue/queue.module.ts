import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { DeploymentQueue } from '../../deployments/deployment-queue.port';
import { BullmqDeploymentQueue } from './bullmq-deployment.queue';
import { QueueInspector } from './queue-inspector';
import { DEPLOYMENTS_QUEUE } from './queue.constants';
import { redisOptionsFromUrl } from './redis-options';

/**
 * The `deployments` queue as a producer, for the API and the worker (whose processor RolloutWorkerModule
 * adds with these connection options). `maxRetriesPerRequest: null`, as BullMQ requires for workers,
 * makes every command wait out a Redis outage instead of failing: a lock renewal or an enqueue that
 * failed half-way would leave a deployment `queued` with no job.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        connection: { ...redisOptionsFromUrl(config.redisUrl), maxRetriesPerRequest: null },
        prefix: config.queuePrefix,
      }),
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
