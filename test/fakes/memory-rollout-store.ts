import type {
  ApplicationSpec,
  BatchView,
  DeploymentView,
  InstanceState,
  RolloutContext,
  ServerTarget,
} from '../../src/rollout/domain';
import { DEFAULT_ROLLING_UPDATE } from '../../src/rollout/domain';
import {
  BatchPatch,
  CancelWatch,
  DeploymentPatch,
  PlannedBatch,
  RolloutEventRecord,
  RolloutStore,
} from '../../src/rollout/ports';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * An in-memory RolloutStore that keeps every event it was given. Setting `cancelRequested`, or a deployment
 * whose status is `cancelled` (the API's two cancel paths), aborts every open cancel watch at once, as the
 * real store's poll does shortly after.
 */
export class MemoryRolloutStore extends RolloutStore {
  readonly events: RolloutEventRecord[] = [];
  readonly instanceWrites: InstanceState[] = [];
  batches: BatchView[] = [];
  instances = new Map<number, InstanceState>();
  /** The team of the application; `teamOf` answers it for this store's deployment only. */
  teamId = 1;
  private cancelFlag = false;
  private current!: DeploymentView;
  private readonly watches = new Set<AbortController>();
  private nextBatchId = 100;

  constructor(
    readonly application: ApplicationSpec,
    readonly servers: ServerTarget[],
    readonly loadBalancerServer: ServerTarget | null,
    deployment: Partial<DeploymentView> = {},
  ) {
    super();
    this.deployment = {
      ...DEFAULT_ROLLING_UPDATE,
      healthCheckPath: application.healthCheckPath,
      waitInterval: 0,
      id: 7,
      applicationId: application.id,
      strategy: 'rolling',
      status: 'queued',
      image: application.image,
      tag: 'v2',
      previousImage: null,
      previousTag: null,
      totalBatches: 0,
      completedBatches: 0,
      failedBatches: 0,
      failureReason: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      completedAt: null,
      ...deployment,
    };
  }

  /** Declares what runs on a server before the rollout. */
  seedInstance(serverId: number, patch: Partial<InstanceState>): this {
    this.instances.set(serverId, {
      serverId,
      image: null,
      tag: null,
      status: 'absent',
      inRotation: false,
      hostPort: this.application.hostPort,
      previousImage: null,
      previousTag: null,
      ...patch,
    });
    return this;
  }

  async loadContext(deploymentId: number): Promise<RolloutContext> {
    if (deploymentId !== this.deployment.id) throw new Error(`Deployment ${deploymentId} not found`);
    return structuredClone({
      deployment: this.deployment,
      cancelRequested: this.cancelRequested,
      application: this.application,
      servers: this.servers,
      loadBalancerServer: this.loadBalancerServer,
      instances: this.application.serverIds.map(
        (id) =>
          this.instances.get(id) ?? {
            serverId: id,
            image: null,
            tag: null,
            status: 'absent' as const,
            inRotation: false,
            hostPort: this.application.hostPort,
            previousImage: null,
            previousTag: null,
          },
      ),
      batches: this.batches,
    });
  }

  async updateDeployment(_id: number, patch: DeploymentPatch): Promise<DeploymentView> {
    const { startedAt, completedAt, ...rest } = patch;
    this.deployment = {
      ...this.deployment,
      ...rest,
      ...(startedAt !== undefined ? { startedAt: iso(startedAt) } : {}),
      ...(completedAt !== undefined ? { completedAt: iso(completedAt) } : {}),
    };
    return structuredClone(this.deployment);
  }

  async ensureBatches(_id: number, planned: PlannedBatch[]): Promise<BatchView[]> {
    if (this.batches.length === 0) {
      this.batches = planned.map((p) => ({
        id: this.nextBatchId++,
        batchNumber: p.batchNumber,
        totalBatches: planned.length,
        serverIds: p.serverIds,
        targetInstanceCount: p.targetInstanceCount,
        status: 'pending',
        startedAt: null,
        completedAt: null,
        successfulInstances: 0,
        failedInstances: 0,
        healthCheckResults: {},
        failureReason: null,
      }));
    }
    return structuredClone(this.batches);
  }

  async updateBatch(batchId: number, patch: BatchPatch): Promise<BatchView> {
    const index = this.batches.findIndex((b) => b.id === batchId);
    const { startedAt, completedAt, ...rest } = patch;
    this.batches[index] = {
      ...this.batches[index],
      ...rest,
      ...(startedAt !== undefined ? { startedAt: iso(startedAt) } : {}),
      ...(completedAt !== undefined ? { completedAt: iso(completedAt) } : {}),
    };
    return structuredClone(this.batches[index]);
  }

  async saveInstance(_applicationId: number, instance: InstanceState): Promise<void> {
    this.instances.set(instance.serverId, { ...instance });
    this.instanceWrites.push({ ...instance });
  }

  async appendEvent(event: RolloutEventRecord): Promise<void> {
    this.events.push(event);
  }

  get deployment(): DeploymentView {
    return this.current;
  }

  set deployment(deployment: DeploymentView) {
    this.current = deployment;
    if (deployment.status === 'cancelled') this.abortWatches();
  }

  get cancelRequested(): boolean {
    return this.cancelFlag || this.deployment.status === 'cancelled';
  }

  set cancelRequested(value: boolean) {
    this.cancelFlag = value;
    if (value) this.abortWatches();
  }

  /** Watches not closed yet: a finished run must leave none behind. */
  get openWatches(): number {
    return this.watches.size;
  }

  watchCancel(deploymentId: number): CancelWatch {
    if (deploymentId !== this.deployment.id) throw new Error(`Deployment ${deploymentId} not found`);
    const controller = new AbortController();
    if (this.cancelRequested) controller.abort();
    this.watches.add(controller);
    return { signal: controller.signal, close: () => this.watches.delete(controller) };
  }

  private abortWatches(): void {
    for (const watch of this.watches) watch.abort();
  }

  async teamOf(deploymentId: number): Promise<number | null> {
    return deploymentId === this.deployment.id ? this.teamId : null;
  }
}
