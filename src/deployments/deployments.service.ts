import { Injectable } from '@nestjs/common';
import { ApplicationEntity } from '../applications/application.entity';
import { serverIdsOf } from '../applications/application.view';
import { ApplicationsService } from '../applications/applications.service';
import { ConflictError, NotFoundError, UnprocessableError } from '../common/errors';
import { toBatchView } from './deployment-batch.view';
import { rollingUpdateOptionsOf, toDeploymentView } from './deployment.view';
import { checkSizingBudget } from '../rollout/planning/budget';
import { planBatches } from '../rollout/planning/batches';
import { currentVersion } from '../rollout/planning/current-version';
import { BatchView, DEFAULT_ROLLING_UPDATE, DeploymentView, RollingUpdateOptions } from '../rollout/domain';
import { CreateDeploymentDto } from './create-deployment.dto';
import { RolloutEvents } from '../rollout/ports/rollout-events.port';
import { DeploymentQueue } from './deployment-queue.port';
import { DeploymentEntity } from './deployment.entity';
import { DeploymentsRepository } from './deployments.repository';
import { pageOf } from '../common/http/page.query';
import { ListDeploymentsQuery } from './list-deployments.query';
import { RollingUpdateDto } from './rolling-update.dto';

const CANCELLABLE = ['queued', 'in_progress', 'paused'];

@Injectable()
export class DeploymentsService {
  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly applications: ApplicationsService,
    private readonly queue: DeploymentQueue,
    private readonly events: RolloutEvents,
  ) {}

  async create(teamId: number, dto: CreateDeploymentDto): Promise<DeploymentView> {
    const application = await this.applications.find(teamId, dto.applicationId);
    const previous = currentVersion(
      await this.deployments.instancesOf(application.id, serverIdsOf(application)),
    );
    const deployment = await this.deployments.insert(
      {
        applicationId: application.id,
        status: 'pending',
        image: dto.image ?? application.image,
        tag: dto.tag,
        previousImage: previous?.image ?? null,
        previousTag: previous?.tag ?? null,
        rollbackOfDeploymentId: null,
      },
      application,
    );
    return toDeploymentView(deployment, application);
  }

  async get(teamId: number, id: number): Promise<DeploymentView> {
    const deployment = await this.find(teamId, id);
    return toDeploymentView(deployment, deployment.application!);
  }

  async list(teamId: number, query: ListDeploymentsQuery): Promise<DeploymentView[]> {
    const applicationId = query.applicationId === undefined ? undefined : Number(query.applicationId);
    if (applicationId !== undefined) await this.applications.find(teamId, applicationId);
    const deployments = await this.deployments.list(teamId, { applicationId, ...pageOf(query) });
    return deployments.map((deployment) => toDeploymentView(deployment, deployment.application!));
  }

  async batches(teamId: number, id: number): Promise<BatchView[]> {
    await this.find(teamId, id);
    return (await this.deployments.batchesOf(id)).map(toBatchView);
  }

  async rollingUpdate(teamId: number, id: number, dto: RollingUpdateDto): Promise<DeploymentView> {
    const deployment = await this.find(teamId, id);
    const application = deployment.application!;
    if (deployment.status !== 'pending') throw this.notPending(deployment);
    const options: RollingUpdateOptions = {
      ...DEFAULT_ROLLING_UPDATE,
      healthCheckPath: application.healthCheckPath,
      ...definedFields(dto),
    };
    const totalBatches = this.checkSizing(application, options);
    if (!(await this.deployments.queue(id, application, options, totalBatches))) {
      throw this.notPending(await this.find(teamId, id));
    }
    return this.announceAndEnqueue(teamId, id);
  }

  async rollback(teamId: number, id: number): Promise<DeploymentView> {
    const source = await this.find(teamId, id);
    const application = source.application!;
    if (!source.previousImage || !source.previousTag) {
      throw new UnprocessableError(`Deployment ${id} has no previous version to roll back to`);
    }
    const options = rollingUpdateOptionsOf(source, application);
    const totalBatches = this.checkSizing(application, options);
    const rollback = await this.deployments.insert(
      {
        ...options,
        totalBatches,
        applicationId: application.id,
        status: 'queued',
        image: source.previousImage,
        tag: source.previousTag,
        previousImage: source.image,
        previousTag: source.tag,
        rollbackOfDeploymentId: source.id,
      },
      application,
      `Rollback of deployment ${source.id} to ${source.previousImage}:${source.previousTag} queued`,
    );
    return this.announceAndEnqueue(teamId, rollback.id);
  }

  async cancel(teamId: number, id: number): Promise<DeploymentView> {
    const deployment = await this.find(teamId, id);
    if (!CANCELLABLE.includes(deployment.status)) {
      throw new ConflictError(
        `Deployment ${id} is ${deployment.status}; only a queued, in-progress or paused deployment can be cancelled`,
      );
    }
    // A queued deployment that a worker picks up meanwhile is no longer queued: then ask the worker to stop.
    const cancelled = (await this.deployments.cancelQueued(id)) || (await this.deployments.requestCancel(id));
    if (!cancelled) {
      const current = await this.find(teamId, id);
      throw new ConflictError(`Deployment ${id} is ${current.status} and can no longer be cancelled`);
    }
    const view = await this.get(teamId, id);
    this.events.deploymentUpdated(view);
    if (view.status === 'cancelled') this.events.deploymentFinished(view);
    return view;
  }

  /** Subscribers see `queued` before the worker's first event, so the announcement precedes the job. */
  private async announceAndEnqueue(teamId: number, id: number): Promise<DeploymentView> {
    this.events.deploymentUpdated(await this.get(teamId, id));
    await this.enqueue(id);
    return this.get(teamId, id);
  }

  private async find(teamId: number, id: number): Promise<DeploymentEntity> {
    const deployment = await this.deployments.findForTeam(teamId, id);
    if (!deployment) throw new NotFoundError(`Deployment ${id} not found`);
    return deployment;
  }

  private notPending(deployment: DeploymentEntity): ConflictError {
    return new ConflictError(`Deployment ${deployment.id} is ${deployment.status}, not pending`);
  }

  /** The batch sizing counted on the application's servers now; returns the number of batches. */
  private checkSizing(application: ApplicationEntity, options: RollingUpdateOptions): number {
    const batches = planBatches(serverIdsOf(application), options.batchSize, options.batchSizeIsPercentage);
    const verdict = checkSizingBudget({
      serverCount: batches.flat().length,
      largestBatch: Math.max(0, ...batches.map((batch) => batch.length)),
      minimumHealthy: options.minimumHealthyInstances,
    });
    if (!verdict.allowed) throw new UnprocessableError(verdict.reason);
    return batches.length;
  }

  /** Hands the job to the workers; when that fails the deployment goes back to pending and can be retried. */
  private async enqueue(id: number): Promise<void> {
    try {
      await this.queue.enqueue(id);
    } catch (error) {
      await this.deployments.unqueue(id);
      throw error;
    }
  }
}

function definedFields(dto: RollingUpdateDto): Partial<RollingUpdateOptions> {
  return Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined && value !== null));
}
