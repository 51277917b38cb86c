import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApplicationInstanceEntity } from '../applications/application-instance.entity';
import { ApplicationsModule } from '../applications/applications.module';
import { PersistenceModule } from '../infra/persistence/persistence.module';
import { RemoteAccessModule } from '../infra/ssh/remote-access.module';
import { SshCapacityPreview } from '../infra/ssh/ssh-capacity-preview';
import { CapacityPreview } from './capacity-preview.port';
import { DeploymentBatchEntity } from './deployment-batch.entity';
import { DeploymentEventEntity } from './deployment-event.entity';
import { DeploymentEntity } from './deployment.entity';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsRepository } from './deployments.repository';
import { DeploymentsService } from './deployments.service';

/** DeploymentQueue and RolloutEvents come from the root module's choice of transport (both global). */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      DeploymentEntity,
      DeploymentBatchEntity,
      DeploymentEventEntity,
      ApplicationInstanceEntity,
    ]),
    ApplicationsModule,
    PersistenceModule,
    RemoteAccessModule,
  ],
  controllers: [DeploymentsController],
  providers: [
    DeploymentsService,
    DeploymentsRepository,
    { provide: CapacityPreview, useClass: SshCapacityPreview },
  ],
  exports: [DeploymentsService],
})
export class DeploymentsModule {}
