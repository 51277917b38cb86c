import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, LessThan, Repository } from 'typeorm';
import type { Page } from '../common/http/page.query';
import { ConflictError } from '../common/errors';
import { isForeignKeyViolation, isUniqueViolation } from '../common/database-errors';
import { DeploymentEntity } from '../deployments/deployment.entity';
import { ACTIVE_DEPLOYMENT_STATUSES } from '../rollout/domain';
import { ApplicationInstanceEntity } from './application-instance.entity';
import { ApplicationServerEntity } from './application-server.entity';
import { ApplicationEntity } from './application.entity';

export type NewApplication = Omit<
  ApplicationEntity,
  'id' | 'team' | 'serverLinks' | 'createdAt' | 'updatedAt' | 'secretEnvEncrypted' | 'secretEnvKeys'
>;

/** Secret env to store with a new application: its names, and a sealer given the new row's id. */
export interface NewSecretEnv {
  keys: string[];
  seal: (applicationId: number) => string;
}

@Injectable()
export class ApplicationsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(ApplicationEntity) private readonly applications: Repository<ApplicationEntity>,
    @InjectRepository(ApplicationInstanceEntity)
    private readonly instances: Repository<ApplicationInstanceEntity>,
    @InjectRepository(DeploymentEntity) private readonly deployments: Repository<DeploymentEntity>,
  ) {}

  /**
   * The application, its servers in order and its secret env in one transaction. The secret env is sealed
   * once the row has its id, since the ciphertext is bound to it.
   */
  async insert(
    application: NewApplication,
    serverIds: number[],
    secretEnv: NewSecretEnv | null = null,
  ): Promise<ApplicationEntity> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const saved = await manager.save(
          ApplicationEntity,
          manager.create(ApplicationEntity, { ...application, secretEnvKeys: [] }),
        );
        if (secretEnv !== null && secretEnv.keys.length > 0) {
          const sealed = { secretEnvEncrypted: secretEnv.seal(saved.id), secretEnvKeys: secretEnv.keys };
          await manager.update(ApplicationEntity, saved.id, sealed);
          Object.assign(saved, sealed);
        }
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

  /** Newest first, at most `limit`, only ids below `beforeId` when given. */
  list(teamId: number, page: Page): Promise<ApplicationEntity[]> {
    return this.applications.find({
      where: { teamId, ...(page.beforeId === undefined ? {} : { id: LessThan(page.beforeId) }) },
      relations: { serverLinks: true },
      order: { id: 'DESC' },
      take: page.limit,
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
