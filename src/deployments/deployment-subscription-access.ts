import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DeploymentEntity } from './deployment.entity';

/** Whether a team may watch a deployment: it must exist and belong to one of the team's applications. */
export abstract class DeploymentSubscriptionAccess {
  abstract canSubscribe(teamId: number, deploymentId: number): Promise<boolean>;
}

@Injectable()
export class TypeormDeploymentSubscriptionAccess extends DeploymentSubscriptionAccess {
  constructor(
    @InjectRepository(DeploymentEntity) private readonly deployments: Repository<DeploymentEntity>,
  ) {
    super();
  }

  canSubscribe(teamId: number, deploymentId: number): Promise<boolean> {
    return this.deployments
      .createQueryBuilder('deployment')
      .innerJoin('deployment.application', 'application')
      .where('deployment.id = :deploymentId', { deploymentId })
      .andWhere('application.teamId = :teamId', { teamId })
      .getExists();
  }
}
