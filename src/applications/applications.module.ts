import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeploymentEntity } from '../deployments/deployment.entity';
import { ServersModule } from '../servers/servers.module';
import { ApplicationInstanceEntity } from './application-instance.entity';
import { ApplicationServerEntity } from './application-server.entity';
import { ApplicationEntity } from './application.entity';
import { ApplicationsController } from './applications.controller';
import { ApplicationsRepository } from './applications.repository';
import { ApplicationsService } from './applications.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      ApplicationEntity,
      ApplicationServerEntity,
      ApplicationInstanceEntity,
      DeploymentEntity,
    ]),
    ServersModule,
  ],
  controllers: [ApplicationsController],
  providers: [ApplicationsService, ApplicationsRepository],
  exports: [ApplicationsService, ApplicationsRepository],
})
export class ApplicationsModule {}
