import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThan, MoreThan, Repository } from 'typeorm';
import { ApplicationInstanceEntity } from '../applications/application-instance.entity';
import { ApplicationEntity } from '../applications/application.entity';
import { ConflictError } from '../common/errors';
import { isUniqueViolation } from '../common/database-errors';
import type { DeploymentStatus, RollingUpdateOptions } from '../rollout/domain';
import { DeploymentBatchEntity } from './deployment-batch.entity';
import { DeploymentEventEntity } from './deployment-event.entity';
import { DeploymentEntity } from './deployment.entity';

const ONE_ACTIVE_PER_APPLICATION = 'deployments_one_active_per_application';

export type NewDeployment = Pick<
  DeploymentEntity,
  'applicationId' | 'status' | 'image' | 'tag' | 'previousImage' | 'previousTag' | 'rollbackOfDeploymentId'
> &
  Partial<RollingUpdateOptions & Pick<DeploymentEntity, 'totalBatches'>>;

function activeConflict(application: ApplicationEntity): ConflictError {
  return new ConflictError(
    `A deployment of application ${application.name} is already queued or in progress`,
  );
}

@Injectable()
export class DeploymentsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(DeploymentEntity) private readonly deployments: Repository<DeploymentEntity>,
    @InjectRepository(DeploymentBatchEntity) private readonly batches: Repository<DeploymentBatchEntity>,
    @InjectRepository(ApplicationInstanceEntity)
    private readonly instances: Repository<ApplicationInstanceEntity>,
  ) {}

  /** The deployment with its application (and the application's servers), when the team owns it. */
  findForTeam(teamId: number, id: number): Promise<DeploymentEntity | null> {
    return this.deployments.findOne({
      where: { id, application: { teamId } },
      relations: { application: { serverLinks: true } },
    });
  }

  /** Newest first (ids grow with creation), at most `limit`, only ids below `beforeId` when given. */
  list(
    teamId: number,
    page: { applicationId?: number; beforeId?: number; limit: number },
  ): Promise<DeploymentEntity[]> {
    return this.deployments.find({
      where: {
        application: { teamId, ...(page.applicationId === undefined ? {} : { id: page.applicationId }) },
        ...(page.beforeId === undefined ? {} : { id: LessThan(page.beforeId) }),
      },
      relations: { application: true },
      order: { id: 'DESC' },
      take: page.limit,
    });
  }

  /** The timeline after `afterId`, oldest first (ids grow in the order events were recorded). */
  eventsOf(deploymentId: number, afterId: number, limit: number): Promise<DeploymentEventEntity[]> {
    return this.dataSource.getRepository(DeploymentEventEntity).find({
      where: { deploymentId, id: MoreThan(afterId) },
      order: { id: 'ASC' },
      take: limit,
    });
  }

  /** How long the application's most recent completed batches took (seconds), newest first. */
  async recentBatchSeconds(applicationId: number, limit: number): Promise<number[]> {
    const rows: { seconds: number | string }[] = await this.dataSource.query(
      `SELECT EXTRACT(EPOCH FROM b.completed_at - b.started_at) AS seconds
         FROM deployment_batches b JOIN deployments d ON d.id = b.deployment_id
        WHERE d.application_id = $1 AND b.status = 'completed'
          AND b.started_at IS NOT NULL AND b.completed_at IS NOT NULL
        ORDER BY b.completed_at DESC LIMIT $2`,
      [applicationId, limit],
    );
    return rows.map((row) => Number(row.seconds));
  }

  batchesOf(deploymentId: number): Promise<DeploymentBatchEntity[]> {
    return this.batches.find({ where: { deploymentId }, order: { batchNumber: 'ASC' } });
  }

  /** The recorded instances of the application's servers, in the servers' order. */
  async instancesOf(applicationId: number, serverIds: number[]): Promise<ApplicationInstanceEntity[]> {
    const instances = await this.instances.findBy({ applicationId, serverId: In(serverIds) });
    return serverIds.flatMap((serverId) => instances.filter((instance) => instance.serverId === serverId));
  }

  /** Inserts a deployment; a `queued` one is refused by the partial unique index while another is active. */
  async insert(
    deployment: NewDeployment,
    application: ApplicationEntity,
    event?: string,
  ): Promise<DeploymentEntity> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const saved = await manager.save(DeploymentEntity, manager.create(DeploymentEntity, deployment));
        if (event) await this.appendEvent(manager, saved.id, deployment.status, event);
        return saved;
      });
    } catch (error) {
      if (isUniqueViolation(error, ONE_ACTIVE_PER_APPLICATION)) throw activeConflict(application);
      throw error;
    }
  }

  /** pending → queued with its options, in one transaction; false when it was no longer pending. */
  async queue(
    deploymentId: number,
    application: ApplicationEntity,
    options: RollingUpdateOptions,
    totalBatches: number,
  ): Promise<boolean> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const result = await manager
          .createQueryBuilder()
          .update(DeploymentEntity)
          .set({ ...options, totalBatches, status: 'queued' })
          .where('id = :deploymentId AND status = :pending', { deploymentId, pending: 'pending' })
          .execute();
        if (!result.affected) return false;
        await this.appendEvent(manager, deploymentId, 'queued', 'Rolling update queued');
        return true;
      });
    } catch (error) {
      if (isUniqueViolation(error, ONE_ACTIVE_PER_APPLICATION)) throw activeConflict(application);
      throw error;
    }
  }

  /** Puts back a deployment whose job could not be enqueued, so that it can be started again. */
  async unqueue(deploymentId: number): Promise<void> {
    await this.deployments.update(
      { id: deploymentId, status: 'queued' },
      { status: 'pending', totalBatches: 0 },
    );
  }

  /**
   * queued or paused → cancelled at once (no worker runs it); false when it is neither any more. A paused
   * rollout keeps the servers it already updated.
   */
  async cancelIdle(deploymentId: number): Promise<boolean> {
    return (
      (await this.cancelWhile(deploymentId, 'queued', 'Cancelled before it started')) ||
      (await this.cancelWhile(deploymentId, 'paused', 'Cancelled while paused'))
    );
  }

  private cancelWhile(deploymentId: number, status: DeploymentStatus, message: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager.update(
        DeploymentEntity,
        { id: deploymentId, status },
        {
          status: 'cancelled',
          completedAt: () => 'now()',
          cancelRequestedAt: () => 'now()',
          pauseRequestedAt: null,
        },
      );
      if (!result.affected) return false;
      await this.appendEvent(manager, deploymentId, 'cancelled', message);
      return true;
    });
  }

  /** Asks a queued or running rollout to pause before its next batch; false when it is neither. */
  requestPause(deploymentId: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager.update(
        DeploymentEntity,
        { id: deploymentId, status: In(['queued', 'in_progress']) },
        { pauseRequestedAt: () => 'COALESCE(pause_requested_at, now())' },
      );
      if (!result.affected) return false;
      await this.appendEvent(manager, deploymentId, 'pause_requested', 'Pause requested');
      return true;
    });
  }

  /** paused → in_progress, for a worker to take on from the next batch; false when it is not paused. */
  resume(deploymentId: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager.update(
        DeploymentEntity,
        { id: deploymentId, status: 'paused' },
        { status: 'in_progress', pauseRequestedAt: null, resumedAt: () => 'now()' },
      );
      if (!result.affected) return false;
      await this.appendEvent(manager, deploymentId, 'resumed', 'Resumed');
      return true;
    });
  }

  /** Marks a running rollout for cancellation; the worker stops before its next batch. */
  requestCancel(deploymentId: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager.update(
        DeploymentEntity,
        { id: deploymentId, status: 'in_progress' },
        { cancelRequestedAt: () => 'COALESCE(cancel_requested_at, now())' },
      );
      if (!result.affected) return false;
      await this.appendEvent(manager, deploymentId, 'cancel_requested', 'Cancellation requested');
      return true;
    });
  }

  private async appendEvent(
    manager: EntityManager,
    deploymentId: number,
    type: DeploymentStatus | 'cancel_requested' | 'pause_requested' | 'resumed',
    message: string,
  ): Promise<void> {
    await manager.insert(DeploymentEventEntity, {
      deploymentId,
      batchNumber: null,
      serverId: null,
      type,
      message,
    });
  }
}
