import { Injectable } from '@nestjs/common';
import { ApplicationEntity } from '../applications/application.entity';
import { serverIdsOf } from '../applications/application.view';
import { ApplicationsService } from '../applications/applications.service';
import { ConflictError, NotFoundError, UnprocessableError } from '../common/errors';
import { toBatchView } from './deployment-batch.view';
import { rollingUpdateOptionsOf, toDeploymentView } from './deployment.view';
import { checkSizingBudget } from '../rollout/planning/budget';
import { ESTIMATE_SAMPLE, type PlanPreview, previewPlan } from '../rollout/planning/preview';
import { planBatches } from '../rollout/planning/batches';
import { currentVersion } from '../rollout/planning/current-version';
import {
  BatchView,
  DEFAULT_ROLLING_UPDATE,
  DeploymentView,
  RollingUpdateOptions,
  START_FIRST_NEEDS_A_LOAD_BALANCER,
  defaultUpdateOrder,
} from '../rollout/domain';
import { CapacityPreview } from './capacity-preview.port';
import { CreateDeploymentDto } from './create-deployment.dto';
import { RolloutEvents } from '../rollout/ports/rollout-events.port';
import { DeploymentQueue } from './deployment-queue.port';
import { DeploymentEntity } from './deployment.entity';
import { DeploymentsRepository } from './deployments.repository';
import { pageOf } from '../common/http/page.query';
import { ListDeploymentsQuery } from './list-deployments.query';
import { RollingUpdateDto } from './rolling-update.dto';
import { DEFAULT_EVENTS_PAGE, DeploymentEventsQuery } from './deployment-events.query';
import { type DeploymentEventView, toDeploymentEventView } from './deployment-event.view';

const CANCELLABLE = ['queued', 'in_progress', 'paused'];
const PAUSABLE = ['queued', 'in_progress'];

@Injectable()
export class DeploymentsService {
  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly applications: ApplicationsService,
    private readonly queue: DeploymentQueue,
    private readonly live: RolloutEvents,
    private readonly capacity: CapacityPreview,
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

  async events(teamId: number, id: number, query: DeploymentEventsQuery): Promise<DeploymentEventView[]> {
    await this.find(teamId, id);
    const afterId = query.afterId === undefined ? 0 : Number(query.afterId);
    const limit = query.limit === undefined ? DEFAULT_EVENTS_PAGE : Number(query.limit);
    return (await this.deployments.eventsOf(id, afterId, limit)).map(toDeploymentEventView);
  }

  /** The rollout that `rolling-update` with the same body would run; changes nothing. */
  async plan(teamId: number, id: number, dto: RollingUpdateDto): Promise<PlanPreview> {
    const deployment = await this.find(teamId, id);
    const application = deployment.application!;
    const options = this.optionsOf(application, dto);
    this.checkSizing(application, options);
    const serverIds = serverIdsOf(application);
    const instances = await this.deployments.instancesOf(application.id, serverIds);
    const running = instances.filter((instance) => instance.status === 'running');
    const plan = previewPlan({
      applicationName: application.name,
      serverIds,
      inRotation: new Set(running.filter((i) => i.inRotation).map((i) => i.serverId)),
      onTarget: new Set(
        running
          .filter((i) => i.image === deployment.image && i.tag === deployment.tag)
          .map((i) => i.serverId),
      ),
      options,
      target: `${deployment.image}:${deployment.tag}`,
      drainSeconds: application.loadBalancer.type === 'none' ? 0 : application.loadBalancer.drainSeconds,
      recentBatchSeconds: await this.deployments.recentBatchSeconds(application.id, ESTIMATE_SAMPLE),
      hasPrevious: deployment.previousTag !== null,
    });
    // The rollout checks again before each batch; a short server then fails its batch before it is touched.
    const shortages = await this.capacity.shortages(deployment.id, options.order);
    return { ...plan, warnings: [...plan.warnings, ...shortages] };
  }

  async rollingUpdate(teamId: number, id: number, dto: RollingUpdateDto): Promise<DeploymentView> {
    const deployment = await this.find(teamId, id);
    const application = deployment.application!;
    if (deployment.status !== 'pending') throw this.notPending(deployment);
    const options = this.optionsOf(application, dto);
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
    // A paused rollout holds the application's slot: rolling it back ends it first.
    if (source.status === 'paused' && (await this.deployments.cancelIdle(source.id))) {
      const cancelled = await this.get(teamId, source.id);
      this.live.deploymentUpdated(cancelled);
      this.live.deploymentFinished(cancelled);
    }
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
    const cancelled = (await this.deployments.cancelIdle(id)) || (await this.deployments.requestCancel(id));
    if (!cancelled) {
      const current = await this.find(teamId, id);
      throw new ConflictError(`Deployment ${id} is ${current.status} and can no longer be cancelled`);
    }
    const view = await this.get(teamId, id);
    this.live.deploymentUpdated(view);
    if (view.status === 'cancelled') this.live.deploymentFinished(view);
    return view;
  }

  /** The rollout stops before its next batch (the batch in flight finishes); status `paused` then. */
  async pause(teamId: number, id: number): Promise<DeploymentView> {
    const deployment = await this.find(teamId, id);
    if (!PAUSABLE.includes(deployment.status) || !(await this.deployments.requestPause(id))) {
      const current = await this.find(teamId, id);
      throw new ConflictError(
        `Deployment ${id} is ${current.status}; only a queued or in-progress deployment can be paused`,
      );
    }
    const view = await this.get(teamId, id);
    this.live.deploymentUpdated(view);
    return view;
  }

  async resume(teamId: number, id: number): Promise<DeploymentView> {
    const deployment = await this.find(teamId, id);
    if (deployment.status !== 'paused' || !(await this.deployments.resume(id))) {
      const current = await this.find(teamId, id);
      throw new ConflictError(`Deployment ${id} is ${current.status}, not paused`);
    }
    return this.announceAndEnqueue(teamId, id);
  }

  /** Subscribers see `queued` before the worker's first event, so the announcement precedes the job. */
  private async announceAndEnqueue(teamId: number, id: number): Promise<DeploymentView> {
    this.live.deploymentUpdated(await this.get(teamId, id));
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

  private optionsOf(application: ApplicationEntity, dto: RollingUpdateDto): RollingUpdateOptions {
    const options = {
      ...DEFAULT_ROLLING_UPDATE,
      healthCheckPath: application.healthCheckPath,
      order: defaultUpdateOrder(serverIdsOf(application).length, application.loadBalancer.type),
      ...definedFields(dto),
    };
    if (options.order === 'start-first' && application.loadBalancer.type === 'none') {
      throw new UnprocessableError(START_FIRST_NEEDS_A_LOAD_BALANCER);
    }
    // A deadline of 0 s could never be met: it means none, as leaving it out does.
    return { ...options, progressDeadline: options.progressDeadline || null };
  }

  /** The batch sizing counted on the application's servers now; returns the number of batches. */
  private checkSizing(application: ApplicationEntity, options: RollingUpdateOptions): number {
    const batches = planBatches(serverIdsOf(application), options.batchSize, options.batchSizeIsPercentage);
    const verdict = checkSizingBudget({
      serverCount: batches.flat().length,
      largestBatch: Math.max(0, ...batches.map((batch) => batch.length)),
      minimumHealthy: options.minimumHealthyInstances,
      order: options.order,
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
