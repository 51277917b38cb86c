import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApplicationEntity } from '../applications/application.entity';
import { ServerEntity } from './server.entity';
import { ServersController } from './servers.controller';
import { ServersRepository } from './servers.repository';
import { ServersService } from './servers.service';

@Module({
  imports: [TypeOrmModule.forFeature([ServerEntity, ApplicationEntity])],
  controllers: [ServersController],
  providers: [ServersService, ServersRepository],
  exports: [ServersRepository],
})
export class ServersModule {}
