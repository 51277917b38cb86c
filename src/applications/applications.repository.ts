import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import { ConflictError } from '../common/errors';
import { isForeignKeyViolation, isUniqueViolation } from '../common/database-errors';
import { DeploymentEntity } from '../deployments/deployment.entity';
import { ACTIVE_DEPLOYMENT_STATUSES } from '../rollout/domain';
import { ApplicationInstanceEntity } from './application-instance.entity';
import { ApplicationServerEntity } from './application-server.entity';
import { ApplicationEntity } from './application.entity';

export type NewApplication = Omit<
  ApplicationEntity,
  'id' | 'team' | 'serverLinks' | 'createdAt' | 'updatedAt'
>;

@Injectable()
export class ApplicationsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(ApplicationEntity) private readonly applications: Repository<ApplicationEntity>,
    @InjectRepository(ApplicationInstanceEntity)
    private readonly instances: Repository<ApplicationInstanceEntity>,
    @InjectRepository(DeploymentEntity) private readonly deployments: Repository<DeploymentEntity>,
  ) {}

  /** The application and its servers, in order, in one transaction. */
  async insert(application: NewApplication, serverIds: number[]): Promise<ApplicationEntity> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const saved = await manager.save(ApplicationEntity, manager.create(ApplicationEntity, application));
        saved.serverLinks = serverIds.map((serverId, position) =>
          manager.create(ApplicationServerEntity, { applicationId: saved.id, serverId, position }),
        );
        await manager.insert(ApplicationServerEntity, saved.serverLinks);
        return saved;
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`An application named ${application.name} already exists`);
      if (isForeignKeyViolation(error))
        throw new ConflictError('A server of the application was deleted meanwhile');
      throw error;
    }
  }

  list(teamId: number): Promise<ApplicationEntity[]> {
    return this.applications.find({
      where: { teamId },
      relations: { serverLinks: true },
      order: { id: 'ASC' },
    });
  }

  findOne(teamId: number, id: number): Promise<ApplicationEntity | null> {
    return this.applications.findOne({ where: { teamId, id }, relations: { serverLinks: true } });
  }

  instancesOf(applicationId: number): Promise<ApplicationInstanceEntity[]> {
    return this.instances.findBy({ applicationId });
  }

  hasActiveDeployment(applicationId: number): Promise<boolean> {
    return this.deployments.existsBy({ applicationId, status: In([...ACTIVE_DEPLOYMENT_STATUSES]) });
  }

  async remove(teamId: number, id: number): Promise<void> {
    await this.applications.delete({ teamId, id });
  }
}
