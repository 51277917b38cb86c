import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApplicationInstanceEntity } from '../applications/application-instance.entity';
import { ApplicationsModule } from '../applications/applications.module';
import { EventsModule } from '../infra/events/events.module';
import { QueueModule } from '../infra/queue/queue.module';
import { DeploymentBatchEntity } from './deployment-batch.entity';
import { DeploymentEventEntity } from './deployment-event.entity';
import { DeploymentEntity } from './deployment.entity';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsRepository } from './deployments.repository';
import { DeploymentsService } from './deployments.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      DeploymentEntity,
      DeploymentBatchEntity,
      DeploymentEventEntity,
      ApplicationInstanceEntity,
    ]),
    ApplicationsModule,
    QueueModule,
    EventsModule,
  ],
  controllers: [DeploymentsController],
  providers: [DeploymentsService, DeploymentsRepository],
  exports: [DeploymentsService],
})
export class DeploymentsModule {}
