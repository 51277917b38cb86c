import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../../common/auth/auth.module';
import { DeploymentEntity } from '../../deployments/deployment.entity';
import { DeploymentsGateway } from '../../deployments/deployments.gateway';
import {
  DeploymentSubscriptionAccess,
  TypeormDeploymentSubscriptionAccess,
} from '../../deployments/deployment-subscription-access';

/**
 * The API's socket.io namespace `/deployments`; with separate workers main.ts installs RedisIoAdapter so
 * their events arrive, in one process GatewayEventsModule hands them to the gateway. Needs DatabaseModule's connection in the application.
 */
@Module({
  imports: [TypeOrmModule.forFeature([DeploymentEntity]), AuthModule],
  providers: [
    DeploymentsGateway,
    { provide: DeploymentSubscriptionAccess, useClass: TypeormDeploymentSubscriptionAccess },
  ],
  exports: [DeploymentsGateway],
})
export class EventsGatewayModule {}
