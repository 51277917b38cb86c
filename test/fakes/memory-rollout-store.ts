import type {
  ApplicationSpec,
  BatchView,
  DeploymentView,
  InstanceState,
  RolloutContext,
  RollingUpdateOptions,
  ServerTarget,
} from '../../src/rollout/domain';
import { NotFoundError } from '../../src/common/errors';
import { DEFAULT_ROLLING_UPDATE, FINAL_DEPLOYMENT_STATUSES } from '../../src/rollout/domain';
import {
  BatchPatch,
  CancelWatch,
  DeploymentPatch,
  PlannedBatch,
  RolloutEventRecord,
  RolloutStore,
} from '../../src/rollout/ports';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** The error the Postgres store throws for a missing row (a `RecordNotFoundError` is a NotFoundError). */
const gone = (what: string, id: number) => new NotFoundError(`${what} ${id} does not exist`);

/** Only the keys actually given, as the Postgres store writes them: an `undefined` is "not given". */
function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The defaults in the key order of the contract's deployment view; no wait between batches in unit tests. */
function rollingUpdateDefaults(healthCheckPath: string): RollingUpdateOptions {
  const { batchSize, batchSizeIsPercentage, waitInterval: _ignored, ...rest } = DEFAULT_ROLLING_UPDATE;
  return { batchSize, batchSizeIsPercentage, waitInterval: 0, healthCheckPath, ...rest, order: 'stop-first' };
}

/**
 * An in-memory RolloutStore that keeps every event it was given. Setting `cancelRequested`, or a deployment
 * whose status is `cancelled` (the API's two cancel paths), aborts every open cancel watch at once, as the
 * real store's poll does shortly after.
 */
const BATCH_TIME = '2026-01-01T00:00:00.000Z';

export class MemoryRolloutStore extends RolloutStore {
  readonly events: RolloutEventRecord[] = [];
  readonly instanceWrites: InstanceState[] = [];
  batches: BatchView[] = [];
  instances = new Map<number, InstanceState>();
  /** The team of the application; `teamOf` answers it for this store's deployment only. */
  teamId = 1;
  /** A pause request (`POST …/pause`, or the gate after a batch) not yet honoured by the rollout. */
  pauseRequested = false;
  /** When the API last resumed the deployment (ISO 8601). */
  resumedAt: string | null = null;
  /** The worker whose run of the rollout has not ended (`claimRun`, `releaseRun`). */
  runOwner: string | null = null;
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
      id: 7,
      applicationId: application.id,
      strategy: 'rolling',
      status: 'queued',
      image: application.image,
      tag: 'v2',
      previousImage: null,
      previousTag: null,
      ...rollingUpdateDefaults(application.healthCheckPath),
      totalBatches: 0,
      completedBatches: 0,
      failedBatches: 0,
      failureReason: null,
      resumeCount: 0,
      lastResumedAt: null,
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

  loadContext(deploymentId: number): Promise<RolloutContext> {
    if (deploymentId !== this.deployment.id) return Promise.reject(gone('deployment', deploymentId));
    return Promise.resolve(
      structuredClone({
        deployment: this.deployment,
        cancelRequested: this.cancelRequested,
        pauseRequested: this.pauseRequested,
        resumedAt: this.resumedAt,
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
      }),
    );
  }

  updateDeployment(deploymentId: number, patch: DeploymentPatch): Promise<DeploymentView> {
    if (deploymentId !== this.deployment.id) return Promise.reject(gone('deployment', deploymentId));
    const { startedAt, completedAt, pauseRequestedAt, ...rest } = definedOnly(patch);
    if (pauseRequestedAt !== undefined) this.pauseRequested = pauseRequestedAt !== null;
    this.deployment = {
      ...this.deployment,
      ...rest,
      ...(startedAt !== undefined ? { startedAt: iso(startedAt) } : {}),
      ...(completedAt !== undefined ? { completedAt: iso(completedAt) } : {}),
    };
    return Promise.resolve(structuredClone(this.deployment));
  }

  ensureBatches(deploymentId: number, planned: PlannedBatch[]): Promise<BatchView[]> {
    if (deploymentId !== this.deployment.id) return Promise.reject(gone('deployment', deploymentId));
    // As the Postgres store's insert-or-ignore: a batch number already there is left untouched.
    const missing = planned.filter((p) => !this.batches.some((b) => b.batchNumber === p.batchNumber));
    this.nextBatchId = Math.max(this.nextBatchId, ...this.batches.map((b) => b.id + 1));
    this.batches = [
      ...this.batches,
      ...missing.map((p): BatchView => ({
        id: this.nextBatchId++,
        batchNumber: p.batchNumber,
        totalBatches: planned.length,
        serverIds: [...p.serverIds],
        targetInstanceCount: p.targetInstanceCount,
        status: 'pending',
        startedAt: null,
        completedAt: null,
        successfulInstances: 0,
        failedInstances: 0,
        healthCheckResults: {},
        failureReason: null,
        serverOutcomes: Object.fromEntries(p.serverIds.map((id) => [String(id), 'untouched' as const])),
        createdAt: BATCH_TIME,
        updatedAt: BATCH_TIME,
      })),
    ].sort((a, b) => a.batchNumber - b.batchNumber);
    return Promise.resolve(structuredClone(this.batches));
  }

  updateBatch(batchId: number, patch: BatchPatch): Promise<BatchView> {
    const index = this.batches.findIndex((b) => b.id === batchId);
    const batch = this.batches[index];
    if (!batch) return Promise.reject(gone('deployment batch', batchId));
    const { startedAt, completedAt, serverOutcomes, ...rest } = structuredClone(definedOnly(patch));
    const next: BatchView = {
      ...batch,
      ...rest,
      serverOutcomes: { ...batch.serverOutcomes, ...serverOutcomes },
      ...(startedAt !== undefined ? { startedAt: iso(startedAt) } : {}),
      ...(completedAt !== undefined ? { completedAt: iso(completedAt) } : {}),
    };
    this.batches[index] = next;
    return Promise.resolve(structuredClone(next));
  }

  saveInstance(applicationId: number, instance: InstanceState): Promise<void> {
    if (applicationId !== this.application.id) return Promise.reject(gone('application', applicationId));
    this.instances.set(instance.serverId, { ...instance });
    this.instanceWrites.push({ ...instance });
    return Promise.resolve();
  }

  appendEvent(event: RolloutEventRecord): Promise<number> {
    if (event.deploymentId !== this.deployment.id)
      return Promise.reject(gone('deployment', event.deploymentId));
    this.events.push(structuredClone(event));
    return Promise.resolve(this.events.length);
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
    // As the Postgres store's poll, which finds no row: a watch that never aborts.
    if (deploymentId !== this.deployment.id) return { signal: new AbortController().signal, close: () => {} };
    const controller = new AbortController();
    if (this.cancelRequested) controller.abort();
    this.watches.add(controller);
    return { signal: controller.signal, close: () => this.watches.delete(controller) };
  }

  private abortWatches(): void {
    for (const watch of this.watches) watch.abort();
  }

  claimRun(deploymentId: number, owner: string): Promise<{ previousOwner: string } | null> {
    if (deploymentId !== this.deployment.id) return Promise.reject(gone('deployment', deploymentId));
    if (FINAL_DEPLOYMENT_STATUSES.includes(this.deployment.status)) return Promise.resolve(null);
    const previous = this.runOwner;
    this.runOwner = owner;
    if (previous === null) return Promise.resolve(null);
    this.deployment = {
      ...this.deployment,
      resumeCount: this.deployment.resumeCount + 1,
      lastResumedAt: new Date().toISOString(),
    };
    return Promise.resolve({ previousOwner: previous });
  }

  isRunOwner(deploymentId: number, owner: string): Promise<boolean> {
    return Promise.resolve(deploymentId === this.deployment.id && this.runOwner === owner);
  }

  releaseRun(deploymentId: number, owner: string): Promise<void> {
    if (deploymentId === this.deployment.id && this.runOwner === owner) this.runOwner = null;
    return Promise.resolve();
  }

  teamOf(deploymentId: number): Promise<number | null> {
    return Promise.resolve(deploymentId === this.deployment.id ? this.teamId : null);
  }
}
