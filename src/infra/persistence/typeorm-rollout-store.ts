import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApplicationInstanceEntity } from '../../applications/application-instance.entity';
import { ApplicationServerEntity } from '../../applications/application-server.entity';
import { ApplicationEntity } from '../../applications/application.entity';
import { AppConfig } from '../../config/app-config';
import { DeploymentBatchEntity } from '../../deployments/deployment-batch.entity';
import { DeploymentEventEntity } from '../../deployments/deployment-event.entity';
import { DeploymentEntity } from '../../deployments/deployment.entity';
import { toBatchView } from '../../deployments/deployment-batch.view';
import { toDeploymentView } from '../../deployments/deployment.view';
import { sqlList } from '../../database/sql-list';
import {
  type BatchView,
  type DeploymentView,
  FINAL_DEPLOYMENT_STATUSES,
  type InstanceState,
  type RolloutContext,
} from '../../rollout/domain';
import {
  RolloutStore,
  type BatchPatch,
  type CancelWatch,
  type DeploymentPatch,
  type PlannedBatch,
  type RolloutEventRecord,
} from '../../rollout/ports/rollout-store.port';
import { RecordNotFoundError } from './persistence-errors';
import { pollingCancelWatch } from './polling-cancel-watch';
import { requireTarget, toApplicationSpec, toInstanceState } from './rollout-context-mapping';
import { StoredSecrets } from './stored-secrets';

/** Only the keys actually given: TypeORM would otherwise write NULL for an `undefined`. */
function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

@Injectable()
export class TypeormRolloutStore extends RolloutStore {
  private readonly secrets: StoredSecrets;

  constructor(
    private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    super();
    this.secrets = new StoredSecrets(dataSource, config.appKey);
  }

  async loadContext(deploymentId: number): Promise<RolloutContext> {
    const deployment = await this.findDeployment(deploymentId);
    const app = deployment.application as ApplicationEntity;
    const links = await this.dataSource.getRepository(ApplicationServerEntity).find({
      where: { applicationId: app.id },
      order: { position: 'ASC' },
    });
    const serverIds = links.map((link) => link.serverId);
    const loadBalancerServerId = app.loadBalancer.type === 'none' ? null : app.loadBalancerServerId;
    const targets = await this.secrets.loadServerTargets(
      loadBalancerServerId === null ? serverIds : [...serverIds, loadBalancerServerId],
    );
    const instances = await this.dataSource
      .getRepository(ApplicationInstanceEntity)
      .findBy({ applicationId: app.id });
    const batches = await this.dataSource.getRepository(DeploymentBatchEntity).find({
      where: { deploymentId },
      order: { batchNumber: 'ASC' },
    });
    return {
      deployment: toDeploymentView(deployment, app),
      cancelRequested: deployment.cancelRequestedAt !== null || deployment.status === 'cancelled',
      pauseRequested: deployment.pauseRequestedAt !== null,
      resumedAt: deployment.resumedAt ? deployment.resumedAt.toISOString() : null,
      application: toApplicationSpec(app, serverIds, await this.secrets.loadSecretEnv(app)),
      servers: serverIds.map((id) => requireTarget(targets, id)),
      loadBalancerServer: loadBalancerServerId === null ? null : requireTarget(targets, loadBalancerServerId),
      instances: serverIds.map((serverId) => toInstanceState(serverId, app, instances)),
      batches: batches.map(toBatchView),
    };
  }

  async updateDeployment(deploymentId: number, patch: DeploymentPatch): Promise<DeploymentView> {
    const changes = definedOnly(patch);
    if (Object.keys(changes).length > 0) {
      const result = await this.dataSource
        .getRepository(DeploymentEntity)
        .update({ id: deploymentId }, changes);
      if (result.affected === 0) throw new RecordNotFoundError('deployment', deploymentId);
    }
    const deployment = await this.findDeployment(deploymentId);
    return toDeploymentView(deployment, deployment.application as ApplicationEntity);
  }

  async ensureBatches(deploymentId: number, planned: PlannedBatch[]): Promise<BatchView[]> {
    if (planned.length > 0) {
      // A worker that re-runs after a crash gets the batches of its first run, untouched.
      await this.dataSource
        .createQueryBuilder()
        .insert()
        .into(DeploymentBatchEntity)
        .values(
          planned.map((batch) => ({
            deploymentId,
            batchNumber: batch.batchNumber,
            totalBatches: planned.length,
            serverIds: batch.serverIds,
            targetInstanceCount: batch.targetInstanceCount,
          })),
        )
        .orIgnore()
        .execute();
    }
    const batches = await this.dataSource.getRepository(DeploymentBatchEntity).find({
      where: { deploymentId },
      order: { batchNumber: 'ASC' },
    });
    return batches.map(toBatchView);
  }

  async updateBatch(batchId: number, patch: BatchPatch): Promise<BatchView> {
    const repository = this.dataSource.getRepository(DeploymentBatchEntity);
    const { serverOutcomes, ...rest } = definedOnly(patch);
    // Merged with the stored ones (one worker writes a batch at a time), so steps never erase each other's.
    const stored = serverOutcomes && (await repository.findOneBy({ id: batchId }))?.serverOutcomes;
    const changes = { ...rest, ...(serverOutcomes && { serverOutcomes: { ...stored, ...serverOutcomes } }) };
    if (Object.keys(changes).length > 0) {
      const result = await repository.update({ id: batchId }, changes);
      if (result.affected === 0) throw new RecordNotFoundError('deployment batch', batchId);
    }
    const batch = await repository.findOneBy({ id: batchId });
    if (!batch) throw new RecordNotFoundError('deployment batch', batchId);
    return toBatchView(batch);
  }

  async saveInstance(applicationId: number, instance: InstanceState): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(ApplicationInstanceEntity)
      .values({
        applicationId,
        serverId: instance.serverId,
        image: instance.image,
        tag: instance.tag,
        status: instance.status,
        inRotation: instance.inRotation,
        hostPort: instance.hostPort,
        previousImage: instance.previousImage,
        previousTag: instance.previousTag,
      })
      .orUpdate(
        [
          'docker_image',
          'docker_tag',
          'status',
          'in_rotation',
          'host_port',
          'previous_docker_image',
          'previous_docker_tag',
          'updated_at',
        ],
        ['application_id', 'server_id'],
      )
      .execute();
  }

  async appendEvent(event: RolloutEventRecord): Promise<number> {
    const events = this.dataSource.getRepository(DeploymentEventEntity);
    // Postgres hands the generated id back through RETURNING: no second query.
    const saved = await events.save(
      events.create({
        deploymentId: event.deploymentId,
        batchNumber: event.batchNumber,
        serverId: event.serverId,
        type: event.type,
        message: event.message,
        data: event.data ?? null,
      }),
      { transaction: false },
    );
    return saved.id;
  }

  watchCancel(deploymentId: number): CancelWatch {
    return pollingCancelWatch(async () => {
      const row = await this.dataSource.getRepository(DeploymentEntity).findOne({
        select: { id: true, status: true, cancelRequestedAt: true },
        where: { id: deploymentId },
      });
      return row !== null && (row.cancelRequestedAt !== null || row.status === 'cancelled');
    });
  }

  async claimRun(deploymentId: number, owner: string): Promise<{ previousOwner: string } | null> {
    // One statement: two workers claiming at once see each other's mark, never both a fresh start.
    // TypeORM answers an UPDATE … RETURNING on PostgreSQL as [rows, affected count].
    const [rows] = await this.dataSource.query<[{ previous: string | null }[], number]>(
      `WITH before AS (SELECT id, run_owner FROM deployments WHERE id = $1 FOR UPDATE)
       UPDATE deployments d
          SET run_owner = $2,
              resume_count = d.resume_count + (before.run_owner IS NOT NULL)::int,
              last_resumed_at = CASE WHEN before.run_owner IS NOT NULL THEN now() ELSE d.last_resumed_at END
         FROM before
        WHERE d.id = before.id AND d.status NOT IN (${sqlList(FINAL_DEPLOYMENT_STATUSES)})
       RETURNING before.run_owner AS previous`,
      [deploymentId, owner],
    );
    const previous = rows[0]?.previous ?? null;
    return previous === null ? null : { previousOwner: previous };
  }

  async isRunOwner(deploymentId: number, owner: string): Promise<boolean> {
    return this.dataSource.getRepository(DeploymentEntity).existsBy({ id: deploymentId, runOwner: owner });
  }

  async releaseRun(deploymentId: number, owner: string): Promise<void> {
    await this.dataSource
      .getRepository(DeploymentEntity)
      .update({ id: deploymentId, runOwner: owner }, { runOwner: null });
  }

  async teamOf(deploymentId: number): Promise<number | null> {
    const row = await this.dataSource
      .getRepository(DeploymentEntity)
      .createQueryBuilder('deployment')
      .innerJoin('deployment.application', 'application')
      .select('application.teamId', 'teamId')
      .where('deployment.id = :deploymentId', { deploymentId })
      .getRawOne<{ teamId: number }>();
    return row ? Number(row.teamId) : null;
  }

  private async findDeployment(deploymentId: number): Promise<DeploymentEntity> {
    const deployment = await this.dataSource
      .getRepository(DeploymentEntity)
      .findOne({ where: { id: deploymentId }, relations: { application: true } });
    if (!deployment) throw new RecordNotFoundError('deployment', deploymentId);
    return deployment;
  }
}
